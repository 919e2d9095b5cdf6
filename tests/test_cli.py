"""The `rillm` command line, driven as a user drives it: in subprocesses (`python -m rillm` and the console
script), checking exit codes, standard output and standard error. `rillm replay` is also run in this process
(`main([...])`, the console script's function) on every recording, where 90 subprocesses would cost a minute.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm.cli import main
from rillm.cli.guess import GuessError, guess_dialect
from rillm.cli.mock import RECORDINGS, recording, split_events
from rillm.providers import providers
from tests.conftest import DIALECTS, FIXTURES, decode

# One model per bundled recording (request dialect), routed through that dialect's provider.
MODELS = {
    "openai": "openai/gpt-4o",
    "anthropic": "anthropic/claude-sonnet-4-5",
    "gemini": "gemini/gemini-2.5-pro",
    "cohere": "cohere_chat/command-a-03-2025",
    "bedrock": "bedrock/anthropic.claude-3-7-sonnet-20250219-v1:0",
    "bedrock_invoke": "bedrock/invoke/anthropic.claude-sonnet-4-5-20250929-v1:0",
    "ollama": "ollama_chat/gpt-oss",
}
SCRIPT = Path(sys.executable).with_name("rillm.exe" if os.name == "nt" else "rillm")


def _env(**extra: str) -> dict[str, str]:
    """The environment without any provider credential (so `chat` falls back to its recordings), the mock
    server unpaced, and `extra`."""
    secret = {name for row in providers().values() for name in (*row.api_key_env, *row.token_env)}
    secret |= {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"}
    env = {k: v for k, v in os.environ.items() if k not in secret}
    return {**env, "RILLM_MOCK_PAUSE": "0", **extra}


def rillm_cli(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rillm", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=_env(**env),
    )


def _built(name: str, dialect: str) -> Any:
    """The response the bundled recording builds, decoded here directly."""
    decoder = rillm.StreamDecoder("bedrock" if dialect == "bedrock_invoke" else dialect)
    data = recording(dialect).data
    return rillm.stream_chunk_builder(decoder.feed(data) + decoder.finish())


def test_help_names_every_command() -> None:
    done = rillm_cli("--help")
    assert done.returncode == 0, done.stderr
    for command in ("chat", "replay", "bench", "providers", "--backend"):
        assert command in done.stdout


def test_the_console_script() -> None:
    done = subprocess.run([str(SCRIPT), "--version"], capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"rillm {rillm.__version__} (backend: {rillm.BACKEND})"


def test_no_command_prints_the_help_and_fails() -> None:
    done = rillm_cli()
    assert done.returncode == 2 and "chat" in done.stdout


@pytest.mark.parametrize("dialect", sorted(RECORDINGS))
def test_chat_mock_streams_the_dialects_recording(dialect: str) -> None:
    done = rillm_cli("chat", "--mock", MODELS[dialect], "Hello")
    assert done.returncode == 0, done.stderr
    message = _built(RECORDINGS[dialect], dialect).choices[0].message
    for text in (message.content, message.reasoning_content):
        if text:
            assert text.strip()[:60] in done.stdout
    for call in message.tool_calls or ():
        assert f"→ {call.function.name}({call.function.arguments})" in done.stdout
    assert "--mock: streaming the bundled recording" in done.stderr
    summary = done.stderr.strip().splitlines()[-1]
    assert re.search(r"\d+ prompt \+ \d+ completion tokens", summary), summary
    assert "cost " in summary and "first token " in summary and f"backend {rillm.BACKEND}" in summary


def test_chat_without_a_key_uses_the_recording_of_the_providers_dialect() -> None:
    done = rillm_cli("chat", "anthropic/claude-sonnet-4-5", "How do I cross the street?")
    assert done.returncode == 0, done.stderr
    assert "No key for anthropic (ANTHROPIC_API_KEY not set)" in done.stderr
    assert "anthropic.sse (anthropic dialect)" in done.stderr
    assert "Here are the basic steps for safely crossing the street" in done.stdout
    assert "cost $0.004359" in done.stderr  # the recording's usage at claude-sonnet-4's list price


def test_chat_json_prints_each_chunk_as_a_json_line() -> None:
    done = rillm_cli("chat", "--mock", "--json", MODELS["openai"], "Hello")
    assert done.returncode == 0, done.stderr
    chunks = [json.loads(line) for line in done.stdout.splitlines()]
    arguments = "".join(
        call["function"].get("arguments") or ""
        for chunk in chunks
        for choice in chunk["choices"]
        for call in choice["delta"].get("tool_calls") or ()
    )
    assert arguments == '{"city":"Mexico City"}'
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)


def test_chat_with_an_api_base_that_does_not_answer_fails_clearly() -> None:
    done = rillm_cli("chat", "openai/gpt-4o", "Hello", "--api-base", "http://127.0.0.1:9/v1", OPENAI_API_KEY="sk-x")
    assert done.returncode == 1
    assert "APIConnectionError" in done.stderr and "127.0.0.1:9" in done.stderr and "--mock" in done.stderr
    assert "sk-x" not in done.stderr + done.stdout


def test_chat_with_a_typo_in_the_provider() -> None:
    done = rillm_cli("chat", "opneai/gpt-4o", "Hello")
    assert done.returncode == 2
    assert "did you mean 'openai/gpt-4o'?" in done.stderr and "rillm providers" in done.stderr


@pytest.mark.parametrize("backend", ["python", "rust"])
def test_backend_option_selects_the_backend(backend: str) -> None:
    if backend == "rust" and rillm.BACKEND != "rust":
        pytest.skip("the Rust extension is not the live backend here")
    for args in (("--backend", backend, "chat", "--mock"), ("chat", "--mock", "--backend", backend)):
        done = rillm_cli(*args, MODELS["anthropic"], "Hello")
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().endswith(f"backend {backend}")


def test_backend_rust_without_the_extension_fails_clearly() -> None:
    blocked = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'rillm._native':\n"
        "            raise ImportError('no extension in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rillm.cli import main\n"
        "sys.exit(main(['--backend', 'rust', 'providers']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", blocked], capture_output=True, text=True, env=_env(RILLM_BACKEND="python"), timeout=60
    )
    assert done.returncode == 2
    assert "--backend rust: the Rust extension cannot be imported (no extension in this test)" in done.stderr


# Runs the library (import, then a stream over a real socket, sync and async) with rich, click and the command
# line refused by a meta-path finder that notes which module asked for each: only rillm's own asking counts
# (httpx imports rich when click is installed, which is not rillm's doing). The finder's own check: a
# module named like one of rillm's that asks for rich must be noted.
NO_COMMAND_LINE = """
import asyncio, json, sys

