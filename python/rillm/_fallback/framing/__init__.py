# Twin of rust/framing/mod.rs: same names, same order, same behaviour.
"""Framing: bytes in, events out.

Server-sent events follow the WHATWG interpretation rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation): one
leading BOM is stripped; CR, LF and CRLF end lines (a CR at the end of one feed and an LF at the start of
the next are one line end); `:` lines are comments; a field without a colon has an empty value; one space
after the colon is dropped; `data` lines join with `\\n`; `id` persists across events unless it holds a
NUL, and becomes the last event ID when its block ends (a blank line), data or not, never as soon as its line
arrives; `retry` is kept when it is all ASCII digits; a block without data dispatches nothing; an unfinished
last line is discarded at the end of the stream (a trailing `id: 9` or `retry: 5` without a line end has no
effect), though a data line cut short still reports that the stream ended inside an event. NDJSON is one
JSON value per LF-terminated line (a trailing CR is dropped, blank lines are skipped, and a last line
without a newline is accepted at `finish`). A JSON array of objects (`json_array.py`) and AWS event-stream
binary frames (`eventstream.py`) are the other two framings. "auto" looks at the first byte that is not a BOM
or JSON white space: `{` is NDJSON, `[` a JSON array, anything else SSE. White space before a JSON value is
skipped; for SSE it is not (` data: x` is a field named " data", so no event): it is read as SSE while the
framing is undecided, and kept when SSE is decided, so "auto" frames an SSE stream exactly as "sse" does.

Framing works on bytes and never decodes UTF-8. Each byte is searched once and copied at most once, so
time is linear however the input is fragmented; `max_event_bytes` bounds what one event may buffer.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from rillm._fallback.errors import event_too_large
from rillm._fallback.framing.events import CONTINUE, STOP, WHITESPACE, Event, Flow, Pending
from rillm._fallback.framing.eventstream import EventStream
from rillm._fallback.framing.json_array import JsonArray
from rillm._fallback.framing.sse import BOM, Lines, SseState, ndjson_line

__all__ = [
    "CONTINUE",
    "DEFAULT_MAX_EVENT_BYTES",
    "FRAMINGS",
    "STOP",
    "Event",
    "Flow",
    "Framer",
    "Pending",
    "frame_events",
]

DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


FRAMINGS = ("sse", "ndjson", "json_array", "eventstream", "auto")


class Framer:
    """Incremental framer for one stream."""

    __slots__ = ("array", "binary", "framing", "lines", "max_event_bytes", "sniff_bom", "sniffed", "sse")

    def __init__(self, framing: str, max_event_bytes: int) -> None:
        # "auto" until the first significant byte decides.
        self.framing = framing
        self.lines = Lines(framing in ("sse", "auto"))
        if framing == "auto":
            self.lines.bom_matched = None  # the sniffing strips the BOM
        self.sse = SseState()
        self.array = JsonArray(0)
        self.binary = EventStream()
        # While "auto" is undecided: BOM bytes matched so far (None once past the stream start), and bytes
        # skipped (the white space among them is also read as SSE by `lines` and `sse`, in case SSE is decided).
        self.sniff_bom: int | None = 0
        self.sniffed = 0
        self.max_event_bytes = max_event_bytes

    def feed(self, data: bytes) -> Iterator[Event]:
        """Frames `data`: an iterator of each complete event. Stop iterating at the stream's terminator and
        call `stopped()`: the rest of `data` is then never read. (Rust's `feed` calls `on_event` for each;
        here the framing's one generator yields them.)"""
        if self.framing == "auto":
            data = self.sniff(data)
            if self.framing == "auto":
                return iter(())
        framing = self.framing
        if framing == "sse":
            return self.lines.feed_sse(data, self.sse, self.max_event_bytes, self.check_partial)
        if framing == "ndjson":
            return self.lines.feed(data, partial(ndjson_line, self.sse), self.max_event_bytes, self.check_partial)
        if framing == "json_array":
            return self.array.feed(data, self.max_event_bytes)
        return self.binary.feed(data, self.max_event_bytes)

    def sniff(self, data: bytes) -> bytes:
        """Skips a leading BOM and white space; at the first other byte decides the framing and returns the
        input from that byte on. The white space is read as SSE meanwhile (it holds no data, so it dispatches
        nothing), kept if SSE is decided and dropped otherwise; a first line of white space longer than
        `max_event_bytes` decides SSE, whose size check then refuses it. A BOM that breaks off after one or
        two bytes makes the stream SSE, whose line splitter keeps those bytes as the start of the first line."""
        i, n = 0, len(data)
        while i < n:
            byte = data[i]
            matched = self.sniff_bom
            if matched is not None:
                if byte == BOM[matched]:
                    self.sniff_bom = matched + 1 if matched + 1 < len(BOM) else None
                    self.sniffed += 1
                    self.lines.pos = self.sniffed
                    i += 1
                    continue
                self.sniff_bom = None
                if matched > 0:
                    self.decide("sse", matched)
                    return data[i:]
            run = i
            while run < n and data[run] in WHITESPACE:
                run += 1
            if run > i:
                self.sniff_white_space(data[i:run])
                i = run
                continue
            self.decide("ndjson" if byte == 0x7B else "json_array" if byte == 0x5B else "sse", None)
            return data[i:]
        return b""

    def sniff_white_space(self, run: bytes) -> None:
        """White space before the framing is decided: read as SSE lines (no event can come of it)."""
        for _ in self.lines.feed(run, self.sse.line, self.max_event_bytes):
            pass  # white space holds no data: no event comes of it
        self.sniffed += len(run)
        if len(self.lines.partial) > self.max_event_bytes:
            self.framing = "sse"
            self.check_partial()

    def decide(self, framing: str, bom_matched: int | None) -> None:
        """Sets the framing. SSE keeps the lines read while sniffing; the others start afresh where it
        stopped."""
        self.framing = framing
        if framing == "sse" and bom_matched is None:
            return
        self.lines = Lines(framing == "sse")
        self.lines.bom_matched = bom_matched
        self.lines.pos = self.sniffed
        self.sse = SseState()
        self.array = JsonArray(self.sniffed)

    def stopped(self) -> None:
        if self.framing in ("sse", "ndjson"):
            self.lines.stopped_at_line()
        elif self.framing == "json_array":
            self.array.stopped()
        else:
            self.binary.stopped()

    def finish(self) -> tuple[list[Event], Pending | None]:
        """Ends the stream. NDJSON dispatches an unterminated last line; SSE discards it and never dispatches
        an unterminated event (WHATWG), and instead returns where that event started, for the caller to
        report; so do the JSON-array and event-stream framings for an element or frame cut short."""
        framing = self.framing
        if framing == "json_array":
            return [], self.array.pending()
        if framing == "eventstream":
            return [], self.binary.pending()
        if framing == "auto":
            return [], None
        limit = self.max_event_bytes
        taken = self.lines.take_partial()
        if framing == "sse":
            # WHATWG: an unfinished last line is discarded.
            return [], self.sse.pending(taken)
        if taken is None:
            return [], None
        line, offset = taken
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


def frame_events(
    pieces: list[bytes], framing: str = "sse", max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
) -> tuple[list[tuple[bytes, bytes, int, int, bool]], tuple[int, int] | None, bytes, int | None]:
    """Frames `pieces` as one stream: `(kind, data, event, offset, exception)` of every event, the unterminated
    event at the end `(event, offset)` if any, and the last event id and retry. For tests and tools;
    twin of rust/python/decoder.rs::frame_events."""
    if framing not in FRAMINGS:
        raise ValueError(f'unknown framing "{framing}"; expected one of: {", ".join(FRAMINGS)}')
    framer = Framer(framing, max_event_bytes)
    events = [_as_tuple(e) for piece in pieces for e in framer.feed(bytes(piece))]
    tail, pending = framer.finish()
    events.extend(_as_tuple(e) for e in tail)
    where = None if pending is None else (pending.event, pending.offset)
    return events, where, framer.last_event_id(), framer.retry()


def _as_tuple(e: Event) -> tuple[bytes, bytes, int, int, bool]:
    return e.kind, e.data, e.event, e.offset, e.exception
