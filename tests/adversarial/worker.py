"""One adversarial batch, run in a subprocess by test_adversarial.py (so that a crash or a hang is caught):
`python -m tests.adversarial.worker DIALECT FIRST COUNT [--recordings] [--all-huge]`.

For each seed in [FIRST, FIRST + COUNT) it makes a case (a generated stream, or with --recordings a mutated
recording, of DIALECT; tests/parity/strategies/mutate.py) and runs it through both backends: decode, every
chunk's model_dump, model_dump_json and repr, merge_chunks, and frame_events in the case's framing. Any
exception that is not rillm's, and any difference between the backends, is a finding. It prints one JSON
line per finding and, last, one with the count of each outcome."""

from __future__ import annotations

import json
import os
import sys
import time
import zlib
from collections import Counter
from dataclasses import replace
from types import ModuleType
from typing import Any

from rillm import _fallback, _native
from rillm.exceptions import OpenAIError

from ..conftest import DIALECTS, FIXTURES, decode
from ..parity.strategies.mutate import HUGE, SAFE_HUGE, Case, case, recording_case
from ..parity.strategies.source import seeded

FRAME_EVENTS = {"sse_bare": "sse", "invoke": "eventstream"}


def _message(exception: BaseException | None) -> str:
    """The message up to what the JSON parser says (its words, and a byte or a character position)."""
    return str(exception).split(": invalid ")[0]


def _frame(module: ModuleType, k: Case) -> Any:
    framing = FRAME_EVENTS.get(k.framing, k.framing)
    try:
        return module.frame_events(k.pieces(), framing, **k.options())
    except OpenAIError as exc:
        return "raised", type(exc).__name__, exc.event, exc.offset


def run(module: ModuleType, k: Case) -> tuple[Any, ...]:
    """Everything a user can get from the case on one backend; ("not rillm's", ...) for a foreign exception."""
    try:
        outcome = decode(module, k.pieces(), k.dialect, **k.options())
        dumps = [chunk.model_dump() for chunk in outcome.chunks]
        jsons = [json.loads(chunk.model_dump_json()) for chunk in outcome.chunks]
        reprs = [repr(chunk) for chunk in outcome.chunks]
        merged = module.merge_chunks(outcome.chunks)
        return outcome.error, _message(outcome.exception), dumps, jsons, reprs, merged, _frame(module, k)
    except OpenAIError as exc:
        return "raised", type(exc).__name__, _message(exc)
    except Exception as exc:  # what the suite is looking for
        return "not rillm's", f"{type(exc).__name__}: {str(exc)[:300]}"


def examine(k: Case, disagree: bool = False) -> tuple[str, str | None]:
    """(the outcome's name, what is wrong or None); `disagree` gives the twin no bytes at all (a planted
    disagreement)."""
    rust = run(_native, k)
    python = run(_fallback, replace(k, data=b"", cuts=[]) if disagree else k)
    for name, result in (("rust", rust), ("python", python)):
        if result[0] == "not rillm's":
            return "not rillm's", f"{name}: {result[1]}"
    if rust != python:
        parts = ["error", "message", "dumps", "json", "reprs", "merge", "frame_events"]
        which = [p for p, r, q in zip(parts, rust, python) if r != q] or ["outcome"]
        shown = f"{str(rust[:2])[:200]} / {str(python[:2])[:200]}"
        return "disagree", f"rust and python differ in {', '.join(which)}: {shown}"
    error = rust[0]
    return (error[0] if isinstance(error, tuple) else "raised" if error == "raised" else "complete"), None


def recordings(dialect: str) -> list[tuple[str, bytes]]:
    folders = [folder for folder, d in DIALECTS.items() if d == dialect]
    return [(p.name, p.read_bytes()) for folder in folders for p in sorted((FIXTURES / folder).iterdir())]


def main(argv: list[str]) -> None:
    dialect, first, count = argv[0], int(argv[1]), int(argv[2])
    huge = frozenset(HUGE) if "--all-huge" in argv else SAFE_HUGE
    recorded = recordings(dialect) if "--recordings" in argv else []
    outcomes: Counter[str] = Counter()
    # The suite's own test plants a crash, a hang or a disagreement at one seed ("crash:7"), to see it caught.
    plant = os.environ.get("RILLM_ADVERSARIAL_PLANT", "")
    for seed in range(first, first + count):
        if plant == f"crash:{seed}":
            os.abort()
        if plant == f"hang:{seed}":
            time.sleep(3600)
        c = seeded(zlib.crc32(f"{dialect} {seed} {bool(recorded)}".encode()))
        k = recording_case(c, dialect, c.choice(recorded)) if recorded else case(c, huge_values=huge, dialect=dialect)
        outcome, problem = examine(k, disagree=plant == f"disagree:{seed}")
        outcomes[f"{outcome} ({'broken' if k.mutations else 'untouched'})"] += 1
        if problem is not None:
            finding = {"seed": seed, "dialect": dialect, "framing": k.framing, "mutations": k.mutations}
            print(json.dumps({**finding, "problem": problem}), flush=True)
    print(json.dumps({"outcomes": outcomes}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
