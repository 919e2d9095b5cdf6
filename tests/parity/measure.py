"""The distribution of the generated streams (strategies/mutate.py), measured over seeded streams decoded by
the live backend: `python -m tests.parity.measure [COUNT] [--old]`. Prints events per stream, and the
share of each outcome (complete or the error class), untouched and broken, by dialect and framing.
`--old` measures the older OpenAI-dialect strategy (strategies/openai.py) the same way, for comparison."""

from __future__ import annotations

import statistics
import sys
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings

import rillm

from ..conftest import decode
from .strategies.mutate import case
from .strategies.openai import chunked
from .strategies.source import seeded


def outcome(pieces: list[bytes], dialect: str, **options: Any) -> tuple[str, int]:
    result = decode(rillm._backend._impl, pieces, dialect, **options)
    return (result.error[0] if result.error else "complete"), len(result.chunks)


def report(title: str, counts: Counter[str], events: list[int], chunks: list[int]) -> None:
    total = sum(counts.values())
    print(f"{title}: {total} streams")
    print(f"  events per stream: mean {statistics.mean(events):.1f}, median {statistics.median(events)}")
    buckets = Counter("1-9" if n < 10 else "10-29" if n < 30 else "30+" for n in events)
    print("  " + ", ".join(f"{b}: {100 * buckets[b] / total:.1f}%" for b in ("1-9", "10-29", "30+")))
    print(f"  chunks per stream: mean {statistics.mean(chunks):.1f}")
    for name, n in counts.most_common():
        print(f"  {100 * n / total:5.1f}%  {name}")


def measure(count: int) -> None:
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    events, chunks = [], []
    for seed in range(count):
        k = case(seeded(seed))
        name, n = outcome(k.pieces(), k.dialect, **k.options())
        counts[f"{name} ({'broken' if k.mutations else 'untouched'})"] += 1
        kinds[f"{k.dialect}/{k.framing}"] += 1
        events.append(k.events)
        chunks.append(n)
    report(f"realistic streams, backend {rillm.BACKEND}", counts, events, chunks)
    print("  by dialect/framing: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


def measure_old(count: int) -> None:
    counts: Counter[str] = Counter()
    events, chunks = [], []

    @settings(max_examples=count, database=None, suppress_health_check=list(HealthCheck))
    @given(pieces=chunked())
    def sample(pieces: list[bytes]) -> None:
        data = b"".join(pieces)
        name, n = outcome(pieces, "openai")
        counts[name] += 1
        events.append(max(1, data.count(b"data:")))
        chunks.append(n)

    sample()
    report("strategies/openai.py chunked()", counts, events, chunks)


if __name__ == "__main__":
    number = int(next((a for a in sys.argv[1:] if a.isdigit()), "2000"))
    (measure_old if "--old" in sys.argv else measure)(number)
