# Twin of rust/decode/cohere.rs, which documents the mapping.
"""Cohere's chat stream: v2 (SSE events with a `type`) and v1's `stream-json` (NDJSON with an
`event_type`). A finish reason of `ERROR` raises the provider's error."""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback.chunk import Delta, ModelResponseStream, ascii_lower, map_finish_reason, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.fields import Bad, get_int, get_list, get_obj, get_str
from rillm._fallback.decode.openai import finish_reason_error
from rillm._fallback.decode.to_openai import Header, Tools, emit
from rillm._fallback.errors import ProviderFailed, ShapeError, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow


class CohereDecoder:
    NAME: ClassVar[str] = "cohere"
    FRAMING: ClassVar[str] = "auto"
    TERMINATOR: ClassVar[str] = "before message-end (or stream-end)"
    NEEDS_ID: ClassVar[bool] = True

    __slots__ = ("header", "tools")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        self.tools = Tools()

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        data = event.data.decode("utf-8", "replace")
        if event.kind == b"error":
            raise provider_error(event, data, "error")
        if data[:1] != "{":  # a payload is an object: the other checks only for anything else
            payload = data.strip(" \t\n\r")
            if not payload:
                return CONTINUE
            if payload.startswith("[DONE]"):
                return STOP
        obj = fields.load(event, data, "cohere")
        try:
            return self.step(obj, event.kind, out)
        except ShapeError as exc:
            raise fields.bad(event, exc, "cohere") from None
        except ProviderFailed as exc:
            raise provider_error(event, exc.data or data, exc.event_type) from None

    def complete(self) -> bool:
        """The stream ends with `message-end`, `stream-end` or `[DONE]`."""
        return False

    def step(self, event: dict[str, Any], name: bytes, out: list[ModelResponseStream]) -> Flow:
        kind = get_str(event, "type")
        if kind is not None:
            return self.v2(kind, event, out)
        kind = get_str(event, "event_type")
        if kind is not None:
            return self.v1(kind, event, out)
        if name:
            return self.v2(name.decode("utf-8", "replace"), event, out)
        raise Bad("expected an event with a `type` or an `event_type`")

    def v2(self, kind: str, event: dict[str, Any], out: list[ModelResponseStream]) -> Flow:
        outer = get_obj(event, "delta")
        message = None if outer is None else get_obj(outer, "message")
        index = get_int(event, "index")
        if kind == "message-end":
            if outer is None:
                emit(self.header.one(new_delta(), "stop"), out)
                return STOP
            return self.end(get_str(outer, "finish_reason"), get_obj(outer, "usage"), out)
        if kind in ("tool-call-start", "tool-call-delta", "tool-call-end"):
            delta = self.v2_tool_call(kind, message, index)
        else:
            delta = self.v2_message(kind, event, message)
        if delta is not None:
            emit(self.header.one(delta), out)
        return CONTINUE

    def v2_message(self, kind: str, event: dict[str, Any], message: dict[str, Any] | None) -> Delta | None:
        """A v2 event that opens the message or carries its text, plan or citations."""
        if kind in ("content-delta", "content-start"):
            part = None if message is None else get_obj(message, "content")
            return None if part is None else _text_and_thinking(part)
        if kind == "message-start":
            self.header.set_id(get_str(event, "id"))
            return to_openai.opening()
        if kind == "tool-plan-delta":
            plan = None if message is None else get_str(message, "tool_plan")
            return to_openai.reasoning(plan, False) if plan else None
        if kind == "citation-start":
            citations = None if message is None else message.get("citations")
            return None if citations is None else to_openai.provider_field("citations", [citations])
        return None

    def v2_tool_call(self, kind: str, message: dict[str, Any] | None, index: int | None) -> Delta | None:
        """`tool-call-start`, `tool-call-delta` or `tool-call-end`."""
        if kind == "tool-call-end":
            tool = self.tools.without_arguments(index or 0)
            return None if tool is None else to_openai.tool_delta(to_openai.tool_arguments(tool, "{}"))
        call = None if message is None else get_obj(message, "tool_calls")
        function = None if call is None else get_obj(call, "function")
        if kind == "tool-call-delta":
            fragment = None if function is None else get_str(function, "arguments")
            if not fragment:
                return None
            index = index or 0
            self.tools.arguments(index)
            return to_openai.tool_delta(to_openai.tool_arguments(index, fragment))
        index = self.tools.count() if index is None else index
        self.tools.start_at(index)
        name = arguments = None
        if function is not None:
            name = get_str(function, "name")
            arguments = get_str(function, "arguments")
        arguments = arguments or ""
        if arguments:
            self.tools.arguments(index)
        id_ = None if call is None else get_str(call, "id")
        return to_openai.tool_delta(to_openai.tool_start(index, id_, name, arguments))

    def v1(self, kind: str, event: dict[str, Any], out: list[ModelResponseStream]) -> Flow:
        delta = None
        if kind == "text-generation":
            text = get_str(event, "text")
            if text:
                delta = to_openai.content(text)
        elif kind == "stream-start":
            self.header.set_id(get_str(event, "generation_id"))
            delta = to_openai.opening()
        elif kind == "tool-calls-chunk":
            delta = self.v1_tool_calls_chunk(event)
        elif kind == "tool-calls-generation" and not self.tools.any():
            delta = self.v1_tool_calls(event)
        elif kind == "citation-generation":
            citations = get_list(event, "citations")
            if citations is not None:
                delta = to_openai.provider_field("citations", citations)
        elif kind == "stream-end":
            response = get_obj(event, "response")
            reason = get_str(event, "finish_reason")
            if reason is None and response is not None:
                reason = get_str(response, "finish_reason")
            meta = None if response is None else get_obj(response, "meta")
            return self.end(reason, meta, out)
        if delta is not None:
            emit(self.header.one(delta), out)
        return CONTINUE

    def v1_tool_calls_chunk(self, event: dict[str, Any]) -> Delta:
        """A piece of v1's streamed tool calls: a call's name (its start) or a fragment of its parameters."""
        delta = new_delta()
        call = get_obj(event, "tool_call_delta")
        if call is not None:
            index = get_int(call, "index")
            name = get_str(call, "name")
            if name:
                index = self.tools.count() if index is None else index
                self.tools.start_at(index)
                delta.tool_calls = [to_openai.tool_start(index, self.header.tool_id(index), name, "")]
            else:
                fragment = get_str(call, "parameters")
                if fragment:
                    index = max(self.tools.count() - 1, 0) if index is None else index
                    self.tools.arguments(index)
                    delta.tool_calls = [to_openai.tool_arguments(index, fragment)]
        delta.reasoning_content = get_str(event, "text") or None
        return delta

    def v1_tool_calls(self, event: dict[str, Any]) -> Delta | None:
        """v1's whole tool calls at once (when none were streamed)."""
        calls = fields.objects(get_list(event, "tool_calls") or [], "tool_calls")
        out = []
        for call in calls:
            index = self.tools.count()
            self.tools.start_at(index)
            parameters = get_obj(call, "parameters")
            arguments = "{}" if parameters is None else _shared.dumps(parameters)
            out.append(to_openai.tool_start(index, self.header.tool_id(index), get_str(call, "name"), arguments))
        if not out:
            return None
        delta = new_delta()
        delta.tool_calls = out
        return delta

    def end(self, reason: str | None, usage: dict[str, Any] | None, out: list[ModelResponseStream]) -> Flow:
        """The last event: its finish reason, and the usage (v2's `usage` or v1's `meta`)."""
        if reason is not None and ascii_lower(reason) == "error":
            raise ProviderFailed("", finish_reason_error(reason))
        finish = (map_finish_reason(reason) if reason is not None else None) or "stop"
        emit(self.header.one(new_delta(), finish, None if usage is None else _usage(usage)), out)
        return STOP


def _text_and_thinking(part: dict[str, Any]) -> Any:
    text = get_str(part, "text") or None
    thinking = get_str(part, "thinking") or None
    if text is None and thinking is None:
        return None
    delta = new_delta()
    delta.content = text
    delta.reasoning_content = thinking
    return delta


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    """`tokens` (else `billed_units`) as prompt and completion tokens, `cached_tokens` as cached, and
    `billed_units` kept."""
    counts = get_obj(usage, "tokens")
    if counts is None:
        counts = get_obj(usage, "billed_units")
    prompt = completion = 0
    if counts is not None:
        prompt = get_int(counts, "input_tokens") or 0
        completion = get_int(counts, "output_tokens") or 0
    cached = get_int(usage, "cached_tokens")
    billed = get_obj(usage, "billed_units")
    return to_openai.usage(
        prompt,
        completion,
        prompt_details=None if cached is None else {"cached_tokens": cached},
        extras=None if billed is None else {"billed_units": billed},
    )
