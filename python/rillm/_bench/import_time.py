"""Import time: a fresh interpreter running `import rillm`, against one running `import httpx` (rillm's
compatibility client, the floor of any httpx-based library) and a bare one (`pass`, the interpreter's own
start), and one that also makes a first (mocked) completion() call, which loads what `import rillm` defers.
The runs are interleaved (one of each in turn, so a change in the machine's load touches them alike) and the
median of the rounds is reported: the wall time seen from here, and the child's CPU time (user + system, from
`resource`; None where the platform has no such module), with the count of modules the statement left loaded
(a count does not depend on the load: tests/test_import.py checks which ones).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

__all__ = ["STATEMENTS", "ImportTime", "import_times", "run_once"]

# What each fresh interpreter runs, by the name the tables show. The last one is what a program that calls
# rillm pays before its first request: the modules loaded on first use (a mocked call: no network).
_FIRST_CALL = "rillm.completion('openai/gpt-4o', [{'role': 'user', 'content': 'hi'}], mock_response='hi')"
STATEMENTS = {"python (bare)": "pass", "import httpx": "import httpx", "import rillm": "import rillm"}
STATEMENTS["import rillm + first completion()"] = f"import rillm; {_FIRST_CALL}"
# Appended to each statement: the count of loaded modules, on standard output (`sys` is always loaded).
_COUNT = "\nimport sys\nsys.stdout.write(str(len(sys.modules)))"


@dataclass(frozen=True)
class ImportTime:
    """One statement's medians: wall and CPU seconds, and the modules loaded at its end."""

    name: str
    wall: float
    cpu: float | None
    modules: int


def _children_cpu() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(statement: str) -> tuple[float, float | None, int]:
    """(wall seconds, CPU seconds or None, modules loaded) of one fresh interpreter running `statement`."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", statement + _COUNT], env=env, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = _children_cpu()
    if done.returncode != 0:
        raise RuntimeError(f"`python -c {statement!r}` failed: {done.stderr.strip()[-300:]}")
    spent = after - cpu if after is not None and cpu is not None else None
    return wall, spent, int(done.stdout)


def import_times(rounds: int, statements: dict[str, str] | None = None) -> list[ImportTime]:
    """The medians of `rounds` interleaved runs of each statement (STATEMENTS by default)."""
    chosen = STATEMENTS if statements is None else statements
    samples: dict[str, list[tuple[float, float | None, int]]] = {name: [] for name in chosen}
    for _ in range(max(rounds, 1)):
        for name, statement in chosen.items():
            samples[name].append(run_once(statement))
    times = []
    for name, runs in samples.items():
        cpus = [c for _, c, _ in runs if c is not None]
        times.append(
            ImportTime(
                name,
                wall=statistics.median(w for w, _, _ in runs),
                cpu=statistics.median(cpus) if cpus else None,
                modules=runs[-1][2],
            )
        )
    return times
