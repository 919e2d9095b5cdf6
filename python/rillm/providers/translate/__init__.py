"""Request translation, per wire dialect (spec §5): the caller's OpenAI-shaped messages and parameters as
the JSON body a dialect's API takes. (A non-streaming response is read in `rillm._response`.)

One module per dialect, each with its `SUPPORTED` parameters and its `build()`:

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
from typing import Any, NamedTuple

from rillm.exceptions import BadRequestError, UnsupportedParamsError
from rillm.providers.translate import anthropic, bedrock, cohere, gemini, ollama, openai
from rillm.providers.translate._invalid import Invalid

__all__ = ["DIALECTS", "build_body", "supported_params"]


class _Dialect(NamedTuple):
    """One wire dialect: the parameters it can express and its body builder (model, messages, params,
    stream)."""

    supported: frozenset[str]
    build: Callable[[str, list[dict[str, Any]], dict[str, Any], bool], dict[str, Any]]


_TABLE: dict[str, _Dialect] = {
    "openai": _Dialect(openai.SUPPORTED, openai.build),
    "anthropic": _Dialect(anthropic.SUPPORTED, anthropic.build),
    "cohere": _Dialect(cohere.SUPPORTED, cohere.build),
    "gemini": _Dialect(gemini.SUPPORTED, gemini.build),
    "bedrock": _Dialect(bedrock.SUPPORTED, bedrock.build),
    "bedrock_invoke": _Dialect(anthropic.SUPPORTED, anthropic.build_invoke),
    "ollama": _Dialect(ollama.SUPPORTED, ollama.build),
}
DIALECTS = tuple(_TABLE)


def supported_params(dialect: str) -> frozenset[str]:
    """The OpenAI-named parameters this dialect can express (used to reject or, with drop_params, drop the
    rest). `stream_options` is accepted everywhere: only the openai dialect forwards it, the others always
    report usage and the stream wrapper serves `include_usage` itself (spec §1.3, §3.6)."""
    return _dialect(dialect).supported


def build_body(
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


def _dialect(dialect: str) -> _Dialect:
    entry = _TABLE.get(dialect)
    if entry is None:
        raise ValueError(f"unknown dialect {dialect!r}; expected one of: {', '.join(DIALECTS)}")
    return entry
