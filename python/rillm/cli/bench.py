"""`rillm bench [--quick] [--markdown]`: the decode, builder and end-to-end benchmarks (rillm._bench) for both
backends and the peers that are installed, with a progress bar on standard error, then a table of chunks per
second and ratios to rillm's Rust backend; `--markdown` prints it dated, with the machine, for the README."""

from __future__ import annotations

import argparse
import datetime
import os
import platform
from importlib import metadata

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

import rillm
from rillm._bench import runner

__all__ = ["machine", "run"]

COLUMNS = ("benchmark", "workload", "implementation", "chunks/s", "vs rillm (Rust)")


def run(args: argparse.Namespace) -> int:
    chunks = args.chunks or (2_000 if args.quick else 20_000)
    settings = runner.Settings(chunks=chunks, rounds=2 if args.quick else 5, budget=0.5 if args.quick else 3.0)
    rows = [row for row in runner.ROWS if not args.only or row.group in args.only]
    err = Console(stderr=True)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("benchmarks", total=len(rows))

        def told(event: str, row: runner.Row, result: runner.Result | None) -> None:
            if event == "start":
                slow = " (slow: one run)" if row.slow else ""
                progress.update(task, description=f"{runner.GROUPS[row.group]} · {row.workload} · {row.impl}{slow}")
            else:
                progress.advance(task)

        results = list(runner.run_rows(rows, settings, told))
    table = runner.describe(results)
    if args.markdown:
        print(markdown(table, chunks))
    else:
        title = f"rillm bench: chunks per second of CPU time, {chunks:,}-delta streams ({machine()})"
        rich_table = Table(*COLUMNS, title=title)
        for line in table:
            rich_table.add_row(line["group"], line["workload"], line["impl"], line["rate"], line["versus"])
        Console().print(rich_table)
    return 0 if all(r.skipped is None or not r.skipped.startswith("failed") for r in results) else 1


def markdown(table: list[dict[str, str]], chunks: int) -> str:
    today = datetime.date.today().isoformat()
    lines = [
        f"Measured on {today} with `rillm bench` ({chunks:,}-delta streams): {machine()}.",
        "Chunks per second of the benchmark process's CPU time (best of its rounds); end to end is",
        "`completion(stream=True)` against a local HTTP server in another process, each event written separately.",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "| --- | --- | --- | ---: | ---: |",
    ]
    for line in table:
        lines.append(f"| {line['group']} | {line['workload']} | {line['impl']} | {line['rate']} | {line['versus']} |")
    return "\n".join(lines)


def machine() -> str:
    """CPU model and cores, OS, Python, rillm's version and live backend, and the peers' versions."""
    peers = []
    for name in ("openai", "litellm"):
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
