"""What each benchmark row runs: one function per (kind of work, implementation), each returning a `run()`
that does the work once and returns what it read, for the runner to check and then time.

rillm's two backends are run in the same process: the decode and build rows take the backend's module
(`rillm._native` or `rillm._fallback`) directly, and the end-to-end rows swap `rillm._backend`'s decoder
for the duration of a run, as `RILLM_BACKEND` would at import. The peers (the OpenAI SDK, LiteLLM) are
imported only here and only when their row runs.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from typing import Any

from rillm._bench.workloads import Workload, read_field

__all__ = ["Run", "backend_module", "build_litellm", "build_rillm", "decode_openai_sdk", "decode_rillm"]

Run = Callable[[], Any]
MESSAGES: Any = [{"role": "user", "content": "hi"}]  # Any: each client types its own messages
KEY = "sk-bench"
# Bedrock signs each request (SigV4) with these; the benchmark server does not check them.
AWS = {"aws_access_key_id": "AKIDBENCH", "aws_secret_access_key": "bench", "aws_region_name": "us-east-1"}


def _litellm() -> Any:
    """LiteLLM, told to use its bundled price map: it would otherwise fetch one from the network at import."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return importlib.import_module("litellm")


def backend_module(name: str) -> Any:
    """The module of a backend: the Rust extension (ImportError when it is not built) or the twin."""
    return importlib.import_module("rillm._native" if name == "rust" else "rillm._fallback")


def decode_rillm(backend: str, load: Workload) -> Run:
    """A StreamDecoder fed the stream in 4 KiB pieces, reading the field of every chunk."""
    module, pieces, read = backend_module(backend), load.pieces(), read_field(load.field)

    def run() -> list[Any]:
        decoder = module.StreamDecoder(load.dialect)
        out: list[Any] = []
        for piece in pieces:
            out += read(decoder.feed(piece))
        out += read(decoder.finish())
        return out

    return run


def decode_openai_sdk(load: Workload) -> Run:
    """The OpenAI SDK's own decoding: its SSE decoder and ChatCompletionChunk objects over the same pieces."""
    import httpx
    import openai
    from openai.types.chat import ChatCompletionChunk

    client = openai.OpenAI(api_key=KEY, base_url="http://127.0.0.1:9")
    pieces, read = load.pieces(), read_field(load.field)

    class Body(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            return iter(pieces)

    def run() -> list[Any]:
        request = httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions")
        response: Any = httpx.Response(200, stream=Body(), request=request)
        return read(openai.Stream(cast_to=ChatCompletionChunk, response=response, client=client))

    return run


def build_rillm(backend: str, load: Workload) -> Run:
    """stream_chunk_builder over the stream's chunks (decoded once, beforehand, by the same backend)."""
    from rillm._builder import build_response

    module = backend_module(backend)
    decoder = module.StreamDecoder(load.dialect)
    chunks = decoder.feed(load.stream) + decoder.finish()
    return lambda: build_response(module.merge_chunks(chunks), None).choices[0].message.content


def build_litellm(load: Workload) -> Run:
    """LiteLLM's stream_chunk_builder over the same chunks, as LiteLLM's own ModelResponseStream objects."""
    litellm = _litellm()
    decoder = backend_module("python").StreamDecoder(load.dialect)
    chunks = [litellm.ModelResponseStream(**c.model_dump()) for c in decoder.feed(load.stream) + decoder.finish()]
    return lambda: litellm.stream_chunk_builder(chunks).choices[0].message.content


def e2e_rillm(backend: str, load: Workload, url: str) -> Run:
    """`rillm.completion(stream=True)` against the server: request, transport, decoder, stream wrapper."""
    import rillm
    from rillm import _backend

    decoder = backend_module(backend).StreamDecoder
    read = read_field(load.field)
    credentials = AWS if load.dialect == "bedrock" else {"api_key": KEY}

    def run() -> list[Any]:
        live = _backend.StreamDecoder
        setattr(_backend, "StreamDecoder", decoder)  # noqa: B010 (assigning to a module's class name)
        try:
            return read(rillm.completion(load.model, MESSAGES, stream=True, api_base=url, **credentials))
        finally:
            setattr(_backend, "StreamDecoder", live)  # noqa: B010

    return run


def e2e_openai_sdk(load: Workload, url: str) -> Run:
    """The OpenAI SDK's client, streaming from the server (one client, reused, as rillm reuses its own)."""
    import openai

    client = openai.OpenAI(api_key=KEY, base_url=url, max_retries=0)
    read = read_field(load.field)
    model = load.model.partition("/")[2]
    return lambda: read(client.chat.completions.create(model=model, messages=MESSAGES, stream=True))


def e2e_litellm(load: Workload, url: str) -> Run:
    """`litellm.completion(stream=True)` against the server."""
    litellm = _litellm()
    read = read_field(load.field)
    credentials = AWS if load.dialect == "bedrock" else {"api_key": KEY}
    return lambda: read(
        litellm.completion(model=load.model, messages=MESSAGES, stream=True, api_base=url, **credentials)
    )
