"""The Rust extension and its pure-Python twin are called the same way: every class and function of the
backend API, and each public method (plus the mapping dunders _native.pyi declares), has the same parameter
names, kinds and defaults. `inspect.signature` reads the twin's definitions and, on the Rust side, the
`__text_signature__` pyo3 writes from each `#[pyo3(signature = ...)]`."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from rillm import _fallback

from ..conftest import Backend

pytestmark = pytest.mark.rust

CLASSES = ("StreamDecoder", "ModelResponseStream", "StreamingChoices", "Delta", "ChatCompletionDeltaToolCall")
CLASSES += ("Function",)
FUNCTIONS = ("merge_chunks", "frame_events")
# Called as `chunk[key]` and `key in chunk`; the stub declares them, with `key` positional-only as pyo3 has it.
DUNDERS = ("__getitem__", "__contains__")


def _methods(cls: type) -> list[str]:
    """The twin's public methods (properties are attributes, not methods) and the declared dunders."""
    return [
        name
        for name in dir(cls)
        if (not name.startswith("_") or name in DUNDERS) and inspect.isroutine(inspect.getattr_static(cls, name))
    ]


def _targets() -> list[Any]:
    targets = []
    for name in CLASSES:
        targets.append(pytest.param(name, None, id=name))
        targets += [pytest.param(name, method, id=f"{name}.{method}") for method in _methods(getattr(_fallback, name))]
    targets += [pytest.param(name, None, id=name) for name in FUNCTIONS]
    return targets


def _parameters(obj: Any, *, method: bool) -> list[tuple[str, str, Any]]:
    """(name, kind, default) of each parameter; a method's `self` is left out (pyo3 makes it positional-only,
    Python does not, and nobody passes it by name)."""
    parameters = list(inspect.signature(obj).parameters.values())
    if method:
        parameters = parameters[1:]
    return [(p.name, p.kind.name, p.default) for p in parameters]


@pytest.mark.parametrize(("name", "method"), _targets())
def test_same_signature(both: tuple[Backend, Backend], name: str, method: str | None) -> None:
    rust, python = (getattr(backend.module, name) for backend in both)
    if method is not None:
        rust, python = getattr(rust, method), getattr(python, method)
    rust_parameters = _parameters(rust, method=method is not None)
    python_parameters = _parameters(python, method=method is not None)
    # pyo3 writes a default that is not a literal (a Rust constant such as DEFAULT_MAX_EVENT_BYTES) as `...`:
    # there the twin must have a default too, of any value.
    rust_parameters = [
        (n, kind, theirs[2] if default is Ellipsis and theirs[2] is not inspect.Parameter.empty else default)
        for (n, kind, default), theirs in zip(rust_parameters, python_parameters)
    ] + rust_parameters[len(python_parameters) :]
    assert rust_parameters == python_parameters


@pytest.mark.parametrize("name", CLASSES)
def test_same_methods(both: tuple[Backend, Backend], name: str) -> None:
    """Every method compared above exists on both sides, and is a method on both."""
    rust, python = (getattr(backend.module, name) for backend in both)
    assert _methods(rust) == _methods(python)
