"""The benchmark runner's passes and the targets' verdicts (rillm._bench.runner, rillm._bench.targets), untimed:
the rows the targets read are run in every pass and the others once, the passes spread over the table with the
last at its end, the table keeps pass 1 while a target reads the best pass, and a wrong answer in any pass
fails the row. The rows here are stand-ins that return their workload's text (no sockets, no decoder)."""

from __future__ import annotations

from typing import Any

import pytest

from rillm._bench import runner, targets
from rillm._bench.runner import RUST, Pass, Result, Row, Settings
from rillm._bench.workloads import Workload, workload

SETTINGS = Settings(chunks=10, rounds=2, budget=0.1, first_chunk_rounds=0, passes=3)


def _answer(load: Workload, _: str) -> Any:
    return lambda: load.expected


def _rows(count: int, picked: set[int]) -> tuple[list[Row], Any]:
    rows = [Row("decode", "openai-text", f"impl {i}", _answer) for i in range(count)]
    return rows, lambda row: int(row.impl.split()[1]) in picked


def test_schedule_runs_every_row_once_and_the_picked_rows_in_each_further_pass() -> None:
    rows, again = _rows(10, {2, 7})
    order = runner.schedule(rows, 4, again)
    assert [i for i, number in order if number == 1] == list(range(10))
    for number in (2, 3, 4):
        assert [i for i, n in order if n == number] == [2, 7]
    assert order[-2:] == [(2, 4), (7, 4)]  # the last pass after the table's end
    starts = [order.index((2, number)) for number in (2, 3, 4)]
    table = [order.index((i, 1)) for i in range(10)]
    assert table[0] < starts[0] < table[-1] and starts[0] < starts[1] < table[-1] < starts[2]  # spread over it
    assert runner.schedule(rows, 1, again) == [(i, 1) for i in range(10)]
    assert runner.schedule(rows, 4, lambda row: False) == [(i, 1) for i in range(10)]


def test_schedule_with_fewer_rows_than_passes() -> None:
    rows, again = _rows(1, {0})
    assert runner.schedule(rows, 3, again) == [(0, 1), (0, 2), (0, 3)]


def test_run_rows_times_each_pass_of_the_picked_rows_beside_the_reference() -> None:
    rows, again = _rows(4, {1, 3})
    told: list[tuple[str, str, int]] = []
    results = runner.run_rows(rows, SETTINGS, lambda event, row, _, n: told.append((event, row.impl, n)), again)
    assert [r.row for r in results] == rows
    for i, r in enumerate(results):
        assert r.skipped is None and r.seconds is not None and r.rounds == 2
        if i in (1, 3):
            assert sorted(p.number for p in r.passes) == [1, 2, 3]
            assert all(p.reference > 0 and p.seconds >= 0 for p in r.passes)
            first = next(p for p in r.passes if p.number == 1)
            assert (r.seconds, r.wall) == (first.seconds, first.wall)  # the table shows pass 1
        else:
            assert r.passes == []
    assert len(told) == 2 * len(runner.schedule(rows, 3, again))
    assert ("start", "impl 3", 3) in told and ("done", "impl 3", 3) in told


def test_a_wrong_answer_in_a_later_pass_fails_the_row() -> None:
    calls = {"n": 0}

    def flaky(load: Workload, _: str) -> Any:
        def run() -> str:
            calls["n"] += 1
            return load.expected if calls["n"] <= 3 else "wrong"  # the table's pass: its check and two rounds

        return run

    row = Row("decode", "openai-text", RUST, flaky)
    (result,) = runner.run_rows([row], SETTINGS, None, lambda row: True)
    assert result.skipped is not None and result.skipped.startswith("failed: AssertionError: wrong answer")
    assert [p.number for p in result.passes] == [1]


def test_the_reference_workload_takes_time() -> None:
    assert 0 < runner.reference() < 10


