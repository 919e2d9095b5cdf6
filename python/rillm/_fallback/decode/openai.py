# Twin of rust/decode/openai.rs; openai_wire.py is rust/decode/openai_wire.rs (with openai_delta.rs),
# openai_parts.py rust/decode/openai_parts.rs.
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
    ModelResponseStream,
    StreamingChoices,
)
from rillm._fallback.decode.openai_parts import with_field
from rillm._fallback.decode.openai_wire import (
    wire_choice,
    wire_chunk,
    wire_delta,
    wire_extras,
    wire_function,
    wire_tool_call,
)
from rillm._fallback.decode.usage import check as check_usage
from rillm._fallback.errors import ShapeError, decode_error, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow

_new = object.__new__
# The keys each object's own fields come from; any other key is kept in its extras.
_CHUNK_KEYS = frozenset(
    {"id", "object", "created", "model", "system_fingerprint", "service_tier", "choices", "usage"}
    | {"citations", "provider_specific_fields", "error"}
)
# How many heads one stream may keep (OpenAiDecoder.keep_head), and the types of a head's values.
_HEADS = 8
_SCALARS = frozenset({str, int, float, bool, type(None)})


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
