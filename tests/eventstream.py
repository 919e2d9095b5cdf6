"""A small AWS event-stream encoder, for building the Bedrock frames the recordings lack (exceptions,
every header value type, corrupt CRCs, truncation). Independent of rillm: it follows the format as AWS
documents it (prelude of total length, headers length and their CRC32; headers; payload; message CRC32).
"""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from typing import Any

# Header value types.
TRUE, FALSE, BYTE, SHORT, INT, LONG, BYTES, STRING, TIMESTAMP, UUID = range(10)


def header(name: str, kind: int, value: Any = None) -> bytes:
    encoded = name.encode()
    out = bytes([len(encoded)]) + encoded + bytes([kind])
    if kind in (TRUE, FALSE):
        return out
    if kind == BYTE:
        return out + struct.pack(">b", value)
    if kind == SHORT:
        return out + struct.pack(">h", value)
    if kind == INT:
        return out + struct.pack(">i", value)
    if kind in (LONG, TIMESTAMP):
        return out + struct.pack(">q", value)
    if kind == UUID:
        return out + value.bytes
    raw = value if isinstance(value, bytes) else value.encode()
    return out + struct.pack(">H", len(raw)) + raw


def message(headers: list[bytes] | bytes, payload: bytes) -> bytes:
    encoded = headers if isinstance(headers, bytes) else b"".join(headers)
    total = 12 + len(encoded) + len(payload) + 4
    prelude = struct.pack(">II", total, len(encoded))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    body = prelude + encoded + payload
    return body + struct.pack(">I", zlib.crc32(body))


def event(event_type: str, payload: Any) -> bytes:
    """A Bedrock event frame with a JSON payload (dicts are dumped compactly)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload, separators=(",", ":")).encode()
    return message(
        [
            header(":event-type", STRING, event_type),
            header(":content-type", STRING, "application/json"),
            header(":message-type", STRING, "event"),
        ],
        data,
    )


def exception(exception_type: str, text: str) -> bytes:
    payload = json.dumps({"message": text}).encode()
    return message(
        [
            header(":exception-type", STRING, exception_type),
            header(":content-type", STRING, "application/json"),
            header(":message-type", STRING, "exception"),
        ],
        payload,
    )


def every_header_type() -> list[bytes]:
    """One header of each of the ten value types, plus the event type."""
    return [
        header("t", TRUE),
        header("f", FALSE),
        header("b", BYTE, -3),
        header("s", SHORT, 300),
        header("i", INT, -70000),
        header("l", LONG, 2**40),
        header("a", BYTES, b"\x00\xff"),
        header("ts", TIMESTAMP, 1700000000000),
        header("u", UUID, uuid.UUID(int=7)),
        header(":event-type", STRING, "metadata"),
    ]
