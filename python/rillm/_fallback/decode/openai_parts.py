# Twin of rust/decode/openai_parts.rs.
"""Mistral's list-of-parts content, and a key added to `provider_specific_fields` (the OpenAI dialect's
helpers, apart from decode/openai.py as in the Rust core)."""

from __future__ import annotations

from typing import Any

from rillm._fallback.chunk import Delta


def split_parts(delta: Delta, parts: list[Any]) -> None:
    """Mistral sends `content` as a list of typed parts: `text` parts are content, `thinking` parts (a
    string or a list of `text` parts) are reasoning. Any other part is kept, in order, under
    `provider_specific_fields["content_parts"]`. An explicit `reasoning_content`/`reasoning` wins over
    thinking parts. Keep in sync with rust/decode/openai_parts.rs::split_parts."""
    text: str | None = None
    thinking: str | None = None
    other: list[Any] = []
    for part in parts:
        kind, value = classify(part)
        if kind == "text":
            text = (text or "") + value
        elif kind == "thinking":
            thinking = (thinking or "") + "".join(value)
        else:
            other.append(part)
    delta.content = text
    if delta.reasoning_content is None:
        delta.reasoning_content = thinking
    if other:
        delta.provider_specific_fields = with_field(delta.provider_specific_fields, "content_parts", other)


def classify(part: Any) -> tuple[str, Any]:
    if type(part) is not dict:
        return "other", None
    kind = part.get("type")
    if kind == "text":
        text = part.get("text")
        return ("text", text) if type(text) is str else ("other", None)
    if kind == "thinking":
        thinking = part.get("thinking")
        if type(thinking) is str:
            return "thinking", [thinking]
        if type(thinking) is not list:
            return "other", None
        pieces = []
        for inner in thinking:
            inner_kind, inner_text = classify(inner)
            if inner_kind != "text":
                return "other", None
            pieces.append(inner_text)
        return "thinking", pieces
    return "other", None


def with_field(existing: Any, name: str, value: Any) -> Any:
    """`provider_specific_fields` with `name: value` added: a new object when there was none, the key
    appended when it was an object without it, untouched otherwise."""
    if existing is None:
        return {name: value}
    if type(existing) is dict and name not in existing:
        return {**existing, name: value}
    return existing
