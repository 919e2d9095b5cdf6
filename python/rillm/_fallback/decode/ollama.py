# Twin of rust/decode/ollama.rs, which documents the mapping.
"""Ollama's `/api/chat` stream: one JSON object per line."""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback.chunk import ChatCompletionDeltaToolCall, ModelResponseStream, map_finish_reason, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.fields import get_bool, get_int, get_list, get_obj, get_str
from rillm._fallback.decode.to_openai import Header, emit
from rillm._fallback.errors import ShapeError, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow


class OllamaDecoder:
    NAME: ClassVar[str] = "ollama"
    FRAMING: ClassVar[str] = "ndjson"
    TERMINATOR: ClassVar[str] = "before its done line"
    NEEDS_ID: ClassVar[bool] = True

    __slots__ = ("header", "think", "tools")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        self.think = ThinkTags()
        self.tools = 0

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        data = event.data.decode("utf-8", "replace")
        if data[:1] != "{" and not data.strip(" \t\n\r"):  # a payload is an object: no copy for one
            return CONTINUE
        line = fields.load(event, data, "ollama")
        if line.get("error") is not None:
            raise provider_error(event, data, "")
        try:
            return self.line(line, out)
        except ShapeError as exc:
            raise fields.bad(event, exc, "ollama") from None

    def complete(self) -> bool:
        """The stream ends with its `done: true` line."""
        return False

    def line(self, line: dict[str, Any], out: list[ModelResponseStream]) -> Flow:
        self.header.set_model(get_str(line, "model"))
        done = get_bool(line, "done") is True
        content: list[str] = []
        reasoning: list[str] = []
        delta = new_delta()
        message = get_obj(line, "message")
        if message is not None:
            thinking = get_str(message, "thinking")
            if thinking is not None:
                reasoning.append(thinking)
            self.think.feed(get_str(message, "content") or "", content, reasoning)
            delta.tool_calls = self.tool_calls(fields.objects(get_list(message, "tool_calls") or [], "tool_calls"))
        finish = usage = None
        if done:
            self.think.flush(content, reasoning)
            reason = get_str(line, "done_reason") or "stop"
            mapped = map_finish_reason(reason) or "stop"
            finish = "tool_calls" if self.tools and mapped == "stop" else mapped
            prompt = get_int(line, "prompt_eval_count")
            completion = get_int(line, "eval_count")
            if prompt is not None or completion is not None:
                usage = to_openai.usage(prompt or 0, completion or 0)
        delta.content = "".join(content) or None
        delta.reasoning_content = "".join(reasoning) or None
        emit(self.header.one(delta, finish, usage), out)
        return STOP if done else CONTINUE

    def tool_calls(self, calls: list[dict[str, Any]]) -> list[ChatCompletionDeltaToolCall] | None:
        """A message's calls, whole (Ollama does not stream them), numbered across the stream."""
        out = []
        for call in calls:
            function = get_obj(call, "function")
            name, arguments = None, "{}"
            if function is not None:
                name, arguments = get_str(function, "name"), _arguments(function)
            id_ = get_str(call, "id") or self.header.tool_id(self.tools)
            out.append(to_openai.tool_start(self.tools, id_, name, arguments))
            self.tools += 1
        return out or None


def _arguments(function: dict[str, Any]) -> str:
    """A call's arguments: an object as JSON, a string as it is, none as `{}`."""
    arguments = function.get("arguments")
    if arguments is None:
        return "{}"
    if type(arguments) is str:
        return arguments
    return _shared.dumps(get_obj(function, "arguments"))


class ThinkTags:
    """Splits content on `<think>` ... `</think>`, holding back the start of a tag split across lines."""

    __slots__ = ("held", "inside")

    def __init__(self) -> None:
        self.inside = False
        self.held = ""

    def feed(self, text: str, content: list[str], reasoning: list[str]) -> None:
        rest = self.held + text
        self.held = ""
        while True:
            tag = "</think>" if self.inside else "<think>"
            target = reasoning if self.inside else content
            at = rest.find(tag)
            if at != -1:
                target.append(rest[:at])
                rest = rest[at + len(tag) :]
                self.inside = not self.inside
                continue
            hold = 0
            for n in range(min(len(tag) - 1, len(rest)), 0, -1):
                if tag.startswith(rest[-n:]):
                    hold = n
                    break
            target.append(rest[: len(rest) - hold])
            self.held = rest[len(rest) - hold :]
            return

    def flush(self, content: list[str], reasoning: list[str]) -> None:
        """At the end of the stream: held text is what it looked like."""
        (reasoning if self.inside else content).append(self.held)
        self.held = ""
