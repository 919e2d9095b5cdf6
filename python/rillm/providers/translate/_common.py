"""What the dialects share: reading the caller's OpenAI-shaped messages and parameters (checked here, once,
so each dialect module only maps).

Checks name the place in the request (`messages[2].content[1]`, `tool_choice`) so a caller can find what
to fix; they raise `Invalid`, which `build_request` turns into `BadRequestError`.
"""

from __future__ import annotations

import json
import mimetypes
from typing import Any, NamedTuple

# The output budget sent when the caller gives none, for the APIs that require one (Anthropic's
# `max_tokens`). LiteLLM's DEFAULT_MAX_TOKENS; LiteLLM 1.109.1 instead sends the model's maximum from its
# cost map (spec §5.3), which rillm does not carry.
DEFAULT_MAX_TOKENS = 4096

# reasoning_effort as a thinking budget in tokens: LiteLLM's DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET
# (litellm/constants.py). "none" and "disable" turn thinking off.
EFFORT_BUDGETS = {"minimal": 128, "low": 1024, "medium": 2048, "high": 4096}
EFFORT_OFF = frozenset({"none", "disable"})

# OpenAI's roles as the translated APIs see them: `developer` is OpenAI's newer name for `system`.
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


class Invalid(ValueError):
    """A request the dialect cannot express: where (`messages[2].content[1]`, `tool_choice`) and why.
    `unsupported` marks a value the API has no way to say (UnsupportedParamsError, as LiteLLM raises)."""

    def __init__(self, where: str, why: str, *, unsupported: bool = False) -> None:
        super().__init__(f"{where}: {why}")
        self.unsupported = unsupported


# --- messages ------------------------------------------------------------------------------------------


class Part(NamedTuple):
    """One content part: `kind` "text" (value = the text) or "image" (value = the image URL); `raw` is the
    part as sent (for `cache_control`)."""

    kind: str
    value: str
    raw: dict[str, Any]
    where: str


