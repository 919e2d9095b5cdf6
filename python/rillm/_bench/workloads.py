"""The benchmark workloads: synthetic streams shaped exactly like the providers' (the fields, padding and sizes
of the recordings in tests/fixtures/streams: openai/gpt4o-*.sse, anthropic/*.sse, bedrock/converse-*.bin,
google/*.sse, cohere/v2-*.sse, ollama/chat-*.ndjson), at least one for each of the decoder's dialects, with
`n` deltas each (20,000 by default), kept as their separate events so that a server can write each one on its
own. Shared by `rillm bench` and the pytest-benchmark suite in benches/.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

__all__ = ["N_CHUNKS", "PIECE", "WORKLOADS", "Workload", "aread_field", "read_field", "workload"]

N_CHUNKS = 20_000
# The size of the pieces a transport hands over (httpx reads up to 64 KiB; 4 KiB is a typical TLS record's worth).
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
BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"
GEMINI_MODEL = "gemini-2.5-flash"
OLLAMA_MODEL = "gemma3:1b"


@dataclass(frozen=True)
class Workload:
    """One stream: its events (bytes, in order), what reading `field` of every chunk spells (`expected`), and
    how `completion()` asks for it (`model`, the decoder `dialect`, the `content_type` a server sends)."""

    name: str
    title: str
    n: int  # the deltas carrying the field: the chunk count rates are given in
    dialect: str
    model: str
    content_type: str
    field: str  # "content": delta.content; "arguments": the first tool call's argument fragments
    events: tuple[bytes, ...]
    expected: str

    @property
    def stream(self) -> bytes:
        return b"".join(self.events)

    def pieces(self, size: int = PIECE) -> list[bytes]:
        """The stream cut into `size`-byte pieces, as a transport delivers it."""
        data = self.stream
        return [data[i : i + size] for i in range(0, len(data), size)]


def read_field(field: str) -> Callable[[Iterable[Any]], list[Any]]:
    """The reader of a workload's field over chunks: what a caller of the stream does with each chunk."""
    if field == "content":
        return lambda chunks: [c.choices[0].delta.content for c in chunks if c.choices]

    def arguments(chunks: Iterable[Any]) -> list[Any]:
        out = []
        for c in chunks:
            if c.choices and c.choices[0].delta.tool_calls:
                out.append(c.choices[0].delta.tool_calls[0].function.arguments)
        return out

    return arguments


def aread_field(field: str) -> Callable[[AsyncIterable[Any]], Awaitable[list[Any]]]:
    """`read_field` for an async stream: each chunk's field taken as the chunk arrives and the chunk dropped, as
    the sync readers do (a reader that kept all 20,000 chunks first would also time the garbage collector
    walking them)."""
    if field == "content":

        async def content(chunks: AsyncIterable[Any]) -> list[Any]:
            return [c.choices[0].delta.content async for c in chunks if c.choices]

        return content

    async def arguments(chunks: AsyncIterable[Any]) -> list[Any]:
        out = []
        async for c in chunks:
            if c.choices and c.choices[0].delta.tool_calls:
                out.append(c.choices[0].delta.tool_calls[0].function.arguments)
        return out

    return arguments


def _sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(chunk, separators=(",", ":"), ensure_ascii=False).encode() + b"\n\n"


