"""Ollama's `/api/chat` stream (rust/decode/ollama.rs): one JSON object a line. `message.content` is
content, except text between `<think>` and `</think>` (the tags removed, the whitespace around them kept;
a tag cut across lines held back until it is whole), which is reasoning, as is `message.thinking`;
`message.tool_calls` arrive whole, their object arguments written as JSON, with a running index and a
generated id; the `done: true` line has the finish reason (`done_reason`), the usage (`prompt_eval_count`,
`eval_count`) and ends the stream. Ollama sends no response id."""

from __future__ import annotations

import json
from typing import Any

from .chunks import Chunks, NoRule, Stream, call
from .wire import ndjson_lines


class ThinkTags:
    def __init__(self) -> None:
        self.inside = False
        self.held = ""

    def split(self, text: str) -> tuple[str, str]:
        """(content, reasoning) of a line's content."""
        text, self.held = self.held + text, ""
        parts: dict[bool, list[str]] = {False: [], True: []}
        while text:
            tag = "</think>" if self.inside else "<think>"
            at = text.find(tag)
            if at < 0:
                keep = next((n for n in range(len(tag) - 1, 0, -1) if text.endswith(tag[:n])), 0)
                parts[self.inside].append(text[: len(text) - keep])
                self.held = text[len(text) - keep :]
                break
            parts[self.inside].append(text[:at])
            text, self.inside = text[at + len(tag) :], not self.inside
        return "".join(parts[False]), "".join(parts[True])


def ollama_stream(body: bytes) -> Stream:
    out = Chunks()
    tags = ThinkTags()
    calls = 0
    for data in ndjson_lines(body):
        line = json.loads(data)
        if "error" in line:
            raise NoRule("an error line (the provider's error)")
        out.model = line["model"]
        message = line["message"]
        content, reasoning = tags.split(message["content"])
        delta: dict[str, Any] = {"content": content, "reasoning_content": reasoning + message.get("thinking", "")}
        delta["tool_calls"] = []
        for sent in message.get("tool_calls", []):
            if not isinstance(sent["function"]["arguments"], dict):
                raise NoRule(f"tool call arguments {sent['function']['arguments']!r}")
            arguments = json.dumps(sent["function"]["arguments"], separators=(",", ":"), ensure_ascii=False)
            delta["tool_calls"].append(call(calls, out.call_id(calls), sent["function"]["name"], arguments))
            calls += 1
        if not line["done"]:
            out.add(delta)
            continue
        counts = {"prompt_tokens": line["prompt_eval_count"], "completion_tokens": line["eval_count"]}
        out.add(delta, finish=line["done_reason"], usage=counts)
        break
    return out.stream
