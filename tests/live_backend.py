"""A pytest plugin for the second run of `make test` (`RILLM_BACKEND=python pytest -p tests.live_backend`):
only the tests that depend on which backend is live. A test that takes the `backend` or `both` fixture runs
on each backend in every run already, so the first run (on the Rust backend) covered it on both; the others
(completion() end to end, the stream wrapper, the command line, ...) use the live backend, and run again."""

from __future__ import annotations

import pytest

PER_BACKEND = {"backend", "both"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    covered = [item for item in items if PER_BACKEND & set(getattr(item, "fixturenames", ()))]
    if covered:
        config.hook.pytest_deselected(items=covered)
        kept = set(map(id, covered))
        items[:] = [item for item in items if id(item) not in kept]
