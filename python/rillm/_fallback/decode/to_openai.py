# Twin of rust/decode/to_openai.rs.
"""What the non-OpenAI dialects (Anthropic, Cohere, Gemini, Ollama, Bedrock) share to build OpenAI-shaped
chunks, besides reading fields (`fields.py`): the stream-wide chunk header, usage and thinking blocks in
OpenAI's shape, and tool calls.

Rules every one of these dialects follows: one event yields at most one chunk, and only when it carries
something (a role, text, a tool call, thinking blocks, provider fields, a finish reason or usage); the first
chunk of the stream carries `role: "assistant"`.
"""

from __future__ import annotations

from typing import Any

from rillm import _shared
from rillm._fallback.chunk import (
    ChatCompletionDeltaToolCall,
    Delta,
    ModelResponseStream,
    StreamingChoices,
    new_choice,
    new_chunk,
    new_delta,
    new_function,
    new_tool_call,
)


class Header:
    """The stream-wide part of every chunk: id, model and time, and whether the role was sent yet."""

    __slots__ = ("created", "id", "model", "role_sent")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.id = id_
        self.model = model
        self.created = created
        self.role_sent = False

    def set_id(self, id_: str | None) -> None:
        """The provider's id for the response (an empty one is ignored)."""
        if id_:
            self.id = id_

    def set_model(self, model: str | None) -> None:
        if model:
            self.model = model

    def tool_id(self, index: int) -> str:
        """A tool-call id for a provider that sends none: `call_<stream id>_<index>`."""
        stream_id = self.id[9:] if self.id.startswith("chatcmpl-") else self.id
        return f"call_{stream_id}_{index}"

    def one(self, delta: Delta, finish: str | None = None, usage: Any = None) -> ModelResponseStream | None:
        """A chunk of one choice (index 0), when it carries something."""
        return self.chunk([new_choice(0, delta, finish)], usage, None)

    def chunk(self, choices: list[StreamingChoices], usage: Any, psf: Any) -> ModelResponseStream | None:
        """A chunk, when it carries something; the first one gets the role."""
        if usage is None and psf is None:
            for choice in choices:
                if choice._finish_reason is not None or carries(choice.delta):
                    break
            else:
                return None
        if not self.role_sent and choices:
            choices[0].delta.role = "assistant"
            self.role_sent = True
        return new_chunk(self.id, self.created, self.model, choices, usage, psf)


def emit(chunk: ModelResponseStream | None, out: list[ModelResponseStream]) -> None:
    """Hands `chunk` on, if there is one."""
    if chunk is not None:
        out.append(chunk)


def carries(delta: Delta) -> bool:
    """Whether a delta says anything: a role, non-empty text, a tool call or a rare field."""
    return bool(
        delta.role is not None
        or delta.content
        or delta.reasoning_content
        or delta.tool_calls is not None
        or delta.refusal
        or delta.function_call is not None
        or delta.thinking_blocks is not None
        or delta.provider_specific_fields is not None
        or delta.annotations is not None
    )


def content(text: str) -> Delta:
    delta = new_delta()
    delta.content = text
    return delta


def opening() -> Delta:
    """The first delta of a stream that opens with an empty message: `{"role": "assistant", "content": ""}`
    (a chunk of its own even when nothing else comes with it)."""
    delta = content("")
    delta.role = "assistant"
    return delta


def reasoning(text: str, block: bool) -> Delta:
    """A delta with reasoning text and, for providers whose thinking is signed, its thinking block."""
    delta = new_delta()
    delta.reasoning_content = text
    if block:
        delta.thinking_blocks = [{"type": "thinking", "thinking": text}]
    return delta


def signature(sig: str) -> Delta:
    delta = new_delta()
    delta.thinking_blocks = [{"type": "thinking", "thinking": "", "signature": sig}]
    return delta


def redacted(data: str) -> Delta:
    delta = new_delta()
    delta.thinking_blocks = [{"type": "redacted_thinking", "data": data}]
    return delta


def provider_field(name: str, value: Any) -> Delta:
    delta = new_delta()
    delta.provider_specific_fields = {name: value}
    return delta


def tool_delta(call: ChatCompletionDeltaToolCall) -> Delta:
    delta = new_delta()
    delta.tool_calls = [call]
    return delta


def tool_start(
    index: int, id_: str | None, name: str | None, arguments: str, extras: dict[str, Any] | None = None
) -> ChatCompletionDeltaToolCall:
    """A tool-call delta: its index, id and name, and arguments (text)."""
    return new_tool_call(index, id_, new_function(name, arguments), "function", extras)


def tool_arguments(index: int, fragment: str) -> ChatCompletionDeltaToolCall:
    return tool_start(index, None, None, fragment)


class Tools:
    """The tool calls of a stream, by the provider's key for them: their OpenAI index (counted from 0 in
    order of appearance), and whether any non-empty arguments arrived."""

    __slots__ = ("calls",)

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    def start(self, key: int) -> int:
        index = len(self.calls)
        self.calls = [c for c in self.calls if c[0] != key]
        self.calls.append([key, index, False])
        return index

    def start_at(self, index: int) -> None:
        """Registers a call whose key is its index (Cohere numbers its calls itself)."""
        self.calls = [c for c in self.calls if c[0] != index]
        self.calls.append([index, index, False])

    def arguments(self, key: int) -> int | None:
        for call in reversed(self.calls):
            if call[0] == key:
                call[2] = True
                return call[1]  # type: ignore[no-any-return]
        return None

    def without_arguments(self, key: int) -> int | None:
        for call in reversed(self.calls):
            if call[0] == key:
                got = call[2]
                call[2] = True
                return None if got else call[1]
        return None

    def any(self) -> bool:
        return bool(self.calls)

    def count(self) -> int:
        return len(self.calls)


def usage(
    prompt: int,
    completion: int,
    total: int | None = None,
    prompt_details: dict[str, int] | None = None,
    completion_details: dict[str, int] | None = None,
    extras: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Usage in OpenAI's shape, with the keys in the order the Rust side writes them; a total computed as a
    sum saturates at a 64-bit integer's bounds (`_shared.saturating_sum`), as rust/decode/to_openai.rs's does."""
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": _shared.saturating_sum(prompt, completion) if total is None else total,
    }
    if prompt_details:
        out["prompt_tokens_details"] = prompt_details
    if completion_details:
        out["completion_tokens_details"] = completion_details
    if extras:
        out.update(extras)
    return out
