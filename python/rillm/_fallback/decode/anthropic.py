# Twin of rust/decode/anthropic.rs, which documents the mapping.
"""Anthropic's Messages stream (also served by Vertex AI, and wrapped by Bedrock's invoke stream).

A `server_tool_use` block (a search or code run Anthropic performs itself) is reported whole in
`provider_specific_fields.server_tool_use`, not as a tool call the client should run."""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback import jsonutil
from rillm._fallback.chunk import ModelResponseStream, map_finish_reason, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.fields import Bad, get_int, get_obj, get_str
from rillm._fallback.decode.to_openai import Header, Tools
from rillm._fallback.errors import ProviderFailed, ShapeError, provider_error
from rillm._fallback.framing import CONTINUE, STOP, Event, Flow


class AnthropicDecoder:
    NAME: ClassVar[str] = "anthropic"
    FRAMING: ClassVar[str] = "auto"
    TERMINATOR: ClassVar[str] = "before message_stop"
    NEEDS_ID: ClassVar[bool] = True

    __slots__ = ("header", "server_tools", "tool_blocks", "tools", "usage")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        # Tool blocks by content-block index, with the `input` their start carried when it was not empty.
        self.tool_blocks: dict[int, Any] = {}
        self.tools = Tools()
        # Server tool blocks by content-block index: [id, name, start input, collected fragments].
        self.server_tools: dict[int, list[Any]] = {}
        self.usage = Counts()

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        return self.decode_text(event, event.data.decode("utf-8", "replace"), event.kind, out)

    def decode_text(self, event: Event, data: str, name: bytes, out: list[ModelResponseStream]) -> Flow:
        """One event's payload; `name` is its SSE event name."""
        if name == b"error":
            raise provider_error(event, data, "error")
        if data[:1] != "{" and not data.strip(" \t\n\r"):  # a payload is an object: no copy for one
            return CONTINUE
        obj = fields.load(event, data, "anthropic")
        try:
            return self.step(obj, name, out)
        except ShapeError as exc:
            raise fields.bad(event, exc, "anthropic") from None
        except ProviderFailed as exc:
            raise provider_error(event, data, exc.event_type) from None

    def complete(self) -> bool:
        """The stream ends only with `message_stop`."""
        return False

    def step(self, event: dict[str, Any], name: bytes, out: list[ModelResponseStream]) -> Flow:
        kind = get_str(event, "type")
        if kind is None:
            if not name:
                raise Bad("expected an event with a `type`")
            kind = name.decode("utf-8", "replace")
        if kind == "content_block_delta":
            chunk = self.block_delta(event)
        elif kind == "message_start":
            chunk = self.message_start(event)
        elif kind == "content_block_start":
            chunk = self.block_start(event)
        elif kind == "content_block_stop":
            chunk = self.block_stop(event)
        elif kind == "message_delta":
            chunk = self.message_delta(event)
        elif kind == "message_stop":
            return STOP
        elif kind == "error":
            raise ProviderFailed("error")
        else:
            return CONTINUE
        if chunk is not None:
            out.append(chunk)
        return CONTINUE

    def message_start(self, event: dict[str, Any]) -> ModelResponseStream | None:
        usage = None
        message = get_obj(event, "message")
        if message is not None:
            self.header.set_id(get_str(message, "id"))
            self.header.set_model(get_str(message, "model"))
            counts = get_obj(message, "usage")
            if counts is not None:
                self.usage.update(counts)
                usage = self.usage.json()
        return self.header.one(to_openai.opening(), None, usage)

    def block_start(self, event: dict[str, Any]) -> ModelResponseStream | None:
        index = get_int(event, "index") or 0
        block = get_obj(event, "content_block")
        if block is None:
            raise Bad("`content_block`: expected an object")
        kind = get_str(block, "type") or ""
        delta = None
        if kind == "text":
            text = get_str(block, "text")
            if text:
                delta = to_openai.content(text)
        elif kind == "thinking":
            text = get_str(block, "thinking")
            if text:
                delta = to_openai.reasoning(text, True)
        elif kind == "server_tool_use":
            self.server_tools.pop(index, None)
            self.server_tools[index] = [get_str(block, "id"), get_str(block, "name"), get_obj(block, "input"), ""]
        elif kind == "tool_use":
            tool_input = get_obj(block, "input")
            tool = self.tools.start(index)
            self.tool_blocks.pop(index, None)
            self.tool_blocks[index] = tool_input or None
            delta = to_openai.tool_delta(to_openai.tool_start(tool, get_str(block, "id"), get_str(block, "name"), ""))
        elif kind == "redacted_thinking":
            delta = to_openai.redacted(get_str(block, "data") or "")
        elif kind in ("web_search_tool_result", "web_fetch_tool_result"):
            delta = to_openai.provider_field("web_search_results", [block])
        elif kind.endswith("_tool_result"):
            delta = to_openai.provider_field("tool_results", [block])
        return None if delta is None else self.header.one(delta)

    def block_delta(self, event: dict[str, Any]) -> ModelResponseStream | None:
        index = get_int(event, "index") or 0
        delta = get_obj(event, "delta")
        if delta is None:
            return None
        kind = get_str(delta, "type") or ""
        out = None
        if kind == "text_delta":
            text = get_str(delta, "text")
            if text:
                out = to_openai.content(text)
        elif kind == "input_json_delta":
            fragment = get_str(delta, "partial_json")
            if fragment and index in self.server_tools:
                self.server_tools[index][3] += fragment
            elif fragment and index in self.tool_blocks:
                tool = self.tools.arguments(index)
                if tool is not None:
                    out = to_openai.tool_delta(to_openai.tool_arguments(tool, fragment))
        elif kind == "thinking_delta":
            text = get_str(delta, "thinking")
            if text:
                out = to_openai.reasoning(text, True)
        elif kind == "signature_delta":
            sig = get_str(delta, "signature")
            if sig:
                out = to_openai.signature(sig)
        elif kind == "citations_delta":
            citation = delta.get("citation")
            if citation is not None:
                out = to_openai.provider_field("citation", citation)
        return None if out is None else self.header.one(out)

    def block_stop(self, event: dict[str, Any]) -> ModelResponseStream | None:
        index = get_int(event, "index") or 0
        if index in self.server_tools:
            id_, name, start_input, fragments = self.server_tools.pop(index)
            try:
                tool_input = jsonutil.loads(fragments)
            except jsonutil.JsonError:
                tool_input = {} if start_input is None else start_input
            block = {"type": "server_tool_use", "id": id_, "name": name, "input": tool_input}
            return self.header.one(to_openai.provider_field("server_tool_use", [block]))
        if index not in self.tool_blocks:
            return None
        tool_input = self.tool_blocks.pop(index)
        tool = self.tools.without_arguments(index)
        if tool is None:
            return None
        arguments = "{}" if tool_input is None else _shared.dumps(tool_input)
        return self.header.one(to_openai.tool_delta(to_openai.tool_start(tool, None, None, arguments)))

    def message_delta(self, event: dict[str, Any]) -> ModelResponseStream | None:
        out = new_delta()
        finish: str | None = "stop"
        delta = get_obj(event, "delta")
        if delta is not None:
            stop = get_str(delta, "stop_reason")
            details = get_obj(delta, "stop_details")
            if stop is not None:
                finish = map_finish_reason(stop) or finish
            refusal = stop == "refusal"
            if details is not None:
                if refusal:
                    out.refusal = get_str(details, "explanation") or None
                out.provider_specific_fields = {"stop_reason": stop, "stop_details": details}
            elif refusal or stop == "pause_turn":
                out.provider_specific_fields = {"stop_reason": stop}
        counts = get_obj(event, "usage")
        if counts is not None:
            self.usage.update(counts)
        return self.header.one(out, finish, self.usage.json() if self.usage.seen else None)


