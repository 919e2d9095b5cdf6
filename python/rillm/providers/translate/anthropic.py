"""Anthropic's Messages API (`POST /v1/messages`, spec §5.3; https://docs.anthropic.com/en/api/messages), and
the same body on Bedrock's invoke endpoints for Claude (`bedrock_invoke`).

Messages become content blocks in alternating user/assistant turns: system messages go to the top-level
`system`, tool results are user turns of `tool_result` blocks, an assistant's tool calls are `tool_use`
blocks after its `thinking_blocks` and text. Thinking (`thinking` or `reasoning_effort`) and the output
budget it needs are decided here, for Bedrock's Claude too. (A Message is read in rillm/_response/anthropic.py.)
"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._invalid import Invalid
from rillm.providers.translate._messages import Call, Part, Turn, merge_roles, read_image, read_messages
from rillm.providers.translate._params import (
    Tool,
    read_max_tokens,
    read_reasoning,
    read_stop,
    read_tool_choice,
    read_tools,
)

# response_format is left out: LiteLLM emulates it with a forced tool whose arguments it re-emits as
# content (spec §5.3); rillm does not yet. n, seed, penalties and logprobs have no Anthropic equivalent.
SUPPORTED = OPENAI_PARAMS - {
    "frequency_penalty",
    "logprobs",
    "n",
    "presence_penalty",
    "response_format",
    "seed",
    "top_logprobs",
}

# The output budget sent when the caller gives none, for the APIs that require one (Anthropic's
# `max_tokens`). LiteLLM's DEFAULT_MAX_TOKENS; LiteLLM 1.109.1 instead sends the model's maximum from its
# cost map (spec §5.3), which rillm does not carry.
DEFAULT_MAX_TOKENS = 4096
# Anthropic's smallest thinking budget (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
# "minimal" (LiteLLM's 128) is raised to it rather than sent to be refused.
MIN_ANTHROPIC_BUDGET = 1024
_TOOL_CHOICE = {"auto": {"type": "auto"}, "required": {"type": "any"}, "none": {"type": "none"}}
# Bedrock's version string for the Messages body (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html).
BEDROCK_ANTHROPIC_VERSION = "bedrock-2023-05-31"


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """The Messages body; `stream: true` only when streaming (Anthropic's default is a whole response)."""
    turns = read_messages(messages)
    body: dict[str, Any] = {"model": model, "messages": conversation(turns)}
    system = system_prompt(turns)
    if system is not None:
        body["system"] = system
    body.update(options(params))
    if stream:
        body["stream"] = True
    return body


def build_invoke(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """Bedrock's invoke body for Claude: the Messages body without `model` and `stream` (both are in the
    URL: `/model/{id}/invoke` or `/invoke-with-response-stream`), with Bedrock's `anthropic_version`."""
    body = build(model, messages, params, False)
    del body["model"]
    body["anthropic_version"] = BEDROCK_ANTHROPIC_VERSION
    return body


def options(params: dict[str, Any]) -> dict[str, Any]:
    """max_tokens is required: the caller's, else DEFAULT_MAX_TOKENS (4096; plus the thinking budget when
    thinking is on, as LiteLLM does)."""
    out: dict[str, Any] = {}
    thinking = anthropic_thinking(params)
    max_tokens = anthropic_max_tokens(params, thinking)
    out["max_tokens"] = DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens
    if thinking is not None:
        out["thinking"] = thinking
    for name in ("temperature", "top_p"):
        if params.get(name) is not None:
            out[name] = params[name]
    stop = read_stop(params)
    if stop is not None:
        out["stop_sequences"] = stop
    tools = read_tools(params)
    if tools:
        out["tools"] = [_tool(tool) for tool in tools]
    choice = tool_choice(params)
    if choice is not None:
        out["tool_choice"] = choice
    if params.get("user") is not None:
        out["metadata"] = {"user_id": params["user"]}
    return out


def anthropic_thinking(params: dict[str, Any]) -> dict[str, Any] | None:
    """The Anthropic `thinking` object (also what Bedrock passes to Claude): as given, or from the effort's
    budget; None when off or not asked for."""
    reasoning = read_reasoning(params)
    if reasoning is None:
        return None
    if reasoning.thinking is not None:
        return reasoning.thinking
    if not reasoning.enabled or reasoning.budget is None:
        return None
    return {"type": "enabled", "budget_tokens": max(reasoning.budget, MIN_ANTHROPIC_BUDGET)}


def anthropic_max_tokens(params: dict[str, Any], thinking: dict[str, Any] | None) -> int | None:
    """The output budget with thinking on: Anthropic counts thinking against max_tokens, which must exceed
    the budget. Without one given it is the budget + DEFAULT_MAX_TOKENS (LiteLLM's
    `update_optional_params_with_thinking_tokens`); None when thinking is off and none was given."""
    given = read_max_tokens(params)
    budget = thinking.get("budget_tokens") if thinking is not None and thinking.get("type") == "enabled" else None
    if not isinstance(budget, int):
        return given
    if given is None:
        return budget + DEFAULT_MAX_TOKENS
    if isinstance(given, int) and given <= budget:
        raise Invalid("max_tokens", f"{given} must exceed the thinking budget ({budget}), which counts against it")
    return given


def _tool(tool: Tool) -> dict[str, Any]:
    """`{name, description, input_schema}`; a tool of Anthropic's own (web search, ...) is sent as given."""
    if tool.function is None:
        return tool.raw
    function = tool.function
    out: dict[str, Any] = {"name": function["name"]}
    if function.get("description"):
        out["description"] = function["description"]
    out["input_schema"] = function.get("parameters") or {"type": "object", "properties": {}}
    if "cache_control" in tool.raw:
        out["cache_control"] = tool.raw["cache_control"]
    return out


def tool_choice(params: dict[str, Any]) -> dict[str, Any] | None:
    """OpenAI's choice as Anthropic's; `parallel_tool_calls=False` is `disable_parallel_tool_use`, which
    lives on the choice (auto when none was given)."""
    read = read_tool_choice(params)
    out: dict[str, Any] | None = None
    if read is not None:
        kind, name = read
        out = {"type": "tool", "name": name} if kind == "function" else dict(_TOOL_CHOICE[kind])
    if params.get("parallel_tool_calls") is False:
        out = {"type": "auto", **(out or {}), "disable_parallel_tool_use": True}
    return out


def system_prompt(turns: list[Turn]) -> str | list[dict[str, Any]] | None:
    """Every system message's text, wherever it stood (Anthropic has no system turns): a string when it is
    one part, text blocks when there are several or any carries `cache_control` (which only blocks hold)."""
    parts = [part for turn in turns if turn.role == "system" for part in turn.parts]
    for part in parts:
        if part.kind != "text":
            raise Invalid(part.where, "system messages take only text")
    if not parts:
        return None
    if len(parts) == 1 and "cache_control" not in parts[0].raw:
        return parts[0].value
    return [content_block(part) for part in parts]


def conversation(turns: list[Turn]) -> list[dict[str, Any]]:
    """User, assistant and tool messages as alternating turns (a turn with nothing to say is left out)."""
    out = []
    for turn in turns:
        if turn.role == "system":
            continue
        blocks = _blocks(turn)
        if blocks:
            out.append({"role": "assistant" if turn.role == "assistant" else "user", "content": blocks})
    return merge_roles(out, "content")


def _blocks(turn: Turn) -> list[dict[str, Any]]:
    if turn.role == "tool":
        return [tool_result(turn)]
    blocks = [content_block(part) for part in turn.parts]
    if turn.role == "assistant":
        blocks = thinking_blocks(turn) + blocks + [_tool_use(call) for call in turn.calls]
    return blocks


def content_block(part: Part) -> dict[str, Any]:
    """A text or image block, with the part's `cache_control`. An image is a base64 source from a data: URL,
    else a URL source."""
    if part.kind == "text":
        block: dict[str, Any] = {"type": "text", "text": part.value}
    else:
        image = read_image(part)
        source: dict[str, Any]
        if image.data is None:
            source = {"type": "url", "url": image.url}
        else:
            source = {"type": "base64", "media_type": image.media_type, "data": image.data}
        block = {"type": "image", "source": source}
    if "cache_control" in part.raw:
        block["cache_control"] = part.raw["cache_control"]
    return block


def thinking_blocks(turn: Turn) -> list[dict[str, Any]]:
    """An assistant's `thinking_blocks`, sent back first: Anthropic needs the signed thinking that preceded
    a tool call when the conversation continues with thinking on."""
    raw = turn.message.get("thinking_blocks")
    if not raw:
        return []
    where = f"{turn.where}.thinking_blocks"
    if not isinstance(raw, list):
        raise Invalid(where, "expected a list")
    out = []
    for position, block in enumerate(raw):
        kind = block.get("type") if isinstance(block, dict) else None
        if kind == "thinking" and isinstance(block.get("signature"), str):
            out.append({"type": "thinking", "thinking": block.get("thinking") or "", "signature": block["signature"]})
        elif kind == "redacted_thinking" and isinstance(block.get("data"), str):
            out.append({"type": "redacted_thinking", "data": block["data"]})
        else:
            raise Invalid(
                f"{where}[{position}]",
                'expected {"type": "thinking", "thinking", "signature"} or {"type": "redacted_thinking", "data"}',
            )
    return out


def _tool_use(call: Call) -> dict[str, Any]:
    if call.id is None:
        raise Invalid(f"{call.where}.id", "Anthropic needs the call's id to pair it with its result")
    return {"type": "tool_use", "id": call.id, "name": call.name, "input": call.input()}


def tool_result(turn: Turn) -> dict[str, Any]:
    """A `tool_result` block: text content as a string, content with images as blocks."""
    block: dict[str, Any] = {"type": "tool_result", "tool_use_id": turn.tool_call_id}
    if any(part.kind != "text" for part in turn.parts):
        block["content"] = [content_block(part) for part in turn.parts]
    elif turn.parts:
        block["content"] = turn.text()
    return block
