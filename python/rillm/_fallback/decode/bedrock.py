# Twin of rust/decode/bedrock.rs, which documents the mapping.
"""Bedrock's streams, in AWS event-stream frames: `ConverseStream` events, and
`InvokeModelWithResponseStream` `chunk` events wrapping Anthropic Messages events."""

from __future__ import annotations

import base64
import binascii
from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback.chunk import ModelResponseStream, map_finish_reason, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.anthropic import AnthropicDecoder
from rillm._fallback.decode.fields import Bad, get_int, get_obj, get_str
from rillm._fallback.decode.to_openai import Header, Tools, emit
from rillm._fallback.errors import ShapeError, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow


class BedrockDecoder:
    NAME: ClassVar[str] = "bedrock"
    FRAMING: ClassVar[str] = "eventstream"
    TERMINATOR: ClassVar[str] = "before messageStop (or, for an invoke stream, message_stop)"
    NEEDS_ID: ClassVar[bool] = True

    __slots__ = ("header", "invoke", "stopped", "tools")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        self.tools = Tools()
        # The invoke stream's Anthropic events.
        self.invoke = AnthropicDecoder(id_, model, created)
        self.stopped = False

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        data = event.data.decode("utf-8", "replace")
        if event.exception:
            raise provider_error(event, data, event.kind.decode("utf-8", "replace"))
        if event.kind == b"chunk":
            try:
                text = _invoke_payload(event, data)
            except ShapeError as exc:
                raise fields.bad(event, exc, "bedrock") from None
            return self.invoke.decode_text(event, text, b"", out)
        if data[:1] != "{" and not data.strip(" \t\n\r"):  # a payload is an object: no copy for one
            return CONTINUE
        payload = fields.load(event, data, "bedrock")
        try:
            return self.converse(event.kind.decode("utf-8", "replace"), payload, out)
        except ShapeError as exc:
            raise fields.bad(event, exc, "bedrock") from None

    def complete(self) -> bool:
        """A converse stream may end after `messageStop` when its `metadata` never comes."""
        return self.stopped

    def converse(self, kind: str, payload: dict[str, Any], out: list[ModelResponseStream]) -> Flow:
        index = get_int(payload, "contentBlockIndex") or 0
        delta = None
        if kind == "contentBlockDelta":
            block = get_obj(payload, "delta")
            if block is not None:
                delta = self.block_delta(index, block)
        elif kind == "messageStart":
            delta = to_openai.opening()
        elif kind == "contentBlockStart":
            start = get_obj(payload, "start")
            tool_use = None if start is None else get_obj(start, "toolUse")
            if tool_use is not None:
                started = self.tools.start(index)
                id_ = get_str(tool_use, "toolUseId")
                delta = to_openai.tool_delta(to_openai.tool_start(started, id_, get_str(tool_use, "name"), ""))
        elif kind == "contentBlockStop":
            stopped = self.tools.without_arguments(index)
            if stopped is not None:
                delta = to_openai.tool_delta(to_openai.tool_arguments(stopped, "{}"))
        elif kind == "messageStop":
            self.stopped = True
            reason = get_str(payload, "stopReason")
            finish = (map_finish_reason(reason) if reason is not None else None) or "stop"
            emit(self.header.one(new_delta(), finish), out)
            return CONTINUE
        elif kind == "metadata":
            usage = get_obj(payload, "usage")
            trace = payload.get("trace")
            psf = None if trace is None else {"trace": trace}
            emit(self.header.chunk([], None if usage is None else _usage(usage), psf), out)
            return STOP
        if delta is not None:
            emit(self.header.one(delta), out)
        return CONTINUE

    def block_delta(self, index: int, block: dict[str, Any]) -> Any:
        text = get_str(block, "text")
        out = to_openai.content(text) if text else new_delta()
        tool_use = get_obj(block, "toolUse")
        if tool_use is not None:
            fragment = get_str(tool_use, "input")
            if fragment:
                tool = self.tools.arguments(index)
                if tool is not None:
                    out.tool_calls = [to_openai.tool_arguments(tool, fragment)]
        thinking = get_obj(block, "reasoningContent")
        if thinking is not None:
            blocks: list[dict[str, Any]] = []
            reasoning = get_str(thinking, "text")
            if reasoning:
                blocks.append({"type": "thinking", "thinking": reasoning})
                out.reasoning_content = reasoning
            sig = get_str(thinking, "signature")
            if sig:
                blocks.append({"type": "thinking", "thinking": "", "signature": sig})
            data = get_str(thinking, "redactedContent")
            if data:
                blocks.append({"type": "redacted_thinking", "data": data})
            if blocks:
                out.thinking_blocks = blocks
        for key in ("citation", "citationsContent"):
            value = block.get(key)
            if value is not None:
                out.provider_specific_fields = {"citation": value}
        return out


def _invoke_payload(event: Event, data: str) -> str:
    """The Anthropic event inside an invoke `chunk`: `{"bytes": base64}`."""
    chunk = fields.load(event, data, "bedrock")
    encoded = get_str(chunk, "bytes")
    if encoded is None:
        raise Bad("`bytes`: expected a string")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Bad("`bytes`: invalid base64") from None
    return raw.decode("utf-8", "replace")


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    input_ = get_int(usage, "inputTokens") or 0
    read = get_int(usage, "cacheReadInputTokens") or 0
    write = get_int(usage, "cacheWriteInputTokens") or 0
    return to_openai.usage(
        _shared.saturating_sum(input_, read, write),
        get_int(usage, "outputTokens") or 0,
        prompt_details={"cached_tokens": read, "cache_creation_tokens": write, "text_tokens": input_},
    )
