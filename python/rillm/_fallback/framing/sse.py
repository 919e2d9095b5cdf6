# Twin of rust/framing/sse.rs.
"""Lines and server-sent events (the WHATWG rules), and NDJSON lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rillm._fallback.errors import event_too_large
from rillm._fallback.framing.events import Event, Pending

BOM = b"\xef\xbb\xbf"
_LF = 0x0A
_CR = 0x0D
_COLON = 0x3A

# What `Lines.feed` calls for each line: `(line, offset, limit)`, returning the event it completes, if any.
OnLine = Callable[[bytes, int, int], "Event | None"]


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

    def feed(
        self, data: bytes, on_line: OnLine, limit: int, check: Callable[[], None] | None = None
    ) -> Iterator[Event]:
        """Calls `on_line(line, offset, limit)` for every complete line in `data`, in order, and yields the
        events it returns; then `check()`. The caller stops iterating at the stream's terminator, and the rest
        of `data` is then never read. (Rust's `on_line` hands its events on through a callback; here the one
        generator per feed yields them, with no second generator of lines in between.)"""
        data = self.strip_bom(data) if self.bom_matched is not None else data
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
            # The consumer may stop at this line's event: account for what was read first.
            self.pos_after_line = self.pos + i
            event = on_line(line, offset, limit)
            if event is not None:
                yield event
        self.pos += n
        if check is not None:
            check()

    def feed_sse(self, data: bytes, sse: SseState, limit: int, check: Callable[[], None]) -> Iterator[Event]:
        """`feed(data, sse.line, limit, check)`, with the lines of almost every event written out: a `data: `
        line, and a `data: ` line followed at once by the blank line that dispatches it, which becomes the
        event without going through `sse.data` (no call, no copy into the buffer). It runs once per event
        when a server writes each event on its own. Keep in sync with `feed`, `SseState.line` and
        `SseState.dispatch`; rust/framing/sse.rs has one line loop for both."""
        data = self.strip_bom(data) if self.bom_matched is not None else data
        n = len(data)
        i = 0
        if self.skip_lf and n:
            self.skip_lf = False
            if data[0] == _LF:
                i = 1
        pos = self.pos
        next_lf = data.find(b"\n", i)
        next_cr = data.find(b"\r", i)
        while i < n:
            if next_lf != -1 and next_lf < i:
                next_lf = data.find(b"\n", i)
            if next_cr != -1 and next_cr < i:
                next_cr = data.find(b"\r", i)
            end = next_lf if next_cr == -1 or (next_lf != -1 and next_lf < next_cr) else next_cr
            if end == -1:
                if not self.partial:
                    self.partial_start = pos + i
                self.partial += data[i:]
                break
            start = i
            i = end + 1
            if data[end] == _CR:
                if i == n:
                    self.skip_lf = True
                elif data[i] == _LF:
                    i += 1
            if self.partial:
                self.partial += data[start:end]
                line = bytes(self.partial)
                self.partial.clear()
                self.pos_after_line = pos + i
                event = sse.line(line, self.partial_start, limit)
                if event is not None:
                    yield event
            elif start == end:
                self.pos_after_line = pos + i
                event = sse.dispatch()
                if event is not None:
                    yield event
            elif data.startswith(b"data: ", start):
                block = sse.block_start
                if block is None:
                    block = sse.block_start = pos + start
                if len(sse.data) + end - start > limit:
                    raise event_too_large(sse.dispatched, block, limit)
                if not sse.has_data and i < n and (data[i] == _LF or data[i] == _CR):
                    # The blank line right after: the event is this line's value.
                    i += 1
                    if data[i - 1] == _CR:
                        if i == n:
                            self.skip_lf = True
                        elif data[i] == _LF:
                            i += 1
                    self.pos_after_line = pos + i
                    event = Event(sse.event_type, data[start + 6 : end], sse.dispatched, block)
                    sse.block_start = None
                    sse.last_event_id = sse.id_buffer
                    sse.dispatched += 1
                    sse.event_type = b""
                    yield event
                    continue
                if sse.has_data:
                    sse.data += b"\n"
                sse.data += data[start + 6 : end]
                sse.has_data = True
                self.pos_after_line = pos + i
            else:
                self.pos_after_line = pos + i
                sse.line(data[start:end], pos + start, limit)  # not blank: it dispatches nothing
        self.pos = pos + n
        if self.partial:
            check()

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
            if data[start] == BOM[matched]:
                start += 1
                self.pos += 1
                self.bom_matched = None if matched + 1 == len(BOM) else matched + 1
            else:
                self.bom_matched = None
                self.partial += BOM[:matched]
                self.partial_start = 0
        return data[start:] if start else data


class SseState:
    """The fields of the SSE event being assembled, and what persists across events."""

    __slots__ = (
        "block_start",
        "data",
        "dispatched",
        "event_type",
        "has_data",
        "id_buffer",
        "last_event_id",
        "retry",
    )

    def __init__(self) -> None:
        self.data = bytearray()
        self.has_data = False
        self.event_type = b""
        # Offset of the first line of the current block (lines since the last blank line).
        self.block_start: int | None = None
        # The `id` field's value as it arrives (WHATWG's last event ID buffer); `last_event_id` takes it when
        # the block ends (a blank line), so an id whose block never ended is never reported.
        self.id_buffer = b""
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
        if line.startswith(b"data: "):
            # The commonest line, read as the general case below reads it (field `data`, one space dropped)
            # without splitting it first.
            if self.has_data:
                self.data += b"\n"
            self.data += line[6:]
            self.has_data = True
            return None
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
                self.id_buffer = value
        elif field == b"retry" and value and value.isdigit():
            # A value too large for u64 is ignored, like any other unusable retry.
            retry = int(value)
            if retry < 2**64:
                self.retry = retry
        return None

    def dispatch(self) -> Event | None:
        start = self.block_start
        self.block_start = None
        self.last_event_id = self.id_buffer
        if not self.has_data:
            self.event_type = b""
            return None
        event = Event(self.event_type, bytes(self.data), self.dispatched, start or 0)
        self.dispatched += 1
        self.data.clear()
        self.has_data = False
        self.event_type = b""
        return event

    def pending(self, partial: tuple[bytes, int] | None) -> Pending | None:
        """Where the event being assembled starts, if it holds data that was never dispatched, or if
        `partial` (the unterminated last line, which is discarded) is a data line."""
        cut = partial[1] if partial is not None and is_data_line(partial[0]) else None
        if not self.has_data and cut is None:
            return None
        event = self.dispatched
        offset = self.block_start if self.block_start is not None else cut if cut is not None else 0
        return Pending(event, offset, f"inside event {event} starting at byte {offset}, before its blank line")


def is_data_line(line: bytes) -> bool:
    """Whether a line is a `data` field: `data` alone, or followed by a colon."""
    return line.startswith(b"data") and (len(line) == 4 or line[4] == _COLON)


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
