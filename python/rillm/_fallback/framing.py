# Twin of rust/framing.rs: same names, same order, same behaviour.
"""Framing: bytes in, events out.

Server-sent events follow the WHATWG interpretation rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): one
leading BOM is stripped; CR, LF and CRLF end lines (a CR at the end of one feed and an LF at the start of
the next are one line end); `:` lines are comments; a field without a colon has an empty value; one space
after the colon is dropped; `data` lines join with `\\n`; `id` persists across events unless it holds a
NUL; `retry` is kept when it is all ASCII digits; a block without data dispatches nothing. NDJSON is one
JSON value per LF-terminated line (a trailing CR is dropped, blank lines are skipped, and a last line
without a newline is accepted at `finish`). A JSON array of objects (`JsonArray`) and AWS event-stream
binary frames (`EventStream`) are the other two framings. "auto" looks at the first byte that is not a BOM
or whitespace (which it skips): `{` is NDJSON, `[` a JSON array, anything else SSE.

Framing works on bytes and never decodes UTF-8. Each byte is searched once and copied at most once, so
time is linear however the input is fragmented; `max_event_bytes` bounds what one event may buffer.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from rillm import _shared
from rillm._fallback.errors import event_too_large, framing_error

DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024

_BOM = b"\xef\xbb\xbf"
_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A


FRAMINGS = ("sse", "ndjson", "json_array", "eventstream", "auto")


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


class Lines:
    """Splits bytes into lines. Holds the unterminated tail of the input between feeds."""

    __slots__ = ("bom_matched", "cr_ends_line", "partial", "partial_start", "pos", "pos_after_line", "skip_lf")

    def __init__(self, cr_ends_line: bool) -> None:
        self.cr_ends_line = cr_ends_line
        # How many bytes of a leading BOM have matched so far; None once the stream start is past.
        self.bom_matched: int | None = 0
        # The previous feed ended with CR: an LF at the start of the next feed belongs to it.
        self.skip_lf = False
        self.partial = bytearray()
        self.partial_start = 0
        # Stream offset of the next byte to be fed, and where the last line yielded ended.
        self.pos = 0
        self.pos_after_line = 0

    def feed(self, data: bytes) -> Iterator[tuple[bytes, int]]:
        """Yields `(line, offset)` for every complete line in `data`, in order. The caller stops
        iterating at the stream's terminator, and the rest of `data` is then never read."""
        data = self.strip_bom(data)
        n = len(data)
        i = 0
        if self.skip_lf and n:
            self.skip_lf = False
            if data[0] == _LF:
                i = 1
        cr_ends_line = self.cr_ends_line
        # Where the next LF and CR are; -1 once there is none left (so each is searched once per feed).
        next_lf = data.find(b"\n", i)
        next_cr = data.find(b"\r", i) if cr_ends_line else -1
        while i < n:
            if next_lf != -1 and next_lf < i:
                next_lf = data.find(b"\n", i)
            if next_cr != -1 and next_cr < i:
                next_cr = data.find(b"\r", i)
            end = next_lf if next_cr == -1 or (next_lf != -1 and next_lf < next_cr) else next_cr
            if end == -1:
                if not self.partial:
                    self.partial_start = self.pos + i
                self.partial += data[i:]
                break
            if self.partial:
                self.partial += data[i:end]
                line = bytes(self.partial)
                self.partial.clear()
                offset = self.partial_start
            else:
                line = data[i:end]
                offset = self.pos + i
            i = end + 1
            if data[end] == _CR:
                if i == n:
                    self.skip_lf = True
                elif data[i] == _LF:
                    i += 1
            # The consumer may stop here: account for what was read first.
            self.pos_after_line = self.pos + i
            yield line, offset
        self.pos += n

    def stopped_at_line(self) -> None:
        """The consumer stopped after the last line yielded: only the bytes up to it were read."""
        self.pos = self.pos_after_line

    def take_partial(self) -> tuple[bytes, int] | None:
        """Takes the unterminated last line, if any, with its offset."""
        if not self.partial:
            return None
        line = bytes(self.partial)
        self.partial.clear()
        return line, self.partial_start

    def strip_bom(self, data: bytes) -> bytes:
        """Drops one leading UTF-8 BOM, which may arrive split across feeds. Matched bytes that turn out
        not to be a BOM are kept as the start of the first line (they hold no line end)."""
        start = 0
        while self.bom_matched is not None and start < len(data):
            matched = self.bom_matched
            if data[start] == _BOM[matched]:
                start += 1
                self.pos += 1
                self.bom_matched = None if matched + 1 == len(_BOM) else matched + 1
            else:
                self.bom_matched = None
                self.partial += _BOM[:matched]
                self.partial_start = 0
        return data[start:] if start else data


