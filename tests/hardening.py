"""What the hardening tests share: a recording with a value planted inside one of its events (as an extra key
of the event's JSON object, which every dialect reads past or keeps raw), and the outcome both backends must
agree on. Independent of rillm's framing: SSE and NDJSON payloads are found by their line shape, AWS
event-stream frames by their prelude (tests/eventstream.py encodes the changed frame)."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from typing import Any

from tests import eventstream
from tests.conftest import FIXTURES, dialect_of

# One recording per dialect and framing, long enough to plant a value in the middle of.
SAMPLES = [
    "openai/gpt5-text-after-tools.sse",
    "openai/gpt4o-content-logprobs.sse",
    "anthropic/thinking-then-tool.sse",
    "cohere/v2-tool-calls.sse",
    "cohere/v1-chat-stream-json.ndjson",
    "google/thinking-parts.sse",
    "ollama/chat-thinking-gptoss.ndjson",
    "bedrock/converse-thinking-claude.bin",
    "bedrock/invoke-stream-claude-tool-use.bin",
]

_SSE_PAYLOAD = re.compile(rb"(?m)^data: ?\{(?!\})")
_NDJSON_PAYLOAD = re.compile(rb"(?m)^\{(?!\})")


@dataclass(frozen=True)
class Planted:
    """A recording with `key: value` planted in one event's object: the bytes, where the event's payload
    starts, and the bytes before the event (fed alone, they yield exactly the chunks before it)."""

    name: str
    dialect: str
    data: bytes
    at: int
    before: bytes


def framing(name: str) -> str:
    return {".sse": "sse", ".ndjson": "ndjson", ".bin": "eventstream"}[name[name.rindex(".") :]]


def plant(name: str, value: bytes, key: bytes = b"rillm_probe", which: float = 0.5) -> Planted:
    """`"key": value` planted as the first key of the object of the event `which` of the way through."""
    data = (FIXTURES / name).read_bytes()
    entry = key.join([b'"', b'":']) + value + b","
    if framing(name) == "eventstream":
        return _plant_frame(name, data, entry, which)
    pattern = _SSE_PAYLOAD if framing(name) == "sse" else _NDJSON_PAYLOAD
    starts = [m.end() for m in pattern.finditer(data)]
    brace = starts[int(len(starts) * which)]
    line = data.rfind(b"\n", 0, brace) + 1
    block = line if framing(name) == "ndjson" else _block_start(data, line)
    return Planted(name, dialect_of(FIXTURES / name), data[:brace] + entry + data[brace:], line, data[:block])


def _block_start(data: bytes, line: int) -> int:
    """Where the SSE block holding the line at `line` starts: after the blank line before it."""
    ends = [data.rfind(sep, 0, line) + len(sep) for sep in (b"\n\n", b"\r\n\r\n", b"\r\r")]
    return max([end for end, sep in zip(ends, (2, 4, 2)) if end >= sep], default=0)


def _frames(data: bytes) -> list[tuple[int, int]]:
    out, at = [], 0
    while at < len(data):
        (total,) = struct.unpack_from(">I", data, at)
        out.append((at, total))
        at += total
    return out


def _plant_frame(name: str, data: bytes, entry: bytes, which: float) -> Planted:
    frames = [(at, n) for at, n in _frames(data) if data[at + 12 + _headers_len(data, at)] == ord("{")]
    at, total = frames[int(len(frames) * which)]
    headers = data[at + 12 : at + 12 + _headers_len(data, at)]
    payload = data[at + 12 + len(headers) : at + total - 4]
    framed = eventstream.message(headers, b"{" + entry + payload[1:])
    return Planted(name, dialect_of(FIXTURES / name), data[:at] + framed + data[at + total :], at, data[:at])


def _headers_len(data: bytes, at: int) -> int:
    return int(struct.unpack_from(">I", data, at + 4)[0])


def dump_all(chunks: list[Any]) -> list[Any]:
    """Every chunk's model_dump(), and each written as JSON: reading a value must not fail later."""
    import json

    dumps = [c.model_dump() for c in chunks]
    json.dumps(dumps)
    return dumps
