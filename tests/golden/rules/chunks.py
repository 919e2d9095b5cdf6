"""What decoding a recording yields, in the shape the merge reads, and what the native dialects share
(rust/decode/to_openai.rs): one event yields at most one chunk, and only when it carries something (text,
reasoning, a tool call, thinking blocks, provider fields, a finish reason or usage); a stream that sends no
id has the one the tests give the decoder; a tool call without an id gets `call_<stream id>_<index>`, the
stream id without its `chatcmpl-` prefix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The id the tests give a decoder, for streams that send none.
TEST_ID = "chatcmpl-test"


class NoRule(Exception):
    """A recording holds something no rule here covers: write its rule, from the decoder's module doc,
    with the recording that needs it."""


@dataclass
class Stream:
    """OpenAI-style chunk dicts (`id`, `model`, `choices` of `index`, `delta` and `finish_reason` as the
    provider sent it, `usage` in OpenAI's shape), the provider error that ended the stream, if any, and
    whether `[DONE]` ended it."""

    chunks: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, Any] | None = None
    done: bool = False


def says(value: Any) -> bool:
    return value not in (None, "", [], {})


class Chunks:
    """The chunks of a native-dialect stream, with its header (id, model)."""

    def __init__(self) -> None:
        self.stream = Stream()
        self.id = TEST_ID
        self.model = ""

    def add(
        self,
        delta: dict[str, Any] | None = None,
        finish: str | None = None,
        usage: dict[str, Any] | None = None,
        opening: bool = False,
    ) -> None:
        """A chunk of choice 0, when it carries something (`opening`: the message's first chunk, which is
        one even when it carries nothing else)."""
        delta = {k: v for k, v in (delta or {}).items() if says(v)}
        choice = delta or finish or opening
        self.append([{"index": 0, "delta": delta, "finish_reason": finish}] if choice else [], usage)

    def append(self, choices: list[dict[str, Any]], usage: dict[str, Any] | None) -> None:
        """A chunk with these choices and usage, when it has either."""
        if choices or usage:
            self.stream.chunks.append({"id": self.id, "model": self.model, "choices": choices, "usage": usage})

    def call_id(self, index: int) -> str:
        return f"call_{self.id.removeprefix('chatcmpl-')}_{index}"

    def fail(self, payload: Any) -> Stream:
        self.stream.error = {"payload": payload}
        return self.stream


def call(index: int, id: str | None = None, name: str | None = None, arguments: str = "") -> dict[str, Any]:
    """One tool call of a delta."""
    return {"index": index, "id": id, "name": name, "arguments": arguments}


def tool_call(index: int, id: str | None = None, name: str | None = None, arguments: str = "") -> dict[str, Any]:
    """A delta with one tool call."""
    return {"tool_calls": [call(index, id, name, arguments)]}


def thinking(text: str | None = None, signature: str | None = None) -> dict[str, Any]:
    """A delta with reasoning text and the thinking block it belongs to (signed when a signature comes)."""
    block: dict[str, Any] = {"type": "thinking", "thinking": text or ""}
    if signature:
        block["signature"] = signature
    return {"reasoning_content": text, "thinking_blocks": [block]}


def redacted(data: str) -> dict[str, Any]:
    """A delta with one redacted thinking block."""
    return {"thinking_blocks": [{"type": "redacted_thinking", "data": data}]}
