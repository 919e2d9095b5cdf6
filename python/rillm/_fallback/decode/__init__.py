# Twin of rust/decode/mod.rs and the StreamDecoder class in rust/python/decoder.rs.
"""The stream decoder: framing plus one dialect.

`feed()` decodes every event its bytes complete and returns the chunks in a list. An error part-way
through a feed is raised with the chunks decoded before it on `exc.chunks`, so nothing is lost. After the
dialect's terminator the rest of the input is ignored; after `finish()` or an error the decoder is closed.
"""

from __future__ import annotations

import time
from typing import Any

from rillm import _shared, exceptions
from rillm._fallback.chunk import ModelResponseStream
from rillm._fallback.decode.anthropic import AnthropicDecoder
from rillm._fallback.decode.bedrock import BedrockDecoder
from rillm._fallback.decode.cohere import CohereDecoder
from rillm._fallback.decode.gemini import GeminiDecoder
from rillm._fallback.decode.ollama import OllamaDecoder
from rillm._fallback.decode.openai import OpenAiDecoder
from rillm._fallback.errors import incomplete
from rillm._fallback.framing import DEFAULT_MAX_EVENT_BYTES, Framer

# Keep in sync with rust/decode/mod.rs::DIALECTS.
DIALECTS = ("openai", "anthropic", "cohere", "gemini", "ollama", "bedrock")

# Each dialect's framing, and what is missing when its stream ends early.
_FRAMING = {
    "openai": "sse",
    "anthropic": "auto",
    "cohere": "auto",
    "gemini": "auto",
    "ollama": "ndjson",
    "bedrock": "eventstream",
}
_TERMINATOR = {
    "openai": "before [DONE] or a finish_reason for every choice",
    "anthropic": "before message_stop",
    "cohere": "before message-end (or stream-end)",
    "gemini": "before a finishReason for every candidate",
    "ollama": "before its done line",
    "bedrock": "before messageStop (or, for an invoke stream, message_stop)",
}

_OPEN, _DONE, _FINISHED, _FAILED = range(4)


class StreamDecoder:
    """Turns one provider stream's bytes into OpenAI-shaped chunks.

    `dialect` names the wire format: "openai" (OpenAI, Azure and every OpenAI-compatible server),
    "anthropic", "cohere", "gemini", "ollama" or "bedrock". `model`, `created` and `id` stand in for a
    provider that sends no model name, timestamp or response id (`id` defaults to a fresh
    `chatcmpl-<uuid>`; the OpenAI dialect takes ids from its chunks); `max_event_bytes` bounds one event
    (default 64 MiB). `skip_choiceless=True` leaves out chunks without choices (Azure's filter results,
    usage-only and moderation chunks), as a stream shown to a caller does unless usage was asked for.
    """

    __slots__ = ("_decoder", "_framer", "_skip_choiceless", "_state", "dialect")

    def __init__(
        self,
        dialect: str = "openai",
        *,
        model: str | None = None,
        max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES,
        created: int | None = None,
        id: str | None = None,
        skip_choiceless: bool = False,
    ) -> None:
        if not isinstance(dialect, str):
            raise TypeError(f"dialect must be a str, not {type(dialect).__name__}")
        if dialect not in DIALECTS:
            raise ValueError(f'unknown dialect "{dialect}"; expected one of: {", ".join(DIALECTS)}')
        if model is not None and not isinstance(model, str):
            raise TypeError(f"model must be a str or None, not {type(model).__name__}")
        if type(max_event_bytes) is not int or max_event_bytes <= 0:
            raise ValueError("max_event_bytes must be a positive int")
        if created is not None and type(created) is not int:
            raise TypeError(f"created must be an int or None, not {type(created).__name__}")
        if id is not None and not isinstance(id, str):
            raise TypeError(f"id must be a str or None, not {type(id).__name__}")
        self.dialect = dialect
        self._framer = Framer(_FRAMING[dialect], max_event_bytes)
        created = int(time.time()) if created is None else created
        if dialect == "openai":
            self._decoder: Any = OpenAiDecoder(model or "", created)
        else:
            id_ = _shared.new_response_id() if id is None else id
            self._decoder = _DECODERS[dialect](id_, model or "", created)
        if not isinstance(skip_choiceless, bool):
            raise TypeError(f"skip_choiceless must be a bool, not {type(skip_choiceless).__name__}")
        self._skip_choiceless = skip_choiceless
        self._state = _OPEN

    def feed(self, data: bytes) -> list[ModelResponseStream]:
        """Decodes every event `data` completes; returns their chunks (often none, sometimes several)."""
        data = _as_bytes(data)
        if self._state != _OPEN:
            if self._state == _DONE:
                return []
            raise ValueError(
                "feed() after finish()" if self._state == _FINISHED else "feed() after the decoder raised an error"
            )
        out: list[ModelResponseStream] = []
        try:
            decode = self._decoder.decode
            for event in self._framer.feed(data):
                if decode(event, out):
                    self._framer.stopped()
                    self._state = _DONE
                    break
        except exceptions.StreamError as exc:
            self._state = _FAILED
            exc.chunks = self._shown(out)
            raise
        except BaseException:
            self._state = _FAILED
            raise
        return self._shown(out)

    def finish(self) -> list[ModelResponseStream]:
        """Ends the stream: decodes what is still buffered, then raises `IncompleteStreamError` if the
        stream stopped before its terminator (or inside an event)."""
        if self._state != _OPEN:
            if self._state == _DONE:
                self._state = _FINISHED
                return []
            raise ValueError(
                "finish() called twice" if self._state == _FINISHED else "finish() after the decoder raised an error"
            )
        self._state = _FAILED
        out: list[ModelResponseStream] = []
        try:
            events, pending = self._framer.finish()
            stopped = False
            for event in events:
                stopped = self._decoder.decode(event, out) or stopped
            fed = self._framer.bytes_fed()
            if pending is not None:
                raise incomplete(pending.detail, fed)
            if not stopped and not self._decoder.complete():
                raise incomplete(_TERMINATOR[self.dialect], fed)
        except exceptions.StreamError as exc:
            exc.chunks = self._shown(out)
            raise
        self._state = _FINISHED
        return self._shown(out)

    def _shown(self, out: list[ModelResponseStream]) -> list[ModelResponseStream]:
        # Keep in sync with rust/python/decoder.rs::PyStreamDecoder::run (its sink skips them).
        return [chunk for chunk in out if chunk.choices] if self._skip_choiceless else out

    @property
    def done(self) -> bool:
        """Whether the stream's terminator has been seen (or the stream finished complete)."""
        return self._state in (_DONE, _FINISHED)

    @property
    def bytes_fed(self) -> int:
        return self._framer.bytes_fed()

    @property
    def last_event_id(self) -> str:
        """The SSE last-event-ID (persists across events; empty if the stream sent none)."""
        return self._framer.last_event_id().decode("utf-8", "replace")

    @property
    def retry(self) -> int | None:
        """The SSE reconnection time in milliseconds, if the stream set one."""
        return self._framer.retry()

    def __repr__(self) -> str:
        state = ("open", "done", "finished", "failed")[self._state]
        return f"StreamDecoder(dialect={self.dialect!r}, state={state!r}, bytes_fed={self.bytes_fed})"


_DECODERS: dict[str, Any] = {
    "anthropic": AnthropicDecoder,
    "cohere": CohereDecoder,
    "gemini": GeminiDecoder,
    "ollama": OllamaDecoder,
    "bedrock": BedrockDecoder,
}


def _as_bytes(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"feed() expects bytes, not {type(data).__name__}")
