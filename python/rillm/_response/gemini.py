"""A Gemini `GenerateContentResponse` as the stream it would have been (the request side is
providers/translate/gemini.py)."""

from __future__ import annotations

from typing import Any

from rillm._response._body import sse


def as_stream(response: dict[str, Any]) -> bytes:
    """A GenerateContentResponse is itself one event of the SSE stream (`alt=sse`); an error body too, which
    the decoder raises."""
    return sse(response)