class Refuse:
    def __init__(self):
        self.asked = []

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("rich", "click") or name == "rillm.cli" or name.startswith("rillm.cli."):
            frame = sys._getframe(1)
            while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
                ("importlib", "_frozen_importlib")
            ):
                frame = frame.f_back
            self.asked.append([name, frame.f_globals.get("__name__", "")])
            raise ImportError(f"{name} is refused in this test")
        return None

refuse = Refuse()
sys.meta_path.insert(0, refuse)
import rillm
from rillm._bench.serve import Server

messages = [{"role": "user", "content": "hi"}]

async def read_async(options):
    return [c.choices[0].delta.content async for c in await rillm.acompletion("openai/gpt-4o", messages, **options)]

with Server("openai-text", 20) as server:
    options = {"stream": True, "api_base": server.url(), "api_key": "sk-test"}
    texts = ["".join(c.choices[0].delta.content or "" for c in rillm.completion("openai/gpt-4o", messages, **options))]
    texts.append("".join(s or "" for s in asyncio.run(read_async(options))))
own = [asked for asked in refuse.asked if asked[1].partition(".")[0] == "rillm"]
exec("try:\\n    import rich\\nexcept ImportError:\\n    pass", {"__name__": "rillm.probe"})
print(json.dumps({"texts": texts, "own": own, "probe": refuse.asked[-1:]}))
"""


def test_the_library_never_imports_the_command_line_or_rich() -> None:
    from rillm._bench.workloads import workload

    done = subprocess.run(
        [sys.executable, "-c", NO_COMMAND_LINE], capture_output=True, text=True, env=_env(), timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.splitlines()[-1])
    assert seen["texts"] == [workload("openai-text", 20).expected] * 2
    assert seen["own"] == []
    assert seen["probe"] == [["rich", "rillm.probe"]]


def test_without_rich_the_command_line_says_which_extra_to_install() -> None:
    blocked = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'rich':\n"
        "            raise ImportError('no rich in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from rillm.cli import main\n"
        "sys.exit(main(['providers']))\n"
    )
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, env=_env(), timeout=60)
    assert done.returncode == 2
    assert "pip install 'rillm[cli]'" in done.stderr


# -- providers ---------------------------------------------------------------------------------------------


def test_providers_markdown_is_the_whole_table() -> None:
    done = rillm_cli("providers", "--markdown")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "| prefix | dialect | default base URL | key env vars | auth |"
    assert len(lines) == 2 + len(providers())
    assert "| `anthropic` | anthropic | https://api.anthropic.com | `ANTHROPIC_API_KEY` | x-api-key |" in lines
    assert any(line.startswith("| `ollama` |") and "(optional)" in line for line in lines)


def test_providers_as_a_table() -> None:
    done = rillm_cli("providers", COLUMNS="200")
    assert done.returncode == 0, done.stderr
    assert "bedrock/invoke" in done.stdout and "x-goog-api-key" in done.stdout


# -- replay ------------------------------------------------------------------------------------------------


def _recordings() -> list[Path]:
    return sorted(p for folder in DIALECTS for p in (FIXTURES / folder).iterdir() if p.is_file())


@pytest.mark.parametrize("path", _recordings(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_dialect_of_every_recording_is_guessed(path: Path) -> None:
    assert guess_dialect(path.read_bytes()) == DIALECTS[path.parent.name]


@pytest.mark.parametrize(
    "data",
    [b"", b"hello world\n", b'{"foo": 1}\n', b"{not json\n", b'data: {"x": 1}\n\n', b"event: unknown\ndata: 1\n\n"],
)
def test_content_that_matches_no_rule_is_not_guessed(data: bytes) -> None:
    with pytest.raises(GuessError):
        guess_dialect(data)


@pytest.mark.parametrize("path", _recordings(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_replay_every_recording(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The chunks printed are the decoder's, the dialect guessed; an error recording exits with 1 after
    printing what was decoded before its error."""
    code = main(["replay", str(path)])
    out, err = capsys.readouterr()
    expected = decode(rillm._backend._impl, [path.read_bytes()], DIALECTS[path.parent.name], created=None)
    printed = [json.loads(line) for line in out.splitlines()]
    assert [_stable(c) for c in printed] == [
        _stable(json.loads(c.model_dump_json(exclude_none=True))) for c in expected.chunks
    ]
    assert f"{DIALECTS[path.parent.name]} dialect (guessed" in err
    if expected.error is None:
        assert code == 0
    else:
        name, event, offset = expected.error
        assert code == 1
        assert name in err and (event is None or f"event {event}" in err) and f"byte offset {offset}" in err


