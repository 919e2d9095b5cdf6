"""Non-streaming responses: a whole response body (HTTP 200) as chunks, or as a `ModelResponse`.

The body is written as the stream its dialect would have sent (`as_stream()`, one module per dialect) and
that stream is read by the dialect's own `StreamDecoder`, so finish reasons, usage, tool calls and thinking
map exactly as when streaming; `stream_chunk_builder` merges the chunks into the response. A fake stream
(one non-streaming request served as a stream) yields the chunks. The requests themselves are built in
providers/translate, which imports nothing from here.

    openai          OpenAI, Azure and every OpenAI-compatible server   openai.py
    anthropic       Anthropic Messages (also Vertex AI's Claude)        anthropic.py
    bedrock_invoke  Claude on Bedrock's invoke endpoints                anthropic.py
    cohere          Cohere v2 chat                                      cohere.py
    gemini          Gemini (AI Studio and Vertex AI)                    gemini.py
    bedrock         Bedrock Converse                                    bedrock.py
    ollama          Ollama /api/chat                                    ollama.py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rillm import _json
from rillm._backend import StreamDecoder
from rillm._builder import stream_chunk_builder
from rillm._response import anthropic, bedrock, cohere, gemini, ollama, openai
from rillm._response._body import BadBody
from rillm.exceptions import StreamDecodeError, StreamError
from rillm.types import ModelResponse

__all__ = ["parse_response", "response_chunks"]

# Per request dialect: the body as the dialect's stream bytes, and the StreamDecoder dialect that reads them.
_AS_STREAM: dict[str, tuple[Callable[[dict[str, Any]], bytes], str]] = {
    "openai": (openai.as_stream, "openai"),
    "anthropic": (anthropic.as_stream, "anthropic"),
    "cohere": (cohere.as_stream, "cohere"),
    "gemini": (gemini.as_stream, "gemini"),
    "bedrock": (bedrock.as_stream, "bedrock"),
    # Bedrock's invoke endpoints answer with Anthropic's Message JSON.
    "bedrock_invoke": (anthropic.as_stream, "anthropic"),
    "ollama": (ollama.as_stream, "ollama"),
}


def parse_response(
    dialect: str, body: bytes, *, model: str, messages: list[dict[str, Any]] | None = None
) -> ModelResponse:
    """The non-streaming response (an HTTP 200 body) as a ModelResponse: its chunks (`response_chunks`)
    merged by `stream_chunk_builder`."""
    response = stream_chunk_builder(response_chunks(dialect, body, model=model), messages)
    if response is None:
        raise StreamDecodeError(f"invalid {dialect} non-streaming response body: it holds no response", model=model)
    return response


def response_chunks(dialect: str, body: bytes, *, model: str) -> list[Any]:
    """The non-streaming response as the chunks its stream would have had. A body that is not JSON or not
    the dialect's shape raises StreamDecodeError; an error the body reports raises the provider's error, as
    the stream decoder does. Either message says it came from the response body."""
    entry = _AS_STREAM.get(dialect)
    if entry is None:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(_AS_STREAM)}")
    as_stream, decoder_dialect = entry
    try:
        stream = as_stream(_load(dialect, body, model))
    except BadBody as exc:
        raise StreamDecodeError(f"invalid {dialect} non-streaming response body: {exc}", model=model) from None
    decoder = StreamDecoder(decoder_dialect, model=model)
    try:
        return [*decoder.feed(stream), *decoder.finish()]
    except StreamError as exc:
        _from_body(exc, dialect)
        raise


def _load(dialect: str, body: bytes, model: str) -> dict[str, Any]:
    """The body as a JSON object, read under the stream decoders' rules (`rillm._json`)."""
    try:
        value = _json.loads(body)
    except _json.JsonError as exc:
        raise StreamDecodeError(
            f"invalid {dialect} non-streaming response body: not JSON ({exc})", offset=exc.pos, model=model
        ) from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else type(value).__name__
        raise StreamDecodeError(f"invalid {dialect} non-streaming response body: expected a JSON object, not {kind}")
    return value


def _from_body(exc: StreamError, dialect: str) -> None:
    """Says where the error came from: the body, written as the dialect's stream (whose event numbers and
    byte offsets the message and `event`/`offset` refer to)."""
    exc.message = f"{exc.message} (in the non-streaming response body, replayed as {dialect} stream events)"
    exc.args = (exc.message,)
