# Twin of rust/decode/openai.rs, then (the wire_* functions) rust/decode/openai_wire.rs; openai_parts.py is
# rust/decode/openai_parts.rs.
"""The OpenAI chat-completions dialect: OpenAI, Azure and every OpenAI-compatible server.

Each `data:` payload is one `chat.completion.chunk`, decoded as sent, with these normalisations:
`object` is always `chat.completion.chunk`; an id, model or `created` the chunk lacks is the last one the
stream sent; `reasoning` becomes `reasoning_content`; Mistral's list-of-parts `content` is split into
`content` and `reasoning_content`; Groq's `x_groq.usage` stands in for a missing `usage`; finish reasons
map onto OpenAI's. `[DONE]` ends the stream. An `event: error`, a payload with a truthy `error`, or a
finish reason of `error`/`abort` raise the provider's error (after the chunk's own content, when it has
choices, has been handed over).

The checks run in the Rust order: the whole payload's shape first, then the error, then the chunk's
objects (usage is validated while they are built).
"""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback import jsonutil
from rillm._fallback.chunk import (
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    ModelResponseStream,
    StreamingChoices,
    ascii_lower,
    map_finish_reason,
    new_delta,
    new_function,
    new_tool_call,
)
from rillm._fallback.decode.openai_parts import split_parts, with_field
from rillm._fallback.decode.usage import check as check_usage
from rillm._fallback.errors import ShapeError, decode_error, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow
from rillm._shared import I64

_new = object.__new__
# The keys each object's own fields come from; any other key is kept in its extras.
_CHUNK_KEYS = frozenset(
    {"id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage"}
    | {"citations", "provider_specific_fields", "error"}
)
# How many heads one stream may keep (OpenAiDecoder.keep_head), and the types of a head's values.
_HEADS = 8
_SCALARS = frozenset({str, int, float, bool, type(None)})
_CHOICE_KEYS = frozenset({"index", "delta", "finish_reason", "logprobs", "message"})
_DELTA_OPAQUE = ("annotations", "audio", "thinking_blocks", "provider_specific_fields")
_DELTA_KEYS = frozenset(
    {"content", "role", "refusal", "reasoning_content", "reasoning", "tool_calls", "function_call", *_DELTA_OPAQUE}
)
_TOOL_CALL_KEYS = frozenset({"index", "id", "type", "function"})
_FUNCTION_KEYS = frozenset({"name", "arguments"})


