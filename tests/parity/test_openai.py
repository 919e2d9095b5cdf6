"""Generated OpenAI-dialect streams and chunkings, well-formed and not, give the same result on the Rust
backend and on its pure-Python twin: the same chunks, the same exception class and position, the same
reprs and the same merge."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..conftest import Backend, decode
from .strategies.openai import chunk, chunked, stream, wild_chunk

pytestmark = pytest.mark.rust


def outcomes(both: tuple[Backend, Backend], pieces: list[bytes], **options: Any) -> tuple[Any, Any]:
    rust, python = both
    return decode(rust.module, pieces, **options), decode(python.module, pieces, **options)


@given(pieces=chunked())
def test_generated_streams_decode_the_same(both: tuple[Backend, Backend], pieces: list[bytes]) -> None:
    r, p = outcomes(both, pieces)
    assert r.comparable() == p.comparable()
    assert [repr(c) for c in r.chunks] == [repr(c) for c in p.chunks]
    if r.exception is not None:
        assert str(r.exception).split(": invalid chunk")[0] == str(p.exception).split(": invalid chunk")[0]


@given(pieces=chunked(), limit=st.integers(1, 400))
def test_max_event_bytes_is_enforced_the_same(both: tuple[Backend, Backend], pieces: list[bytes], limit: int) -> None:
    r, p = outcomes(both, pieces, max_event_bytes=limit)
    assert r.comparable() == p.comparable()


@given(data=stream(), pieces=st.data())
def test_splitting_never_changes_the_result(both: tuple[Backend, Backend], data: bytes, pieces: st.DataObject) -> None:
    rust, _ = both
    whole = decode(rust.module, [data]).comparable()
    cuts = sorted(pieces.draw(st.lists(st.integers(0, len(data)), max_size=6)))
    split = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    assert decode(rust.module, split).comparable() == whole


@given(chunks=st.lists(st.one_of(chunk, chunk, chunk, wild_chunk), max_size=6))
def test_merging_dicts_gives_the_same_response(both: tuple[Backend, Backend], chunks: list[Any]) -> None:
    rust, python = both
    results = []
    for backend in (rust, python):
        try:
            results.append(("ok", backend.module.merge_chunks(chunks)))
        except Exception as exc:  # the class must match; messages may word a JSON error differently
            results.append(("error", type(exc).__name__))
    assert results[0] == results[1]
