"""Cohere's chat stream (rust/decode/cohere.rs): v2 as SSE events with a `type`, v1's `stream-json` as
NDJSON lines with an `event_type`. Cohere sends no model.

v2: `message-start` opens the message (its `id` is every chunk's); `content-delta` text is content and
`thinking` reasoning; `tool-plan-delta` is reasoning too; `tool-call-start`/`-delta`/`-end` stream tool
calls by their `index` (a call that streamed no arguments gets `{}` at its end); `message-end` has the
finish reason and the usage (`tokens`, and `cached_tokens`) and ends the stream.
v1: `stream-start` opens the message (`generation_id`), `text-generation` is content, and `stream-end`
has the finish reason and the usage (`response.meta.tokens`) and ends the stream.
"""

from __future__ import annotations

import json
from typing import Any

from .chunks import Chunks, NoRule, Stream, tool_call
from .wire import ndjson_lines, sse_events


def usage(tokens: dict[str, Any], cached: Any = None) -> dict[str, Any]:
    out = {"prompt_tokens": tokens.get("input_tokens") or 0, "completion_tokens": tokens.get("output_tokens") or 0}
    if cached is not None:
        out["prompt_tokens_details"] = {"cached_tokens": cached}
    return out


def v2(out: Chunks, event: dict[str, Any], arguments: dict[int, str]) -> bool:
    """One v2 event; False when the stream ends with it."""
    kind, delta = event["type"], event.get("delta") or {}
    message = delta.get("message") or {}
    if kind == "message-start":
        out.id = event["id"]
        out.add(opening=True)
    elif kind == "content-delta":
        content = message["content"]
        out.add({"content": content.get("text"), "reasoning_content": content.get("thinking")})
    elif kind in ("content-start", "content-end"):
        content = message.get("content") or {}
        if content.get("text") or content.get("thinking"):
            raise NoRule(f"{kind} with text")
    elif kind == "tool-plan-delta":
        out.add({"reasoning_content": message["tool_plan"]})
    elif kind in ("tool-call-start", "tool-call-delta"):
        call = message["tool_calls"]
        fragment = call["function"].get("arguments") or ""
        arguments[event["index"]] = arguments.get(event["index"], "") + fragment
        if kind == "tool-call-start":
            out.add(tool_call(event["index"], call["id"], call["function"]["name"], fragment))
        elif fragment:
            out.add(tool_call(event["index"], arguments=fragment))
    elif kind == "tool-call-end":
        out.add(None if arguments[event["index"]] else tool_call(event["index"], arguments="{}"))
    elif kind == "message-end":
        sent = delta["usage"]
        out.add(finish=delta["finish_reason"], usage=usage(sent["tokens"], sent.get("cached_tokens")))
        return False
    else:
        raise NoRule(f"v2 event {kind}")
    return True


def v1(out: Chunks, event: dict[str, Any]) -> bool:
    """One v1 line; False when the stream ends with it."""
    kind = event["event_type"]
    if kind == "stream-start":
        out.id = event["generation_id"]
        out.add(opening=True)
    elif kind == "text-generation":
        out.add({"content": event["text"]})
    elif kind == "stream-end":
        out.add(finish=event["finish_reason"], usage=usage(event["response"]["meta"]["tokens"]))
        return False
    else:
        raise NoRule(f"v1 event {kind}")
    return True


def cohere_stream(body: bytes) -> Stream:
    out = Chunks()
    arguments: dict[int, str] = {}
    ndjson = body.lstrip().startswith(b"{")
    for data in ndjson_lines(body) if ndjson else (data for _, data in sse_events(body)):
        event = json.loads(data)
        if "ERROR" in (event.get("finish_reason"), (event.get("delta") or {}).get("finish_reason")):
            raise NoRule("an ERROR finish (the provider's error)")
        if not (v1(out, event) if ndjson else v2(out, event, arguments)):
            break
    return out.stream
