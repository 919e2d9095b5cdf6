"""The chunk objects and the module surface are the same on the Rust backend and on its pure-Python twin:
the same public names and methods, the same reprs (cycles included), dumps and JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillm import _fallback

from ..conftest import Backend

pytestmark = pytest.mark.rust

CHUNK = (
    b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt-4o",'
    b'"system_fingerprint":"fp_1","service_tier":"default","choices":[{"index":0,"delta":'
    b'{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null,'
    b'"obfuscation":"abc"}\n\n'
)


def one(backend: Backend) -> Any:
    """A chunk as the decoder makes it (not as a constructor does)."""
    (chunk,) = backend.module.StreamDecoder("openai").feed(CHUNK)
    return chunk


def test_both_backends_expose_the_same_names(both: tuple[Backend, Backend]) -> None:
    from rillm import _native

    public = {"StreamDecoder", "ModelResponseStream", "StreamingChoices", "Delta", "ChatCompletionDeltaToolCall"}
    public |= {"Function", "merge_chunks", "frame_events", "__version__"}
    assert public <= set(dir(_native))
    assert public <= set(_fallback.__all__)
    for name in public - {"merge_chunks", "frame_events", "__version__"}:
        rust_api = {m for m in dir(getattr(_native, name)) if not m.startswith("_")}
        python_api = {m for m in dir(getattr(_fallback, name)) if not m.startswith("_")}
        assert rust_api == python_api, name


def test_cycles_repr_the_same(both: tuple[Backend, Backend]) -> None:
    reprs = []
    for backend in both:
        chunk = one(backend)
        chunk.me = [chunk]
        chunk.choices[0].delta.back = chunk
        reprs.append(repr(chunk))
    assert reprs[0] == reprs[1]


def test_both_backends_build_the_same_objects(both: tuple[Backend, Backend]) -> None:
    rust, python = both
    for build in (
        lambda m: m.ModelResponseStream(id="a", created=1, choices=[{"delta": {"content": "hi", "x": [1]}}]),
        lambda m: m.Delta(content="x", tool_calls=[{"id": "c", "function": {"arguments": {"k": [1, 2]}}}]),
        lambda m: m.StreamingChoices(index=2, finish_reason="MAX_TOKENS", logprobs={"content": []}),
    ):
        r, p = build(rust.module), build(python.module)
        assert repr(r) == repr(p)
        assert r.model_dump() == p.model_dump()
        assert json.loads(r.model_dump_json()) == json.loads(p.model_dump_json())
