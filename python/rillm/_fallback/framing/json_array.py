# Twin of rust/framing/json_array.rs.
"""JSON-array framing: Gemini's `streamGenerateContent` without `alt=sse` answers with one JSON array of
response objects, written out as they are generated. Each element is one event."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rillm._fallback.errors import event_too_large, framing_error
from rillm._fallback.framing.events import WHITESPACE, Event, Pending, describe_byte


class JsonArray:
    """The scanner only tracks strings, escapes and nesting depth; the decoder parses each element."""

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
            if byte not in WHITESPACE:
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
            event, offset = self.dispatched, self.start
            return Pending(event, offset, f"inside event {event} starting at byte {offset}, before its closing brace")
        return Pending(self.dispatched, self.pos, "before the closing `]` of the JSON array")

    def unexpected(self, byte: int, offset: int) -> Exception:
        if self.state == JsonArray.CLOSED:
            detail = f"{describe_byte(byte)} after the end of the JSON array"
        else:
            detail = f"expected {JsonArray._EXPECTED[self.state]} in the JSON array, found {describe_byte(byte)}"
        return framing_error(self.dispatched, offset, detail)


_STRING_SPECIAL = re.compile(rb'["\\]')
_STRUCTURAL = re.compile(rb'["{}\[\]]')
