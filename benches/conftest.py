"""Benchmark inputs: synthetic streams shaped exactly like OpenAI's (the fields, padding and sizes of
../shared/fixtures/streams/openai/gpt4o-*.sse), sliced the way a transport delivers them."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from functools import cache
from typing import Any

import httpx
import pytest

from rillm import _backend, _http

N_CHUNKS = 20_000
PIECE = 4096
HEAD = {
    "id": "chatcmpl-C2QD1kGWsTW5OWiqAtOSFEAOfPfQH",
    "object": "chat.completion.chunk",
    "created": 1754693439,
    "model": "gpt-4o-2024-08-06",
    "service_tier": "default",
    "system_fingerprint": "fp_07871e2ad8",
}
WORDS = ["The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ".", "\n", " Ünïcödé", "'s"]


def _event(delta: dict[str, object], finish: str | None = None) -> str:
    chunk = {**HEAD, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    chunk.update({"usage": None, "obfuscation": "3Y6yaTIPlXV"})
    return "data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False) + "\n\n"


def _tail(finish: str) -> list[str]:
    usage = {"prompt_tokens": 364, "completion_tokens": N_CHUNKS, "total_tokens": 364 + N_CHUNKS}
    usage_chunk = {**HEAD, "choices": [], "usage": usage, "obfuscation": "abc"}
    return [_event({}, finish), "data: " + json.dumps(usage_chunk, separators=(",", ":")) + "\n\n", "data: [DONE]\n\n"]


@cache
def text_stream() -> tuple[bytes, str]:
    """(stream, the text its content deltas spell): N_CHUNKS content deltas after a role chunk."""
    words = [WORDS[i % len(WORDS)] for i in range(N_CHUNKS - 3)]
    events = [_event({"role": "assistant", "content": "", "refusal": None})]
    events += [_event({"content": w}) for w in words] + _tail("stop")
    return "".join(events).encode(), "".join(words)


@cache
def tool_stream() -> tuple[bytes, str]:
    """(stream, the arguments it spells): one tool call whose JSON arguments arrive in small fragments."""
    fragments = ['{"items":['] + [f'{{"n":{i},"w":"{WORDS[i % 9].strip()}"}},' for i in range(N_CHUNKS - 6)] + ["{}]}"]
    call = {"index": 0, "id": "call_q2UyBRP7eXNTzAoR8lEhjc9Z", "type": "function"}
    events = [
        _event(
            {"role": "assistant", "content": None, "tool_calls": [{**call, "function": {"name": "f", "arguments": ""}}]}
        )
    ]
    events += [_event({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}) for f in fragments]
    return "".join(events + _tail("tool_calls")).encode(), "".join(fragments)


@cache
def anthropic_stream() -> tuple[bytes, str]:
    """(stream, its text): an Anthropic Messages stream with N_CHUNKS text deltas, shaped like
    ../shared/fixtures/streams/anthropic/*.sse (`event:` lines, compact JSON)."""
    words = [WORDS[i % len(WORDS)] for i in range(N_CHUNKS)]
    usage = {"input_tokens": 364, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
    message = {"id": "msg_01T8kTq7cYyYJeQ5DxcVUc6D", "type": "message", "role": "assistant"}
    message.update({"model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": None, "usage": usage})
    events = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}} for w in words),
        {"type": "content_block_stop", "index": 0},
        {
            "type": "message_delta",
            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
            "usage": {"output_tokens": N_CHUNKS},
        },
        {"type": "message_stop"},
    ]
    body = "".join(
        f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'), ensure_ascii=False)}\n\n" for e in events
    )
    return body.encode(), "".join(words)


@cache
def bedrock_stream() -> tuple[bytes, str]:
    """(stream, its text): a Bedrock ConverseStream in AWS event-stream frames with N_CHUNKS text deltas,
    shaped like ../shared/fixtures/streams/bedrock/converse-*.bin (payloads padded with a `p` field)."""
    from tests.eventstream import event

    pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    words = [WORDS[i % len(WORDS)] for i in range(N_CHUNKS)]
    frames = [event("messageStart", {"p": pad[:17], "role": "assistant"})]
    for i, word in enumerate(words):
        frames.append(event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": word}, "p": pad[: i % 53]}))
    frames.append(event("contentBlockStop", {"contentBlockIndex": 0, "p": pad[:40]}))
    frames.append(event("messageStop", {"p": pad[:15], "stopReason": "end_turn"}))
    usage = {"inputTokens": 13, "outputTokens": N_CHUNKS, "totalTokens": N_CHUNKS + 13}
    frames.append(event("metadata", {"metrics": {"latencyMs": 522}, "p": pad[:30], "usage": usage}))
    return b"".join(frames), "".join(words)


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


def rillm_text(module: Any, dialect: str, data: list[bytes]) -> list[str]:
    """`delta.content` of every chunk with choices, from a backend's StreamDecoder fed the pieces."""
    decoder = module.StreamDecoder(dialect)
    out = []
    for piece in data:
        for chunk in decoder.feed(piece):
            if chunk.choices:
                out.append(chunk.choices[0].delta.content)
    decoder.finish()
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


class MockTransport(_http.HttpxTransport):
    """rillm's transport seam with httpx's mock transport underneath: `completion()` end to end, no network."""

    def __init__(self, serve: Any) -> None:
        super().__init__()
        self.mock = httpx.Client(transport=httpx.MockTransport(serve))

    def client(self, provider: str) -> httpx.Client:
        return self.mock


def use_transport(monkeypatch: pytest.MonkeyPatch, serve: Any, backend: str) -> None:
    """Routes `rillm.completion()` through `serve`, decoding with the given backend's StreamDecoder."""
    monkeypatch.setattr(_http, "TRANSPORT", MockTransport(serve))
    monkeypatch.setattr(_backend, "StreamDecoder", backend_module(backend).StreamDecoder)
