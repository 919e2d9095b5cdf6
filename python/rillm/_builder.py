"""`stream_chunk_builder`: chunks in, one `ModelResponse` out.

The per-chunk half (content, tool calls, finish reasons, the response header, the usage) runs in the live
backend (`rust/merge/` or its twin `_fallback/merge/`), which returns a plain dict: `merge_chunks`, or a
decoder's running merge (`StreamDecoder(merge=True).merged()`). This module does the per-stream half, once,
for both backends: logprobs, provider fields, thinking blocks, an estimate when no usage was reported, and
the pydantic model.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rillm import _backend
from rillm.exceptions import APIError
from rillm.types import (
    ChatCompletionMessageToolCall,
    ChoiceLogprobs,
    Choices,
    FunctionCall,
    Message,
    ModelResponse,
    Usage,
)


def stream_chunk_builder(chunks: Iterable[Any] | None, messages: list[Any] | None = None) -> ModelResponse | None:
    """Merges streamed chunks into one `ModelResponse`, as LiteLLM's `stream_chunk_builder` does.

    `chunks` may be rillm chunks or OpenAI-shaped chunk dicts (or objects with `model_dump()`); choices
    with different indexes stay apart. `messages`, when given, are used only to estimate prompt tokens for
    a stream that reported no usage. Returns None for no chunks; raises `APIError` (500) for `None`.
    """
    if chunks is None:
        raise APIError(500, "Error building chunks for logging/streaming usage calculation")
    chunks = list(chunks)
    if not chunks:
        return None
    merged = _backend.merge_chunks(chunks)
    return build_response(merged, messages)


def build_response(merged: dict[str, Any], messages: list[Any] | None) -> ModelResponse:
    choices = [_choice(c) for c in merged["choices"]]
    return ModelResponse(
        id=merged["id"],
        created=merged["created"],
        model=merged["model"],
        system_fingerprint=merged["system_fingerprint"],
        choices=choices,
        usage=Usage.model_validate(merged["usage"])
        if merged["usage"] is not None
        else estimate_usage(choices, messages),
        service_tier=merged["service_tier"],
        citations=merged["citations"],
    )


def _choice(c: dict[str, Any]) -> Choices:
    fields: dict[str, Any] = {}
    for name, value in (
        ("reasoning_content", c["reasoning_content"]),
        ("refusal", c["refusal"]),
        ("annotations", c["annotations"]),
        ("thinking_blocks", merge_thinking_blocks(c["thinking_blocks"])),
        ("provider_specific_fields", merge_provider_fields(c["provider_specific_fields"])),
    ):
        if value is not None:
            fields[name] = value
    tool_calls = [
        ChatCompletionMessageToolCall.model_validate({k: v for k, v in t.items() if k != "index"})
        for t in c["tool_calls"]
    ]
    function_call = FunctionCall.model_validate(c["function_call"]) if c["function_call"] is not None else None
    message = Message(
        content=c["content"], role=c["role"], tool_calls=tool_calls or None, function_call=function_call, **fields
    )
    return Choices(
        finish_reason=c["finish_reason"], index=c["index"], message=message, logprobs=merge_logprobs(c["logprobs"])
    )


def merge_thinking_blocks(parts: list[Any]) -> list[dict[str, Any]] | None:
    """One choice's thinking blocks, as LiteLLM rebuilds them: thinking text accumulates until a signature
    closes the block (`{"type": "thinking", "thinking", "signature"}`); a redacted block drops the pending
    text and is kept whole. Text never signed is left out (it is still in `reasoning_content`), since a
    thinking block without its signature cannot be sent back to the provider."""
    blocks: list[dict[str, Any]] = []
    pending: list[str] = []
    for part in parts:
        for block in part if isinstance(part, list) else [part]:
            if not isinstance(block, dict):
                continue
            if block.get("type") == "redacted_thinking":
                pending = []
                if block.get("data"):
                    blocks.append({"type": "redacted_thinking", "data": block["data"]})
                continue
            text = block.get("thinking")
            if isinstance(text, str) and text:
                pending.append(text)
            signature = block.get("signature")
            if signature:
                blocks.append({"type": "thinking", "thinking": "".join(pending), "signature": signature})
                pending = []
    return blocks or None


def merge_provider_fields(parts: list[Any]) -> dict[str, Any] | None:
    """One choice's `provider_specific_fields`, merged in order: each `citation` (Anthropic, Bedrock) is
    collected into `citations`, a list is appended to the same key's list (Cohere's citations, Gemini's
    thought signatures, server tool uses), and any other value replaces the key's."""
    merged: dict[str, Any] = {}
    for part in parts:
        if not isinstance(part, dict):
            continue
        for key, value in part.items():
            if key == "citation":
                key, value = "citations", [value]
            previous = merged.get(key)
            if isinstance(value, list) and isinstance(previous, list):
                merged[key] = previous + value
            else:
                merged[key] = list(value) if isinstance(value, list) else value
    return merged or None


def merge_logprobs(parts: list[Any]) -> ChoiceLogprobs | None:
    """One choice's per-chunk logprobs, concatenated (LiteLLM drops them; the OpenAI SDK keeps them)."""
    if not parts:
        return None
    content: list[Any] = []
    refusal: list[Any] = []
    for part in parts:
        data = part.model_dump() if hasattr(part, "model_dump") else part
        if isinstance(data, dict):
            content.extend(data.get("content") or [])
            refusal.extend(data.get("refusal") or [])
    return ChoiceLogprobs(content=content or None, refusal=refusal or None)


def estimate_tokens(text: str) -> int:
    """A rough count for text no provider counted: about four characters a token."""
    return (len(text) + 3) // 4


def estimate_usage(choices: list[Choices], messages: list[Any] | None) -> Usage:
    """Used only when the stream reported no usage at all; marked `estimated=True`."""
    prompt = 0
    for message in messages or []:
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
        if isinstance(content, list):
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        prompt += 4 + estimate_tokens(content if isinstance(content, str) else "")
    if messages:
        prompt += 3
    completion = 0
    for choice in choices:
        m = choice.message
        text = (m.content or "") + (m.reasoning_content or "") + (m.refusal or "")
        text += "".join((t.function.name or "") + t.function.arguments for t in m.tool_calls or [])
        completion += estimate_tokens(text)
    counts = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    return Usage.model_validate({**counts, "estimated": True})
