"""Reading the caller's OpenAI-named parameters, checked here once so each dialect module only maps them:
tools and tool_choice, stop, the output budget, reasoning (`thinking` or `reasoning_effort`),
response_format, and the parameters that map one to one.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from rillm.providers.translate._invalid import Invalid, type_name

# reasoning_effort as a thinking budget in tokens: LiteLLM's DEFAULT_REASONING_EFFORT_*_THINKING_BUDGET
# (litellm/constants.py). "none" and "disable" turn thinking off.
EFFORT_BUDGETS = {"minimal": 128, "low": 1024, "medium": 2048, "high": 4096}
EFFORT_OFF = frozenset({"none", "disable"})


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
        raise Invalid("tools", f"expected a list, not {type_name(tools)}")
    out = []
    for position, raw in enumerate(tools):
        where = f"tools[{position}]"
        if not isinstance(raw, dict):
            raise Invalid(where, f"expected an object, not {type_name(raw)}")
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
