"""`rillm bench [--quick] [--markdown]`: the decode, builder, end-to-end (over real sockets), concurrency and
time-to-first-chunk benchmarks (rillm._bench) for both backends, every transport and the peers that are
installed, with a progress bar on standard error, then the tables (chunks per second of CPU time, CPU µs
per chunk, wall rate, ratios to rillm's Rust backend) and the targets; `--markdown` prints them dated, with
the machine and its load, for the README."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from importlib import metadata
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import rillm
from rillm._bench import runner
from rillm._bench.first_chunk import FirstChunk
from rillm._bench.import_time import ImportTime, import_times
from rillm._bench.targets import Target, reads, targets

__all__ = ["machine", "run"]

COLUMNS = ("benchmark", "workload", "implementation", "chunks/s", "CPU µs/chunk", "wall chunks/s", "vs rillm (Rust)")
KEYS = ("group", "workload", "impl", "rate", "cpu", "wall", "versus")


def run(args: argparse.Namespace) -> int:
    chunks = args.chunks or (2_000 if args.quick else 20_000)
    settings = runner.Settings(
        chunks=chunks,
        rounds=2 if args.quick else 5,
        budget=0.5 if args.quick else 3.0,
        first_chunk_rounds=20 if args.quick else 200,
        passes=max(1, args.passes or (2 if args.quick else 5)),
    )
    rows = [row for row in runner.ROWS if not args.only or row.group in args.only]
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    err = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    # Redrawn between rows only: rich's refresh thread would wake ten times a second and take the GIL while a row
    # is timed, and its CPU time would count (the rows' time is the process's, every thread's).
    with Progress(*columns, console=err, transient=True, auto_refresh=False) as progress:
        task = progress.add_task("benchmarks", total=len(runner.schedule(rows, settings.passes, reads)))

        def told(event: str, row: runner.Row, result: runner.Result | None, number: int) -> None:
            if event == "start":
                slow = " (slow: one run)" if row.slow else ""
                again = f" (pass {number})" if number > 1 else ""
                what = f"{runner.GROUPS[row.group]} · {row.workload} · {row.impl}{slow}{again}"
                progress.update(task, description=what)
            else:
                progress.advance(task)
            progress.refresh()

        results = runner.run_rows(rows, settings, told, reads)
        first: list[FirstChunk] = []
        if not args.only or "first-chunk" in args.only:
            progress.update(task, description="time to first chunk", refresh=True)
            first = runner.first_chunks(settings)
        imports: list[ImportTime] = []
        if not args.only or "import" in args.only:
            progress.update(task, description="import time (fresh interpreters)", refresh=True)
            imports = import_times(5 if args.quick else 20)
    table = runner.describe(results)
    goals = targets(results, first, imports)
    goals = goals if any(g.met is not None for g in goals) else []
    passes = runner.describe_passes(results)
    if args.markdown:
        print(markdown(table, first, goals, chunks, load) + _passes_markdown(passes) + _imports_markdown(imports))
    else:
        _print(table, first, goals, chunks)
        if passes:
            Console().print(_passes_table(passes))
        if imports:
            Console().print(_imports_table(imports))
    return exit_code(results)


def exit_code(results: list[runner.Result]) -> int:
    """1 when a row of rillm's own failed. A peer that fails on a workload (LiteLLM cannot read Cohere v2's
    `event:` lines) is a finding, reported in its row, not a failure of the run."""
    failed = [r for r in results if r.row.ours and r.skipped is not None and r.skipped.startswith("failed")]
    return 1 if failed else 0


def _print(table: list[dict[str, str]], first: list[FirstChunk], goals: list[Target], chunks: int) -> None:
    console = Console()
    title = f"rillm bench: chunks per second of CPU time, {chunks:,}-delta streams ({machine()})"
    rich_table = Table(*COLUMNS, title=title)
    for line in table:
        rich_table.add_row(*(line[k] for k in KEYS))
    console.print(rich_table)
    if first:
        ttfc = Table("call", "raw httpx µs", "rillm µs", "added µs", title="time to first chunk (median)")
        for f in first:
            ttfc.add_row(f.path, f"{f.raw * 1e6:,.0f}", f"{f.rillm * 1e6:,.0f}", f"{f.added * 1e6:,.0f}")
        console.print(ttfc)
    if goals:
        checks = Table("target", "measured", "reached", title="targets")
        for g in goals:
            checks.add_row(g.goal, g.measured, _met(g))
        console.print(checks)


PASSES = (
    "The rows the targets read, timed in passes spread over the run (pass 1 is the table's; a target reads each"
    " row's best pass): chunks/s of CPU time, and in brackets the reference workload's CPU ms timed just before"
    " (json.loads over 5,000 small objects; the same work every time, so it shows the machine's pace then):"
)


def _pass_cells(line: dict[str, Any]) -> list[str]:
    return [f"{rate:,.0f} ({ms:.2f})" for rate, ms in line["passes"]]


def _passes_table(passes: list[dict[str, Any]]) -> Table:
    count = max(len(line["passes"]) for line in passes)
    table = Table("row", *(f"pass {n}" for n in range(1, count + 1)), title="passes of the targets' rows")
    for line in passes:
        table.add_row(line["row"], *_pass_cells(line))
    return table


def _passes_markdown(passes: list[dict[str, Any]]) -> str:
    if not passes:
        return ""
    count = max(len(line["passes"]) for line in passes)
    lines = ["", "", PASSES, ""]
    lines += ["| row | " + " | ".join(f"pass {n}" for n in range(1, count + 1)) + " |"]
    lines += ["| --- |" + " ---: |" * count]
    lines += ["| " + " | ".join([line["row"], *_pass_cells(line)]) + " |" for line in passes]
    return "\n".join(lines)


def _imports_rows(imports: list[ImportTime]) -> list[tuple[str, str, str, str]]:
    """(statement, wall ms, CPU ms, modules) of each fresh interpreter's medians (rillm._bench.import_time)."""
    return [
        (t.name, f"{t.wall * 1e3:.1f}", "—" if t.cpu is None else f"{t.cpu * 1e3:.1f}", str(t.modules)) for t in imports
    ]


