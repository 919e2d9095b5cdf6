"""The split points `cuts()` (tests/conftest.py) gives the split-anywhere tests: every offset of a short
recording; for a longer one a bounded number, spread over its whole length (both halves), with the points
next to line ends and non-ASCII bytes taken from the whole recording, not only from its start."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import DIALECTS, cuts, recording_id, recordings

# 33 first offsets + 129 spread + 16 line ends x 8 + 16 non-ASCII bytes x 2, before overlaps.
BOUND = 33 + 129 + 16 * 8 + 16 * 2


def _well_formed(points: list[int], n: int) -> None:
    assert points == sorted(set(points))
    assert points[0] == 0 and points[-1] == n


@pytest.mark.parametrize("path", recordings(DIALECTS), ids=recording_id)
def test_every_recording_is_cut_over_its_whole_length(path: Path) -> None:
    data = path.read_bytes()
    n = len(data)
    points = cuts(data)
    _well_formed(points, n)
    if n <= 300:
        assert points == list(range(n + 1))
        return
    assert len(points) <= BOUND
    assert sum(1 for p in points if p <= n // 2) >= 64
    assert sum(1 for p in points if p > n // 2) >= 64
    assert max(b - a for a, b in zip(points, points[1:])) <= n // 128 + 1


def test_line_ends_and_non_ascii_bytes_are_taken_from_the_whole_recording() -> None:
    """Lines every 50 bytes and a non-ASCII byte every 500: the points around them reach the last
    quarter, which the first 16 of them never would."""
    line = b"data: " + b"x" * 42 + b"\n\n"
    data = b"".join(line if i % 10 else line[:-3] + b"\xc3\xa9\n\n" for i in range(400))
    n = len(data)
    points = set(cuts(data))
    _well_formed(sorted(points), n)
    last_line_ends = [i for i, b in enumerate(data) if b == 10 and i > 3 * n // 4]
    near_a_line_end = [i for i in last_line_ends if {i - 3, i - 2, i - 1, i, i + 1, i + 2, i + 3} <= points]
    assert near_a_line_end, "no line end of the last quarter has the points around it"
    last_non_ascii = [i for i, b in enumerate(data) if b >= 0x80 and i > 3 * n // 4]
    assert any({i, i + 1} <= points for i in last_non_ascii)
    assert len(points) <= BOUND


@pytest.mark.parametrize("n", [0, 1, 299, 300])
def test_a_short_recording_is_cut_everywhere(n: int) -> None:
    assert cuts(b"a" * n) == list(range(n + 1))
