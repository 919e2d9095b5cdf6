"""The adversarial suite: generated streams of every dialect and framing (tests/parity/strategies/), most of
them broken, and mutated recordings, through both backends in subprocesses (worker.py), so that a crash or
a hang is caught by a timeout and located to one seed. Any exception that is not rillm's, any hang or
crash, and any difference between Rust and Python fails. In CI a bounded run (seconds); with
`RILLM_ADVERSARIAL=long`, the long run: 20,000 generated streams and 5,000 mutated recordings per dialect
(minutes), which also puts in the values of the defects still open (OPEN_DEFECTS) and reports what they do
instead of failing on them.

The long run of 2026-11-30 (on the main of that morning): 20,000 generated streams for each dialect
(and 2,000 more for the last four), 5,000 mutated recordings for openai and anthropic (500 for the others), 50
streams a dialect through completion(): no crash, hang or exception that is not rillm's; Rust and Python
differed only on the open `float_tiny` value (5 streams) and on an OpenAI chunk repeating a key whose first
value has the wrong type (1 recording), both strict xfails in tests/parity/test_defects.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from ..conftest import ROOT, Backend
from ..parity.strategies.mutate import OPEN_DEFECTS
from ..parity.strategies.wire import DIALECTS

pytestmark = pytest.mark.rust

LONG = os.environ.get("RILLM_ADVERSARIAL") == "long"
# Cases per dialect, and per subprocess.
GENERATED, RECORDED, BATCH = (20_000, 5_000, 1_000) if LONG else (60, 20, 100)
# A batch's deadline: generous (a loaded 2-core machine), still far below a hang's forever.
SECONDS_PER_CASE, SECONDS_TO_START = 0.5, 60


def _worker(dialect: str, kind: str, first: int, count: int) -> subprocess.CompletedProcess[str] | None:
    """A worker's run of seeds [first, first + count) of `kind` ("generated" or "recordings"); None if it
    hung. The long run puts in the open defects' values too."""
    flags = ["--recordings"] if kind == "recordings" else []
    if LONG:
        flags.append("--all-huge")
    command = [sys.executable, "-m", "tests.adversarial.worker", dialect, str(first), str(count), *flags]
    deadline = SECONDS_TO_START + SECONDS_PER_CASE * count
    try:
        return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=deadline, check=False)
    except subprocess.TimeoutExpired:
        return None


def batch(dialect: str, kind: str, first: int, count: int) -> tuple[Counter[str], list[dict[str, Any]]]:
    """The outcomes and findings of one worker's run; a crash or a hang is located to its seed."""
    done = _worker(dialect, kind, first, count)
    if done is None or done.returncode != 0:
        return Counter(), [locate(dialect, kind, first, count, done)]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return Counter(lines[-1]["outcomes"]), [{"kind": kind, **line} for line in lines[:-1]]


def locate(
    dialect: str, kind: str, first: int, count: int, failed: subprocess.CompletedProcess[str] | None
) -> dict[str, Any]:
    """Halves the range whose run `failed` until one seed is left that still crashes or hangs, and says how."""
    alone = count == 1
    while count > 1:
        half = count // 2
        done = _worker(dialect, kind, first, half)
        if done is None or done.returncode != 0:
            count, failed, alone = half, done, half == 1
        else:
            first, count = first + half, count - half
    if not alone:
        failed = _worker(dialect, kind, first, 1)
    problem = "hang" if failed is None else f"crash (exit {failed.returncode}): {failed.stderr[-2000:]}"
    return {"seed": first, "dialect": dialect, "kind": kind, "problem": problem}


def run(dialect: str, kind: str, total: int) -> tuple[Counter[str], list[dict[str, Any]]]:
    """Every batch of `total` seeds, two workers at a time (the machine's two cores)."""
    outcomes: Counter[str] = Counter()
    findings: list[dict[str, Any]] = []
    firsts = range(0, total, BATCH)
    with ThreadPoolExecutor(2) as pool:
        for counted, found in pool.map(lambda first: batch(dialect, kind, first, min(BATCH, total - first)), firsts):
            outcomes += counted
            findings += found
    return outcomes, findings


def known(finding: dict[str, Any]) -> bool:
    """Whether a finding comes from a value of a defect still open (put in by the long run only)."""
    return any(m.split(":")[-1] in OPEN_DEFECTS for m in finding.get("mutations", []))


@pytest.mark.parametrize("kind", ["generated", "recordings"])
@pytest.mark.parametrize("dialect", DIALECTS)
def test_no_foreign_exception_hang_or_disagreement(both: tuple[Backend, Backend], dialect: str, kind: str) -> None:
    total = GENERATED if kind == "generated" else RECORDED
    outcomes, findings = run(dialect, kind, total)
    new = [f for f in findings if not known(f)]
    if LONG:
        print(f"\n{dialect} {kind}: {sum(outcomes.values())} cases, {dict(outcomes.most_common())}")
        print(f"  findings: {len(findings)} ({len(findings) - len(new)} from open defects)")
        for finding in findings[:50]:
            print("  " + json.dumps(finding))
    assert sum(outcomes.values()) + len(findings) >= total or new
    assert not new, "\n".join(json.dumps(f) for f in new[:20])


@pytest.mark.parametrize(
    ("plant", "problem"), [("crash:2", "crash (exit -6)"), ("hang:0", "hang"), ("disagree:1", "rust and python differ")]
)
def test_the_suite_catches_a_crash_a_hang_and_a_disagreement(
    both: tuple[Backend, Backend], monkeypatch: pytest.MonkeyPatch, plant: str, problem: str
) -> None:
    """A crash, a hang or a disagreement planted at one seed is found, at that seed (a hang after a short
    deadline here)."""
    monkeypatch.setenv("RILLM_ADVERSARIAL_PLANT", plant)
    monkeypatch.setattr(sys.modules[__name__], "SECONDS_TO_START", 5 if plant.startswith("hang") else 60)
    count = 1 if plant.startswith("hang") else 4
    _, findings = batch("openai", "generated", 0, count)
    assert [(f["seed"], f["problem"][: len(problem)]) for f in findings] == [(int(plant.split(":")[1]), problem)]