def _stable(chunk: dict[str, Any]) -> str:
    """A chunk without the values a decoder makes up per run: the local time as `created`, and a generated
    id (`chatcmpl-<uuid>`), which the ids of the tool calls it names repeat."""
    made_up = str(chunk.pop("id", "")).removeprefix("chatcmpl-")
    chunk.pop("created", None)
    text = json.dumps(chunk, sort_keys=True)
    return text.replace(f'"call_{made_up}', '"call_ID') if made_up else text


@pytest.mark.parametrize("dialect", sorted(set(DIALECTS.values())))
def test_replay_in_a_subprocess_one_recording_per_dialect(dialect: str) -> None:
    path = next(p for p in _recordings() if DIALECTS[p.parent.name] == dialect and "error" not in p.name)
    done = rillm_cli("replay", str(path))
    assert done.returncode == 0, done.stderr
    assert all(json.loads(line)["object"] == "chat.completion.chunk" for line in done.stdout.splitlines())
    built = rillm_cli("replay", "--build", "--dialect", dialect, str(path))
    assert built.returncode == 0, built.stderr
    assert json.loads(built.stdout)["object"] == "chat.completion"


def test_replay_of_a_corrupted_recording_names_the_event_and_offset(tmp_path: Path) -> None:
    data = (FIXTURES / "anthropic" / "text-basic.sse").read_bytes()
    events = split_events(data, "text/event-stream")
    broken = b"".join(events[:4]) + events[4].replace(b'"type"', b'"type', 1) + b"".join(events[5:])
    path = tmp_path / "broken.sse"
    path.write_bytes(broken)
    decoder = rillm.StreamDecoder("anthropic")
    with pytest.raises(rillm.StreamDecodeError) as info:
        decoder.feed(broken)
    done = rillm_cli("replay", str(path))
    assert done.returncode == 1
    assert f"StreamDecodeError at event {info.value.event}, byte offset {info.value.offset}" in done.stderr
    assert f"{len(info.value.chunks)} chunk(s) were decoded before the error (printed above)" in done.stderr
    assert len(done.stdout.splitlines()) == len(info.value.chunks) > 0