class SseState:
    """The fields of the SSE event being assembled, and what persists across events."""

    __slots__ = ("block_start", "data", "dispatched", "event_type", "has_data", "last_event_id", "retry")

    def __init__(self) -> None:
        self.data = bytearray()
        self.has_data = False
        self.event_type = b""
        # Offset of the first line of the current block (lines since the last blank line).
        self.block_start: int | None = None
        self.last_event_id = b""
        self.retry: int | None = None
        self.dispatched = 0

    def line(self, line: bytes, offset: int, limit: int) -> Event | None:
        if not line:
            return self.dispatch()
        if self.block_start is None:
            self.block_start = offset
        if len(self.data) + len(line) > limit:
            raise event_too_large(self.dispatched, self.block_start, limit)
        if line[0] == _COLON:
            return None
        colon = line.find(b":")
        if colon == -1:
            field, value = line, b""
        else:
            field = line[:colon]
            skip = 2 if line[colon + 1 : colon + 2] == b" " else 1
            value = line[colon + skip :]
        if field == b"data":
            if self.has_data:
                self.data += b"\n"
            self.data += value
            self.has_data = True
        elif field == b"event":
            self.event_type = value
        elif field == b"id":
            if b"\0" not in value:
                self.last_event_id = value
        elif field == b"retry" and value and value.isdigit():
            # A value too large for u64 is ignored, like any other unusable retry.
            retry = int(value)
            if retry < 2**64:
                self.retry = retry
        return None

    def dispatch(self) -> Event | None:
        start = self.block_start
        self.block_start = None
        if not self.has_data:
            self.event_type = b""
            return None
        event = Event(self.event_type, bytes(self.data), self.dispatched, start or 0)
        self.dispatched += 1
        self.data.clear()
        self.has_data = False
        self.event_type = b""
        return event

    def pending(self) -> Pending | None:
        """Where the event being assembled starts, if it holds data that was never dispatched."""
        if not self.has_data:
            return None
        number, offset = self.dispatched, self.block_start or 0
        return Pending(number, offset, f"inside event {number} starting at byte {offset}, before its blank line")


class Framer:
    """Incremental framer for one stream."""

    __slots__ = ("array", "binary", "framing", "lines", "max_event_bytes", "sniff_bom", "sniffed", "sse")

    def __init__(self, framing: str, max_event_bytes: int) -> None:
        # "auto" until the first significant byte decides.
        self.framing = framing
        self.lines = Lines(framing == "sse")
        self.sse = SseState()
        self.array = JsonArray(0)
        self.binary = EventStream()
        # While "auto" is undecided: BOM bytes matched so far (None once past the stream start), and bytes
        # skipped.
        self.sniff_bom: int | None = 0
        self.sniffed = 0
        self.max_event_bytes = max_event_bytes

    def feed(self, data: bytes) -> Iterator[Event]:
        """Frames `data`, yielding each complete event. Stop iterating at the stream's terminator and
        call `stopped()`: the rest of `data` is then never read."""
        if self.framing == "auto":
            data = self.sniff(data)
            if self.framing == "auto":
                return
        sse, limit, framing = self.sse, self.max_event_bytes, self.framing
        if framing == "sse":
            for line, offset in self.lines.feed(data):
                event = sse.line(line, offset, limit)
                if event is not None:
                    yield event
        elif framing == "ndjson":
            for line, offset in self.lines.feed(data):
                event = ndjson_line(sse, line, offset, limit)
                if event is not None:
                    yield event
        elif framing == "json_array":
            yield from self.array.feed(data, limit)
            return
        else:
            yield from self.binary.feed(data, limit)
            return
        self.check_partial()

    def sniff(self, data: bytes) -> bytes:
        """Skips a leading BOM and whitespace; at the first other byte decides the framing and returns the
        input from that byte on. A BOM that breaks off after one or two bytes makes the stream SSE, whose
        line splitter keeps those bytes as the start of the first line."""
        for i, byte in enumerate(data):
            matched = self.sniff_bom
            if matched is not None:
                if byte == _BOM[matched]:
                    self.sniff_bom = matched + 1 if matched + 1 < len(_BOM) else None
                    self.sniffed += 1
                    continue
                self.sniff_bom = None
                if matched > 0:
                    self.decide("sse", matched)
                    return data[i:]
            if byte in _WHITESPACE:
                self.sniffed += 1
                continue
            self.decide("ndjson" if byte == 0x7B else "json_array" if byte == 0x5B else "sse", None)
            return data[i:]
        return b""

    def decide(self, framing: str, bom_matched: int | None) -> None:
        self.framing = framing
        self.lines = Lines(framing == "sse")
        self.lines.bom_matched = bom_matched
        self.lines.pos = self.sniffed
        self.array = JsonArray(self.sniffed)

    def stopped(self) -> None:
        if self.framing in ("sse", "ndjson"):
            self.lines.stopped_at_line()
        elif self.framing == "json_array":
            self.array.stopped()
        else:
            self.binary.stopped()

    def finish(self) -> tuple[list[Event], Pending | None]:
        """Ends the stream. NDJSON dispatches an unterminated last line; SSE never dispatches an
        unterminated event (WHATWG) and instead returns where it started, for the caller to report; so do
        the JSON-array and event-stream framings for an element or frame cut short."""
        framing = self.framing
        if framing == "json_array":
            return [], self.array.pending()
        if framing == "eventstream":
            return [], self.binary.pending()
        if framing == "auto":
            return [], None
        limit = self.max_event_bytes
        taken = self.lines.take_partial()
        if taken is None:
            return [], self.sse.pending()
        line, offset = taken
        if framing == "sse":
            self.sse.line(line, offset, limit)
            return [], self.sse.pending()
        event = ndjson_line(self.sse, line, offset, limit)
        return ([event] if event is not None else []), None

    def bytes_fed(self) -> int:
        """Bytes fed so far, BOM included."""
        framing = self.framing
        if framing in ("sse", "ndjson"):
            return self.lines.pos
        if framing == "json_array":
            return self.array.pos
        if framing == "eventstream":
            return self.binary.pos
        return self.sniffed

    def last_event_id(self) -> bytes:
        return self.sse.last_event_id

    def retry(self) -> int | None:
        return self.sse.retry

    def check_partial(self) -> None:
        """Bounds what the event being assembled holds: its data plus the unterminated line."""
        partial = len(self.lines.partial)
        if partial and len(self.sse.data) + partial > self.max_event_bytes:
            offset = self.sse.block_start if self.sse.block_start is not None else self.lines.partial_start
            raise event_too_large(self.sse.dispatched, offset, self.max_event_bytes)


