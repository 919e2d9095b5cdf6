"""Ollama's chat (`POST /api/chat`, spec §5.11; https://github.com/ollama/ollama/blob/main/docs/api.md).

Messages keep OpenAI's roles with content as one string and images as base64; tool calls carry their
arguments as an object; sampling goes in `options`. (A response is read in rillm/_response/ollama.py.)
"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._messages import Turn, call_names, inline_image, read_messages
from rillm.providers.translate._params import (
    copy_params,
    read_max_tokens,
    read_reasoning,
    read_response_format,
    read_stop,
    read_tools,
)

# Ollama has no n, user, tool_choice, parallel_tool_calls or logprobs the decoder reads.
SUPPORTED = OPENAI_PARAMS - {"logprobs", "n", "parallel_tool_calls", "tool_choice", "top_logprobs", "user"}

_OPTIONS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "seed": "seed",
    "presence_penalty": "presence_penalty",
    "frequency_penalty": "frequency_penalty",
}


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """`stream` is always sent: Ollama streams unless told `false`."""
    turns = read_messages(messages)
    names = call_names(turns)
    body: dict[str, Any] = {"model": model, "messages": [_message(turn, names) for turn in turns], "stream": stream}
    options = copy_params(params, _OPTIONS)
    max_tokens = read_max_tokens(params)
    if max_tokens is not None:
        options["num_predict"] = max_tokens
    stop = read_stop(params)
    if stop is not None:
        options["stop"] = stop
    if options:
        body["options"] = options
    tools = read_tools(params)
    if tools:
        body["tools"] = [tool.raw for tool in tools]
    response_format = read_response_format(params)
    if response_format is not None and response_format[0] == "json":
        body["format"] = "json" if response_format[1] is None else response_format[1]
    reasoning = read_reasoning(params)
    if reasoning is not None:
        body["think"] = reasoning.enabled
    return body


def _message(turn: Turn, names: dict[str, str]) -> dict[str, Any]:
    """Text parts joined; image parts as `images` (base64 only: Ollama fetches no URLs); a tool result names
    its function (`tool_name`) when the call it answers is in the conversation."""
    text = [part.value for part in turn.parts if part.kind == "text"]
    out: dict[str, Any] = {"role": turn.role, "content": "".join(text)}
    images = [inline_image(part, "Ollama").data for part in turn.parts if part.kind == "image"]
    if images:
        out["images"] = images
    if turn.calls:
        out["tool_calls"] = [{"function": {"name": call.name, "arguments": call.input()}} for call in turn.calls]
    if turn.role == "tool" and turn.tool_call_id in names:
        out["tool_name"] = names[turn.tool_call_id]
    return out
