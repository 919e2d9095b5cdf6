# Twin of rust/decode/mod.rs and rust/decode/dialect.rs (the Dialect trait and the registry), and of the
# StreamDecoder class in rust/python/decoder.rs (which adds rust/merge/delivery.rs to the core's decoder).
"""The stream decoder: framing plus one dialect.

`feed()` decodes every event its bytes complete and returns the chunks in a list. An error part-way
through a feed is raised with the chunks decoded before it on `exc.chunks`, so nothing is lost. After the
dialect's terminator the rest of the input is ignored; after `finish()` or an error the decoder is closed.
"""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar, Protocol

from rillm import _shared, exceptions
from rillm._fallback.chunk import ModelResponseStream
from rillm._fallback.decode.anthropic import AnthropicDecoder
from rillm._fallback.decode.bedrock import BedrockDecoder
from rillm._fallback.decode.cohere import CohereDecoder
from rillm._fallback.decode.gemini import GeminiDecoder
from rillm._fallback.decode.ollama import OllamaDecoder
from rillm._fallback.decode.openai import OpenAiDecoder
from rillm._fallback.errors import concurrent_use, incomplete
from rillm._fallback.framing import DEFAULT_MAX_EVENT_BYTES, STOP, Event, Flow, Framer
from rillm._fallback.merge.delivery import Delivery


class Dialect(Protocol):
    """A dialect's decoder, as `StreamDecoder` uses it (twin of the trait in rust/decode/dialect.rs).

    Rust's dialects work each event out into a `Step` that `emit` hands on; here a handler appends its
    chunk to `out` (the sink) and returns the `Flow`, and a failed stream is a raised `ProviderFailed`:
    nothing is made per event beyond the chunks."""

    # Its name for `StreamDecoder(dialect)`.
    NAME: ClassVar[str]
    # Its framing, one of `framing.FRAMINGS`.
    FRAMING: ClassVar[str]
    # What is missing when its stream ends early: "the stream ended <TERMINATOR> (after N bytes)".
    TERMINATOR: ClassVar[str]
    # Whether it needs an id for its chunks (a fresh `chatcmpl-<uuid>` unless the caller gave one); without
    # one it takes the ids its chunks carry.
    NEEDS_ID: ClassVar[bool]

    def __init__(self, id_: str, model: str, created: int) -> None: ...

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        """Decodes one event, appending its chunks to `out`; STOP at the stream's terminator."""

    def complete(self) -> bool:
        """Whether the stream may end here without its terminator."""


# The registry: adding a dialect is one module under decode/ (a class with what `Dialect` lists, named as
# its module) and one line here (and its import). Keep in sync with the list in rust/decode/mod.rs (same
# names, same order).
_DECODERS: tuple[type[Dialect], ...] = (
    OpenAiDecoder,
    AnthropicDecoder,
    CohereDecoder,
    GeminiDecoder,
    OllamaDecoder,
    BedrockDecoder,
)
_BY_NAME = {decoder.NAME: decoder for decoder in _DECODERS}
DIALECTS = tuple(_BY_NAME)

_OPEN, _DONE, _FINISHED, _FAILED = range(4)
_STATES = ("open", "done", "finished", "failed")


