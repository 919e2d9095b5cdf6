"""Decoding OpenAI chat-completion streams and merging their chunks: rillm's Rust core vs its pure-Python
twin vs the OpenAI SDK (decoding) and LiteLLM (stream_chunk_builder), each checked for the right answer
before it is timed. `make bench` runs them; CI runs them once as smoke tests."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import rillm

from .conftest import (
    N_CHUNKS,
    Pieces,
    backend_module,
    peer,
    pieces,
    rillm_text,
    serve_pieces,
    text_stream,
    tool_stream,
    use_transport,
)

# The peers warn on import and while streaming (pydantic, deprecations): not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

BACKENDS = ["rust", "python"]


def rillm_arguments(module: Any, data: list[bytes]) -> list[str]:
    decoder = module.StreamDecoder("openai")
    out = []
    for piece in data:
        for chunk in decoder.feed(piece):
            if chunk.choices and chunk.choices[0].delta.tool_calls:
                out.append(chunk.choices[0].delta.tool_calls[0].function.arguments)
    decoder.finish()
    return out


def openai_sdk_stream(data: list[bytes]) -> Any:
    """The OpenAI SDK's own decoding: its SSE decoder and ChatCompletionChunk objects over the pieces."""
    import openai
    from openai.types.chat import ChatCompletionChunk

    client = openai.OpenAI(api_key="sk-bench", base_url="http://127.0.0.1:9")
    request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
    response = httpx.Response(200, stream=Pieces(data), request=request)
    return openai.Stream(cast_to=ChatCompletionChunk, response=response, client=client)


def litellm_text(litellm: Any, data: list[bytes]) -> list[str]:
    """LiteLLM end to end: its OpenAI handler, the OpenAI SDK client over the mock transport, its wrapper."""
    import openai

    client = openai.OpenAI(
        api_key="sk-bench", http_client=httpx.Client(transport=httpx.MockTransport(serve_pieces(data)))
    )
    stream = litellm.completion(
        model="openai/gpt-4o", messages=[{"role": "user", "content": "hi"}], stream=True, client=client
    )
    return [c.choices[0].delta.content for c in stream if c.choices]


# `<backend>-options`: the decoder with merge=True and usage_on_finish=True, its merge taken at the end.
DECODE_TEXT = [*BACKENDS, "rust-options", "python-options", "rust-completion", "python-completion"]


@pytest.mark.parametrize("impl", [*DECODE_TEXT, "openai-sdk", "litellm"])
def test_decode_text(benchmark: Any, impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    benchmark.group = f"(a) decode {N_CHUNKS} text chunks in 4 KiB pieces, reading delta.content"
    stream, text = text_stream()
    data = pieces(stream)
    if impl == "openai-sdk":
        peer("openai", benchmark)

        def run() -> list[str]:
            return [c.choices[0].delta.content for c in openai_sdk_stream(data) if c.choices]
    elif impl == "litellm":
        litellm = peer("litellm", benchmark)

        def run() -> list[str]:
            return litellm_text(litellm, data)
    elif impl.endswith("-completion"):
        use_transport(monkeypatch, serve_pieces(data), impl.split("-")[0])

        def run() -> list[str]:
            chunks = rillm.completion("openai/gpt-4o", [{"role": "user", "content": "hi"}], stream=True, api_key="k")
            return [c.choices[0].delta.content for c in chunks if c.choices]
    elif impl.endswith("-options"):
        module = backend_module(impl.split("-")[0])

        def run() -> list[str]:
            return rillm_text(module, "openai", data, merge=True, usage_on_finish=True)
    else:
        module = backend_module(impl)

        def run() -> list[str]:
            return rillm_text(module, "openai", data)

    assert "".join(s or "" for s in run()) == text
    benchmark.extra_info["chunks"] = N_CHUNKS
    if impl == "litellm":
        benchmark.pedantic(run, rounds=1, iterations=1)
    else:
        benchmark(run)


@pytest.mark.parametrize("impl", [*BACKENDS, "openai-sdk"])
def test_decode_tool_arguments(benchmark: Any, impl: str) -> None:
    benchmark.group = f"(b) decode {N_CHUNKS} tool-argument chunks in 4 KiB pieces, reading the fragments"
    stream, arguments = tool_stream()
    data = pieces(stream)
    if impl == "openai-sdk":
        peer("openai", benchmark)

        def run() -> list[str]:
            out = []
            for c in openai_sdk_stream(data):
                if c.choices and c.choices[0].delta.tool_calls:
                    out.append(c.choices[0].delta.tool_calls[0].function.arguments)
            return out
    else:
        module = backend_module(impl)

        def run() -> list[str]:
            return rillm_arguments(module, data)

    assert "".join(run()) == arguments
    benchmark(run)


@pytest.mark.parametrize("impl", [*BACKENDS, "litellm"])
def test_stream_chunk_builder(benchmark: Any, impl: str) -> None:
    benchmark.group = f"(c) stream_chunk_builder over {N_CHUNKS} text chunks"
    stream, text = text_stream()
    if impl == "litellm":
        litellm = peer("litellm", benchmark)
        chunks = [c.model_dump() for c in _decode_all(backend_module("python"), stream)]
        chunks = [litellm.ModelResponseStream(**c) for c in chunks]

        def run() -> Any:
            return litellm.stream_chunk_builder(chunks)
    else:
        module = backend_module(impl)
        chunks = _decode_all(module, stream)
        from rillm._builder import build_response

        def run() -> Any:
            return build_response(module.merge_chunks(chunks), None)

    assert run().choices[0].message.content == text
    benchmark(run)


def _decode_all(module: Any, stream: bytes) -> list[Any]:
    decoder = module.StreamDecoder("openai")
    return decoder.feed(stream) + decoder.finish()
