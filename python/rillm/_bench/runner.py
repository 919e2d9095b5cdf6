"""The benchmark runner behind `rillm bench`: a table of rows, each one entry (what is measured, on which
workload, by which implementation), run in order, each checked for the right answer before it is timed.

Groups:
  decode  a StreamDecoder fed the stream in 4 KiB pieces, every workload (each dialect) on both backends (the
          OpenAI SDK: its SSE decoder and chunk objects)
  build   stream_chunk_builder over the stream's chunks
  e2e     over real sockets, against a local HTTP/1.1 server in its own process (`serve.py`) writing each
          event separately, or in 4 KiB writes: rillm's completion() and acompletion() on each transport
          and backend, raw clients (httpx, aiohttp + orjson), the bare byte read of each client (the
          floor), the OpenAI SDK and LiteLLM (`sockets.py`); the other dialects (Bedrock, Gemini, Cohere,
          Ollama) each event written separately: completion() on each backend, and LiteLLM's
  concurrent  100 and 1,000 acompletion() streams at once (aggregate chunks/s; resident memory per open
          stream, measured in a fresh process)
Then `first_chunks()`: the time to first chunk against a raw httpx request (`first_chunk.py`).

The rows the targets read (`again`, from targets.py) are timed in `passes` passes spread over the run: the
table's own (pass 1, in its place), then each further pass of all of them together, the passes evenly placed
among the table's rows, the last after its end. Each pass of a row is timed beside a fixed reference workload
(`reference()`: the standard library's json over 5,000 small objects, no rillm), whose time shows the machine's
pace at that moment: on a virtual machine a row can read up to twice its usual time for a while. The table
shows pass 1 for every row (all rows measured alike); a target reads each of its rows' best pass.

Times are the benchmark process's CPU time (`time.process_time`, all its threads): the end-to-end server in
its own process, and other programs on the machine, do not count, while a peer's worker threads do; the wall
time is reported beside it (on a busy machine it includes waiting for the server and the others). Before a row
is timed, and again after its checked run, the objects in the process are frozen out of the garbage
collector's reach (`_freeze`): the collector walks only what the row makes. A row's time is the best of its
rounds (at most `rounds`, and no more once `budget` seconds were spent); a peer known to be slow (LiteLLM end
to end) and the 1,000 streams run once, after their check. Rates are chunks per second: the workload's deltas
over the time. Peers' rows are skipped when the peer is not installed (orjson too: it is no dependency of
rillm).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, Optional

from rillm._bench import impls, sockets
from rillm._bench.first_chunk import FirstChunk, first_chunk
from rillm._bench.serve import Server
from rillm._bench.workloads import WORKLOADS, Workload, workload

__all__ = [
    "ROWS",
    "Pass",
    "Result",
    "Row",
    "Settings",
    "describe",
    "describe_passes",
    "first_chunks",
    "reference",
    "run_rows",
    "schedule",
]

GROUPS = {"decode": "decode", "build": "stream_chunk_builder", "e2e": "end to end", "concurrent": "concurrent"}
RUST, PYTHON = "rillm (Rust)", "rillm (Python)"
WRITES = {"event": "each event written separately", "4k": "4 KiB writes"}


@dataclass(frozen=True)
class Row:
    """One measurement: `make(workload, url)` returns the run (url is the server's, for e2e rows, else "")."""

    group: str
    workload: str
    impl: str
    make: Callable[[Workload, str], impls.Run]
    needs: tuple[str, ...] = ()  # modules that must be importable, else the row is skipped
    slow: bool = False  # one timed run only
    writes: str = "event"  # how the server writes the stream (e2e rows): serve.WRITES
    reference: bool = False  # the row the others of its group, workload and path are compared with
    path: str = ""  # "sync" or "async" (e2e rows): the rows compared with the same reference
    streams: int = 1  # concurrent streams per run (each of the workload's chunks)
    scale: int = 1  # the workload has settings.chunks // scale chunks

    @property
    def ours(self) -> bool:
        """A row of rillm's own (its failure fails the run); a peer's failure is only reported in its row."""
        return self.impl.startswith("rillm")


def _decode_rows() -> list[Row]:
    rows: list[Row] = []
    for name in WORKLOADS:
        rows.append(
            Row("decode", name, RUST, lambda w, _: impls.decode_rillm("rust", w), ("rillm._native",), reference=True)
        )
        rows.append(Row("decode", name, PYTHON, lambda w, _: impls.decode_rillm("python", w)))
        if name.startswith("openai"):
            rows.append(Row("decode", name, "OpenAI SDK", lambda w, _: impls.decode_openai_sdk(w), ("openai",)))
    rows.append(
        Row("build", "openai-text", RUST, lambda w, _: impls.build_rillm("rust", w), ("rillm._native",), reference=True)
    )
    rows.append(Row("build", "openai-text", PYTHON, lambda w, _: impls.build_rillm("python", w)))
    rows.append(Row("build", "openai-text", "LiteLLM", lambda w, _: impls.build_litellm(w), ("litellm",)))
    return rows


Make = Callable[[Workload, str], impls.Run]


def _stream(backend: str, transport: str | None, is_async: bool) -> Callable[[Workload, str], impls.Run]:
    return lambda w, url: sockets.rillm_stream(backend, transport, is_async, w, url)


def _uvloop_stream(transport: str) -> Make:
    return lambda w, url: sockets.rillm_stream("rust", transport, True, w, url, sockets.UVLOOP)


def _uvloop_bare(client: str) -> Make:
    return lambda w, url: sockets.bare_read(client, w, url, sockets.UVLOOP)


def _e2e_rows(name: str, writes: str) -> list[Row]:
    """rillm on each transport and backend, the raw clients, the bare reads and the peers, sync then async."""
    native = ("rillm._native",)
    rows: list[Row] = []
    for is_async, path, call, fast in (
        (False, "sync", "completion", "httptools"),
        (True, "async", "acompletion", "httptools"),
    ):
        slow_client = "httpx-async" if is_async else "httpx"
        raw = "aiohttp" if is_async else "httpx"
        entries: list[tuple[str, Make, tuple[str, ...], bool]] = [
            (f"{RUST} {call} · {fast}", _stream("rust", fast, is_async), (*native, fast), True),
            (f"{RUST} {call} · httpx", _stream("rust", "httpx", is_async), native, False),
            (f"{PYTHON} {call} · {fast}", _stream("python", fast, is_async), (fast,), False),
            (
                f"raw {raw} + orjson" + (" (async)" if is_async else ""),
                partial(sockets.raw_client, raw),
                (raw, "orjson"),
                False,
            ),
            (
                f"bare read: {fast}" + ("" if is_async else " (sync)"),
                partial(sockets.bare_read, fast if is_async else f"{fast}-sync"),
                (fast,),
                False,
            ),
            (f"bare read: {slow_client}", partial(sockets.bare_read, slow_client), (), False),
        ]
        if not is_async:  # pycurl and urllib3: the other fast sync clients, and their bare reads
            for other in ("urllib3", "pycurl"):
                entries.insert(
                    1, (f"{RUST} completion · {other}", _stream("rust", other, False), (*native, other), False)
                )
                entries.insert(-1, (f"bare read: {other}", partial(sockets.bare_read, other), (other,), False))
        if is_async:  # aiohttp: the other fast async client, and its bare read (the targets' reference)
            entries.insert(
                1, (f"{RUST} acompletion · aiohttp", _stream("rust", "aiohttp", True), (*native, "aiohttp"), False)
            )
            entries.insert(-1, ("bare read: aiohttp", partial(sockets.bare_read, "aiohttp"), ("aiohttp",), False))
            # uvloop's loop, which gateways served by uvicorn run (rillm does not need it)
            entries += [
                (f"{RUST} {call} · {fast}, uvloop", _uvloop_stream(fast), (*native, fast, "uvloop"), False),
                (f"bare read: {fast}, uvloop", _uvloop_bare(fast), (fast, "uvloop"), False),
                ("bare read: aiohttp, uvloop", _uvloop_bare("aiohttp"), ("aiohttp", "uvloop"), False),
            ]
        if name.startswith("openai"):
            sdk = f"OpenAI SDK{' (async)' if is_async else ''}"
            entries.append((sdk, partial(sockets.openai_sdk, is_async), ("openai",), False))
        for impl, make, needs, reference in entries:
            rows.append(Row("e2e", name, impl, make, needs, writes=writes, reference=reference, path=path))
        litellm = partial(sockets.litellm_stream, is_async)
        rows.append(Row("e2e", name, f"LiteLLM {call}", litellm, ("litellm",), slow=True, writes=writes, path=path))
    return rows


def _native_e2e_rows(name: str) -> list[Row]:
    """The other dialects end to end, each event written separately: completion() on the default transport,
    on each backend, and LiteLLM's completion() (Bedrock's needs botocore to sign)."""
    peer = ("botocore", "litellm") if name == "bedrock" else ("litellm",)
    return [
        Row(
            "e2e",
            name,
            f"{RUST} completion",
            _stream("rust", None, False),
            ("rillm._native",),
            reference=True,
            path="sync",
        ),
        Row("e2e", name, f"{PYTHON} completion", _stream("python", None, False), path="sync"),
        Row("e2e", name, "LiteLLM completion", partial(sockets.litellm_stream, False), peer, slow=True, path="sync"),
    ]


def _rows() -> list[Row]:
    rows = _decode_rows()
    for name in ("openai-text", "anthropic"):
        for writes in WRITES:
            rows += _e2e_rows(name, writes)
    for name in ("bedrock", "gemini", "cohere", "ollama"):
        rows += _native_e2e_rows(name)
    for streams, slow, uvloop in ((100, False, False), (100, False, True), (1000, True, False)):
        impl = f"{RUST} acompletion, {streams:,} streams" + (", uvloop" if uvloop else "")
        make = partial(sockets.concurrent, streams, loop=sockets.UVLOOP if uvloop else sockets.LOOP)
        needs = ("rillm._native", "uvloop") if uvloop else ("rillm._native",)
        rows.append(
            Row("concurrent", "openai-text", impl, make, needs, slow=slow, streams=streams, scale=10, path="async")
        )
    return rows


ROWS = _rows()


@dataclass(frozen=True)
class Settings:
    chunks: int = 20_000
    rounds: int = 5
    budget: float = 3.0  # seconds of timed rounds per row, at most (one round is always run)
    first_chunk_rounds: int = 200  # requests per time-to-first-chunk comparison (0: none)
    passes: int = 5  # times the targets' rows are timed, spread over the run (1: the table's pass only)


@dataclass(frozen=True)
class Pass:
    """One pass of a row the targets read: its number (1: the table's), its best round's CPU and wall
    seconds, and the reference workload's CPU seconds timed just before it (the machine's pace then)."""

    number: int
    seconds: float
    wall: float
    reference: float


@dataclass
class Result:
    row: Row
    load: Workload
    seconds: float | None = None  # CPU time of the best round
    wall: float | None = None  # wall time of the fastest round
    skipped: str | None = None  # why the row did not run
    rounds: int = 0
    rss: float | None = None  # concurrent rows: bytes of resident memory per open stream (sockets.rss_per_stream)
    passes: list[Pass] = field(default_factory=list)  # rows the targets read: every pass, in the order run

    def best(self) -> Result:
        """This result with the times of its best pass (itself when it ran in one pass only)."""
        if not self.passes or self.seconds is None:
            return self
        top = min(self.passes, key=lambda p: p.seconds)
        return replace(self, seconds=top.seconds, wall=top.wall)

    @property
    def chunks(self) -> int:
        return self.load.n * self.row.streams

    @property
    def rate(self) -> float | None:
        """Chunks per second of CPU time."""
        return self.chunks / self.seconds if self.seconds else None

    @property
    def wall_rate(self) -> float | None:
        return self.chunks / self.wall if self.wall else None

    @property
    def cpu_per_chunk(self) -> float | None:
        """Microseconds of the process's CPU time per chunk."""
        return self.seconds / self.chunks * 1e6 if self.seconds else None


def _missing(row: Row) -> str | None:
    for module in row.needs:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:
            found = False
        if not found:
            return f"{module} is not installed" if module != "rillm._native" else "the Rust extension is not built"
    return None


def _check(result: Any, load: Workload) -> None:
    if isinstance(result, int):  # a bare read: the body's length
        if result != len(load.stream):
            raise AssertionError(f"wrong answer: {result} bytes read, {len(load.stream)} expected")
        return
    got = result if isinstance(result, str) else "".join(s or "" for s in result)
    if got != load.expected:
        raise AssertionError(f"wrong answer: {len(got)} characters read, {len(load.expected)} expected")


def _time(run: impls.Run, load: Workload, rounds: int, budget: float) -> tuple[float, float, int]:
    """Checks one run's answer; then (the least CPU time, the least wall time, rounds) of up to `rounds`
    timed runs within `budget` seconds (for a single round, the checked run is the timed one)."""
    _freeze()
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    first = (time.process_time() - cpu, time.perf_counter() - wall)
    _check(result, load)
    _freeze()
    if rounds == 1:
        return first[0], first[1], 1
    times: list[tuple[float, float]] = []
    while len(times) < rounds and sum(w for _, w in times) < budget:
        wall, cpu = time.perf_counter(), time.process_time()
        run()
        times.append((time.process_time() - cpu, time.perf_counter() - wall))
    return min(c for c, _ in times), min(w for _, w in times), len(times)


def _freeze() -> None:
    """Moves every object the process holds now out of the garbage collector's reach (`gc.freeze`), so that a
    row's collections walk what the row makes, as they would in a process of its own: the process also holds
    every module imported so far (LiteLLM's hundreds of thousands of objects, once its rows have run) and the
    earlier rows' clients, which a full collection falling inside a rillm row would otherwise walk."""
    gc.collect()
    gc.freeze()


Progress = Callable[[str, Row, Optional[Result], int], None]  # Optional: an alias is evaluated, on 3.9 too


def schedule(rows: list[Row], passes: int, again: Callable[[Row], bool]) -> list[tuple[int, int]]:
    """(row index, pass number) in the order they run: the table's rows in order (pass 1), and each further
    pass of the rows `again` picks after one of the table's rows, evenly spaced, the last after its end."""
    chosen = [i for i, row in enumerate(rows) if again(row)]
    extra = passes - 1 if chosen else 0
    after: dict[int, list[int]] = {}
    for k in range(1, extra + 1):
        after.setdefault(max(1, len(rows) * k // extra), []).append(k + 1)
    order = []
    for i in range(len(rows)):
        order.append((i, 1))
        for number in after.get(i + 1, []):
            order += [(j, number) for j in chosen]
    return order


def run_rows(
    rows: list[Row],
    settings: Settings,
    progress: Progress | None = None,
    again: Callable[[Row], bool] = lambda row: False,
) -> list[Result]:
    """Runs the rows (`schedule`), returning each one's result in the table's order; `progress("start" |
    "done", row, result, pass number)` is told about each run. A row that fails in any pass is failed."""
    loads = [workload(row.workload, max(settings.chunks // row.scale, 10)) for row in rows]
    results = [Result(row, load, skipped=_missing(row)) for row, load in zip(rows, loads)]
    with ExitStack() as stack:
        stack.callback(sockets.shutdown)
        servers: dict[tuple[str, int], Server] = {}
        for i, number in schedule(rows, settings.passes, again):
            row, load, result = rows[i], loads[i], results[i]
            if progress:
                progress("start", row, None, number)
            if result.skipped is None:
                url = ""
                if row.group in ("e2e", "concurrent"):
                    if (row.workload, load.n) not in servers:
                        servers[row.workload, load.n] = stack.enter_context(Server(row.workload, load.n))
                    url = servers[row.workload, load.n].url(row.writes)
                try:
                    _run(result, url, settings, number, again(row))
                except Exception as exc:  # a peer that fails is reported in its row, not the end of the table
                    result.skipped = (
                        f"failed: {type(exc).__name__}: {' '.join(str(exc).split())[:160]}"  # one line: a table cell
                    )
            if progress:
                progress("done", row, result, number)
    return results


def _run(result: Result, url: str, settings: Settings, number: int, passes: bool) -> None:
    """Times one pass of the result's row (`_time`), with the reference beside it when the row has passes."""
    row, load = result.row, result.load
    before = reference() if passes else 0.0
    run = row.make(load, url)
    seconds, wall, rounds = _time(run, load, 1 if row.slow else settings.rounds, settings.budget)
    if passes:
        result.passes.append(Pass(number, seconds, wall, before))
    if number == 1:
        result.seconds, result.wall, result.rounds = seconds, wall, rounds
        if row.group == "concurrent":
            result.rss = sockets.rss_per_stream(row.streams, load, url)


_REFERENCE = [json.dumps({"index": 0, "delta": {"content": f"word {i}"}, "finish_reason": None}) for i in range(5000)]


def reference() -> float:
    """The CPU seconds (best of three) of a fixed workload of the standard library's (json.loads over 5,000
    small objects, reading a field of each): it does not change, so its time shows the machine's pace."""
    best = float("inf")
    for _ in range(3):
        cpu = time.process_time()
        for text in _REFERENCE:
            json.loads(text)["delta"]["content"]
        best = min(best, time.process_time() - cpu)
    return best


def first_chunks(settings: Settings) -> list[FirstChunk]:
    """The time-to-first-chunk comparisons (rillm._bench.first_chunk), on a short OpenAI stream."""
    if settings.first_chunk_rounds <= 0:
        return []
    load = workload("openai-text", 20)
    try:
        with Server(load.name, load.n) as server:
            return first_chunk(load, server.url(), settings.first_chunk_rounds)
    finally:
        sockets.shutdown()


def _versus(r: Result, base: float | None) -> str:
    if r.rate is None:
        return r.skipped or ""
    if r.row.reference:
        return "1.0x"
    if not base:
        return ""
    ratio = base / r.rate
    return f"{ratio:.1f}x slower" if ratio >= 1 else f"{1 / ratio:.1f}x faster"


def _rss(r: Result) -> str:
    return f", {r.rss / 1024:,.0f} KiB RSS per open stream" if r.rss is not None else ""


def describe(results: list[Result]) -> list[dict[str, Any]]:
    """The table's rows: group, workload title (and how it was written), implementation, chunks/s of CPU
    time, CPU µs per chunk, chunks/s of wall time, and the ratio to the reference row (rillm (Rust) on the
    path's default transport) of the same group, workload, writes and path."""

    def key(r: Result) -> tuple[str, str, str, str]:
        return (r.row.group, r.row.workload, r.row.writes, r.row.path)

    reference = {key(r): r.rate for r in results if r.row.reference and r.rate}
    table = []
    for r in results:
        title = r.load.title
        if r.row.group == "e2e":
            title += f", {WRITES[r.row.writes]}"
        elif r.row.group == "concurrent":
            title += f", {r.load.n:,} chunks per stream"
        table.append(
            {
                "group": GROUPS[r.row.group],
                "workload": title,
                "impl": r.row.impl + (" (1 run)" if r.row.slow and r.rate else "") + _rss(r),
                "rate": f"{r.rate:,.0f}" if r.rate else "—",
                "cpu": f"{r.cpu_per_chunk:.2f}" if r.cpu_per_chunk else "—",
                "wall": f"{r.wall_rate:,.0f}" if r.wall_rate else "—",
                "versus": _versus(r, reference.get(key(r))),
            }
        )
    return table


def describe_passes(results: list[Result]) -> list[dict[str, Any]]:
    """The passes of the rows timed more than once: the row ("group · workload · implementation"), and each
    pass in number order as (chunks/s of CPU time, the reference workload's milliseconds just before it)."""
    table = []
    for r in results:
        if len(r.passes) > 1:
            passes = sorted(r.passes, key=lambda p: p.number)
            each = [(r.chunks / p.seconds if p.seconds else 0.0, p.reference * 1e3) for p in passes]
            table.append({"row": f"{GROUPS[r.row.group]} · {r.load.name} · {r.row.impl}", "passes": each})
    return table
