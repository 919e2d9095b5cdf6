"""Benchmark inputs: the workloads of rillm._bench (shared with `rillm bench`), synthetic streams shaped exactly
like each dialect's recordings, sliced the way a transport delivers them."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from rillm import _backend, _http
from rillm._bench.workloads import N_CHUNKS, PIECE, workload
from rillm._http.httpx_transport import HttpxTransport

__all__ = ["N_CHUNKS", "PIECE"]


def text_stream() -> tuple[bytes, str]:
    """(stream, the text its content deltas spell): N_CHUNKS content deltas after a role chunk."""
    load = workload("openai-text")
    return load.stream, load.expected


def tool_stream() -> tuple[bytes, str]:
    """(stream, the arguments it spells): one tool call whose JSON arguments arrive in small fragments."""
    load = workload("openai-tools")
    return load.stream, load.expected


class Pieces(httpx.SyncByteStream):
    """A response body that yields ready pieces, as a transport would."""

    def __init__(self, data: list[bytes]) -> None:
        self.data = data

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.data)


def serve_pieces(data: list[bytes], content_type: str = "text/event-stream") -> Any:
    """An httpx MockTransport handler answering every request with these pieces as a 200 stream."""

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": content_type}, stream=Pieces(data))

    return serve


def rillm_text(module: Any, dialect: str, data: list[bytes], **options: bool) -> list[str]:
    """`delta.content` of every chunk with choices, from a backend's StreamDecoder fed the pieces (with
    `merge=True`, its merge is taken at the end too)."""
    decoder = module.StreamDecoder(dialect, **options)
    out = []
    for piece in data:
        for chunk in decoder.feed(piece):
            if chunk.choices:
                out.append(chunk.choices[0].delta.content)
    out.extend(c.choices[0].delta.content for c in decoder.finish() if c.choices)
    if options.get("merge"):
        decoder.merged()
    return out


def pieces(stream: bytes) -> list[bytes]:
    return [stream[i : i + PIECE] for i in range(0, len(stream), PIECE)]


def backend_module(name: str):  # type: ignore[no-untyped-def]
    module = "rillm._native" if name == "rust" else "rillm._fallback"
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.skip(f"{module} is not importable")


def peer(name: str, benchmark):  # type: ignore[no-untyped-def]
    """A peer library, only when benchmarks run for real (timing a peer proves nothing in smoke mode)."""
    if benchmark.disabled:
        pytest.skip("peers are only measured with --benchmark-enable")
    return pytest.importorskip(name)


class MockTransport(HttpxTransport):
    """rillm's httpx transport with httpx's mock transport underneath: `completion()` end to end, no network."""

    def __init__(self, serve: Any) -> None:
        super().__init__()
        self.mock = httpx.Client(transport=httpx.MockTransport(serve))

    def client(self, request: _http.HttpRequest) -> httpx.Client:
        return self.mock


def use_transport(monkeypatch: pytest.MonkeyPatch, serve: Any, backend: str) -> None:
    """Routes `rillm.completion()` through `serve`, decoding with the given backend's StreamDecoder."""
    import rillm

    monkeypatch.setitem(_http.TRANSPORTS, "mock", MockTransport(serve))
    monkeypatch.setitem(_http._CLIENTS, "mock", ("", "", True, False, "httpx"))
    monkeypatch.setattr(rillm, "transport", "mock")
    monkeypatch.setattr(_backend, "StreamDecoder", backend_module(backend).StreamDecoder)
