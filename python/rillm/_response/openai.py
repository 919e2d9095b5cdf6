"""An OpenAI `chat.completion` as the stream it would have been: one `chat.completion.chunk`, then `[DONE]`
(the request side is providers/translate/openai.py)."""

from __future__ import annotations

from typing import Any

from rillm._response._body import dumps, get_list, get_obj, has_error, objects


def as_stream(response: dict[str, Any]) -> bytes:
    """`{"object": "chat.completion", "choices": [{"message"}]}` as one chunk whose deltas are the messages
    (tool calls numbered by their position), then `[DONE]`. Everything else (id, created, model,
    system_fingerprint, service_tier, usage, logprobs, extras) is kept as it is."""
    if has_error(response) and not response.get("choices"):
        return b"data: " + dumps(response).encode() + b"\n\n"
    chunk = {**response, "object": "chat.completion.chunk"}
    chunk["choices"] = [_choice(c) for c in objects(get_list(response, "choices", ""), "choices")]
    return b"data: " + dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"


def _choice(choice: dict[str, Any]) -> dict[str, Any]:
    delta = dict(get_obj(choice, "message", "choices[]."))
    calls = get_list(delta, "tool_calls", "choices[].message.")
    if calls:
        delta["tool_calls"] = [
            {"index": position, **call} for position, call in enumerate(objects(calls, "choices[].message.tool_calls"))
        ]
    out = {k: v for k, v in choice.items() if k != "message"}
    out["delta"] = delta
    return out