_WHITESPACE = frozenset(b" \t\r\n")


def describe_byte(byte: int) -> str:
    """A byte as an error message shows it."""
    return f"'{chr(byte)}'" if 0x21 <= byte <= 0x7E else f"byte 0x{byte:02x}"


class JsonArray:
    """JSON-array framing: Gemini's `streamGenerateContent` without `alt=sse` answers with one JSON array
    of response objects, written out as they are generated. Each element is one event. The scanner only
    tracks strings, escapes and nesting depth; the decoder parses each element. Twin of
    rust/framing/json_array.rs."""

    __slots__ = ("buf", "depth", "dispatched", "escape", "in_string", "pos", "pos_after_event", "start", "state")

    # States: before `[`; after `[`; inside an element; after an element; after `,`; after `]`.
    OPEN, FIRST, ELEMENT, AFTER, COMMA, CLOSED = range(6)
    _EXPECTED = ("`[`", "an object or `]`", "nothing", "`,` or `]`", "an object", "nothing")

    def __init__(self, pos: int) -> None:
        self.state = JsonArray.OPEN
        self.depth = 0
        self.in_string = False
        self.escape = False
        self.buf = bytearray()
        self.start = 0
        self.pos = pos
        self.pos_after_event = pos
        self.dispatched = 0

    def feed(self, data: bytes, limit: int) -> Iterator[Event]:
        n = len(data)
        i = 0
        while i < n:
            if self.state == JsonArray.ELEMENT:
                begin = i
                end = self.scan(data, i)
                if end == -1:
                    self.buf += data[begin:]
                    if len(self.buf) > limit:
                        raise event_too_large(self.dispatched, self.start, limit)
                    break
                i = end
                if self.buf:
                    self.buf += data[begin:end]
                    element = bytes(self.buf)
                    self.buf.clear()
                else:
                    element = data[begin:end]
                if len(element) > limit:
                    raise event_too_large(self.dispatched, self.start, limit)
                event = Event(b"", element, self.dispatched, self.start)
                self.dispatched += 1
                self.pos_after_event = self.pos + i
                yield event
                continue
            byte = data[i]
            if byte not in _WHITESPACE:
                state = self.state
                if state == JsonArray.OPEN and byte == 0x5B:
                    self.state = JsonArray.FIRST
                elif state in (JsonArray.FIRST, JsonArray.COMMA) and byte == 0x7B:
                    self.start = self.pos + i
                    self.state = JsonArray.ELEMENT
                    continue
                elif state in (JsonArray.FIRST, JsonArray.AFTER) and byte == 0x5D:
                    self.state = JsonArray.CLOSED
                elif state == JsonArray.AFTER and byte == 0x2C:
                    self.state = JsonArray.COMMA
                else:
                    raise self.unexpected(byte, self.pos + i)
            i += 1
        self.pos += n

    def stopped(self) -> None:
        self.pos = self.pos_after_event

    def scan(self, data: bytes, i: int) -> int:
        """The end of the element in `data` from `i` (just past its closing brace), or -1 when it goes on
        past `data`."""
        n = len(data)
        while i < n:
            if self.in_string:
                if self.escape:
                    self.escape = False
                    i += 1
                    continue
                match = _STRING_SPECIAL.search(data, i)
                if match is None:
                    return -1
                i = match.start()
                if data[i] == 0x5C:
                    self.escape = True
                else:
                    self.in_string = False
                i += 1
                continue
            match = _STRUCTURAL.search(data, i)
            if match is None:
                return -1
            i = match.start()
            byte = data[i]
            i += 1
            if byte == 0x22:
                self.in_string = True
            elif byte in (0x7B, 0x5B):
                self.depth += 1
            else:
                self.depth -= 1
                if self.depth == 0:
                    self.state = JsonArray.AFTER
                    return i
        return -1

    def pending(self) -> Pending | None:
        if self.state == JsonArray.CLOSED:
            return None
        if self.state == JsonArray.ELEMENT:
            number, offset = self.dispatched, self.start
            return Pending(number, offset, f"inside event {number} starting at byte {offset}, before its closing brace")
        return Pending(self.dispatched, self.pos, "before the closing `]` of the JSON array")

    def unexpected(self, byte: int, offset: int) -> Exception:
        if self.state == JsonArray.CLOSED:
            detail = f"{describe_byte(byte)} after the end of the JSON array"
        else:
            detail = f"expected {JsonArray._EXPECTED[self.state]} in the JSON array, found {describe_byte(byte)}"
        return framing_error(self.dispatched, offset, detail)


