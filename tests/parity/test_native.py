"""Generated native-dialect event streams (mostly well-formed, some fields of the wrong type, some
truncated or corrupted), in every framing each dialect accepts and split at random offsets, give the same
chunks, the same exception class and position, the same reprs and the same merge on the Rust backend and
on its pure-Python twin."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..conftest import Backend, decode
from .strategies.native_streams import WILD, stream

pytestmark = pytest.mark.rust


def check(both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]) -> None:
    dialect, data = generated
    points = sorted(c % (len(data) + 1) for c in cuts)
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    rust, python = both
    r = decode(rust.module, pieces, dialect)
    p = decode(python.module, pieces, dialect)
    assert r.comparable() == p.comparable()
    assert [repr(c) for c in r.chunks] == [repr(c) for c in p.chunks]
    assert rust.module.merge_chunks(r.chunks) == python.module.merge_chunks(p.chunks)
    assert decode(rust.module, [data], dialect).comparable() == r.comparable()


@given(generated=stream(), cuts=st.lists(st.integers(0, 10**6), max_size=5))
def test_generated_native_streams_decode_the_same(
    both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]
) -> None:
    check(both, generated, cuts)


@given(generated=stream(WILD), cuts=st.lists(st.integers(0, 10**6), max_size=5))
def test_generated_native_streams_with_wild_fields_decode_the_same(
    both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]
) -> None:
    check(both, generated, cuts)