def _imports_table(imports: list[ImportTime]) -> Table:
    table = Table("python -c", "wall ms", "CPU ms", "modules", title="import time (median of fresh interpreters)")
    for row in _imports_rows(imports):
        table.add_row(*row)
    return table


def _imports_markdown(imports: list[ImportTime]) -> str:
    if not imports:
        return ""
    lines = ["", "", "Import time, the median of fresh interpreters (interleaved):", ""]
    lines += ["| python -c | wall ms | CPU ms | modules |", "| --- | ---: | ---: | ---: |"]
    lines += ["| " + " | ".join(row) + " |" for row in _imports_rows(imports)]
    return "\n".join(lines)


def _met(goal: Target) -> str:
    return "—" if goal.met is None else ("yes" if goal.met else "NO")


def markdown(
    table: list[dict[str, str]],
    first: list[FirstChunk],
    goals: list[Target],
    chunks: int,
    load: tuple[float, float, float] | None = None,
) -> str:
    today = datetime.date.today().isoformat()
    busy = f" Load average at the start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}." if load else ""
    lines = [
        f"Measured on {today} with `rillm bench` ({chunks:,}-delta streams): {machine()}.{busy}",
        "Chunks per second of the benchmark process's CPU time (best of its rounds; the server runs in another",
        "process and is not counted), CPU µs per chunk, and chunks per second of wall time. End to end is over",
        "loopback TCP against a local HTTP/1.1 server writing each event separately, or in 4 KiB writes.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    lines += ["| " + " | ".join(line[k] for k in KEYS) + " |" for line in table]
    if first:
        lines += ["", "Time to first chunk (median), rillm vs a raw httpx request to the same server:", ""]
        lines += ["| call | raw httpx µs | rillm µs | added µs |", "| --- | ---: | ---: | ---: |"]
        for f in first:
            lines.append(f"| {f.path} | {f.raw * 1e6:,.0f} | {f.rillm * 1e6:,.0f} | {f.added * 1e6:,.0f} |")
    if goals:
        lines += ["", "| target | measured | reached |", "| --- | --- | --- |"]
        lines += [f"| {g.goal} | {g.measured} | {_met(g)} |" for g in goals]
    return "\n".join(lines)


def machine() -> str:
    """CPU model and cores, OS, Python, rillm's version and live backend, and the clients' and peers' versions."""
    peers = []
    for name in ("httpx", "urllib3", "aiohttp", "orjson", "openai", "litellm"):
        try:
            peers.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    parts = [
        f"{_cpu()} ({os.cpu_count()} cores)",
        f"{platform.system()} {platform.machine()}",
        f"Python {platform.python_version()}",
        f"rillm {rillm.__version__} (live backend {rillm.BACKEND})",
        *peers,
    ]
    return ", ".join(parts)


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"
