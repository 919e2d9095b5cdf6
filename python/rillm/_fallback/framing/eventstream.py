# Twin of rust/framing/eventstream.rs, which documents the format.
"""AWS event-stream framing (`application/vnd.amazon.eventstream`), what Bedrock streams in."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from rillm import _shared
from rillm._fallback.errors import event_too_large, framing_error
from rillm._fallback.framing.events import Event, Pending

_PRELUDE = 12
# Prelude plus the trailing message CRC: the smallest message there is.
_MIN_MESSAGE = _PRELUDE + 4
# Bytes of each header value type with a fixed size (6 and 7 carry a 2-byte length instead).
_FIXED_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_READ_HEADERS = frozenset((b":message-type", b":event-type", b":exception-type", b":error-code", b":error-message"))


class EventStream:
    """Both CRCs are checked and every length is bounded by the message."""

    __slots__ = ("buf", "dispatched", "pos", "pos_after_event", "start", "total")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.total: int | None = None
        self.start = 0
        self.pos = 0
        self.pos_after_event = 0
        self.dispatched = 0

    def feed(self, data: bytes, limit: int) -> Iterator[Event]:
        n = len(data)
        i = 0
        while i < n:
            if not self.buf:
                offset = self.pos + i
                if n - i >= _PRELUDE:
                    total = self.prelude(data, i, offset, limit)
                    if n - i >= total:
                        event = self.message(data[i : i + total], offset)
                        i += total
                        self.pos_after_event = self.pos + i
                        yield event
                        continue
                    self.total = total
                self.start = offset
                self.buf += data[i:]
                break
            want = _PRELUDE if self.total is None else self.total
            take = min(want - len(self.buf), n - i)
            self.buf += data[i : i + take]
            i += take
            if self.total is None and len(self.buf) == _PRELUDE:
                self.total = self.prelude(self.buf, 0, self.start, limit)
            if self.total == len(self.buf):
                message = bytes(self.buf)
                self.buf.clear()
                self.total = None
                event = self.message(message, self.start)
                self.pos_after_event = self.pos + i
                yield event
        self.pos += n

    def stopped(self) -> None:
        self.pos = self.pos_after_event

    def pending(self) -> Pending | None:
        if not self.buf:
            return None
        if self.total is not None:
            into = f"{len(self.buf)} of its {self.total} bytes"
        else:
            into = f"{len(self.buf)} bytes into its {_PRELUDE}-byte prelude"
        event, offset = self.dispatched, self.start
        return Pending(event, offset, f"inside event {event} starting at byte {offset}, {into}")

    def prelude(self, data: bytes | bytearray, at: int, offset: int, limit: int) -> int:
        """Checks the prelude at `data[at:]`; returns the message's total length."""
        total: int
        headers: int
        sent: int
        total, headers, sent = struct.unpack_from(">III", data, at)
        computed = zlib.crc32(data[at : at + 8])
        if sent != computed:
            raise self.error(offset, f"prelude CRC32 mismatch (sent {sent:#010x}, computed {computed:#010x})")
        if total < _MIN_MESSAGE:
            raise self.error(offset, f"message length {total} is shorter than {_MIN_MESSAGE} bytes")
        if total > limit:
            raise event_too_large(self.dispatched, offset, limit)
        if headers > total - _MIN_MESSAGE:
            raise self.error(offset, f"headers length {headers} does not fit in a message of {total} bytes")
        return total

    def message(self, message: bytes, offset: int) -> Event:
        """Checks one whole message; returns its event."""
        body = len(message) - 4
        sent = struct.unpack_from(">I", message, body)[0]
        computed = zlib.crc32(message[:body])
        if sent != computed:
            raise self.error(offset, f"message CRC32 mismatch (sent {sent:#010x}, computed {computed:#010x})")
        headers_end = _PRELUDE + struct.unpack_from(">I", message, 4)[0]
        try:
            headers = parse_headers(message[_PRELUDE:headers_end])
        except _HeaderError as exc:
            at, what = exc.args
            raise self.error(offset, f"header at byte {_PRELUDE + at}: {what}") from None
        payload = message[headers_end:body]
        message_type = headers.get(b":message-type", b"event")
        if message_type == b"event":
            event = Event(headers.get(b":event-type", b""), payload, self.dispatched, offset, False)
        elif message_type == b"exception":
            event = Event(headers.get(b":exception-type", b""), payload, self.dispatched, offset, True)
        elif message_type == b"error":
            if not payload:
                text = headers.get(b":error-message", b"").decode("utf-8", "replace")
                payload = ('{"message":' + _shared.dumps(text) + "}").encode()
            event = Event(headers.get(b":error-code", b""), payload, self.dispatched, offset, True)
        else:
            shown = message_type.decode("utf-8", "replace").encode("unicode_escape").decode()
            raise self.error(offset, f'unknown :message-type "{shown}"')
        self.dispatched += 1
        return event

    def error(self, offset: int, detail: str) -> Exception:
        return framing_error(self.dispatched, offset, detail)


class _HeaderError(Exception):
    """(offset within the headers, what is wrong)."""


def parse_headers(data: bytes) -> dict[bytes, bytes]:
    """The string headers rillm reads, by name."""
    out: dict[bytes, bytes] = {}
    n = len(data)
    i = 0
    while i < n:
        at = i
        name_len = data[i]
        if name_len == 0:
            raise _HeaderError(at, "empty header name")
        i += 1
        if n - i < name_len:
            raise _HeaderError(at, "the name runs past the end of the headers")
        name = data[i : i + name_len]
        i += name_len
        if i >= n:
            raise _HeaderError(at, "the value type is missing")
        kind = data[i]
        i += 1
        size = _FIXED_SIZES.get(kind)
        if size is None:
            if kind not in (6, 7):
                raise _HeaderError(at, f"unknown value type {kind}")
            if n - i < 2:
                raise _HeaderError(at, "the value length runs past the end of the headers")
            size = int.from_bytes(data[i : i + 2], "big")
            i += 2
        if n - i < size:
            raise _HeaderError(at, "the value runs past the end of the headers")
        if kind == 7 and name in _READ_HEADERS:
            out[name] = data[i : i + size]
        i += size
    return out
