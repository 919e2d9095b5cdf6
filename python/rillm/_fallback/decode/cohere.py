# Twin of rust/decode/cohere.rs, which documents the mapping.
"""Cohere's chat stream: v2 (SSE events with a `type`) and v1's `stream-json` (NDJSON with an
`event_type`). A finish reason of `ERROR` raises the provider's error."""

from __future__ import annotations

from typing import Any

from rillm import _shared
from rillm._fallback.chunk import ModelResponseStream, ascii_lower, map_finish_reason, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.fields import Bad, get_int, get_list, get_obj, get_str
from rillm._fallback.decode.openai import finish_reason_error
from rillm._fallback.decode.to_openai import Header, Tools
from rillm._fallback.errors import ShapeError, provider_error
from rillm._fallback.framing import Event


class _End:
    """The last chunk of the stream (or None)."""

    __slots__ = ("chunk",)

    def __init__(self, chunk: ModelResponseStream | None) -> None:
        self.chunk = chunk


class _Failed:
    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


class CohereDecoder:
    __slots__ = ("header", "tools")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        self.tools = Tools()

    def decode(self, event: Event, out: list[ModelResponseStream]) -> bool:
        data = event.data.decode("utf-8", "replace")
        if event.kind == b"error":
            raise provider_error(event, data, "error")
        payload = data.strip(" \t\n\r")
        if not payload:
            return False
        if payload.startswith("[DONE]"):
            return True
        obj = fields.load(event, data, "cohere")
        try:
            step = self.step(obj, event.kind)
        except ShapeError as exc:
            raise fields.bad(event, exc, "cohere") from None
        if type(step) is _Failed:
            raise provider_error(event, finish_reason_error(step.reason), "")
        if type(step) is _End:
            if step.chunk is not None:
                out.append(step.chunk)
            return True
        if step is not None:
            out.append(step)
        return False

    def complete(self) -> bool:
        """The stream ends with `message-end`, `stream-end` or `[DONE]`."""
        return False

    def step(self, event: dict[str, Any], name: bytes) -> Any:
        kind = get_str(event, "type")
        if kind is not None:
            return self.v2(kind, event)
        kind = get_str(event, "event_type")
        if kind is not None:
            return self.v1(kind, event)
        if name:
            return self.v2(name.decode("utf-8", "replace"), event)
        raise Bad("expected an event with a `type` or an `event_type`")

    def v2(self, kind: str, event: dict[str, Any]) -> Any:
        outer = get_obj(event, "delta")
        message = None if outer is None else get_obj(outer, "message")
        index = get_int(event, "index")
        delta = None
        if kind in ("content-delta", "content-start"):
            part = None if message is None else get_obj(message, "content")
            if part is not None:
                delta = _text_and_thinking(part)
        elif kind == "message-start":
            self.header.set_id(get_str(event, "id"))
            delta = to_openai.opening()
        elif kind == "tool-plan-delta":
            if message is not None:
                plan = get_str(message, "tool_plan")
                if plan:
                    delta = to_openai.reasoning(plan, False)
        elif kind == "tool-call-start":
            call = None if message is None else get_obj(message, "tool_calls")
            index = self.tools.count() if index is None else index
            self.tools.start_at(index)
            function = None if call is None else get_obj(call, "function")
            name = arguments = None
            if function is not None:
                name = get_str(function, "name")
                arguments = get_str(function, "arguments")
            arguments = arguments or ""
            if arguments:
                self.tools.arguments(index)
            id_ = None if call is None else get_str(call, "id")
            delta = to_openai.tool_delta(to_openai.tool_start(index, id_, name, arguments))
        elif kind == "tool-call-delta":
            call = None if message is None else get_obj(message, "tool_calls")
            function = None if call is None else get_obj(call, "function")
            fragment = None if function is None else get_str(function, "arguments")
            if fragment:
                index = index or 0
                self.tools.arguments(index)
                delta = to_openai.tool_delta(to_openai.tool_arguments(index, fragment))
        elif kind == "tool-call-end":
            tool = self.tools.without_arguments(index or 0)
            if tool is not None:
                delta = to_openai.tool_delta(to_openai.tool_arguments(tool, "{}"))
        elif kind == "citation-start":
            citations = None if message is None else message.get("citations")
            if citations is not None:
                delta = to_openai.provider_field("citations", [citations])
        elif kind == "message-end":
            if outer is None:
                return _End(self.header.one(new_delta(), "stop"))
            return self.end(get_str(outer, "finish_reason"), get_obj(outer, "usage"))
        return None if delta is None else self.header.one(delta)

    def v1(self, kind: str, event: dict[str, Any]) -> Any:
        delta = None
        if kind == "text-generation":
            text = get_str(event, "text")
            if text:
                delta = to_openai.content(text)
        elif kind == "stream-start":
            self.header.set_id(get_str(event, "generation_id"))
            delta = to_openai.opening()
        elif kind == "tool-calls-chunk":
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
        elif kind == "tool-calls-generation" and not self.tools.any():
            calls = fields.objects(get_list(event, "tool_calls") or [], "tool_calls")
            out = []
            for call in calls:
                index = self.tools.count()
                self.tools.start_at(index)
                parameters = get_obj(call, "parameters")
                arguments = "{}" if parameters is None else _shared.dumps(parameters)
                out.append(to_openai.tool_start(index, self.header.tool_id(index), get_str(call, "name"), arguments))
            if out:
                delta = new_delta()
                delta.tool_calls = out
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
            return self.end(reason, meta)
        return None if delta is None else self.header.one(delta)

    def end(self, reason: str | None, usage: dict[str, Any] | None) -> Any:
        """The last event: its finish reason, and the usage (v2's `usage` or v1's `meta`)."""
        if reason is not None and ascii_lower(reason) == "error":
            return _Failed(reason)
        finish = (map_finish_reason(reason) if reason is not None else None) or "stop"
        return _End(self.header.one(new_delta(), finish, None if usage is None else _usage(usage)))


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
