"""Every recorded stream (tests/fixtures/streams) gives the same chunks, reprs, outcome and merge on the
Rust backend and on its pure-Python twin."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..conftest import DIALECTS, Backend, decode, dialect_of, recording_id, recordings

pytestmark = pytest.mark.rust


@pytest.mark.parametrize("path", recordings(DIALECTS), ids=recording_id)
def test_rust_and_python_agree(both: tuple[Backend, Backend], path: Path) -> None:
    rust, python = both
    data = path.read_bytes()
    rust_outcome = decode(rust.module, [data], dialect_of(path))
    python_outcome = decode(python.module, [data], dialect_of(path))
    assert rust_outcome.comparable() == python_outcome.comparable()
    assert [repr(c) for c in rust_outcome.chunks] == [repr(c) for c in python_outcome.chunks]
    assert rust.module.merge_chunks(rust_outcome.chunks) == python.module.merge_chunks(python_outcome.chunks)
