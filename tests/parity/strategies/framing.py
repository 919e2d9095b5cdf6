"""Events (`wire.py`) to bytes, in each framing: SSE (named or bare, LF, CRLF or CR line ends, comments,
`id:` lines, multi-line data), NDJSON, a JSON array (indented as Gemini sends it, or not), AWS event-stream
frames (tests/eventstream.py encodes them), and Bedrock's invoke stream (Anthropic events base64-encoded in
`chunk` frames)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from ... import eventstream as es
from .source import Choices
from .wire import Event, Wire


@dataclass(frozen=True)
class Style:
    """How one stream is written, chosen once a stream as a provider would: ASCII-escaped or not, compact
    separators or not, a keep-alive comment every `keepalive` events (0: none), `id:` lines, pretty-printed
    data (several `data:` lines an event)."""

    ascii: bool
    compact: bool
    keepalive: int
    ids: bool
    indent: int | None

    @classmethod
    def draw(cls, c: Choices) -> Style:
        return cls(c.chance(300), c.chance(700), c.choice([0, 0, 0, 3, 13]), c.chance(100), c.choice([None] * 19 + [1]))


def dumps(style: Style, event: Event, indent: int | None = None) -> str:
    if event.raw:
        return str(event.value)
    separators = (",", ":") if indent is None and style.compact else None
    text = json.dumps(event.value, ensure_ascii=style.ascii, separators=separators, indent=indent)
    for placeholder, raw in event.subst.items():
        text = text.replace(json.dumps(placeholder), raw)
    return text


def sse(c: Choices, style: Style, events: list[Event], named: bool) -> bytes:
    ending = c.choice(["\n", "\n", "\r\n", "\r"])
    out = ["\ufeff"] if c.chance(100) else []
    for number, event in enumerate(events):
        if style.keepalive and number % style.keepalive == 0:
            out.append(": keepalive" + ending)
        if style.ids:
            out.append(f"id: {number}{ending}")
        if named and event.name:
            out.append(f"event: {event.name}{ending}")
        text = dumps(style, event, style.indent)
        out.extend(f"data: {line}{ending}" for line in text.split("\n"))
        out.append(ending)
    return "".join(out).encode("utf-8", "surrogatepass")


def ndjson(c: Choices, style: Style, events: list[Event]) -> bytes:
    ending = "\r\n" if c.chance(100) else "\n"
    lines = [dumps(style, event).replace("\n", "\\n") + ending for event in events]
    if lines and c.chance(100):
        lines[-1] = lines[-1].rstrip("\r\n")  # the last line without its newline (read at finish)
    return "".join(lines).encode("utf-8", "surrogatepass")


def json_array(c: Choices, style: Style, events: list[Event]) -> bytes:
    indent = c.choice([None, 2])
    separator = c.choice([",", "\n,\r\n", ",\n"])
    body = separator.join(dumps(style, event, indent) for event in events)
    return ("[" + body + "]").encode("utf-8", "surrogatepass")


def eventstream(c: Choices, style: Style, events: list[Event], invoke: bool) -> bytes:
    padded = c.chance(500)
    frames = []
    for event in events:
        if event.exception:
            frames.append(es.exception(event.name, str(event.value)))
            continue
        payload = dumps(style, event).encode("utf-8", "surrogatepass")
        if invoke and not event.raw:
            inner = {"bytes": base64.b64encode(payload).decode()}
            payload = json.dumps({**inner, "p": "abc"} if padded else inner).encode()
        frames.append(es.event(event.name or "chunk", payload))
    return b"".join(frames)


def to_bytes(c: Choices, wire: Wire) -> bytes:
    style = Style.draw(c)
    if wire.framing in ("sse", "sse_bare"):
        return sse(c, style, wire.events, named=wire.framing == "sse")
    if wire.framing == "ndjson":
        return ndjson(c, style, wire.events)
    if wire.framing == "json_array":
        return json_array(c, style, wire.events)
    return eventstream(c, style, wire.events, invoke=wire.framing == "invoke")
