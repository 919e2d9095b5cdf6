# Twin of rust/chunk.rs (the data) and rust/python/objects.rs (the Python objects over it).
"""The chunk objects: OpenAI's `chat.completion.chunk` as cheap `__slots__` classes.

Each class has fields that are always dumped (`_FIELDS`), fields dumped only when set (`_OPTIONAL`), the
provider's unknown keys (extras, read through `__getattr__`, so fields and methods win over them), and
the attributes a caller sets (the instance `__dict__`; `del` removes only these). Absent optional fields
read as None. There is deliberately no `__setattr__`/`__delattr__`: either would put every attribute
assignment, the decoder's included, on CPython's slow path.
`model_dump()` copies containers and dumps nested models; `==` compares dumps; `repr` lists the same
fields. The Rust classes keep extras and caller-set attributes in one dict and have no `__dict__`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared

_new = object.__new__


class _Model:
    __slots__ = ("__dict__", "_extras")

    _FIELDS: ClassVar[tuple[str, ...]] = ()
    _OPTIONAL: ClassVar[tuple[str, ...]] = ()
    _NAMES: ClassVar[frozenset[str]] = frozenset()
    _extras: dict[str, Any] | None

    def __init_subclass__(cls) -> None:
        cls._NAMES = frozenset(cls._FIELDS + cls._OPTIONAL)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: an extra of the provider's.
        extras = self._extras
        if extras is not None and not name.startswith("__") and name in extras:
            return extras[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _attributes(self) -> dict[str, Any]:
        """The extras, then the caller's attributes (a caller's value replaces an extra in place)."""
        extras, own = self._extras, self.__dict__
        if not extras:
            return own
        if not own:
            return extras
        return {**extras, **own}

    def _items(self) -> list[tuple[str, Any]]:
        items = [(name, getattr(self, name)) for name in self._FIELDS]
        for name in self._OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                items.append((name, value))
        items.extend(self._attributes().items())
        return items

    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]:
        dump = _shared.dump_value
        return {k: dump(v, exclude_none) for k, v in self._items() if not (exclude_none and v is None)}

    def model_dump_json(self, exclude_none: bool = False) -> str:
        return _shared.dumps(self.model_dump(exclude_none=exclude_none))

    def json(self) -> dict[str, Any]:
        """A dict, as LiteLLM's `.json()` returns (not a string)."""
        return self.model_dump()

    def to_dict(self) -> dict[str, Any]:
        """The compact OpenAI shape: `model_dump(exclude_none=True)`."""
        return self.model_dump(exclude_none=True)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._items())
        return f"{type(self).__name__}({fields})"

    def __getitem__(self, key: str, /) -> Any:
        # A field, or an extra looked up directly (so that an extra named like a method is still the
        # provider's value).
        if key in self._NAMES:
            return getattr(self, key)
        return self._attributes()[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: str, /) -> bool:
        if key in self._FIELDS:
            return True
        if key in self._OPTIONAL:
            return getattr(self, key) is not None
        return key in self._attributes()


class Function(_Model):
    """A tool call's function (`name`, `arguments` fragment), or a legacy `function_call`."""

    __slots__ = ("arguments", "name")
    _FIELDS = ("name", "arguments")

    name: str | None
    arguments: str

    def __init__(self, **kwargs: Any) -> None:
        _init_from(self, "function", kwargs)


class ChatCompletionDeltaToolCall(_Model):
    __slots__ = ("function", "id", "index", "type")
    _FIELDS = ("index", "id", "type", "function")

    index: int
    id: str | None
    type: str
    function: Function

    def __init__(self, **kwargs: Any) -> None:
        _init_from(self, "tool_call", kwargs)


class Delta(_Model):
    __slots__ = (
        "annotations",
        "audio",
        "content",
        "function_call",
        "provider_specific_fields",
        "reasoning_content",
        "refusal",
        "role",
        "thinking_blocks",
        "tool_calls",
    )
    _FIELDS = ("content", "role", "tool_calls", "function_call", "refusal")
    _OPTIONAL = ("reasoning_content", "thinking_blocks", "annotations", "audio", "provider_specific_fields")

    content: str | None
    role: str | None
    tool_calls: list[ChatCompletionDeltaToolCall] | None
    function_call: Function | None
    refusal: str | None
    reasoning_content: str | None
    thinking_blocks: Any
    annotations: Any
    audio: Any
    provider_specific_fields: Any

    def __init__(self, **kwargs: Any) -> None:
        _init_from(self, "delta", kwargs)


class StreamingChoices(_Model):
    __slots__ = ("_finish_reason", "_logprobs", "delta", "index")
    _FIELDS = ("finish_reason", "index", "delta", "logprobs")

    index: int
    delta: Delta
    _finish_reason: str | None
    _logprobs: Any

    def __init__(self, **kwargs: Any) -> None:
        _init_from(self, "choice", kwargs)

    @property
    def finish_reason(self) -> str | None:
        return self._finish_reason

    @finish_reason.setter
    def finish_reason(self, value: str | None) -> None:
        """Provider values are mapped onto OpenAI's, as on the wire."""
        self._finish_reason = None if value is None else map_finish_reason(value)

    @property
    def logprobs(self) -> Any:
        """`ChoiceLogprobs` (pydantic), made from the provider's JSON on first access."""
        value = self._logprobs
        if type(value) is dict:
            value = self._logprobs = _shared.make_logprobs(value)
        return value

    @logprobs.setter
    def logprobs(self, value: Any) -> None:
        self._logprobs = value