class Counts:
    """The usage counts reported so far (`message_delta`'s are cumulative and may omit some)."""

    __slots__ = ("cache_creation", "cache_read", "input", "output", "seen", "server_tool_use", "thinking")

    def __init__(self) -> None:
        self.input: int | None = None
        self.output: int | None = None
        self.cache_creation: int | None = None
        self.cache_read: int | None = None
        self.thinking: int | None = None
        self.server_tool_use: Any = None
        # Whether any usage arrived.
        self.seen = False

    def update(self, usage: dict[str, Any]) -> None:
        self.seen = True
        for name, attr in (
            ("input_tokens", "input"),
            ("output_tokens", "output"),
            ("cache_creation_input_tokens", "cache_creation"),
            ("cache_read_input_tokens", "cache_read"),
        ):
            count = get_int(usage, name)
            if count is not None:
                setattr(self, attr, count)
        details = get_obj(usage, "output_tokens_details")
        if details is not None:
            thinking = get_int(details, "thinking_tokens")
            if thinking is not None:
                self.thinking = thinking
        server_tool_use = get_obj(usage, "server_tool_use")
        if server_tool_use is not None:
            self.server_tool_use = server_tool_use

    def json(self) -> dict[str, Any]:
        input_ = self.input or 0
        creation = self.cache_creation or 0
        read = self.cache_read or 0
        extras: dict[str, Any] = {"cache_creation_input_tokens": creation, "cache_read_input_tokens": read}
        if self.server_tool_use is not None:
            extras["server_tool_use"] = self.server_tool_use
        return to_openai.usage(
            _shared.saturating_sum(input_, creation, read),
            self.output or 0,
            prompt_details={"cached_tokens": read, "cache_creation_tokens": creation, "text_tokens": input_},
            completion_details=None if self.thinking is None else {"reasoning_tokens": self.thinking},
            extras=extras,
        )
