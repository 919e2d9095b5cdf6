"""Cohere's v2 chat (`POST /v2/chat`, spec §5.4; https://docs.cohere.com/reference/chat).

v2's messages are close to OpenAI's: system/user/assistant/tool roles, OpenAI-shaped tool calls (with the
model's `tool_plan`) and tool definitions. (A chat response is read in rillm/_response/cohere.py.)
"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._invalid import Invalid
from rillm.providers.translate._messages import Part, Turn, read_messages
from rillm.providers.translate._params import (
    copy_params,
    read_max_tokens,
    read_response_format,
    read_stop,
    read_tool_choice,
    read_tools,
)

# Cohere has no n, user, logprobs the decoder reads, parallel_tool_calls, or OpenAI-shaped reasoning
# controls (its `thinking` takes a `token_budget`; not translated yet).
SUPPORTED = OPENAI_PARAMS - {
    "logprobs",
    "n",
    "parallel_tool_calls",
    "reasoning_effort",
    "thinking",
    "top_logprobs",
    "user",
}

_SAME = {
    "temperature": "temperature",
    "top_p": "p",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}
# "auto" is Cohere's default and has no value of its own.
_TOOL_CHOICE = {"required": "REQUIRED", "none": "NONE"}


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """`stream: true` only when streaming (Cohere's default is a whole response)."""
    body: dict[str, Any] = {"model": model, "messages": [_message(turn) for turn in read_messages(messages)]}
    body.update(copy_params(params, _SAME))
    max_tokens = read_max_tokens(params)
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    stop = read_stop(params)
    if stop is not None:
        body["stop_sequences"] = stop
    tools = read_tools(params)
    if tools:
        body["tools"] = [tool.raw for tool in tools]
    choice = _tool_choice(params)
    if choice is not None:
        body["tool_choice"] = choice
    response_format = _response_format(params)
    if response_format is not None:
        body["response_format"] = response_format
    if stream:
        body["stream"] = True
    return body


def _message(turn: Turn) -> dict[str, Any]:
    """User content keeps its parts (text, image_url); the other roles take text. An assistant's tool calls
    go as sent, with its `tool_plan` when the message has one."""
    out: dict[str, Any] = {"role": turn.role}
    if turn.role == "user" and any(part.kind != "text" for part in turn.parts):
        out["content"] = [_part(part) for part in turn.parts]
    elif turn.parts or turn.role != "assistant":
        out["content"] = turn.text()
    if turn.role == "assistant" and turn.calls:
        out["tool_calls"] = [
            {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}
            for call in turn.calls
        ]
        plan = turn.message.get("tool_plan")
        if isinstance(plan, str) and plan:
            out["tool_plan"] = plan
    if turn.role == "tool":
        out["tool_call_id"] = turn.tool_call_id
    return out


def _part(part: Part) -> dict[str, Any]:
    if part.kind == "text":
        return {"type": "text", "text": part.value}
    return {"type": "image_url", "image_url": {"url": part.value}}


def _tool_choice(params: dict[str, Any]) -> str | None:
    read = read_tool_choice(params)
    if read is None or read[0] == "auto":
        return None
    if read[0] == "function":
        raise Invalid("tool_choice", "Cohere cannot force one named function (only required or none)")
    return _TOOL_CHOICE[read[0]]


def _response_format(params: dict[str, Any]) -> dict[str, Any] | None:
    read = read_response_format(params)
    if read is None:
        return None
    kind, schema = read
    if kind == "text":
        return {"type": "text"}
    return {"type": "json_object"} if schema is None else {"type": "json_object", "json_schema": schema}