class Call(NamedTuple):
    """One tool call of an assistant message; `arguments` is OpenAI's JSON text."""

    id: str | None
    name: str
    arguments: str
    raw: dict[str, Any]
    where: str

    def input(self) -> dict[str, Any]:
        """The arguments as an object, for the APIs that take one (Anthropic, Gemini, Bedrock, Ollama).
        Empty arguments are `{}`, as LiteLLM sends them."""
        if not self.arguments.strip():
            return {}
        try:
            value = json.loads(self.arguments)
        except ValueError as exc:
            raise Invalid(f"{self.where}.function.arguments", f"not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise Invalid(f"{self.where}.function.arguments", f"expected a JSON object, not {_json_type(value)}")
        return value


class Turn(NamedTuple):
    """One message, checked: role (`developer` read as `system`), content parts, tool calls (assistant) and
    the id of the call a tool message answers; `message` is the message as sent."""

    position: int
    role: str
    parts: list[Part]
    calls: list[Call]
    tool_call_id: str | None
    message: dict[str, Any]

    @property
    def where(self) -> str:
        return f"messages[{self.position}]"

    def text(self) -> str:
        """The content as one string, for the APIs that take only text here; parts are concatenated as
        OpenAI does."""
        for part in self.parts:
            if part.kind != "text":
                raise Invalid(part.where, f"{self.role} messages take only text here, not images")
        return "".join(part.value for part in self.parts)


def read_messages(messages: Any) -> list[Turn]:
    if not isinstance(messages, list):
        raise Invalid("messages", f"expected a list, not {_type(messages)}")
    return [_turn(index, message) for index, message in enumerate(messages)]


def _turn(index: int, message: Any) -> Turn:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise Invalid(where, f"expected an object, not {_type(message)}")
    sent = message.get("role")
    role = _ROLES.get(sent) if isinstance(sent, str) else None
    if role is None:
        raise Invalid(f"{where}.role", f"{sent!r} is not one of {', '.join(_ROLES)}")
    parts = _parts(where, message.get("content"))
    calls = _calls(where, message.get("tool_calls")) if role == "assistant" else []
    tool_call_id = None
    if role == "tool":
        tool_call_id = message.get("tool_call_id")
        if not isinstance(tool_call_id, str) or not tool_call_id:
            raise Invalid(f"{where}.tool_call_id", "a tool message needs the id of the tool call it answers")
    return Turn(index, role, parts, calls, tool_call_id, message)


def _parts(where: str, content: Any) -> list[Part]:
    """Content as parts. Empty text is dropped: Anthropic and Bedrock reject empty text blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [Part("text", content, {}, f"{where}.content")] if content else []
    if not isinstance(content, list):
        raise Invalid(f"{where}.content", f"expected a string, null or a list of parts, not {_type(content)}")
    parts = []
    for position, raw in enumerate(content):
        part = _part(f"{where}.content[{position}]", raw)
        if part.value:
            parts.append(part)
    return parts


def _part(where: str, raw: Any) -> Part:
    if not isinstance(raw, dict):
        raise Invalid(where, f"expected a content part object, not {_type(raw)}")
    kind = raw.get("type")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str):
            raise Invalid(f"{where}.text", f"expected a string, not {_type(text)}")
        return Part("text", text, raw, where)
    if kind == "image_url":
        image = raw.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not url:
            raise Invalid(f"{where}.image_url.url", "expected the image's URL (https: or a base64 data: URL)")
        return Part("image", url, raw, where)
    raise Invalid(f"{where}.type", f"{kind!r} parts are not translated for this API (text and image_url are)")


def _calls(where: str, tool_calls: Any) -> list[Call]:
    if tool_calls is None:
        return []
    if not isinstance(tool_calls, list):
        raise Invalid(f"{where}.tool_calls", f"expected a list, not {_type(tool_calls)}")
    calls = []
    for position, raw in enumerate(tool_calls):
        at = f"{where}.tool_calls[{position}]"
        function = raw.get("function") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(function, dict):
            raise Invalid(at, 'expected {"id", "type": "function", "function": {"name", "arguments"}}')
        name, arguments, id_ = function.get("name"), function.get("arguments"), raw.get("id")
        if not isinstance(name, str) or not name:
            raise Invalid(f"{at}.function.name", "expected the function's name")
        if arguments is None:
            arguments = ""
        if not isinstance(arguments, str):
            raise Invalid(f"{at}.function.arguments", f"expected JSON text, not {_type(arguments)}")
        if id_ is not None and not isinstance(id_, str):
            raise Invalid(f"{at}.id", f"expected a string, not {_type(id_)}")
        calls.append(Call(id_ or None, name, arguments, raw, at))
    return calls


def call_names(turns: list[Turn]) -> dict[str, str]:
    """Each tool call's function name by call id: Gemini and Ollama name the function a result answers."""
    return {call.id: call.name for turn in turns for call in turn.calls if call.id}


def merge_roles(turns: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Consecutive turns of the same role as one turn (their `key` lists joined): Anthropic, Bedrock and
    Gemini want user and assistant turns to alternate, and tool results arrive as user turns."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        if out and out[-1]["role"] == turn["role"]:
            out[-1] = {**out[-1], key: out[-1][key] + turn[key]}
        else:
            out.append(turn)
    return out


class Image(NamedTuple):
    """An image part's URL: `data` (base64) and `media_type` for a data: URL; `media_type` is guessed from
    the path for another URL (None when it cannot be)."""

    url: str
    media_type: str | None
    data: str | None


def read_image(part: Part) -> Image:
    """Only base64 data: URLs carry their bytes; rillm never fetches a URL to inline it (LiteLLM does for
    the APIs that take no URLs), so those APIs reject other URLs (`inline_image`)."""
    url = part.value
    if not url.startswith("data:"):
        return Image(url, mimetypes.guess_type(url.split("?", 1)[0])[0], None)
    head, comma, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if not comma or encoding != "base64" or not media_type:
        raise Invalid(f"{part.where}.image_url.url", "a data: URL must be data:<media type>;base64,<data>")
    return Image(url, media_type, data)


def inline_image(part: Part, api: str) -> Image:
    """An image the API takes only as bytes: a base64 data: URL."""
    image = read_image(part)
    if image.data is None:
        raise Invalid(f"{part.where}.image_url.url", f"{api} takes images only as base64 data: URLs")
    return image


# --- parameters ------------------------------------------------------------------------------------------


class Tool(NamedTuple):
    """A tool definition: an OpenAI function (`function` holds name, description, parameters), or (None) a
    tool of the provider's own (Anthropic's web search, Gemini's googleSearch), passed through as given."""

    function: dict[str, Any] | None
    raw: dict[str, Any]


def read_tools(params: dict[str, Any]) -> list[Tool]:
    tools = params.get("tools")
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise Invalid("tools", f"expected a list, not {_type(tools)}")
    out = []
    for position, raw in enumerate(tools):
        where = f"tools[{position}]"
        if not isinstance(raw, dict):
            raise Invalid(where, f"expected an object, not {_type(raw)}")
        if raw.get("type", "function") != "function":
            out.append(Tool(None, raw))
            continue
        function = raw.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str) or not function["name"]:
            raise Invalid(f"{where}.function", 'expected {"name", "description"?, "parameters"?}')
        out.append(Tool(function, raw))
    return out


def read_tool_choice(params: dict[str, Any]) -> tuple[str, str | None] | None:
    """`tool_choice` as (kind, function name): kind is "auto", "required", "none" or "function"."""
    choice = params.get("tool_choice")
    if choice is None:
        return None
    if choice in ("auto", "required", "none"):
        return choice, None
    function = choice.get("function") if isinstance(choice, dict) else None
    name = function.get("name") if isinstance(function, dict) else None
    if not isinstance(name, str) or not name:
        expected = '"auto", "required", "none" or {"type": "function", "function": {"name"}}'
        raise Invalid("tool_choice", f"expected {expected}")
    return "function", name


def read_stop(params: dict[str, Any]) -> list[str] | None:
    stop = params.get("stop")
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop):
        raise Invalid("stop", "expected a string or a list of strings")
    return list(stop)


