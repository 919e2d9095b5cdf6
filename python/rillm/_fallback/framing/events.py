# Twin of rust/framing/events.rs (Event, Flow, Pending, describe_byte).
"""What every framing hands the decoders: events, what a decoder wants next, and where a stream stopped
short."""

from __future__ import annotations

from typing import Final, NamedTuple


class Event:
    """One dispatched event. `kind` is the SSE `event:` field (empty when absent, always empty for NDJSON
    and JSON arrays), or an event-stream message's event type; `exception` marks an event-stream exception
    or error message, whose `kind` is then the exception type or error code.

    Rust's event carries `pos: Pos { event, offset }`; here they are two attributes of the event itself:
    one object per event instead of two, and a `__slots__` class rather than a NamedTuple, which measured
    about 300 ns cheaper to make and cheaper to read."""

    __slots__ = ("data", "event", "exception", "kind", "offset")

    def __init__(self, kind: bytes, data: bytes, event: int, offset: int, exception: bool = False) -> None:
        self.kind = kind
        self.data = data
        # 0-based number of the event among the dispatched ones, and the byte offset where it starts.
        self.event = event
        self.offset = offset
        self.exception = exception

    def __repr__(self) -> str:
        where = f"event={self.event}, offset={self.offset}, exception={self.exception}"
        return f"Event({self.kind!r}, {self.data!r}, {where})"


# What the consumer of an event wants next (Rust's `Flow::Continue` and `Flow::Stop`): a decoder's
# `decode()` returns one per event, so they are plain bools, the cheapest value to return and test.
Flow = bool
CONTINUE: Final = False
# The stream's terminator was seen: stop reading.
STOP: Final = True


class Pending(NamedTuple):
    """An event the stream stopped inside of (or the JSON array it never closed): where, and what to say
    (`detail` completes "the stream ended ...")."""

    event: int
    offset: int
    detail: str


WHITESPACE = frozenset(b" \t\r\n")


def describe_byte(byte: int) -> str:
    """A byte as an error message shows it."""
    return f"'{chr(byte)}'" if 0x21 <= byte <= 0x7E else f"byte 0x{byte:02x}"