def test_replay_errors_of_usage(tmp_path: Path) -> None:
    missing = rillm_cli("replay", str(tmp_path / "nothing.sse"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr
    (tmp_path / "text.txt").write_text("just some text\n")
    unguessed = rillm_cli("replay", str(tmp_path / "text.txt"))
    assert unguessed.returncode == 2 and "cannot guess the dialect" in unguessed.stderr
    assert "--dialect" in unguessed.stderr


# -- bench -------------------------------------------------------------------------------------------------


def test_bench_quick_runs_every_group_for_both_backends() -> None:
    done = rillm_cli("bench", "--quick", "--chunks", "300", COLUMNS="200", timeout=300)
    assert done.returncode == 0, done.stderr
    for text in ("decode", "stream_chunk_builder", "end to end", "rillm (Python)", "chunks/s", "bare read: aiohttp"):
        assert text in done.stdout
    first = ("time to first chunk", "acompletion() (warm)", "acompletion() (cold")
    for text in ("concurrent", "1,000 streams", "targets", *first):
        assert text in done.stdout
    # a peer may fail on a workload (reported in its row); none of rillm's own rows may
    assert not [line for line in done.stdout.splitlines() if "failed:" in line and "rillm" in line]
    if rillm.BACKEND == "rust":
        assert "rillm (Rust)" in done.stdout and "slower" in done.stdout


def test_bench_fails_only_when_a_row_of_rillm_fails() -> None:
    from rillm._bench import runner
    from rillm._bench.workloads import workload
    from rillm.cli.bench import exit_code

    def result(impl: str, skipped: str | None) -> runner.Result:
        row = runner.Row("e2e", "cohere", impl, lambda w, u: lambda: None)
        return runner.Result(row, workload("cohere", 10), skipped=skipped)

    peer_failed = result("LiteLLM completion", "failed: RuntimeError: Error parsing chunk")
    peer_missing = result("LiteLLM completion", "litellm is not installed")
    ours = result("rillm (Rust) completion", None)
    assert exit_code([ours, peer_failed, peer_missing]) == 0
    assert exit_code([ours, result("rillm (Python) completion", "failed: AssertionError: wrong text")]) == 1
    assert exit_code([result("rillm (Rust) completion", "rillm._native is not built"), peer_failed]) == 0


def test_bench_markdown_is_dated_with_the_machine() -> None:
    done = rillm_cli("bench", "--quick", "--markdown", "--chunks", "200", "--only", "decode", timeout=300)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert re.match(r"Measured on \d{4}-\d{2}-\d{2} with `rillm bench` \(200-delta streams\): ", first)
    assert f"rillm {rillm.__version__}" in first and "Python " in first and "cores)" in first
    header = "| benchmark | workload | implementation | chunks/s | CPU µs/chunk | wall chunks/s | vs rillm (Rust) |"
    assert header in done.stdout
    # the rows the decode targets read, in two passes (--quick), each pass beside the reference workload
    if rillm.BACKEND == "rust":
        assert "| row | pass 1 | pass 2 |" in done.stdout
        assert re.search(r"\| decode · gemini · rillm \(Rust\) \| [\d,]+ \(\d+\.\d\d\) \| [\d,]+ \(", done.stdout)
        assert re.search(r"\| decode, every dialect's text: >= 500,000 chunks/s \| least \w", done.stdout)


def test_bench_import_group_times_fresh_interpreters() -> None:
    done = rillm_cli("bench", "--quick", "--markdown", "--only", "import", timeout=300)
    assert done.returncode == 0, done.stderr
    assert "| python -c | wall ms | CPU ms | modules |" in done.stdout
    rows = {line.split(" | ")[0][2:]: line.strip("| ").split(" | ") for line in done.stdout.splitlines()}
    for name in ("python (bare)", "import httpx", "import rillm"):
        assert float(rows[name][1]) > 0 and int(rows[name][3]) > 0
    # the bare interpreter's modules are a part of every other run's
    assert int(rows["python (bare)"][3]) < int(rows["import rillm"][3])
