"""Import time: a fresh `python -c "import rillm"` against `python -c "import httpx"` and a bare interpreter
(rillm._bench.import_time, also `rillm bench --only import`). Each round is a new process, so the wall time
includes the interpreter's start (the bare row) and, on a busy machine, waiting for a core: compare the rows
of one run. What `import rillm` may load is checked without a timer by tests/test_import.py.
"""

from __future__ import annotations

from typing import Any

import pytest

from rillm._bench.import_time import STATEMENTS, run_once


@pytest.mark.parametrize("name", list(STATEMENTS))
def test_import_time(benchmark: Any, name: str) -> None:
    benchmark.group = "import: a fresh interpreter, wall time"
    wall, _, modules = benchmark.pedantic(run_once, args=(STATEMENTS[name],), rounds=20, warmup_rounds=1)
    assert wall > 0 and modules > 0
