"""How the events of an end-to-end stream reach the client: for each run of one acompletion() stream on the
httptools transport (the row `rillm bench` times), the client's CPU and wall µs per chunk, the server's CPU µs
per chunk, and the socket reads the client made.

    python benches/read_pattern.py [--writes event|4k] [--runs 8] [--processes 3]

With each event written separately, what a chunk costs the client depends on how the events arrive, which
the race between the two processes decides: a client that falls behind finds many events in each read (a few
dozen reads for 20,000 events), one that keeps up reads about one event per read and pays a loop wake-up for
each. Each process (`--processes`, fresh interpreters) starts its own server, so the spread between processes
shows too. A diagnostic, not a benchmark: the counts come from wrapping the transport's `data_received`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "python"))


def _one_process(writes: str, runs: int, chunks: int) -> None:
    from rillm._bench import sockets
    from rillm._bench.runner import reference
    from rillm._bench.serve import Server
    from rillm._bench.workloads import workload
    from rillm._http import h1

    reads = 0
    received = h1.Connection.data_received

    def counted(self: h1.Connection, data: bytes) -> None:
        nonlocal reads
        reads += 1
        received(self, data)

    h1.Connection.data_received = counted  # type: ignore[method-assign]
    load = workload("openai-text", chunks)
    try:
        with Server(load.name, load.n) as server:
            run = sockets.rillm_stream("rust", "httptools", True, load, server.url(writes))
            run()
            for _ in range(runs):
                reads, ref = 0, reference()
                served, cpu, wall = server.cpu_seconds(), time.process_time(), time.perf_counter()
                run()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                served = server.cpu_seconds() - served
                print(
                    f"client {cpu / chunks * 1e6:5.2f} µs CPU, {wall / chunks * 1e6:5.2f} wall; server"
                    f" {served / chunks * 1e6:5.2f} µs CPU (clock ticks); {reads:6,} reads"
                    f" ({chunks / reads:6.1f} events each); reference {ref * 1e3:5.1f} ms",
                    flush=True,
                )
    finally:
        sockets.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", choices=("event", "4k"), default="event")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _one_process(args.writes, args.runs, args.chunks)
        return
    for n in range(1, args.processes + 1):
        print(f"process {n}, {args.writes} writes:", flush=True)
        command = [sys.executable, __file__, "--child", "--writes", args.writes, "--runs", str(args.runs)]
        subprocess.run([*command, "--chunks", str(args.chunks)], check=True)


if __name__ == "__main__":
    main()
