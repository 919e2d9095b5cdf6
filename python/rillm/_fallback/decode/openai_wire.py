# Twin of rust/decode/openai_wire.rs and rust/decode/openai_delta.rs.
"""Reading OpenAI's chunk JSON (a dict from `json.loads`) into the chunk objects: the known keys of each level
typed and checked, every other key kept in its owner's extras, in order."""

from __future__ import annotations

from typing import Any

from rillm import _shared
from rillm._fallback.chunk import (
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    StreamingChoices,
    ascii_lower,
    map_finish_reason,
    new_delta,
    new_function,
    new_tool_call,
)
from rillm._fallback.decode.openai_parts import split_parts
from rillm._fallback.errors import ShapeError
from rillm._shared import I64

_new = object.__new__
# The keys each object's own fields come from (the chunk's: openai.py); any other key is kept in its extras.
_CHOICE_KEYS = frozenset({"index", "delta", "finish_reason", "logprobs", "message"})
_DELTA_OPAQUE = ("annotations", "audio", "thinking_blocks", "provider_specific_fields")
_DELTA_KEYS = frozenset(
    {"content", "role", "refusal", "reasoning_content", "reasoning", "tool_calls", "function_call", *_DELTA_OPAQUE}
)
_TOOL_CALL_KEYS = frozenset({"index", "id", "type", "function"})
_FUNCTION_KEYS = frozenset({"name", "arguments"})


def wire_chunk(obj: Any) -> tuple[list[StreamingChoices], str | None]:
    """Checks the chunk's shape and builds its choices; also the first `error`/`abort` finish reason."""
    if type(obj) is not dict:
        raise ShapeError("expected an object")
    # `string()` and `integer()` written out: this runs for every chunk.
    get = obj.get
    for key in ("id", "model", "system_fingerprint", "service_tier"):
        value = get(key)
        if value is not None and type(value) is not str:
            raise ShapeError(f"{key}: expected a string")
    created = get("created")
    if created is not None and (type(created) is not int or created not in I64):
        raise ShapeError("created: expected an integer")
    raw_choices = get("choices")
    choices: list[StreamingChoices] = []
    failed_with = None
    if raw_choices is not None:
        if type(raw_choices) is not list:
            raise ShapeError("choices: expected an array")
        for position, raw in enumerate(raw_choices):
            choice, finish = wire_choice(raw, position)
            choices.append(choice)
            if failed_with is None and finish is not None and ascii_lower(finish) in ("error", "abort"):
                failed_with = finish
    return choices, failed_with


def wire_choice(obj: Any, position: int) -> tuple[StreamingChoices, str | None]:
    """One choice (its index defaults to its position), and its finish reason as sent."""
    if type(obj) is not dict:
        raise ShapeError("choice: expected an object")
    index = obj.get("index")
    if index is not None and (type(index) is not int or index not in I64):  # `integer()` written out
        raise ShapeError("index: expected an integer")
    raw_delta = obj.get("delta")
    delta = new_delta() if raw_delta is None else wire_delta(raw_delta)
    finish = obj.get("finish_reason")
    if finish is not None and type(finish) is not str:
        raise ShapeError("finish_reason: expected a string")
    # `new_choice` and `wire_extras`'s usual answer written out: this runs for every chunk.
    choice = _new(StreamingChoices)
    choice.index = position if index is None else index
    choice.delta = delta
    choice._finish_reason = None if finish is None else map_finish_reason(finish)
    choice._logprobs = obj.get("logprobs")
    choice._extras = None if _CHOICE_KEYS.issuperset(obj) else wire_extras(obj, _CHOICE_KEYS)
    return choice, finish


