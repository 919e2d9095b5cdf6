"""Which StreamDecoder dialect a captured stream speaks, from its first bytes and events (`rillm replay`
without `--dialect`). The rules, in order:

1. An AWS event-stream: the first 12 bytes are a valid prelude (a total length of at least 16, a headers
   length that fits in it, and the CRC32 of the first 8 bytes) -> `bedrock`.
2. After a UTF-8 BOM and whitespace, `[` -> a streamed JSON array, which only Gemini sends -> `gemini`.
3. `{` -> NDJSON; the first line's object decides: `event_type` or `is_finished` (Cohere's v1 chat) ->
   `cohere`; `message` or `done` (Ollama's /api/chat) -> `ollama`.
4. Anything else is read as SSE, event by event (comments, `[DONE]` and empty data skipped), until one
   decides: an `event:` name or a JSON `type` of Anthropic's (`message_start`, `content_block_delta`, ...:
   underscores) -> `anthropic`; of Cohere's v2 (`message-start`, `content-delta`, ...: hyphens) ->
   `cohere`; a JSON object with `candidates` or `usageMetadata` -> `gemini`; with `choices` or
   `"object": "chat.completion.chunk"` -> `openai`.

Nothing decisive in the first 256 KiB is an error that asks for `--dialect`.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

from rillm import _json

__all__ = ["DIALECTS", "GuessError", "guess_dialect"]

DIALECTS = ("openai", "anthropic", "cohere", "gemini", "ollama", "bedrock")
_SCAN = 256 * 1024
_ANTHROPIC = {
    "message_start",
    "message_delta",
    "message_stop",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "ping",
}
_COHERE = {
    "message-start",
    "message-end",
    "content-start",
    "content-delta",
    "content-end",
    "tool-plan-delta",
    "tool-call-start",
    "tool-call-delta",
    "tool-call-end",
    "citation-start",
    "citation-end",
}


class GuessError(ValueError):
    """The content matched no rule: the message says what was seen."""


def guess_dialect(data: bytes) -> str:
    """The dialect of a captured stream (see the module docstring for the rules)."""
    if _is_event_stream(data):
        return "bedrock"
    text = data[:_SCAN].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("["):
        return "gemini"
    if text.startswith("{"):
        return _ndjson(text.split("\n", 1)[0])
    for name, payload in _sse_events(text):
        found = _decide(name, payload)
        if found:
            return found
    raise GuessError("no event says which dialect this is (not an event-stream, JSON array, NDJSON or known SSE)")


def _is_event_stream(data: bytes) -> bool:
    if len(data) < 16:
        return False
    total, headers = struct.unpack_from(">II", data)
    (crc,) = struct.unpack_from(">I", data, 8)
    return bool(total >= 16 and headers <= total - 16 and zlib.crc32(data[:8]) == crc)


def _ndjson(line: str) -> str:
    try:
        first = _json.loads(line)
    except ValueError as exc:
        raise GuessError(f"the first line starts like NDJSON but is not JSON: {exc}") from None
    if isinstance(first, dict) and ("event_type" in first or "is_finished" in first):
        return "cohere"
    if isinstance(first, dict) and ("message" in first or "done" in first):
        return "ollama"
    raise GuessError("NDJSON whose first object is neither Ollama's (message, done) nor Cohere's (event_type)")


def _sse_events(text: str) -> Any:
    """(event name, parsed data or None) for each SSE event of `text`."""
    for block in text.replace("\r\n", "\n").replace("\r", "\n").split("\n\n"):
        name, data = "", []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
        payload = None
        if data and data != ["[DONE]"]:
            try:
                payload = _json.loads("\n".join(data))
            except ValueError:
                payload = None
        if name or payload is not None:
            yield name, payload


def _decide(name: str, payload: Any) -> str | None:
    kind = payload.get("type") if isinstance(payload, dict) else None
    for value in (name, kind):
        if value in _ANTHROPIC:
            return "anthropic"
        if value in _COHERE:
            return "cohere"
    if isinstance(payload, dict):
        if "candidates" in payload or "usageMetadata" in payload:
            return "gemini"
        if "choices" in payload or payload.get("object") == "chat.completion.chunk":
            return "openai"
    return None
