"""What a user's type checker sees: mypy (the project's settings: strict, Python 3.9) passes user_code.py,
whose `assert_type`s fail on any wrong or Any type, and reports each deliberate misuse in WRONG on its line.
user_code.py also runs, on the live backend, so the types describe the values users really get."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
USER_CODE = Path(__file__).resolve().parent / "user_code.py"

# Each misuse names, after `# E:`, what mypy's message for that line says.
WRONG = """\
from typing import Any
import rillm

messages: list[dict[str, Any]] = [{"role": "user", "content": "hi"}]
stream = rillm.completion("gpt-4o", messages, temperature=0, stream=True)
stream.choices  # E: "CustomStreamWrapper" has no attribute "choices"
for chunk in stream:
    chunk.choices[0].delta.content.upper()  # E: Item "None" of "str | None" has no attribute "upper"
    chunk.choices[0].message  # E: "StreamingChoices" has no attribute "message"
    chunk.choices[0].delta.reasoning  # E: "Delta" has no attribute "reasoning"
rillm.completion("gpt-4o", messages).choices[0].delta  # E: "Choices" has no attribute "delta"
rillm.StreamDecoder("openai", "gpt-4o")  # E: Too many positional arguments for "StreamDecoder"
rillm.StreamDecoder("openai").feed("data: [DONE]")  # E: Argument 1 to "feed" of "StreamDecoder"


async def f() -> None:
    async for piece in await rillm.acompletion("gpt-4o", messages, stream=True):
        piece.choices[0].delta.content + 1  # E: Unsupported operand types for + ("str" and "int")
    async for whole in await rillm.acompletion("gpt-4o", messages):  # E: "ModelResponse" has no attribute "__aiter__"
        pass
    rillm.acompletion("gpt-4o", messages, stream=True).choices  # E: "Coroutine[Any, Any, CustomStreamWrapper]"
"""


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[int, str]]]:
    """One mypy run over user_code.py and WRONG: each file's (line, message) errors."""
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (the lint extra)")
    wrong = tmp_path_factory.mktemp("typing") / "wrong.py"
    wrong.write_text(WRONG, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml", "--no-error-summary", USER_CODE, wrong],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2 is mypy itself failing
    errors: dict[str, list[tuple[int, str]]] = {"user_code": [], "wrong": []}
    for line in run.stdout.splitlines():
        found = re.match(r"(.+?):(\d+): (error|note): (.*)", line)
        assert found, f"unexpected mypy output: {line}"
        if found[3] == "error":
            errors[Path(found[1]).stem].append((int(found[2]), found[4]))
    return errors


def test_user_code_type_checks(mypy_errors: dict[str, list[tuple[int, str]]]) -> None:
    assert mypy_errors["user_code"] == []


def test_misuses_are_reported(mypy_errors: dict[str, list[tuple[int, str]]]) -> None:
    expected = {
        number: line.split("# E: ", 1)[1] for number, line in enumerate(WRONG.splitlines(), 1) if "# E: " in line
    }
    reported: dict[int, str] = {}
    for number, message in mypy_errors["wrong"]:
        reported[number] = f"{reported[number]} | {message}" if number in reported else message
    assert sorted(reported) == sorted(expected), mypy_errors["wrong"]
    for number, wanted in expected.items():
        assert wanted in reported[number], (number, reported[number])


def test_user_code_runs() -> None:
    spec = importlib.util.spec_from_file_location("rillm_user_code", USER_CODE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main()