def wire_delta(obj: Any) -> Delta:
    if type(obj) is not dict:
        raise ShapeError("delta: expected an object")
    if len(obj) == 1:
        # The usual delta, a text alone: what the general reading below makes of it, without its loop.
        content = obj.get("content")
        if type(content) is str:
            delta = _new(Delta)
            delta.role = delta.tool_calls = delta.function_call = delta.refusal = None
            delta.reasoning_content = delta.thinking_blocks = delta.annotations = delta.audio = None
            delta.provider_specific_fields = delta._extras = None
            delta.content = content
            return delta
    extras = None if _DELTA_KEYS.issuperset(obj) else wire_extras(obj, _DELTA_KEYS)
    reasoning = obj.get("reasoning")
    if reasoning is not None and obj.get("reasoning_content") is not None:
        # `reasoning` stands in for `reasoning_content`; when both came it is kept, last, as an extra.
        extras = {**extras, "reasoning": reasoning} if extras else {"reasoning": reasoning}
        reasoning = None
    # `new_delta` written out: this runs for every chunk.
    delta = _new(Delta)
    delta.content = delta.role = delta.tool_calls = delta.function_call = delta.refusal = None
    delta.reasoning_content = delta.thinking_blocks = delta.annotations = delta.audio = None
    delta.provider_specific_fields = None
    delta._extras = extras
    parts = read_delta(delta, obj)
    if reasoning is not None:
        # OpenRouter, Groq and vLLM name it `reasoning`.
        if type(reasoning) is not str:
            raise ShapeError("expected `reasoning` to be a string")
        delta.reasoning_content = reasoning
    if parts is not None:
        split_parts(delta, parts)
    return delta


def read_delta(delta: Delta, obj: dict[str, Any]) -> list[Any] | None:
    """Reads the delta's own fields into `delta`; returns `content` when it is a list of parts."""
    parts = None
    for key, value in obj.items():
        if key == "content":
            if type(value) is str or value is None:
                delta.content = value
            elif type(value) is list:
                parts = value
            else:
                raise ShapeError("content: expected a string")
        elif key == "role":
            delta.role = string(value, "role")
        elif key == "refusal":
            delta.refusal = string(value, "refusal")
        elif key == "reasoning_content":
            delta.reasoning_content = string(value, "reasoning_content")
        elif key == "tool_calls":
            delta.tool_calls = wire_tool_calls(value)
        elif key == "function_call":
            delta.function_call = None if value is None else wire_function(value)
        elif key in _DELTA_OPAQUE:
            setattr(delta, key, value)
    return parts


def wire_tool_calls(value: Any) -> list[ChatCompletionDeltaToolCall] | None:
    """Each call's default index is its position in the list; an empty list is no tool calls."""
    if value is None:
        return None
    if type(value) is not list:
        raise ShapeError("tool_calls: expected an array")
    return [wire_tool_call(item, position) for position, item in enumerate(value)] or None


def wire_tool_call(obj: Any, position: int) -> ChatCompletionDeltaToolCall:
    if type(obj) is not dict:
        raise ShapeError("tool call: expected an object")
    index = integer(obj.get("index"), "index")
    id_ = string(obj.get("id"), "id")
    # Continuation deltas omit `type` and Mistral sends null: both mean "function", as in LiteLLM.
    kind = string(obj.get("type"), "type")
    function = obj.get("function")
    return new_tool_call(
        position if index is None else index,
        id_,
        new_function(None, "") if function is None else wire_function(function),
        "function" if kind is None else kind,
        wire_extras(obj, _TOOL_CALL_KEYS),
    )


def wire_function(obj: Any) -> Function:
    if type(obj) is not dict:
        raise ShapeError("function: expected an object")
    arguments = obj.get("arguments")
    if arguments is None:
        arguments = ""
    elif type(arguments) is not str:
        # Sent as an object: the string json.dumps makes of it, as the Rust side does.
        arguments = _shared.dumps(arguments)
    return new_function(string(obj.get("name"), "name"), arguments, wire_extras(obj, _FUNCTION_KEYS))


def wire_extras(obj: dict[str, Any], known: frozenset[str]) -> dict[str, Any] | None:
    """The keys of `obj` that are not its fields, in order. Set operations find them without a loop in
    Python: none, or (OpenAI's `obfuscation` on every chunk) just one, are the usual cases. (`issuperset`
    measured cheaper than `obj.keys() <= known`: no view object.)"""
    if known.issuperset(obj):
        return None
    extra = obj.keys() - known
    if len(extra) == 1:
        (key,) = extra
        return {key: obj[key]}
    return {k: v for k, v in obj.items() if k not in known}


def string(value: Any, name: str) -> Any:
    if value is not None and type(value) is not str:
        raise ShapeError(f"{name}: expected a string")
    return value


def integer(value: Any, name: str) -> Any:
    if value is not None and (type(value) is not int or value not in I64):
        raise ShapeError(f"{name}: expected an integer")
    return value