def _openai_event(delta: dict[str, Any], finish: str | None = None) -> bytes:
    chunk = {**HEAD, "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]}
    chunk.update({"usage": None, "obfuscation": "3Y6yaTIPlXV"})
    return _sse(chunk)


def _openai_tail(n: int, finish: str) -> list[bytes]:
    usage = {"prompt_tokens": 364, "completion_tokens": n, "total_tokens": 364 + n}
    return [
        _openai_event({}, finish),
        _sse({**HEAD, "choices": [], "usage": usage, "obfuscation": "abc"}),
        b"data: [DONE]\n\n",
    ]


def openai_text(n: int) -> Workload:
    """n content deltas after a role chunk, then the finish, usage and [DONE]."""
    words = [WORDS[i % len(WORDS)] for i in range(n - 3)]
    events = [_openai_event({"role": "assistant", "content": "", "refusal": None})]
    events += [_openai_event({"content": w}) for w in words] + _openai_tail(n, "stop")
    title = "OpenAI text"
    return Workload(
        "openai-text",
        title,
        n,
        "openai",
        "openai/gpt-4o",
        "text/event-stream",
        "content",
        tuple(events),
        "".join(words),
    )


def openai_tools(n: int) -> Workload:
    """One tool call whose JSON arguments arrive in n small fragments."""
    fragments = ['{"items":['] + [f'{{"n":{i},"w":"{WORDS[i % 9].strip()}"}},' for i in range(n - 6)] + ["{}]}"]
    call = {"index": 0, "id": "call_q2UyBRP7eXNTzAoR8lEhjc9Z", "type": "function"}
    first = {"role": "assistant", "content": None, "tool_calls": [{**call, "function": {"name": "f", "arguments": ""}}]}
    events = [_openai_event(first)]
    events += [_openai_event({"tool_calls": [{"index": 0, "function": {"arguments": f}}]}) for f in fragments]
    events += _openai_tail(n, "tool_calls")
    title = "OpenAI tool arguments"
    model = "openai/gpt-4o"
    return Workload(
        "openai-tools", title, n, "openai", model, "text/event-stream", "arguments", tuple(events), "".join(fragments)
    )


def anthropic_text(n: int) -> Workload:
    """An Anthropic Messages stream with n text deltas (`event:` lines, compact JSON)."""
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    usage = {"input_tokens": 364, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, "output_tokens": 1}
    message: dict[str, Any] = {"id": "msg_01T8kTq7cYyYJeQ5DxcVUc6D", "type": "message", "role": "assistant"}
    message.update({"model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": None, "usage": usage})
    stop = {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None}}
    payloads: list[dict[str, Any]] = [
        {"type": "message_start", "message": message},
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        *({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": w}} for w in words),
        {"type": "content_block_stop", "index": 0},
        {**stop, "usage": {"output_tokens": n}},
        {"type": "message_stop"},
    ]
    events = _named_events(payloads)
    model = "anthropic/claude-sonnet-4-5-20250929"
    title = "Anthropic text"
    return Workload("anthropic", title, n, "anthropic", model, "text/event-stream", "content", events, "".join(words))


def _named_events(payloads: list[dict[str, Any]]) -> tuple[bytes, ...]:
    """Each payload as an SSE event named by its `type` (`event:` line, compact JSON), as Anthropic and Cohere
    v2 send them."""
    return tuple(
        f"event: {p['type']}\ndata: {json.dumps(p, separators=(',', ':'), ensure_ascii=False)}\n\n".encode()
        for p in payloads
    )


def bedrock_text(n: int) -> Workload:
    """A Bedrock ConverseStream in AWS event-stream frames with n text deltas (payloads padded with a `p`
    field, as Bedrock pads them)."""
    pad = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    frames = [_frame("messageStart", {"p": pad[:17], "role": "assistant"})]
    for i, word in enumerate(words):
        frames.append(
            _frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": word}, "p": pad[: i % 53]})
        )
    frames.append(_frame("contentBlockStop", {"contentBlockIndex": 0, "p": pad[:40]}))
    frames.append(_frame("messageStop", {"p": pad[:15], "stopReason": "end_turn"}))
    usage = {"inputTokens": 13, "outputTokens": n, "totalTokens": n + 13}
    frames.append(_frame("metadata", {"metrics": {"latencyMs": 522}, "p": pad[:30], "usage": usage}))
    content_type = "application/vnd.amazon.eventstream"
    title = "Bedrock text"
    model = f"bedrock/{BEDROCK_MODEL}"
    return Workload("bedrock", title, n, "bedrock", model, content_type, "content", tuple(frames), "".join(words))


def gemini_text(n: int) -> Workload:
    """A Gemini streamGenerateContent?alt=sse stream of n text chunks, as google/*.sse: Gemini's `": "` spacing,
    CRLF CRLF after each event, no [DONE]; `usageMetadata` (the candidates' count growing), `modelVersion`
    and `responseId` on every chunk, the finishReason on the last."""
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    events = []
    for i, word in enumerate(words):
        candidate: dict[str, Any] = {"content": {"parts": [{"text": word}], "role": "model"}}
        if i == n - 1:
            candidate["finishReason"] = "STOP"
        candidate["index"] = 0
        usage: dict[str, Any] = {"promptTokenCount": 15, "candidatesTokenCount": i + 1, "totalTokenCount": 16 + i}
        usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": 15}]
        chunk: dict[str, Any] = {"candidates": [candidate], "usageMetadata": usage, "modelVersion": GEMINI_MODEL}
        chunk["responseId"] = "w1peaMz6INOvnvgPgYfPiQY"
        data = json.dumps(chunk, separators=(",", ": "), ensure_ascii=False)
        events.append(f"data: {data}\r\n\r\n".encode())
    model = f"gemini/{GEMINI_MODEL}"
    title = "Gemini text"
    return Workload("gemini", title, n, "gemini", model, "text/event-stream", "content", tuple(events), "".join(words))


def cohere_text(n: int) -> Workload:
    """A Cohere v2 chat stream with n content-delta events, as cohere/v2-text.sse: `event:` lines, compact JSON,
    message-start and content-start before, content-end and message-end (finish reason, usage) after, then
    `data: [DONE]`."""
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    message = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    usage = {
        "billed_units": {"input_tokens": 7, "output_tokens": n},
        "tokens": {"input_tokens": 69, "output_tokens": n},
    }
    payloads: list[dict[str, Any]] = [
        {"id": "6cd6ce61-bb3b-46f6-907e-fcfab45e51b6", "type": "message-start", "delta": {"message": message}},
        {"type": "content-start", "index": 0, "delta": {"message": {"content": {"type": "text", "text": ""}}}},
        *({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": w}}}} for w in words),
        {"type": "content-end", "index": 0},
        {"type": "message-end", "delta": {"finish_reason": "COMPLETE", "usage": usage}},
    ]
    events = (*_named_events(payloads), b"data: [DONE]\n\n")
    model = "cohere_chat/command-a-03-2025"
    title = "Cohere v2 text"
    return Workload("cohere", title, n, "cohere", model, "text/event-stream", "content", events, "".join(words))


def ollama_text(n: int) -> Workload:
    """An Ollama /api/chat stream of n content lines (NDJSON, compact), as ollama/chat-text-gemma3.ndjson: the
    model and a microsecond `created_at` on every line, then the `done` line with the durations and counts."""
    words = [WORDS[i % len(WORDS)] for i in range(n)]
    start = datetime(2025, 8, 20, 13, 48, 24, 316155)

    def line(i: int, message: dict[str, str], **tail: Any) -> bytes:
        created = (start + timedelta(microseconds=4987 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        data = {"model": OLLAMA_MODEL, "created_at": created, "message": message, **tail}
        return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"

    events = [line(i, {"role": "assistant", "content": w}, done=False) for i, w in enumerate(words)]
    counts = {"total_duration": 171946792, "load_duration": 38473250, "prompt_eval_count": 16}
    counts.update({"prompt_eval_duration": 27608250, "eval_count": n, "eval_duration": 105611917})
    events.append(line(n, {"role": "assistant", "content": ""}, done_reason="stop", done=True, **counts))
    model = f"ollama_chat/{OLLAMA_MODEL}"
    title = "Ollama text"
    return Workload(
        "ollama", title, n, "ollama", model, "application/x-ndjson", "content", tuple(events), "".join(words)
    )


def _frame(event_type: str, payload: dict[str, Any]) -> bytes:
    """One AWS event-stream message as AWS documents the format: the prelude (total length, headers length,
    their CRC32), string headers, the JSON payload, the CRC32 of everything before it."""
    headers = b"".join(
        bytes([len(name)]) + name + b"\x07" + struct.pack(">H", len(value)) + value
        for name, value in (
            (b":event-type", event_type.encode()),
            (b":content-type", b"application/json"),
            (b":message-type", b"event"),
        )
    )
    data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    prelude = struct.pack(">II", 12 + len(headers) + len(data) + 4, len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + data
    return message + struct.pack(">I", zlib.crc32(message))


WORKLOADS: dict[str, Callable[[int], Workload]] = {
    "openai-text": openai_text,
    "openai-tools": openai_tools,
    "anthropic": anthropic_text,
    "bedrock": bedrock_text,
    "gemini": gemini_text,
    "cohere": cohere_text,
    "ollama": ollama_text,
}


@lru_cache(maxsize=16)
def workload(name: str, n: int = N_CHUNKS) -> Workload:
    """The workload `name` with `n` deltas, built once per process."""
    return WORKLOADS[name](n)
