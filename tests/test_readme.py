"""The README says what is true: its first script runs as pasted (no key, no network: it streams its mock),
its provider table is what `rillm providers --markdown` prints today, and every path it names exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else len(README)]


def _env() -> dict[str, str]:
    """This process's environment without any provider key, and with the tree's source importable."""
    env = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_KEY", "_TOKEN"))}
    if os.environ.get("RILLM_TEST_INSTALLED") != "1":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "python"), env.get("PYTHONPATH")]))
    return env


def test_the_first_script_runs_as_pasted(tmp_path: Path) -> None:
    script = re.search(r"```python\n(.*?)```", _section("Use"), re.S)
    assert script is not None
    (tmp_path / "example.py").write_text(script.group(1), encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "example.py"], cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    mock = re.search(r'else "([^"]+)"', script.group(1))
    assert mock is not None
    lines = run.stdout.splitlines()
    # Streamed sync, built by stream_chunk_builder, streamed async; the usage counts the prompt.
    assert lines.count(mock.group(1)) == 3, run.stdout
    assert re.search(r"prompt_tokens=[1-9]\d* completion_tokens=[1-9]\d*", run.stdout), run.stdout
    assert run.stderr == ""


def test_the_provider_table_is_the_generated_one() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "rillm", "providers", "--markdown"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() in _section("Providers"), "regenerate the README's table: rillm providers --markdown"
    rows = [line for line in run.stdout.splitlines() if line.startswith("| `")]
    assert f"{len(rows)} LiteLLM provider prefixes" in README


# The repository paths the README names in backquotes (not the `<name>` of a file to write).
NAMED = sorted(set(re.findall(r"`((?:rust|python|tests|benches|docs|\.ci|\.github)/[^`*<> ]+)`", README)))


@pytest.mark.parametrize("path", NAMED)
def test_every_path_named_exists(path: str) -> None:
    assert (ROOT / path).exists(), path