def read_max_tokens(params: dict[str, Any]) -> int | None:
    """`max_completion_tokens` (OpenAI's newer name) over `max_tokens`."""
    value = params.get("max_completion_tokens")
    return params.get("max_tokens") if value is None else value


class Reasoning(NamedTuple):
    """`thinking` (as given) or `reasoning_effort` read as: on or off, and the budget in tokens if any."""

    enabled: bool
    budget: int | None
    thinking: dict[str, Any] | None


def read_reasoning(params: dict[str, Any]) -> Reasoning | None:
    """An explicit `thinking` wins over `reasoning_effort` (it says more)."""
    thinking = params.get("thinking")
    if thinking is not None:
        if not isinstance(thinking, dict) or not isinstance(thinking.get("type"), str):
            raise Invalid("thinking", 'expected {"type": "enabled", "budget_tokens": <int>} or {"type": "disabled"}')
        budget = thinking.get("budget_tokens")
        return Reasoning(thinking["type"] == "enabled", budget if isinstance(budget, int) else None, thinking)
    effort = params.get("reasoning_effort")
    if effort is None:
        return None
    if effort in EFFORT_OFF:
        return Reasoning(False, None, None)
    if effort not in EFFORT_BUDGETS:
        known = ", ".join([*EFFORT_BUDGETS, *sorted(EFFORT_OFF)])
        raise Invalid("reasoning_effort", f"{effort!r} is not one of {known}")
    return Reasoning(True, EFFORT_BUDGETS[effort], None)


# Anthropic's smallest thinking budget (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
# "minimal" (LiteLLM's 128) is raised to it rather than sent to be refused.
MIN_ANTHROPIC_BUDGET = 1024


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


def read_response_format(params: dict[str, Any]) -> tuple[str, dict[str, Any] | None] | None:
    """`response_format` as ("text" | "json", the JSON schema if one was given)."""
    value = params.get("response_format")
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return "text", None
    if kind == "json_object":
        return "json", None
    if kind == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise Invalid("response_format.json_schema.schema", "expected the JSON schema object")
        return "json", schema
    raise Invalid("response_format", 'expected {"type": "text" | "json_object" | "json_schema", ...}')


def copy_params(params: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The parameters that map one to one, under the API's names (`names`: OpenAI name -> API name)."""
    return {api: params[name] for name, api in names.items() if params.get(name) is not None}


def _type(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
