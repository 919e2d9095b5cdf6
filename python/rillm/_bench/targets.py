"""The throughput targets of the end-to-end benchmarks, checked against one run's results: each says what
was measured (chunks/s of CPU time, the wall rate beside it) and whether the target was reached. Rows that
did not run (a peer not installed, a group not asked for) leave their target unmeasured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rillm._bench.first_chunk import FirstChunk
from rillm._bench.runner import PYTHON, RUST, Result

__all__ = ["Target", "targets"]

ASYNC = f"{RUST} acompletion · httptools"
SYNC = f"{RUST} completion · httptools"


@dataclass(frozen=True)
class Target:
    goal: str
    measured: str
    met: bool | None  # None: not measured


def _find(results: list[Result], impl: str, group: str = "e2e", workload: str = "openai-text") -> Result | None:
    for r in results:
        if r.row.group == group and r.row.workload == workload and r.row.impl == impl and r.row.writes == "event":
            return r if r.rate else None
    return None


def _rate(r: Result) -> str:
    wall = f", {r.wall_rate:,.0f} wall" if r.wall_rate else ""
    return f"{r.rate:,.0f} chunks/s ({r.cpu_per_chunk:.2f} µs CPU per chunk{wall})"


def _at_least(goal: str, r: Result | None, least: float) -> Target:
    if r is None or r.rate is None:
        return Target(goal, "not measured", None)
    return Target(goal, _rate(r), r.rate >= least)


def _ratio(goal: str, ours: Result | None, other: Result | None, test: Callable[[float], bool], what: str) -> Target:
    """ratio = ours' rate over the other's."""
    if ours is None or other is None or not ours.rate or not other.rate:
        return Target(goal, "not measured", None)
    ratio = ours.rate / other.rate
    return Target(goal, f"{ratio:.2f}x {what} ({ours.rate:,.0f} vs {other.rate:,.0f})", test(ratio))


def targets(results: list[Result], first: list[FirstChunk]) -> list[Target]:
    """The targets, in the order they are listed for the README (OpenAI text, each event written separately)."""
    a, s = _find(results, ASYNC), _find(results, SYNC)
    out = [
        _at_least("async acompletion, one stream: >= 400,000 chunks/s", a, 400_000),
        _ratio(
            "async: within 2x of the bare aiohttp read",
            a,
            _find(results, "bare read: aiohttp"),
            lambda x: x >= 0.5,
            "the bare read's rate",
        ),
        _ratio(
            "async: >= 100x LiteLLM acompletion",
            a,
            _find(results, "LiteLLM acompletion"),
            lambda x: x >= 100,
            "LiteLLM's",
        ),
        _at_least("sync completion: >= 300,000 chunks/s", s, 300_000),
        _ratio(
            "sync: >= 100x LiteLLM completion", s, _find(results, "LiteLLM completion"), lambda x: x >= 100, "LiteLLM's"
        ),
    ]
    for streams, least in ((100, 350_000), (1000, 0)):
        r = _find(results, f"{RUST} acompletion, {streams:,} streams", "concurrent")
        goal = f"{streams:,} concurrent async streams: " + (
            f">= {least:,} chunks/s aggregate" if least else "no errors"
        )
        out.append(_at_least(goal, r, least))
    for f in first:
        if "warm" in f.path:
            added = f"{f.added * 1e6:,.0f} µs ({f.rillm * 1e6:,.0f} vs {f.raw * 1e6:,.0f} µs raw httpx)"
            out.append(Target(f"{f.path}: time to first chunk <= 200 µs over raw httpx", added, f.added <= 200e-6))
    out.append(
        _at_least(
            "pure-Python backend, end to end: >= 50,000 chunks/s",
            _find(results, f"{PYTHON} completion · httptools"),
            50_000,
        )
    )
    return out
