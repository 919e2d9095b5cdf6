"""OpenAI's dialect (rust/decode/openai.rs): each `data:` payload is one chunk, decoded as sent, with
`reasoning` as `reasoning_content`, Mistral's list-of-parts `content` split into text and thinking, and
Groq's `x_groq.usage` standing in for a missing `usage`, and a usage whose total says reasoning was counted
apart from the completion (xAI: total = prompt + completion + reasoning tokens) given in OpenAI's shape, the
reasoning tokens inside the completion count. `[DONE]` ends the stream. An `event: error` ends
it with the event's data; a payload with a truthy `error` ends it with that error object, after the
payload's own chunk when it has choices."""

from __future__ import annotations

import json
from typing import Any

from .chunks import NoRule, Stream
from .wire import sse_events


def openai_stream(body: bytes) -> Stream:
    out = Stream()
    for name, data in sse_events(body):
        if data == "[DONE]":
            out.done = True
            break
        payload = json.loads(data)
        if name == "error":
            out.error = {"event_type": name, "payload": payload}
            break
        if payload.get("error"):
            if payload.get("choices"):
                out.chunks.append(chunk(payload))
            out.error = {"event_type": name, "payload": payload["error"]}
            break
        out.chunks.append(chunk(payload))
    return out


def chunk(payload: dict[str, Any]) -> dict[str, Any]:
    usage = payload.get("usage")
    if usage is None:
        usage = (payload.get("x_groq") or {}).get("usage")
    return {
        "id": payload.get("id") or "",
        "model": payload.get("model") or "",
        "choices": [
            {"index": c.get("index", 0), "delta": delta(c.get("delta") or {}), "finish_reason": c.get("finish_reason")}
            for c in payload.get("choices") or []
        ],
        "usage": usage if usage is None else openai_shape(usage),
    }


def openai_shape(usage: dict[str, Any]) -> dict[str, Any]:
    """xAI counts reasoning apart: its total is prompt + completion + reasoning (all non-negative integers,
    reasoning positive); OpenAI's completion count includes the reasoning."""
    counts = [usage.get(n) for n in ("prompt_tokens", "completion_tokens", "total_tokens")]
    reasoning = (usage.get("completion_tokens_details") or {}).get("reasoning_tokens")
    if not all(type(c) is int for c in [*counts, reasoning]):
        return usage
    prompt, completion, total = counts
    if prompt >= 0 and completion >= 0 and reasoning > 0 and total == prompt + completion + reasoning:
        return {**usage, "completion_tokens": completion + reasoning}
    return usage


def delta(sent: dict[str, Any]) -> dict[str, Any]:
    out = dict(sent)
    if out.get("reasoning_content") is None and isinstance(out.get("reasoning"), str):
        out["reasoning_content"] = out["reasoning"]
    if isinstance(out.get("content"), list):
        parts = out["content"]
        if {p["type"] for p in parts} - {"text", "thinking"}:
            raise NoRule(f"content parts {parts}")
        out["content"] = "".join(p["text"] for p in parts if p["type"] == "text")
        thinking = [t["text"] for p in parts if p["type"] == "thinking" for t in p["thinking"]]
        if thinking:
            out["reasoning_content"] = "".join(thinking)
    out["tool_calls"] = [
        {
            "index": t.get("index", 0),
            "id": t.get("id"),
            "name": (t.get("function") or {}).get("name"),
            "arguments": (t.get("function") or {}).get("arguments") or "",
        }
        for t in out.get("tool_calls") or []
    ]
    return out
