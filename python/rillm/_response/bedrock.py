"""A Bedrock Converse response as the AWS event-stream frames ConverseStream would have sent (the request
side is providers/translate/bedrock.py)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

from rillm._response._body import BadBody, dumps, get_list, get_obj, has_error, objects


def as_stream(response: dict[str, Any]) -> bytes:
    """A Converse response as ConverseStream's frames: messageStart, each content block as
    contentBlockStart/Delta/Stop, messageStop (stop reason, additional fields), metadata (usage, metrics,
    trace). An error body (`{"message"}` without `output`, or `{"error"}`) is an exception frame."""
    if has_error(response) or ("output" not in response and "message" in response):
        return _frame(":exception-type", "error", "exception", dumps(response))
    if "output" not in response:
        raise BadBody("`output`: expected the Converse output object")
    message = get_obj(get_obj(response, "output", ""), "message", "output.")
    frames = [_event("messageStart", {"role": message.get("role", "assistant")})]
    for index, block in enumerate(objects(get_list(message, "content", "output.message."), "output.message.content")):
        frames.extend(_block_events(index, block))
    stop: dict[str, Any] = {k: response[k] for k in ("stopReason", "additionalModelResponseFields") if k in response}
    frames.append(_event("messageStop", stop))
    metadata: dict[str, Any] = {key: response[key] for key in ("usage", "metrics", "trace") if key in response}
    frames.append(_event("metadata", metadata))
    return b"".join(frames)


def _block_events(index: int, block: dict[str, Any]) -> list[bytes]:
    """One content block's frames: a tool use starts with its id and name and streams its input as JSON
    text (json.dumps, as LiteLLM's non-streaming arguments); reasoning streams its text, then signature."""
    deltas: list[dict[str, Any]] = []
    frames = []
    tool_use = block.get("toolUse")
    reasoning = block.get("reasoningContent")
    if isinstance(tool_use, dict):
        start = {"toolUse": {"toolUseId": tool_use.get("toolUseId"), "name": tool_use.get("name")}}
        frames.append(_event("contentBlockStart", {"contentBlockIndex": index, "start": start}))
        deltas.append({"toolUse": {"input": json.dumps(tool_use.get("input", {}))}})
    elif isinstance(reasoning, dict):
        text = get_obj(reasoning, "reasoningText", f"output.message.content[{index}].reasoningContent.")
        for key in ("text", "signature"):
            if text.get(key):
                deltas.append({"reasoningContent": {key: text[key]}})
        if reasoning.get("redactedContent"):
            deltas.append({"reasoningContent": {"redactedContent": reasoning["redactedContent"]}})
    elif "text" in block:
        deltas.append({"text": block["text"]})
    elif "citationsContent" in block:
        # Whole, the cited text and its citations are one block; streamed, text deltas then citation deltas.
        where = f"output.message.content[{index}].citationsContent."
        cited = get_obj(block, "citationsContent", f"output.message.content[{index}].")
        deltas += [{"text": part.get("text")} for part in objects(get_list(cited, "content", where), where)]
        deltas += [{"citation": citation} for citation in get_list(cited, "citations", where)]
    for delta in deltas:
        frames.append(_event("contentBlockDelta", {"contentBlockIndex": index, "delta": delta}))
    frames.append(_event("contentBlockStop", {"contentBlockIndex": index}))
    return frames


def _event(kind: str, payload: dict[str, Any]) -> bytes:
    return _frame(":event-type", kind, "event", dumps(payload))


def _frame(type_header: str, kind: str, message_type: str, payload: str) -> bytes:
    """One event-stream message: prelude (total length, headers length, their CRC32), string headers,
    payload, CRC32 of everything before it (spec §5.10). Keep in sync with what
    rillm/_fallback/framing/eventstream.py reads."""
    headers = b"".join(
        _header(name, value)
        for name, value in ((type_header, kind), (":content-type", "application/json"), (":message-type", message_type))
    )
    data = payload.encode()
    prelude = struct.pack(">II", 16 + len(headers) + len(data), len(headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + headers + data
    return message + struct.pack(">I", zlib.crc32(message))


def _header(name: str, value: str) -> bytes:
    """A header of value type 7 (string): name length, name, type, value length, value."""
    encoded_name, encoded_value = name.encode(), value.encode()
    return bytes([len(encoded_name)]) + encoded_name + b"\x07" + struct.pack(">H", len(encoded_value)) + encoded_value
