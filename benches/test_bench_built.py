"""What the whole response costs on top of reading a stream: `completion(stream=True)` over the local server
(rillm._bench.serve, its own process, each event written separately) iterated to the end, alone and with
the built response a gateway wants, on both backends.

- `iterate`: the loop alone (the stream still builds its response at the end, to put usage on the final
  chunk, from the decoder's running merge);
- `iterate+callback`: the loop, and the built response a success callback is handed (a gateway's way);
- `iterate+builder`: the loop, then `stream_chunk_builder(stream.chunks, messages)` (LiteLLM's way: every
  chunk decoded again from the kept bytes and merged);
- `...-no-merge`: the same with a decoder that has neither `merge` nor `usage_on_finish` (as before the
  running merge: rillm._live_decoder falls back to decoding the kept bytes again for the response).

The ratio that matters is `iterate+callback` over `iterate` (issue: the built response costs nothing extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import rillm
from rillm import _backend
from rillm._bench.serve import Server
from rillm._bench.workloads import N_CHUNKS, workload

from .conftest import backend_module

MESSAGES = [{"role": "user", "content": "hi"}]
MODES = ["iterate", "iterate+callback", "iterate+builder"]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with Server("openai-text", N_CHUNKS) as server:
        yield server.url()


def without_options(module: Any) -> Any:
    """The backend's StreamDecoder as a backend without the two options would be (TypeError for them)."""

    def make(*args: Any, merge: Any = None, usage_on_finish: Any = None, **options: Any) -> Any:
        if merge is not None or usage_on_finish is not None:
            raise TypeError("no running merge")
        return module.StreamDecoder(*args, **options)

    return make


def read(url: str, mode: str) -> str:
    """The content the stream spelled, after the mode's way of getting the whole response (checked)."""
    built: list[Any] = []
    if mode == "iterate+callback":
        rillm.success_callback = [lambda kwargs, response, start, end: built.append(response)]
    try:
        stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, api_base=url, api_key="sk-bench")
        text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    finally:
        rillm.success_callback = []
    if mode == "iterate+builder":
        built.append(rillm.stream_chunk_builder(stream.chunks, MESSAGES))
    if built and built[0].choices[0].message.content != text:
        raise AssertionError("the built response is not what the stream said")
    return text


@pytest.mark.parametrize("merge", ["", "-no-merge"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("backend", ["rust", "python"])
def test_built_response(
    benchmark: Any, url: str, backend: str, mode: str, merge: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    benchmark.group = f"(e2e) completion(stream=True), {N_CHUNKS} chunks, and the built response"
    module = backend_module(backend)
    monkeypatch.setattr(_backend, "StreamDecoder", without_options(module) if merge else module.StreamDecoder)
    monkeypatch.setattr(rillm, "success_callback", [])
    assert benchmark(read, url, mode) == workload("openai-text").expected
