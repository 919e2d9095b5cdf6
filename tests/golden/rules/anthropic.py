"""Anthropic's Messages stream (rust/decode/anthropic.rs), also what Bedrock's invoke stream wraps.

Events are read by their JSON `type` (the SSE name only when the payload has none); `event: error` or
an `error` type ends the stream with the event's data; `message_stop` ends it; `ping` and unknown types
are ignored.
- `message_start`: its id and model are every chunk's; a chunk opens the message, with the usage so far.
- `content_block_start`: non-empty text or thinking; a `tool_use` block starts a tool call (tool blocks
  count from 0); `redacted_thinking` is a redacted thinking block; a `web_search_tool_result` block goes
  whole to `provider_specific_fields.web_search_results`; a `server_tool_use` block (a search Anthropic
  runs itself) is no tool call: it goes whole to `provider_specific_fields.server_tool_use` at its stop,
  its `input` parsed from the fragments it streamed.
- `content_block_delta`: `text_delta` content; `input_json_delta` argument fragments (an empty one says
  nothing); `thinking_delta` reasoning and a thinking block; `signature_delta` a signed thinking block;
  `citations_delta` `provider_specific_fields.citation`.
- `content_block_stop`: a tool call that streamed no arguments gets its start `input` as JSON, or `{}`.
- `message_delta`: the finish reason and the usage, over `message_start`'s; a refusal's explanation is
  the refusal text, with `stop_reason` and `stop_details` in the provider fields.
Usage: prompt = input + cache-creation + cache-read tokens; cached = read; `thinking_tokens` are reasoning.
"""

from __future__ import annotations

import json
from typing import Any

from .chunks import Chunks, NoRule, Stream, redacted, thinking, tool_call
from .wire import sse_events


def usage(sent: dict[str, Any]) -> dict[str, Any]:
    read = sent.get("cache_read_input_tokens") or 0
    out: dict[str, Any] = {
        "prompt_tokens": (sent.get("input_tokens") or 0) + (sent.get("cache_creation_input_tokens") or 0) + read,
        "completion_tokens": sent.get("output_tokens") or 0,
        "prompt_tokens_details": {"cached_tokens": read},
    }
    thinking_tokens = (sent.get("output_tokens_details") or {}).get("thinking_tokens")
    if thinking_tokens is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": thinking_tokens}
    return out


class Anthropic:
    def __init__(self, out: Chunks) -> None:
        self.out = out
        self.start_usage: dict[str, Any] = {}
        self.blocks: dict[int, dict[str, Any]] = {}
        self.tools = 0

    def event(self, name: str, event: dict[str, Any]) -> bool:
        """Reads one event; False when the stream ends with it."""
        kind = event.get("type") or name
        if name == "error" or kind == "error":
            self.out.fail(event)
            return False
        if kind == "message_start":
            message = event["message"]
            self.out.id = message.get("id") or self.out.id
            self.out.model = message.get("model") or self.out.model
            self.start_usage = message.get("usage") or {}
            self.out.add(usage=usage(self.start_usage), opening=True)
        elif kind == "content_block_start":
            self.block_start(event["index"], event["content_block"])
        elif kind == "content_block_delta":
            self.block_delta(self.blocks.get(event["index"], {}), event["delta"])
        elif kind == "content_block_stop":
            self.block_stop(self.blocks.get(event["index"], {}))
        elif kind == "message_delta":
            self.message_delta(event)
        return kind != "message_stop"

    def block_start(self, at: int, block: dict[str, Any]) -> None:
        kind = block["type"]
        self.blocks[at] = state = {"type": kind, "block": block, "fragments": []}
        if kind == "text":
            self.out.add({"content": block["text"]})
        elif kind == "thinking":
            self.out.add(thinking(block["thinking"]) if block["thinking"] else None)
        elif kind == "redacted_thinking":
            self.out.add(redacted(block["data"]))
        elif kind == "tool_use":
            state["tool"], self.tools = self.tools, self.tools + 1
            self.out.add(tool_call(state["tool"], block["id"], block["name"]))
        elif kind == "web_search_tool_result":
            self.out.add({"provider_specific_fields": {"web_search_results": [block]}})
        elif kind != "server_tool_use":
            raise NoRule(f"content block {kind}")

    def block_delta(self, state: dict[str, Any], delta: dict[str, Any]) -> None:
        kind = delta["type"]
        if kind == "text_delta":
            self.out.add({"content": delta["text"]})
        elif kind == "input_json_delta":
            fragment = delta["partial_json"]
            state["fragments"].append(fragment)
            if state["type"] == "tool_use" and fragment:
                self.out.add(tool_call(state["tool"], arguments=fragment))
        elif kind == "thinking_delta":
            self.out.add(thinking(delta["thinking"]) if delta["thinking"] else None)
        elif kind == "signature_delta":
            self.out.add(thinking(signature=delta["signature"]))
        elif kind == "citations_delta":
            self.out.add({"provider_specific_fields": {"citation": delta["citation"]}})
        else:
            raise NoRule(f"content block delta {kind}")

    def block_stop(self, state: dict[str, Any]) -> None:
        arguments = "".join(state.get("fragments", []))
        if state.get("type") == "tool_use" and not arguments:
            start = state["block"].get("input")
            self.out.add(tool_call(state["tool"], arguments=json.dumps(start) if start else "{}"))
        elif state.get("type") == "server_tool_use":
            block = {**state["block"], "input": json.loads(arguments) if arguments else state["block"]["input"]}
            self.out.add({"provider_specific_fields": {"server_tool_use": [block]}})

    def message_delta(self, event: dict[str, Any]) -> None:
        delta = event["delta"]
        stop = delta.get("stop_reason")
        said: dict[str, Any] = {}
        if stop == "refusal":
            details = delta["stop_details"]
            said["refusal"] = details["explanation"]
            said["provider_specific_fields"] = {"stop_reason": stop, "stop_details": details}
        sent = event.get("usage")
        self.out.add(said, finish=stop, usage=usage({**self.start_usage, **sent}) if sent else None)


def anthropic_stream(body: bytes) -> Stream:
    out = Chunks()
    reader = Anthropic(out)
    for name, data in sse_events(body):
        if not reader.event(name, json.loads(data)):
            break
    return out.stream
