"""A Cohere v2 chat response as the event stream it would have been (the request side is
providers/translate/cohere.py)."""

from __future__ import annotations

from typing import Any

from rillm._response._body import get_list, get_obj, has_error, objects, sse


def as_stream(response: dict[str, Any]) -> bytes:
    """A chat response as its v2 stream: message-start (id), the tool plan, content (text and thinking),
    tool calls (start with the whole arguments, end), citations, then message-end with the finish reason
    and usage. An error body is an `error` event."""
    if has_error(response):
        return sse(response, "error")
    message = get_obj(response, "message", "")
    events: list[dict[str, Any]] = [
        {"type": "message-start", "id": response.get("id"), "delta": {"message": {"role": "assistant"}}}
    ]
    plan = message.get("tool_plan")
    if plan:
        events.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": plan}}})
    for index, part in enumerate(objects(get_list(message, "content", "message."), "message.content")):
        piece = {key: part[key] for key in ("text", "thinking") if key in part}
        events.append({"type": "content-delta", "index": index, "delta": {"message": {"content": piece}}})
    for index, call in enumerate(objects(get_list(message, "tool_calls", "message."), "message.tool_calls")):
        start = {"message": {"tool_calls": call}}
        events.append({"type": "tool-call-start", "index": index, "delta": start})
        events.append({"type": "tool-call-end", "index": index})
    for index, citation in enumerate(get_list(message, "citations", "message.")):
        events.append({"type": "citation-start", "index": index, "delta": {"message": {"citations": citation}}})
    end = {key: response[key] for key in ("finish_reason", "usage") if response.get(key) is not None}
    events.append({"type": "message-end", "delta": end})
    return b"".join(sse(event, str(event["type"])) for event in events)
