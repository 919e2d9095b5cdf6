"""Derives the golden expectations in this folder from the recordings in tests/fixtures/streams, by the
written rules (rules/: the decoders' and the merge's module docs, README.md here, LiteLLM's maps). It
imports only the standard library, never rillm: it is the independent statement of what each recording
means, which the decoders are checked against.

    python tests/golden/derive.py           # writes the golden files that differ
    python tests/golden/derive.py --check   # writes nothing; exits 1 naming every file that would change

A file this script changes is a change to what a recording means: review it against the recording's bytes
(README.md) before committing it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rules.anthropic import anthropic_stream
from rules.bedrock import bedrock_stream
from rules.chunks import Stream
from rules.cohere import cohere_stream
from rules.gemini import gemini_stream
from rules.merge import merge
from rules.ollama import ollama_stream
from rules.openai import openai_stream

HERE = Path(__file__).resolve().parent
STREAMS = HERE.parent / "fixtures" / "streams"

DIALECTS: dict[str, Callable[[bytes], Stream]] = {
    "openai": openai_stream,
    "anthropic": anthropic_stream,
    "bedrock": bedrock_stream,
    "cohere": cohere_stream,
    "gemini": gemini_stream,
    "ollama": ollama_stream,
}


def manifest(streams: Path) -> dict[str, str]:
    """folder -> dialect, from the recordings' manifest (`folder<TAB>dialect` lines, `#` comments)."""
    lines = (line.split("#", 1)[0].rstrip() for line in (streams / "dialects.tsv").read_text().splitlines())
    return dict(line.split("\t") for line in lines if line)


def golden(path: Path, dialect: str) -> dict[str, Any]:
    """A recording's golden file: how many chunks decoding yields, the provider error that ends it, whether
    `[DONE]` ended it (OpenAI's dialect), and the merged response (with thinking blocks and provider fields
    for the native dialects)."""
    stream = DIALECTS[dialect](path.read_bytes())
    native = dialect != "openai"
    out: dict[str, Any] = {"recording": f"{path.parent.name}/{path.name}", "chunks": len(stream.chunks)}
    if not native:
        out["terminated_by_done"] = stream.done
    out["error"] = stream.error
    out["response"] = merge(stream.chunks, native)
    return out


def render(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a golden file would change")
    parser.add_argument("--golden", type=Path, default=HERE, help="the folder of golden files (default: this one)")
    args = parser.parse_args(argv)
    expected: dict[Path, str] = {}
    for folder, dialect in manifest(STREAMS).items():
        for path in sorted(p for p in (STREAMS / folder).iterdir() if p.is_file()):
            expected[args.golden / folder / f"{path.stem}.json"] = render(golden(path, dialect))
    differ = [p for p, text in expected.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    stale = sorted(set(args.golden.glob("*/*.json")) - set(expected))
    for path in [] if args.check else differ:
        path.parent.mkdir(exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
    for path in differ:
        print(f"{'differs' if args.check else 'written'}: {path.relative_to(args.golden)}")
    for path in stale:
        print(f"no recording: {path.relative_to(args.golden)}")
    return 1 if (args.check and differ) or stale else 0


if __name__ == "__main__":
    sys.exit(main())
