"""The throughput targets, checked against one run's results: each says what was measured (chunks/s of CPU
time, the wall rate beside it) and whether the target was reached. A target reads the best pass of each of
its rows (`reads` picks the rows the runner times in several passes spread over the run; both sides of a ratio
have as many). Rows that did not run (a peer not installed, a group not asked for) leave their target
unmeasured."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rillm._bench.first_chunk import FirstChunk
from rillm._bench.import_time import ImportTime
from rillm._bench.runner import PYTHON, RUST, Result, Row

__all__ = ["Target", "reads", "targets"]

ASYNC = f"{RUST} acompletion · httptools"
SYNC = f"{RUST} completion · httptools"
BARE = "bare read: aiohttp"
TWIN = f"{PYTHON} completion · httptools"
HUNDRED = f"{RUST} acompletion, 100 streams"
DIALECTS = ("openai-text", "anthropic", "bedrock", "gemini", "cohere", "ollama")  # each dialect's text workload
READS = frozenset(
    [("e2e", "openai-text", impl) for impl in (ASYNC, BARE, "LiteLLM acompletion", SYNC, "LiteLLM completion", TWIN)]
    + [("concurrent", "openai-text", HUNDRED)]
    + [("decode", name, RUST) for name in DIALECTS]
)


@dataclass(frozen=True)
class Target:
    goal: str
    measured: str
    met: bool | None  # None: not measured


def reads(row: Row) -> bool:
    """Whether a target reads the row (the runner times those in several passes)."""
    return (row.group, row.workload, row.impl) in READS and row.writes == "event"


def _find(results: list[Result], impl: str, group: str = "e2e", workload: str = "openai-text") -> Result | None:
    """The row's result with its best pass's times."""
    for r in results:
        if (r.row.group, r.row.workload, r.row.impl) == (group, workload, impl) and r.row.writes == "event":
            return r.best() if r.rate else None
    return None


def _rate(r: Result) -> str:
    wall = f", {r.wall_rate:,.0f} wall" if r.wall_rate else ""
    passes = f", best of {len(r.passes)} passes" if len(r.passes) > 1 else ""
    return f"{r.rate:,.0f} chunks/s ({r.cpu_per_chunk:.2f} µs CPU per chunk{wall}{passes})"


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


def targets(results: list[Result], first: list[FirstChunk], imports: list[ImportTime] | None = None) -> list[Target]:
    """The targets, in the order they are listed for the README (OpenAI text, each event written separately)."""
    a, s = _find(results, ASYNC), _find(results, SYNC)
    out = [
        _at_least("async acompletion, one stream: >= 400,000 chunks/s", a, 400_000),
        _ratio(
            "async: within 2x of the bare aiohttp read",
            a,
            _find(results, BARE),
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
        r = _find(results, f"{RUST} acompletion, {streams:,} streams", "concurrent")  # 1,000: one pass, no rate
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
            _find(results, TWIN),
            50_000,
        )
    )
    out.append(_at_least("decode, OpenAI text: >= 1,000,000 chunks/s", _find(results, RUST, "decode"), 1_000_000))
    out.append(_dialects([(name, _find(results, RUST, "decode", name)) for name in DIALECTS]))
    out.append(_import(imports or []))
    return out


def _import(imports: list[ImportTime]) -> Target:
    goal = "import rillm: <= 100 ms wall (median of fresh interpreters)"
    for t in imports:
        if t.name == "import rillm":
            return Target(goal, f"{t.wall * 1e3:.1f} ms", t.wall <= 0.100)
    return Target(goal, "not measured", None)


def _dialects(found: list[tuple[str, Result | None]]) -> Target:
    """Every dialect's text decoded at 500,000 chunks/s or more: the slowest one's rate, and all of them."""
    goal = "decode, every dialect's text: >= 500,000 chunks/s"
    rates = [(r.rate, name) for name, r in found if r is not None and r.rate]
    if len(rates) < len(found):
        return Target(goal, "not measured", None)
    least, slowest = min(rates)
    each = ", ".join(f"{name} {rate:,.0f}" for rate, name in rates)
    return Target(goal, f"least {slowest} {least:,.0f} chunks/s ({each})", least >= 500_000)