def _result(group: str, name: str, impl: str, rates: list[float], streams: int = 1) -> Result:
    """A result whose passes read `rates` chunks/s (the first is the table's)."""
    row = Row(group, name, impl, _answer, streams=streams)
    load = workload(name, 1000)
    chunks = load.n * streams
    passes = [Pass(n, chunks / rate, chunks / rate, 0.01) for n, rate in enumerate(rates, 1)]
    return Result(row, load, seconds=passes[0].seconds, wall=passes[0].wall, rounds=5, passes=passes)


def _goal(goals: list[targets.Target], start: str) -> targets.Target:
    (goal,) = [g for g in goals if g.goal.startswith(start)]
    return goal


def test_a_target_reads_the_best_pass_of_each_of_its_rows() -> None:
    results = [
        _result("e2e", "openai-text", targets.ASYNC, [300_000, 450_000, 380_000]),
        _result("e2e", "openai-text", targets.BARE, [600_000, 1_000_000, 700_000]),
        _result("e2e", "openai-text", targets.SYNC, [290_000, 280_000]),
    ]
    goals = targets.targets(results, [])
    fast = _goal(goals, "async acompletion, one stream")
    assert fast.met is True and fast.measured.startswith("450,000 chunks/s") and "best of 3 passes" in fast.measured
    near = _goal(goals, "async: within 2x")  # 450,000 against the bare read's best, 1,000,000: 0.45x
    assert near.met is False and near.measured.startswith("0.45x")
    assert _goal(goals, "sync completion").met is False
    assert _goal(goals, "async: >= 100x LiteLLM").met is None  # a row that did not run: not measured
    assert results[0].rate == pytest.approx(300_000)  # the table keeps pass 1


def test_the_concurrent_target_counts_every_stream() -> None:
    results = [_result("concurrent", "openai-text", targets.HUNDRED, [300_000, 400_000], streams=100)]
    goal = _goal(targets.targets(results, []), "100 concurrent")
    assert goal.met is True and goal.measured.startswith("400,000 chunks/s")
    assert results[0].best().chunks == 100 * 1000  # aggregate: each stream's deltas


@pytest.mark.parametrize(("slowest", "met"), [(499_000, False), (500_000, True)])
def test_every_dialect_target_is_its_slowest_dialect(slowest: float, met: bool) -> None:
    results = [_result("decode", name, RUST, [800_000, 900_000]) for name in targets.DIALECTS if name != "gemini"]
    results.append(_result("decode", "gemini", RUST, [slowest / 2, slowest]))
    results.append(_result("decode", "openai-tools", RUST, [100_000]))  # not a dialect's text: not read
    goals = targets.targets(results, [])
    every = _goal(goals, "decode, every dialect's text")
    assert every.met is met and every.measured.startswith(f"least gemini {slowest:,.0f}")
    assert _goal(goals, "decode, OpenAI text").met is False  # 900,000
    partial = targets.targets(results[1:], [])
    assert _goal(partial, "decode, every dialect's text").met is None  # openai-text's row did not run


def test_the_targets_read_exactly_the_rows_run_in_passes() -> None:
    picked = [row for row in runner.ROWS if targets.reads(row)]
    assert {(row.group, row.workload, row.impl) for row in picked} == targets.READS  # each named row exists
    assert all(row.writes == "event" for row in picked)
    assert len(picked) == len(targets.READS)  # one row each: the 4 KiB writes' rows are not read
    assert not [row for row in picked if row.slow and row.group == "concurrent"]  # 1,000 streams: one run


def test_the_import_target_reads_the_median_of_import_rillm() -> None:
    from rillm._bench.import_time import ImportTime

    def verdict(ms: float) -> bool | None:
        imports = [ImportTime("python (bare)", 0.02, 0.02, 33), ImportTime("import rillm", ms / 1e3, None, 66)]
        return _goal(targets.targets([], [], imports), "import rillm").met

    assert (verdict(99.0), verdict(101.0)) == (True, False)
    assert _goal(targets.targets([], []), "import rillm").met is None