class ModelResponseStream(_Model):
    """One streamed chunk, shaped like LiteLLM's `ModelResponseStream` and OpenAI's `ChatCompletionChunk`."""

    __slots__ = (
        "_raw_usage",
        "_usage",
        "choices",
        "citations",
        "created",
        "id",
        "model",
        "object",
        "provider_specific_fields",
        "service_tier",
        "system_fingerprint",
    )
    _FIELDS = ("id", "created", "model", "object", "system_fingerprint", "choices")
    _OPTIONAL = ("usage", "service_tier", "citations", "provider_specific_fields")

    id: str
    created: int
    model: str
    object: str
    system_fingerprint: str | None
    choices: list[StreamingChoices]
    service_tier: str | None
    citations: Any
    provider_specific_fields: Any
    # The decoded usage, a checked dict (rillm._fallback.decode.usage) until `usage` is first read; then
    # (or once a caller sets `usage`) None, and `_usage` holds the value (rust/python/lazy.rs::Lazy).
    _raw_usage: dict[str, Any] | None
    _usage: Any

    def __init__(self, **kwargs: Any) -> None:
        _init_from(self, "chunk", kwargs)

    @property
    def usage(self) -> Any:
        """`Usage` (pydantic), made from the decoded usage on first access."""
        raw = self._raw_usage
        if raw is not None:
            self._usage = _shared.make_usage(raw)
            self._raw_usage = None
        return self._usage

    @usage.setter
    def usage(self, value: Any) -> None:
        self._usage = value
        self._raw_usage = None


# The decoders' constructors: each makes one object from parts the decoder has already checked, skipping
# the keyword constructors above (which parse their keywords with the decoder's rules). The Rust decoders
# write struct literals; these are positional module functions, the cheapest call Python has, since they
# run for every chunk.


def new_function(name: str | None, arguments: str, extras: dict[str, Any] | None = None) -> Function:
    function = _new(Function)
    function.name = name
    function.arguments = arguments
    function._extras = extras
    return function


def new_tool_call(
    index: int, id_: str | None, function: Function, kind: str = "function", extras: dict[str, Any] | None = None
) -> ChatCompletionDeltaToolCall:
    call = _new(ChatCompletionDeltaToolCall)
    call.index = index
    call.id = id_
    call.type = kind
    call.function = function
    call._extras = extras
    return call


def new_delta(extras: dict[str, Any] | None = None) -> Delta:
    """A delta whose fields are all None, for the decoder to fill in."""
    delta = _new(Delta)
    delta.content = delta.role = delta.tool_calls = delta.function_call = delta.refusal = None
    delta.reasoning_content = delta.thinking_blocks = delta.annotations = delta.audio = None
    delta.provider_specific_fields = None
    delta._extras = extras
    return delta


def new_choice(
    index: int, delta: Delta, finish_reason: str | None, logprobs: Any = None, extras: dict[str, Any] | None = None
) -> StreamingChoices:
    """`finish_reason` is one of OpenAI's already (see `map_finish_reason`)."""
    choice = _new(StreamingChoices)
    choice.index = index
    choice.delta = delta
    choice._finish_reason = finish_reason
    choice._logprobs = logprobs
    choice._extras = extras
    return choice


def new_chunk(
    id_: str,
    created: int,
    model: str,
    choices: list[StreamingChoices],
    usage: Any = None,
    provider_specific_fields: Any = None,
    system_fingerprint: str | None = None,
    service_tier: str | None = None,
    citations: Any = None,
    extras: dict[str, Any] | None = None,
) -> ModelResponseStream:
    """`usage` is a checked usage dict (rillm._fallback.decode.usage), made a `Usage` when first read."""
    chunk = _new(ModelResponseStream)
    chunk.id = id_
    chunk.object = "chat.completion.chunk"
    chunk.created = created
    chunk.model = model
    chunk.system_fingerprint = system_fingerprint
    chunk.service_tier = service_tier
    chunk.choices = choices
    chunk._raw_usage = usage
    chunk._usage = None
    chunk.citations = citations
    chunk.provider_specific_fields = provider_specific_fields
    chunk._extras = extras
    return chunk


def _init_from(self: _Model, kind: str, kwargs: dict[str, Any]) -> None:
    """Constructors go through the decoder's rules: keywords become the JSON a provider would send."""
    from rillm._fallback.decode.openai import parse_piece

    built = parse_piece(kind, _shared.prepare(kind, kwargs))
    for name in type(self).__slots__:
        object.__setattr__(self, name, getattr(built, name))
    self._extras = built._extras


# Twin of rust/chunk.rs::FinishReason::map: LiteLLM's map_finish_reason (spec section 5.12), ignoring
# ASCII case. An empty string is no finish reason; anything unknown is "stop".
_FINISH_REASONS = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "content_filter": "content_filter",
    "function_call": "function_call",
    # Anthropic
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "pause_turn": "length",
    "compaction": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
    # Cohere
    "complete": "stop",
    "tool_call": "tool_calls",
    "error_toxic": "content_filter",
    # Bedrock
    "guardrail_intervened": "content_filter",
    "content_filtered": "content_filter",
    # Gemini
    "safety": "content_filter",
    "recitation": "content_filter",
    "blocklist": "content_filter",
    "prohibited_content": "content_filter",
    "spii": "content_filter",
    "image_safety": "content_filter",
    # Zhipu
    "sensitive": "content_filter",
}


def map_finish_reason(provider: str) -> str | None:
    if not provider:
        return None
    mapped = _FINISH_REASONS.get(provider)
    if mapped is None:
        mapped = _FINISH_REASONS.get(ascii_lower(provider), "stop")
    return mapped


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(text: str) -> str:
    """Lower-cases ASCII letters only, as Rust's `eq_ignore_ascii_case` compares."""
    return text.translate(_ASCII_LOWER)
