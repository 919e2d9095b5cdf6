"""The framings the recordings use, read from their specifications (no rillm code)."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from typing import Any


def sse_events(body: bytes) -> Iterator[tuple[str, str]]:
    """(event name, data) of every complete event, by the WHATWG rules: a leading BOM is dropped; lines end
    in CRLF, LF or CR; `:` starts a comment; one space after the colon is dropped; `data` lines join with
    LF; a blank line dispatches an event that has data. An event the body does not finish is not read."""
    text = body.decode("utf-8").removeprefix("\ufeff")
    name, data = "", []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:-1]:
        if not line:
            if data:
                yield name, "\n".join(data)
            name, data = "", []
            continue
        key, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if key == "data":
            data.append(value)
        elif key == "event":
            name = value


def ndjson_lines(body: bytes) -> Iterator[str]:
    """One JSON value a line; blank lines are skipped; a last line without its newline counts."""
    for line in body.decode("utf-8").split("\n"):
        if line.strip():
            yield line


def json_array(body: bytes) -> Iterator[Any]:
    """The elements of one streamed JSON array (Gemini without alt=sse)."""
    yield from json.loads(body.decode("utf-8"))


STRING = 7  # the only header value type the recordings use


def event_stream(body: bytes) -> Iterator[tuple[dict[str, str], bytes]]:
    """(headers, payload) of each AWS event-stream frame: a prelude (total length, headers length, the
    CRC32 of those 8 bytes), headers (name length, name, value type, value length, value), the payload,
    and the CRC32 of everything before it. Both CRCs are checked."""
    at = 0
    while at < len(body):
        total, headers_length, prelude_crc = struct.unpack(">III", body[at : at + 12])
        frame = body[at : at + total]
        if zlib.crc32(frame[:8]) != prelude_crc or zlib.crc32(frame[:-4]) != int.from_bytes(frame[-4:], "big"):
            raise ValueError(f"frame at byte {at}: CRC32 mismatch")
        headers: dict[str, str] = {}
        h = 12
        while h < 12 + headers_length:
            size = frame[h]
            name = frame[h + 1 : h + 1 + size].decode()
            if frame[h + 1 + size] != STRING:
                raise ValueError(f"frame at byte {at}: header {name} is not a string")
            (length,) = struct.unpack(">H", frame[h + 2 + size : h + 4 + size])
            headers[name] = frame[h + 4 + size : h + 4 + size + length].decode()
            h += 4 + size + length
        yield headers, frame[12 + headers_length : -4]
        at += total