class OpenAiDecoder:
    NAME: ClassVar[str] = "openai"
    FRAMING: ClassVar[str] = "sse"
    TERMINATOR: ClassVar[str] = "before [DONE] or a finish_reason for every choice"
    # The ids come from the chunks (an Azure filter chunk has none: it gets the last one, or "").
    NEEDS_ID: ClassVar[bool] = False

    __slots__ = (
        "choices",
        "created",
        "default_created",
        "default_model",
        "extra",
        "head",
        "heads",
        "keys",
        "last_id",
        "last_model",
    )

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.last_id: str | None = None
        self.last_model: str | None = None
        self.created: int | None = None
        self.default_model = model
        self.default_created = created
        # Every choice index seen, and whether it has finished.
        self.choices: dict[int, bool] = {}
        # How the last chunk began (`keep_head`): its text through `"choices":`, where `"choices"` starts in it,
        # and the keys read from that text; and how many times a head may still be kept.
        self.head: tuple[str, int, dict[str, Any]] | None = None
        self.heads = _HEADS
        # The last chunk's keys, and those of them that are extras (`chunk`).
        self.keys: set[str] = set()
        self.extra: tuple[str, ...] = ()

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        data = event.data.decode("utf-8", "replace")
        if event.kind == b"error":
            raise provider_error(event, data, "error")
        if data[:1] != "{":  # a chunk's payload is an object: the other checks only for anything else
            payload = data.strip(" \t\n\r")
            if not payload:
                return CONTINUE
            if payload.startswith("[DONE]"):
                return STOP
        try:
            obj = self.read(data)
            wire = wire_chunk(obj)
        except (jsonutil.JsonError, ShapeError) as exc:
            raise decode_error(event, f"invalid chunk: {exc}") from None
        # Python's truthiness of the value as rillm._json reads it (1e-999 is 0.0, so no error); Gemini's and
        # Ollama's `error` counts whenever it is not null. Twin: rust/json/raw.rs::is_truthy.
        error = bool(obj.get("error"))
        if error and obj.get("choices") is None:
            raise provider_error(event, data, "")
        try:
            out.append(self.chunk(obj, wire))
        except ValueError as exc:  # a usage the Usage model refuses
            raise decode_error(event, f"invalid chunk: {exc}") from None
        if error:
            raise provider_error(event, data, "")
        failed_with = wire[1]
        if failed_with is not None:
            raise provider_error(event, finish_reason_error(failed_with), "")
        return CONTINUE

    def read(self, data: str) -> Any:
        """`jsonutil.loads(data)`: the same value or the same error. A chunk that begins as the last one did,
        through `"choices":`, has only the rest read (as an object of its own) and the head's keys put before
        it: a dict built as the whole text's parse builds it (a key repeated after the head keeps its first
        place and takes its last value). Twin of the head in rust/decode/openai_wire.rs (there the head's
        values are reused; here its keys, whose values are immutable)."""
        head = self.head
        if head is not None and data.startswith(head[0]):
            try:
                rest = jsonutil.loads("{" + data[head[1] :])
            except jsonutil.JsonError:
                return jsonutil.loads(data)  # the error as the whole text gives it, at its offset
            return {**head[2], **rest}
        obj = jsonutil.loads(data)
        if self.heads and type(obj) is dict and "choices" in obj:
            self.keep_head(data)
        return obj

    def keep_head(self, data: str) -> None:
        """Keeps how `data` (a chunk's payload, parsed) begins, through `"choices":`, when the keys before it
        all have values that cannot be changed (strings, numbers, booleans, null), so its chunks can share
        them. The text before it, with `}` for its last comma, must be an object itself: then `"choices"` is
        that object's next key (not a string's content). Tried at most `_HEADS` times a stream: a stream
        whose chunks begin differently each time stops trying."""
        self.heads -= 1
        at = data.find('"choices":')
        before = data[:at].rstrip(" \t\n\r") if at > 0 else ""
        if before[-1:] != ",":
            return
        try:
            keys = jsonutil.loads(before[:-1] + "}")
        except jsonutil.JsonError:
            return
        if type(keys) is dict and all(type(value) in _SCALARS for value in keys.values()):
            self.head = (data[: at + len('"choices":')], at, keys)

    def complete(self) -> bool:
        """Whether the stream may end here without `[DONE]`: some choice was seen and all finished."""
        return bool(self.choices) and all(self.choices.values())

    def chunk(self, obj: dict[str, Any], wire: tuple[list[StreamingChoices], str | None]) -> ModelResponseStream:
        get = obj.get
        created = get("created")
        if created is not None:
            self.created = created
        choices = wire[0]
        seen = self.choices
        for choice in choices:
            # A choice once finished stays finished; written so that the usual chunk writes nothing.
            if choice._finish_reason is not None:
                seen[choice.index] = True
            elif choice.index not in seen:
                seen[choice.index] = False
        usage = get("usage")
        if usage is None:
            x_groq = get("x_groq")
            if type(x_groq) is dict:
                usage = x_groq.get("usage")
        psf = get("provider_specific_fields")
        tier = get("service_tier")
        if tier is not None and tier not in OPENAI_SERVICE_TIERS:
            psf = with_field(psf, "service_tier", tier)
            tier = None
        id_ = get("id")
        if id_:
            self.last_id = id_
        model = get("model")
        if model:
            self.last_model = model
        # `new_chunk` written out: this runs for every chunk.
        chunk = _new(ModelResponseStream)
        chunk.id = self.last_id or ""
        chunk.object = "chat.completion.chunk"
        chunk.created = self.created if self.created is not None else self.default_created
        chunk.model = self.last_model or self.default_model
        chunk.system_fingerprint = get("system_fingerprint")
        chunk.service_tier = tier
        chunk.choices = choices
        chunk._raw_usage = None if usage is None else check_usage(usage)
        chunk._usage = None
        chunk.citations = get("citations")
        chunk.provider_specific_fields = psf
        # `wire_extras` without its first test: OpenAI sends an `obfuscation` key with every chunk. A chunk with
        # the last one's keys has its extras under the same keys: comparing the keys with the last ones makes
        # no set, where finding them does.
        keys = obj.keys()
        if keys != self.keys:
            self.keys = set(keys)
            self.extra = tuple(keys - _CHUNK_KEYS)
        extra = self.extra
        if not extra:
            chunk._extras = None
        elif len(extra) == 1:
            chunk._extras = {extra[0]: obj[extra[0]]}
        else:
            chunk._extras = wire_extras(obj, _CHUNK_KEYS)
        return chunk


def parse_piece(kind: str, text: str) -> Any:
    """One object parsed on its own, outside any stream, as the keyword constructors build it: `kind` is
    "chunk", "choice", "delta", "tool_call" or "function"."""
    obj = jsonutil.loads(text)
    if kind == "chunk":
        choices, _ = wire_chunk(obj)
        return OpenAiDecoder("", "", 0).chunk(obj, (choices, None))
    if kind == "choice":
        return wire_choice(obj, 0)[0]
    if kind == "delta":
        return wire_delta(obj)
    if kind == "tool_call":
        return wire_tool_call(obj, 0)
    return wire_function(obj)


def finish_reason_error(reason: str) -> str:
    """The error payload for a stream a provider ended with finish reason `error` or `abort`.
    Keep in sync with rust/decode/openai.rs::finish_reason_error."""
    message = "the provider ended the stream with finish_reason " + _shared.dumps(reason)
    return '{"error":{"message":' + _shared.dumps(message) + ',"type":"finish_reason"}}'


# The service tiers OpenAI's chunk type allows; another provider's tier (Groq's "on_demand") is kept in
# provider_specific_fields["service_tier"]. Keep in sync with rust/decode/openai.rs::OPENAI_SERVICE_TIERS.
OPENAI_SERVICE_TIERS = frozenset({"auto", "default", "flex", "scale", "priority", "fast"})


# Twin of rust/decode/openai_wire.rs: reading OpenAI's chunk JSON, known keys typed and every other key kept
# in the owner's extras, in order.


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
