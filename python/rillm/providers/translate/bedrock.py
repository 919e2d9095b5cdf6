"""Bedrock's Converse API (`POST /model/{id}/converse` and `/converse-stream`, spec §5.10;
https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).

Messages become alternating user/assistant turns of content blocks (text, image, toolUse, toolResult,
reasoningContent); system messages become `system`; sampling goes in `inferenceConfig`, Claude's thinking
in `additionalModelRequestFields`. The model and streaming are in the URL, so the body has neither. (A
Converse response is read in rillm/_response/bedrock.py.)
"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._invalid import Invalid
from rillm.providers.translate._messages import Call, Part, Turn, inline_image, merge_roles, read_messages
from rillm.providers.translate._params import Tool, copy_params, read_stop, read_tool_choice, read_tools
from rillm.providers.translate.anthropic import anthropic_max_tokens, anthropic_thinking, thinking_blocks

# response_format is left out (LiteLLM emulates it with a forced tool; rillm does not yet), as are n,
# seed, user, penalties and logprobs, which Converse has no field for.
SUPPORTED = OPENAI_PARAMS - {
    "frequency_penalty",
    "logprobs",
    "n",
    "parallel_tool_calls",
    "presence_penalty",
    "response_format",
    "seed",
    "top_logprobs",
    "user",
}

_INFERENCE = {"temperature": "temperature", "top_p": "topP"}
# OpenAI's tool_choice as the key of Converse's (`{"auto": {}}`, `{"any": {}}`).
_TOOL_CHOICE = {"auto": "auto", "required": "any"}
# Converse's image formats (ImageBlock.format), by media type.
_IMAGE_FORMATS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """No maxTokens unless given (Converse uses the model's default), or thinking needs one above its budget."""
    turns = read_messages(messages)
    body: dict[str, Any] = {"messages": conversation(turns)}
    system = [{"text": turn.text()} for turn in turns if turn.role == "system" and turn.parts]
    if system:
        body["system"] = system
    thinking = anthropic_thinking(params)
    inference = copy_params(params, _INFERENCE)
    max_tokens = anthropic_max_tokens(params, thinking)
    if max_tokens is not None:
        inference["maxTokens"] = max_tokens
    stop = read_stop(params)
    if stop is not None:
        inference["stopSequences"] = stop
    if inference:
        body["inferenceConfig"] = inference
    tool_config = _tool_config(params)
    if tool_config is not None:
        body["toolConfig"] = tool_config
    if thinking is not None:
        # Claude's thinking goes to the model as it is (maxTokens then exceeds its budget, as on Anthropic).
        body["additionalModelRequestFields"] = {"thinking": thinking}
    return body


def _tool_config(params: dict[str, Any]) -> dict[str, Any] | None:
    tools = read_tools(params)
    choice = read_tool_choice(params)
    if not tools:
        return None
    config: dict[str, Any] = {"tools": [_tool(tool) for tool in tools]}
    if choice is not None:
        kind, name = choice
        if kind == "none":
            # As LiteLLM (map_tool_choice_values): Converse has no "none", and leaving the tools out would
            # break a conversation that holds toolUse blocks.
            raise Invalid("tool_choice", "Bedrock Converse has no tool_choice 'none'", unsupported=True)
        config["toolChoice"] = {"tool": {"name": name}} if kind == "function" else {_TOOL_CHOICE[kind]: {}}
    return config


def _tool(tool: Tool) -> dict[str, Any]:
    """`{toolSpec: {name, description, inputSchema: {json}}}`; another entry (a cachePoint, a systemTool) is
    sent as given."""
    if tool.function is None:
        return tool.raw
    spec: dict[str, Any] = {"name": tool.function["name"]}
    if tool.function.get("description"):
        spec["description"] = tool.function["description"]
    spec["inputSchema"] = {"json": tool.function.get("parameters") or {"type": "object", "properties": {}}}
    return {"toolSpec": spec}


def conversation(turns: list[Turn]) -> list[dict[str, Any]]:
    """Tool results are user turns; consecutive turns of one role are merged, as Converse wants them to
    alternate (and parallel calls' results in one turn)."""
    out = []
    for turn in turns:
        if turn.role == "system":
            continue
        if turn.role == "tool":
            blocks = [_tool_result(turn)]
        else:
            blocks = [_block(part) for part in turn.parts]
        if turn.role == "assistant":
            blocks = _reasoning(turn) + blocks + [_tool_use(call) for call in turn.calls]
        if blocks:
            out.append({"role": "assistant" if turn.role == "assistant" else "user", "content": blocks})
    return merge_roles(out, "content")


def _block(part: Part) -> dict[str, Any]:
    """Text, or an image's bytes (base64 in JSON) from a data: URL: Converse takes no image URLs but S3's."""
    if part.kind == "text":
        return {"text": part.value}
    image = inline_image(part, "Bedrock Converse")
    image_format = _IMAGE_FORMATS.get(image.media_type or "")
    if image_format is None:
        why = f"Converse takes png, jpeg, gif or webp images, not {image.media_type}"
        raise Invalid(f"{part.where}.image_url.url", why)
    return {"image": {"format": image_format, "source": {"bytes": image.data}}}


def _reasoning(turn: Turn) -> list[dict[str, Any]]:
    """An assistant's `thinking_blocks` (checked as for Anthropic) as reasoningContent, sent back first as
    Claude requires when thinking is on and the turn called tools."""
    out: list[dict[str, Any]] = []
    for block in thinking_blocks(turn):
        if block["type"] == "redacted_thinking":
            out.append({"reasoningContent": {"redactedContent": block["data"]}})
        else:
            text = {"text": block["thinking"], "signature": block["signature"]}
            out.append({"reasoningContent": {"reasoningText": text}})
    return out


def _tool_use(call: Call) -> dict[str, Any]:
    if call.id is None:
        raise Invalid(f"{call.where}.id", "Bedrock needs the call's id to pair it with its result")
    return {"toolUse": {"toolUseId": call.id, "name": call.name, "input": call.input()}}


def _tool_result(turn: Turn) -> dict[str, Any]:
    content = [_block(part) for part in turn.parts] or [{"text": ""}]
    return {"toolResult": {"toolUseId": turn.tool_call_id, "content": content}}
