"""Native-dialect streams: generated events framed in every way their dialect accepts (SSE with and
without `event:` lines, NDJSON, Gemini's JSON array, AWS event-stream frames), with LF or CRLF, sometimes
truncated or with a flipped bit."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st

from ... import eventstream as es
from .native import event_strategies

VALID = event_strategies(wild=False)
WILD = event_strategies(wild=True)


def sse(events: list[tuple[str, Any]], named: bool, ending: str) -> bytes:
    out = []
    for name, value in events:
        head = f"event: {name}{ending}" if named and name else ""
        out.append(f"{head}data: {json.dumps(value)}{ending}{ending}")
    return "".join(out).encode()


def ndjson(values: list[Any]) -> bytes:
    return "".join(json.dumps(v) + "\n" for v in values).encode()


def frame(name: str, value: Any) -> bytes:
    if value == "!":
        return es.exception(name, "generated failure")
    if name == "chunk":
        inner = base64.b64encode(json.dumps(value).encode()).decode()
        return es.event("chunk", {"bytes": inner})
    return es.event(name, value)


def name_of(value: Any, key: str) -> str:
    return value.get(key, "") if isinstance(value, dict) and isinstance(value.get(key), str) else ""


def _body(draw: st.DrawFn, dialect: str, events: dict[str, Any], ending: str) -> bytes:
    if dialect == "anthropic":
        values = draw(st.lists(events["anthropic"], min_size=1, max_size=12))
        form = draw(st.sampled_from(["sse", "bare", "ndjson"]))
        named = [(name_of(e, "type"), e) for e in values]
        return ndjson(values) if form == "ndjson" else sse(named, form == "sse", ending)
    if dialect == "cohere":
        if draw(st.booleans()):
            return ndjson(draw(st.lists(events["cohere_v1"], min_size=1, max_size=12)))
        values = draw(st.lists(events["cohere_v2"], min_size=1, max_size=12))
        return sse([(name_of(e, "type"), e) for e in values], True, ending) + b"data: [DONE]\n\n"
    if dialect == "gemini":
        responses = draw(st.lists(events["gemini"], min_size=1, max_size=6))
        if draw(st.booleans()):
            return sse([("", r) for r in responses], False, "\r\n")
        return ("[" + "\n,\r\n".join(json.dumps(r, indent=1) for r in responses) + "]").encode()
    if dialect == "ollama":
        return ndjson(draw(st.lists(events["ollama"], min_size=1, max_size=10)))
    return b"".join(frame(name, value) for name, value in draw(st.lists(events["bedrock"], min_size=1, max_size=12)))


@st.composite
def stream(draw: st.DrawFn, events: dict[str, Any] = VALID) -> tuple[str, bytes]:
    """(dialect, body)."""
    dialect = draw(st.sampled_from(["anthropic", "cohere", "gemini", "ollama", "bedrock"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    data = _body(draw, dialect, events, ending)
    if data and draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # truncation
    if data and draw(st.integers(0, 14)) == 0:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]  # a flipped bit
    return dialect, data
