"""The benchmark runner behind `rillm bench`: a table of rows, each one entry (what is measured, on which
workload, by which implementation), run in order, each checked for the right answer before it is timed.

Groups:
  decode  a StreamDecoder fed the stream in 4 KiB pieces (the OpenAI SDK: its SSE decoder and chunk objects)
  build   stream_chunk_builder over the stream's chunks
  e2e     `completion(stream=True)` against a local HTTP server in its own process (`serve.py`), each event
          written separately; the server's CPU is not the client's

Times are the benchmark process's CPU time (`time.process_time`, all its threads): the end-to-end server
in its own process, and other programs on the machine, do not count, while a peer's worker threads do.
A row's time is the best of its rounds (at most `rounds`, and no more once `budget` seconds were spent); a
peer known to be slow (LiteLLM end to end) runs once, after its check. Rates are chunks per second: the
workload's deltas over the time. Peers' rows are skipped when the peer is not installed.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from rillm._bench import impls
from rillm._bench.serve import Server
from rillm._bench.workloads import Workload, workload

__all__ = ["ROWS", "Result", "Row", "Settings", "run_rows"]

GROUPS = {"decode": "decode", "build": "stream_chunk_builder", "e2e": "end to end"}
RUST, PYTHON = "rillm (Rust)", "rillm (Python)"


@dataclass(frozen=True)
class Row:
    """One measurement: `make(workload, url)` returns the run (url is the server's, for e2e rows, else "")."""

    group: str
    workload: str
    impl: str
    make: Callable[[Workload, str], impls.Run]
    needs: tuple[str, ...] = ()  # modules that must be importable, else the row is skipped
    slow: bool = False  # one timed run only


def _rows() -> list[Row]:
    rows: list[Row] = []
    for name in ("openai-text", "openai-tools", "anthropic", "bedrock"):
        rows.append(Row("decode", name, RUST, lambda w, _: impls.decode_rillm("rust", w), ("rillm._native",)))
        rows.append(Row("decode", name, PYTHON, lambda w, _: impls.decode_rillm("python", w)))
        if name.startswith("openai"):
            rows.append(Row("decode", name, "OpenAI SDK", lambda w, _: impls.decode_openai_sdk(w), ("openai",)))
    rows.append(Row("build", "openai-text", RUST, lambda w, _: impls.build_rillm("rust", w), ("rillm._native",)))
    rows.append(Row("build", "openai-text", PYTHON, lambda w, _: impls.build_rillm("python", w)))
    rows.append(Row("build", "openai-text", "LiteLLM", lambda w, _: impls.build_litellm(w), ("litellm",)))
    for name in ("openai-text", "anthropic", "bedrock"):
        rows.append(Row("e2e", name, RUST, lambda w, url: impls.e2e_rillm("rust", w, url), ("rillm._native",)))
        rows.append(Row("e2e", name, PYTHON, lambda w, url: impls.e2e_rillm("python", w, url)))
        if name.startswith("openai"):
            rows.append(Row("e2e", name, "OpenAI SDK", impls.e2e_openai_sdk, ("openai",)))
        needs = ("litellm", "botocore") if name == "bedrock" else ("litellm",)
        rows.append(Row("e2e", name, "LiteLLM", impls.e2e_litellm, needs, slow=True))
    return rows


ROWS = _rows()


@dataclass(frozen=True)
class Settings:
    chunks: int = 20_000
    rounds: int = 5
    budget: float = 3.0  # seconds of timed rounds per row, at most (one round is always run)


@dataclass
class Result:
    row: Row
    load: Workload
    seconds: float | None = None
    skipped: str | None = None  # why the row did not run
    rounds: int = 0

    @property
    def rate(self) -> float | None:
        """Chunks per second."""
        return self.load.n / self.seconds if self.seconds else None


def _missing(row: Row) -> str | None:
    for module in row.needs:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:
            found = False
        if not found:
            return f"{module} is not installed" if module != "rillm._native" else "the Rust extension is not built"
    return None


def _time(run: impls.Run, expected: str, rounds: int, budget: float) -> tuple[float, int]:
    """Checks one run's answer; then the best time of up to `rounds` timed runs within `budget` seconds (for
    a single round, the checked run is the timed one)."""
    start = time.process_time()
    result = run()
    first = time.process_time() - start
    got = result if isinstance(result, str) else "".join(s or "" for s in result)
    if got != expected:
        raise AssertionError(f"wrong answer: {len(got)} characters read, {len(expected)} expected")
    if rounds == 1:
        return first, 1
    times: list[float] = []
    while len(times) < rounds and sum(times) < budget:
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return min(times), len(times)


def run_rows(
    rows: list[Row], settings: Settings, progress: Callable[[str, Row, Result | None], None] | None = None
) -> Iterator[Result]:
    """Runs the rows in order, yielding each result; `progress("start"|"done", row, result)` is told."""
    with ExitStack() as stack:
        servers: dict[str, Server] = {}
        for row in rows:
            load = workload(row.workload, settings.chunks)
            result = Result(row, load)
            if progress:
                progress("start", row, None)
            result.skipped = _missing(row)
            if result.skipped is None:
                url = ""
                if row.group == "e2e":
                    if row.workload not in servers:
                        servers[row.workload] = stack.enter_context(Server(row.workload, settings.chunks))
                    url = servers[row.workload].url
                rounds = 1 if row.slow else settings.rounds
                try:
                    run = row.make(load, url)
                    result.seconds, result.rounds = _time(run, load.expected, rounds, settings.budget)
                except Exception as exc:  # a peer that fails is reported in its row, not the end of the table
                    result.skipped = f"failed: {type(exc).__name__}: {str(exc)[:160]}"
            if progress:
                progress("done", row, result)
            yield result


def describe(results: list[Result]) -> list[dict[str, Any]]:
    """The table's rows: group, workload title, implementation, chunks/s, and the ratio to rillm (Rust) on
    the same workload and group."""
    reference = {(r.row.group, r.row.workload): r.rate for r in results if r.row.impl == RUST and r.rate}
    table = []
    for r in results:
        base = reference.get((r.row.group, r.row.workload))
        if r.rate is None:
            versus = r.skipped or ""
        elif r.row.impl == RUST:
            versus = "1.0x"
        elif base:
            ratio = base / r.rate
            versus = f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"
        else:
            versus = ""
        table.append(
            {
                "group": GROUPS[r.row.group],
                "workload": r.load.title,
                "impl": r.row.impl + (" (1 run)" if r.row.slow and r.rate else ""),
                "rate": f"{r.rate:,.0f}" if r.rate else "—",
                "versus": versus,
            }
        )
    return table
