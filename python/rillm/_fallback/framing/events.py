# Twin of the event types in rust/framing.rs (Event, Pending, describe_byte).
"""What every framing hands the decoders: events, and where a stream stopped short."""

from __future__ import annotations

from typing import NamedTuple


class Event(NamedTuple):
    """One dispatched event. `kind` is the SSE `event:` field (empty when absent, always empty for NDJSON
    and JSON arrays), or an event-stream message's event type; `exception` marks an event-stream exception
    or error message, whose `kind` is then the exception type or error code."""

    kind: bytes
    data: bytes
    # 0-based number of the event among the dispatched ones, and the byte offset where it starts.
    number: int
    offset: int
    exception: bool = False


class Pending(NamedTuple):
    """An event the stream stopped inside of (or the JSON array it never closed): where, and what to say
    (`detail` completes "the stream ended ...")."""

    number: int
    offset: int
    detail: str


WHITESPACE = frozenset(b" \t\r\n")


def describe_byte(byte: int) -> str:
    """A byte as an error message shows it."""
    return f"'{chr(byte)}'" if 0x21 <= byte <= 0x7E else f"byte 0x{byte:02x}"
