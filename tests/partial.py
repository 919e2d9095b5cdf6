"""What a partial response must hold: the content, reasoning, tool calls and finish reason of every chunk
that had arrived before an error. The expectation is derived from the bytes the server had sent, decoded
by StreamDecoder on the live backend and merged, never written by hand; tests/test_faults.py and the
adversarial suite compare `exc.partial_response` with it."""

from __future__ import annotations

from typing import Any

from rillm import StreamDecoder, _backend
from rillm._builder import build_response
from rillm.exceptions import StreamError

from .conftest import TEST_ID


def summary(response: Any) -> list[dict[str, Any]] | None:
    """Per choice: its content, reasoning, refusal, finish reason and tool calls (id, name, arguments). A tool
    call id the decoder made from the stream's id (a dialect that sends none) names it as "<stream>": the
    stream's id is new each call."""
    if response is None:
        return None
    stream = response.id.removeprefix("chatcmpl-")
    return [
        {
            "content": choice.message.content,
            "reasoning_content": getattr(choice.message, "reasoning_content", None),
            "refusal": getattr(choice.message, "refusal", None),
            "finish_reason": choice.finish_reason,
            "tool_calls": [
                (
                    call.id.replace(stream, "<stream>") if stream and call.id else call.id,
                    call.function.name,
                    call.function.arguments,
                )
                for call in choice.message.tool_calls or []
            ],
        }
        for choice in response.choices
    ]


def expected(dialect: str, sent: bytes) -> list[dict[str, Any]] | None:
    """The summary of the partial response `sent` (everything the client received) must give: its chunks up
    to the first error, merged; None when they hold no choice and no usage (then there is no partial
    response). The chunks' ids and times do not enter the summary, so the decoder's own do."""
    decoder = StreamDecoder(dialect, id=None if dialect == "openai" else TEST_ID)
    chunks: list[Any] = []
    try:
        chunks.extend(decoder.feed(sent))
        chunks.extend(decoder.finish())
    except StreamError as exc:
        chunks.extend(exc.chunks)
    merged = _backend.merge_chunks(chunks)
    if not (merged["choices"] or merged["usage"]):
        return None
    return summary(build_response(merged, None))
