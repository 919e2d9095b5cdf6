"""An Ollama `/api/chat` response as the stream it would have been (the request side is
providers/translate/ollama.py)."""

from __future__ import annotations

from typing import Any

from rillm._response._body import dumps


def as_stream(response: dict[str, Any]) -> bytes:
    """A non-streaming response is one NDJSON line with `done: true`, exactly the last line of a stream; an
    error body (`{"error"}`) is a line the decoder raises."""
    return dumps(response).encode() + b"\n"
