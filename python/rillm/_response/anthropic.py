"""An Anthropic Message (also what Bedrock's invoke endpoints answer for Claude) as the stream Anthropic
would have sent (the request side is providers/translate/anthropic.py)."""

from __future__ import annotations

import json
from typing import Any

from rillm._response._body import BadBody, get_list, has_error, objects, sse


def as_stream(message: dict[str, Any]) -> bytes:
    """A Message as its stream: message_start (id, model, usage), each content block as start, deltas and
    stop, message_delta (stop reason, usage), message_stop. An error body is an `error` event."""
    if has_error(message):
        return sse(message, "error")
    blocks = objects(get_list(message, "content", ""), "content")
    start = {key: message.get(key) for key in ("id", "type", "role", "model")}
    start.update(content=[], stop_reason=None, stop_sequence=None)
    if message.get("usage") is not None:
        start["usage"] = message["usage"]
    out = [sse({"type": "message_start", "message": start}, "message_start")]
    for index, block in enumerate(blocks):
        out.extend(_block_events(index, block))
    delta = {key: message.get(key) for key in ("stop_reason", "stop_sequence")}
    if message.get("stop_details") is not None:
        delta["stop_details"] = message["stop_details"]
    end: dict[str, Any] = {"type": "message_delta", "delta": delta}
    if message.get("usage") is not None:
        end["usage"] = message["usage"]
    out.append(sse(end, "message_delta"))
    out.append(sse({"type": "message_stop"}, "message_stop"))
    return b"".join(out)


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    """One content block's events. Text, tool input and thinking start empty and arrive as deltas, as
    Anthropic streams them; other blocks (redacted thinking, server tools and their results) come whole in
    their start."""
    kind = block.get("type")
    deltas: list[dict[str, Any]] = []
    start = block
    if kind == "text":
        start = {"type": "text", "text": ""}
        citations = get_list(block, "citations", "content[].")
        deltas = [{"type": "citations_delta", "citation": citation} for citation in citations]
        deltas.append({"type": "text_delta", "text": block.get("text")})
    elif kind == "tool_use":
        start = {**block, "input": {}}
        # LiteLLM's non-streaming arguments are json.dumps(input) (transform_response), default separators.
        deltas = [{"type": "input_json_delta", "partial_json": json.dumps(block.get("input", {}))}]
    elif kind == "thinking":
        start = {"type": "thinking", "thinking": ""}
        deltas = [{"type": "thinking_delta", "thinking": block.get("thinking")}]
        if block.get("signature") is not None:
            deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif not isinstance(kind, str):
        raise BadBody(f"`content[{index}].type`: expected a string")
    events = [sse({"type": "content_block_start", "index": index, "content_block": start}, "content_block_start")]
    for delta in deltas:
        events.append(sse({"type": "content_block_delta", "index": index, "delta": delta}, "content_block_delta"))
    events.append(sse({"type": "content_block_stop", "index": index}, "content_block_stop"))
    return events