_STRING_SPECIAL = re.compile(rb'["\\]')
_STRUCTURAL = re.compile(rb'["{}\[\]]')

_PRELUDE = 12
# Prelude plus the trailing message CRC: the smallest message there is.
_MIN_MESSAGE = _PRELUDE + 4
# Bytes of each header value type with a fixed size (6 and 7 carry a 2-byte length instead).
_FIXED_SIZES = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
_READ_HEADERS = frozenset((b":message-type", b":event-type", b":exception-type", b":error-code", b":error-message"))


class EventStream:
    """AWS event-stream framing (`application/vnd.amazon.eventstream`), what Bedrock streams in. Twin of
    rust/framing/eventstream.rs, which documents the format. Both CRCs are checked and every length is
    bounded by the message."""

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
        number, offset = self.dispatched, self.start
        return Pending(number, offset, f"inside event {number} starting at byte {offset}, {into}")

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


def ndjson_line(sse: SseState, line: bytes, offset: int, limit: int) -> Event | None:
    """One NDJSON line: blank lines are skipped, every other line is an event of its own. The size check
    comes before the CR is trimmed, so it sees what the line buffer held whatever the feed boundaries."""
    if len(line) > limit:
        raise event_too_large(sse.dispatched, offset, limit)
    if line.endswith(b"\r"):
        line = line[:-1]
    if not line.strip(b" \t\r\n"):
        return None
    event = Event(b"", line, sse.dispatched, offset)
    sse.dispatched += 1
    return event


def frame_events(
    pieces: list[bytes], framing: str = "sse", max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> tuple[list[tuple[bytes, bytes, int, int, bool]], tuple[int, int] | None, bytes, int | None]:
    """Frames `pieces` as one stream: `(kind, data, number, offset, exception)` of every event, the unterminated
    event at the end `(number, offset)` if any, and the last event id and retry. For tests and tools;
    twin of rust/python/decoder.rs::frame_events."""
    if framing not in FRAMINGS:
        raise ValueError(f'unknown framing "{framing}"; expected one of: {", ".join(FRAMINGS)}')
    framer = Framer(framing, max_event_bytes)
    events = [tuple(e) for piece in pieces for e in framer.feed(bytes(piece))]
    tail, pending = framer.finish()
    events.extend(tuple(e) for e in tail)
    where = None if pending is None else (pending.number, pending.offset)
    return events, where, framer.last_event_id(), framer.retry()  # type: ignore[return-value]
