"""End to end over real sockets: the rows of `rillm bench`'s e2e and concurrent groups (rillm._bench.runner,
the workloads and implementations of rillm._bench), against the local HTTP/1.1 server of rillm._bench.serve
in its own process (each event written separately, or in 4 KiB writes). rillm's completion() and
acompletion() on each transport and backend, the raw clients, each client's bare byte read (the floor), the
OpenAI SDK and LiteLLM when installed, 100 and 1,000 concurrent streams. Each run is checked for the right
answer before it is timed. Without --benchmark-enable (the test suite's smoke run) the streams are short,
and the peers and the 1,000 streams are left out."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from rillm._bench import runner, sockets
from rillm._bench.serve import Server
from rillm._bench.workloads import N_CHUNKS, workload

# The peers warn on import and while streaming (pydantic, deprecations): not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

ROWS = [row for row in runner.ROWS if row.group in ("e2e", "concurrent")]
PEERS = ("openai", "litellm")
SMOKE_CHUNKS = 300


class Servers:
    """The benchmark servers, one per (workload, chunks), started on first use and stopped at the end."""

    def __init__(self, stack: ExitStack) -> None:
        self.stack = stack
        self.running: dict[tuple[str, int], Server] = {}

    def url(self, name: str, n: int, writes: str) -> str:
        if (name, n) not in self.running:
            self.running[name, n] = self.stack.enter_context(Server(name, n))
        return self.running[name, n].url(writes)


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with ExitStack() as stack:
        stack.callback(sockets.shutdown)
        yield Servers(stack)


def _id(row: runner.Row) -> str:
    return f"{row.group}-{row.workload}-{row.writes}-{row.impl}".replace(" ", "_")


@pytest.mark.parametrize("row", ROWS, ids=_id)
def test_over_sockets(benchmark: Any, servers: Servers, row: runner.Row) -> None:
    smoke = benchmark.disabled
    if smoke and (row.slow or any(peer in row.needs for peer in PEERS)):
        pytest.skip("peers and the 1,000 streams are only measured with --benchmark-enable")
    missing = runner._missing(row)
    if missing:
        pytest.skip(missing)
    n = max((SMOKE_CHUNKS if smoke else N_CHUNKS) // row.scale, 10)
    load = workload(row.workload, n)
    title = f"{load.title}, {runner.WRITES[row.writes]}" if row.group == "e2e" else f"{load.title}, {n:,} per stream"
    benchmark.group = f"{runner.GROUPS[row.group]}: {title}"
    run = row.make(load, servers.url(row.workload, n, row.writes))
    runner._check(run(), load)
    benchmark.extra_info["chunks"] = load.n * row.streams
    if row.group == "concurrent":
        url = servers.url(row.workload, n, row.writes)
        benchmark.extra_info["rss_per_stream_bytes"] = sockets.rss_per_stream(row.streams, load, url)
    if row.slow:
        benchmark.pedantic(run, rounds=1, iterations=1)
    else:
        benchmark(run)
