"""Request translation and non-streaming responses, per wire dialect (spec §5).

`build_request` turns the caller's OpenAI-shaped messages and parameters into the body a dialect's API
takes. `parse_response` reads a non-streaming response by replaying it as the dialect's own stream through
`StreamDecoder` and merging the chunks with `stream_chunk_builder`, so finish reasons, usage, tool calls and
thinking map exactly as when streaming.

One module per dialect, each exposing a `Dialect` (supported parameters, builder, replay, decoder dialect):

    openai          OpenAI, Azure and every OpenAI-compatible server   openai.py
    anthropic       Anthropic Messages (also Vertex AI's Claude)        anthropic.py
    bedrock_invoke  Claude on Bedrock's invoke endpoints                anthropic.py
    cohere          Cohere v2 chat                                      cohere.py
    gemini          Gemini (AI Studio and Vertex AI)                    gemini.py
    bedrock         Bedrock Converse                                    bedrock.py
    ollama          Ollama /api/chat                                    ollama.py
"""

from __future__ import annotations

import json
from typing import Any

from rillm._backend import StreamDecoder
from rillm._builder import stream_chunk_builder
from rillm.exceptions import BadRequestError, StreamDecodeError, StreamError, UnsupportedParamsError
from rillm.providers.translate import anthropic, bedrock, cohere, gemini, ollama, openai
from rillm.providers.translate._common import BadBody, Dialect, Invalid
from rillm.types import ModelResponse

__all__ = ["DIALECTS", "build_request", "parse_response", "response_chunks", "supported_params"]

_TABLE: dict[str, Dialect] = {
    "openai": openai.DIALECT,
    "anthropic": anthropic.DIALECT,
    "cohere": cohere.DIALECT,
    "gemini": gemini.DIALECT,
    "bedrock": bedrock.DIALECT,
    "bedrock_invoke": anthropic.BEDROCK_INVOKE,
    "ollama": ollama.DIALECT,
}
DIALECTS = tuple(_TABLE)


def supported_params(dialect: str) -> frozenset[str]:
    """The OpenAI-named parameters this dialect can express (used to reject or, with drop_params, drop the
    rest). `stream_options` is accepted everywhere: only the openai dialect forwards it, the others always
    report usage and the stream wrapper serves `include_usage` itself (spec §1.3, §3.6)."""
    return _dialect(dialect).supported


def build_request(
    dialect: str, model: str, messages: list[dict[str, Any]], params: dict[str, Any], *, stream: bool
) -> dict[str, Any]:
    """The JSON body to POST. `params` holds only parameters the caller passed (OpenAI names) and that are in
    `supported_params(dialect)`; `extra_body` is merged by the caller afterwards. Raises BadRequestError
    (UnsupportedParamsError for a value the API has no way to say) naming the message or field and why."""
    entry = _dialect(dialect)
    try:
        return entry.build(model, messages, params, stream)
    except Invalid as exc:
        cls = UnsupportedParamsError if exc.unsupported else BadRequestError
        raise cls(f"cannot translate the request for the {dialect} API: {exc}", model=model) from None


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
    """The non-streaming response as the chunks its stream would have had: the body replayed as the
    dialect's own stream events through its StreamDecoder. A fake stream yields these. A body that is not
    JSON or not the dialect's shape raises StreamDecodeError; an error the body reports raises the
    provider's error, as the stream decoder does. Either message says it came from the response body."""
    entry = _dialect(dialect)
    try:
        stream = entry.replay(_load(dialect, body, model))
    except BadBody as exc:
        raise StreamDecodeError(f"invalid {dialect} non-streaming response body: {exc}", model=model) from None
    decoder = StreamDecoder(entry.decoder, model=model)
    try:
        return [*decoder.feed(stream), *decoder.finish()]
    except StreamError as exc:
        _from_body(exc, dialect)
        raise


def _dialect(dialect: str) -> Dialect:
    entry = _TABLE.get(dialect)
    if entry is None:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    return entry


def _load(dialect: str, body: bytes, model: str) -> dict[str, Any]:
    """The body as a JSON object. NaN and Infinity are refused as the stream decoders refuse them."""
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        offset = getattr(exc, "pos", None)
        raise StreamDecodeError(
            f"invalid {dialect} non-streaming response body: not JSON ({exc})", offset=offset, model=model
        ) from None
    if not isinstance(value, dict):
        kind = "an array" if isinstance(value, list) else type(value).__name__
        raise StreamDecodeError(f"invalid {dialect} non-streaming response body: expected a JSON object, not {kind}")
    return value


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _from_body(exc: StreamError, dialect: str) -> None:
    """Says where the error came from: the body, replayed as a stream (whose event numbers and byte offsets
    the message and `event`/`offset` refer to)."""
    exc.message = f"{exc.message} (in the non-streaming response body, replayed as {dialect} stream events)"
    exc.args = (exc.message,)