class StreamDecoder:
    """Turns one provider stream's bytes into OpenAI-shaped chunks.

    `dialect` names the wire format: "openai" (OpenAI, Azure and every OpenAI-compatible server),
    "anthropic", "cohere", "gemini", "ollama" or "bedrock". `model`, `created` and `id` stand in for a
    provider that sends no model name, timestamp or response id (`id` defaults to a fresh
    `chatcmpl-<uuid>`; the OpenAI dialect takes ids from its chunks); `max_event_bytes` bounds one event
    (default 64 MiB). `skip_choiceless=True` leaves out chunks without choices (Azure's filter results,
    usage-only and moderation chunks), as a stream shown to a caller does unless usage was asked for.

    `merge=True` keeps a running merge of every chunk decoded (those left out included): `merged()` is, at
    any time, the dict `merge_chunks` returns for them. `usage_on_finish=True` holds back the chunk that
    carries a finish reason until the stream ends and puts on it the usage reported after it (see
    rust/merge/delivery.rs).

    A decoder is not shared across threads: a call made while another thread is inside one of its calls (or
    a property read meanwhile) raises ConcurrentUseError and changes nothing.
    """

    __slots__ = ("_busy", "_decoder", "_delivery", "_dialect", "_framer", "_skip", "_state", "_through")

    def __init__(
        self,
        dialect: str | None = None,
        *,
        model: str | None = None,
        max_event_bytes: int | None = None,
        created: int | None = None,
        id: str | None = None,
        skip_choiceless: bool = False,
        merge: bool = False,
        usage_on_finish: bool = False,
    ) -> None:
        # The signature, the order of the checks and their messages are the Rust binding's
        # (rust/python/decoder.rs::PyStreamDecoder::new): None stands for "openai" and for 64 MiB.
        skip_choiceless = _as_bool(skip_choiceless, "skip_choiceless")
        merge = _as_bool(merge, "merge")
        usage_on_finish = _as_bool(usage_on_finish, "usage_on_finish")
        if dialect is None:
            dialect = "openai"
        elif not _is_rust_str(dialect):
            raise _type_error("dialect must be a str", dialect)
        if model is not None and not _is_rust_str(model):
            raise _type_error("model must be a str or None", model)
        if max_event_bytes is None:
            max_event_bytes = DEFAULT_MAX_EVENT_BYTES
        elif type(max_event_bytes) is not int or not 0 < max_event_bytes < 2**63:
            raise ValueError("max_event_bytes must be a positive int")
        if created is None:
            created = int(time.time())
        elif type(created) is not int or created not in _shared.I64:
            raise _type_error("created must be an int or None", created)
        if id is not None and not _is_rust_str(id):
            raise _type_error("id must be a str or None", id)
        decoder = _BY_NAME.get(dialect)
        if decoder is None:
            raise ValueError(f'unknown dialect "{dialect}"; expected one of: {", ".join(DIALECTS)}')
        if id is None:
            id = _shared.new_response_id() if decoder.NEEDS_ID else ""
        self._dialect = decoder.NAME
        self._framer = Framer(decoder.FRAMING, max_event_bytes)
        self._decoder = decoder(id, model or "", created)
        self._delivery = Delivery(merge, usage_on_finish, skip_choiceless)
        # Per stream, for feed(): whether chunks go straight through, and whether those without choices are
        # left out.
        self._through = self._delivery.passes_through()
        self._skip = skip_choiceless
        self._state = _OPEN
        # Held by the thread inside feed() or finish() (rust/python/decoder.rs: pyo3's borrow of the decoder).
        self._busy = threading.Lock()

    def feed(self, data: bytes) -> list[ModelResponseStream]:
        """Decodes every event `data` completes; returns their chunks (often none, sometimes several)."""
        # One call per piece of the body: the checks, the framing and the delivery are written out here
        # rather than in helpers, which measured about 1 µs a feed (a stream fed one event at a time pays it
        # per chunk). Keep in sync with rust/python/decoder.rs::PyStreamDecoder::feed.
        if not self._busy.acquire(False):
            raise concurrent_use("feed()")
        try:
            if type(data) is not bytes:
                data = _as_bytes(data)
            state = self._state
            if state != _OPEN:
                if state == _DONE:
                    return []
                raise ValueError(
                    "feed() after finish()" if state == _FINISHED else "feed() after the decoder raised an error"
                )
            out: list[ModelResponseStream] = []
            try:
                decode = self._decoder.decode
                for event in self._framer.feed(data):
                    if decode(event, out) is STOP:
                        self._framer.stopped()
                        self._state = _DONE
                        break
            except exceptions.StreamError as exc:
                self._state = _FAILED
                exc.chunks = self._shown(out, True)
                raise
            except BaseException:
                self._state = _FAILED
                raise
            if self._through:
                return [chunk for chunk in out if chunk.choices] if self._skip else out
            # `_shown` written out for a delivery that does not pass through (the stream wrapper's).
            delivery = self._delivery
            shown: list[ModelResponseStream] = []
            accept = delivery.accept
            for chunk in out:
                accept(chunk, shown)
            if self._state == _DONE:
                delivery.release(shown)
            return shown
        finally:
            self._busy.release()

    def finish(self) -> list[ModelResponseStream]:
        """Ends the stream: decodes what is still buffered, then raises `IncompleteStreamError` if the
        stream stopped before its terminator (or inside an event)."""
        if not self._busy.acquire(False):
            raise concurrent_use("finish()")
        try:
            return self._finish()
        finally:
            self._busy.release()

    def _finish(self) -> list[ModelResponseStream]:
        if self._state != _OPEN:
            if self._state == _DONE:
                self._state = _FINISHED
                return []
            raise ValueError(
                "finish() called twice" if self._state == _FINISHED else "finish() after the decoder raised an error"
            )
        self._state = _FAILED
        out: list[ModelResponseStream] = []
        try:
            events, pending = self._framer.finish()
            stopped = False
            for event in events:
                if self._decoder.decode(event, out) is STOP:
                    stopped = True
                    break
            fed = self._framer.bytes_fed()
            if pending is not None:
                raise incomplete(pending.detail, fed)
            if not stopped and not self._decoder.complete():
                raise incomplete(self._decoder.TERMINATOR, fed)
        except exceptions.StreamError as exc:
            exc.chunks = self._shown(out, True)
            raise
        self._state = _FINISHED
        return self._shown(out, True)

    def merged(self) -> dict[str, Any]:
        """The merge of every chunk decoded so far (with `merge=True`): the dict `merge_chunks` returns for
        them, also after an error."""
        self._alone("merged()")
        merged = self._delivery.merged()
        if merged is None:
            raise ValueError("merged() needs a decoder made with StreamDecoder(..., merge=True)")
        return merged

    def _alone(self, what: str) -> None:
        """Raises ConcurrentUseError when another thread is inside feed() or finish()."""
        if self._busy.locked():
            raise concurrent_use(what)

    def _shown(self, out: list[ModelResponseStream], ended: bool) -> list[ModelResponseStream]:
        """What the caller gets of a call's chunks; `ended`: the stream ended (or failed), and what the
        delivery holds goes out. Keep in sync with rust/python/decoder.rs::PyStreamDecoder::run."""
        delivery = self._delivery
        if delivery.passes_through():
            return [chunk for chunk in out if chunk.choices] if delivery.skip_choiceless else out
        shown: list[ModelResponseStream] = []
        for chunk in out:
            delivery.accept(chunk, shown)
        if ended:
            delivery.release(shown)
        return shown

    @property
    def done(self) -> bool:
        """Whether the stream's terminator has been seen (or the stream finished complete)."""
        if self._busy.locked():  # _alone() written out: the stream wrapper reads it after every feed
            raise concurrent_use("done")
        return self._state == _DONE or self._state == _FINISHED

    @property
    def bytes_fed(self) -> int:
        self._alone("bytes_fed")
        return self._framer.bytes_fed()

    @property
    def last_event_id(self) -> str:
        """The SSE last-event-ID: the `id` of the last block that ended (persists across events; an `id` in
        an event still arriving does not count yet); empty if the stream sent none."""
        self._alone("last_event_id")
        return self._framer.last_event_id().decode("utf-8", "replace")

    @property
    def retry(self) -> int | None:
        """The SSE reconnection time in milliseconds, if the stream set one."""
        self._alone("retry")
        return self._framer.retry()

    @property
    def dialect(self) -> str:
        self._alone("dialect")
        return self._dialect

    def __repr__(self) -> str:
        # As Rust's `{:?}` shows a str: the names have nothing to escape.
        if self._busy.locked():
            return 'StreamDecoder(state="busy")'
        return f'StreamDecoder(dialect="{self._dialect}", state="{_STATES[self._state]}", bytes_fed={self.bytes_fed})'


def _as_bool(value: Any, name: str) -> bool:
    """A bool argument as pyo3 extracts one: a bool, or numpy's bool; a TypeError naming the argument in a
    note otherwise."""
    if type(value) is bool:
        return value
    kind = type(value)
    if kind.__module__ == "numpy" and kind.__name__ in ("bool_", "bool"):
        return bool(value)
    shown = "'None' is" if value is None else f"'{kind.__qualname__}' object is"
    error = TypeError(f"{shown} not an instance of 'bool'")
    if hasattr(error, "add_note"):  # Python 3.11+
        error.add_note(f"while processing '{name}'")
    raise error


def _is_rust_str(value: Any) -> bool:
    """Whether pyo3 extracts `value` as a Rust String: a str that is valid UTF-8 (no lone surrogate)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _type_error(what: str, value: Any) -> TypeError:
    return TypeError(f"{what}, not {type(value).__name__}")


def _as_bytes(data: Any) -> bytes:
    if type(data) is bytes:
        return data
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"feed() expects bytes, not {type(data).__name__}")
