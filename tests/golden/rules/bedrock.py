"""Bedrock's streams in AWS event-stream frames (rust/decode/bedrock.rs): Converse events by their
`:event-type`, and invoke streams' `chunk` events, whose base64 `bytes` hold an Anthropic event.

Converse: `messageStart` opens the message; `contentBlockStart` with a `toolUse` starts a tool call (tool
blocks count from 0); `contentBlockDelta` carries `text`, `toolUse.input` argument fragments and
`reasoningContent` (`text` as reasoning and a thinking block, `signature` a signed block,
`redactedContent` a redacted one); `messageStop` has the finish reason; `metadata` has the usage
(prompt = input + cache-read + cache-write tokens; cached = read), in a chunk without choices, and ends
the stream. Bedrock sends no response id or model.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .anthropic import Anthropic
from .chunks import Chunks, NoRule, Stream, redacted, thinking, tool_call
from .wire import event_stream


def usage(sent: dict[str, Any]) -> dict[str, Any]:
    read = sent.get("cacheReadInputTokens") or 0
    return {
        "prompt_tokens": (sent.get("inputTokens") or 0) + read + (sent.get("cacheWriteInputTokens") or 0),
        "completion_tokens": sent.get("outputTokens") or 0,
        "prompt_tokens_details": {"cached_tokens": read},
    }


def bedrock_stream(body: bytes) -> Stream:
    out = Chunks()
    anthropic = Anthropic(out)
    tools: dict[int, dict[str, Any]] = {}
    for headers, payload in event_stream(body):
        kind, event = headers[":event-type"], json.loads(payload)
        if headers[":message-type"] != "event":
            raise NoRule(f"{headers[':message-type']} frame {kind}")
        if kind == "chunk":
            if not anthropic.event("", json.loads(base64.b64decode(event["bytes"]))):
                break
        elif kind == "messageStart":
            out.add(opening=True)
        elif kind == "contentBlockStart":
            use = event["start"]["toolUse"]
            tools[event["contentBlockIndex"]] = {"index": len(tools), "arguments": ""}
            out.add(tool_call(len(tools) - 1, use["toolUseId"], use["name"]))
        elif kind == "contentBlockDelta":
            delta(out, tools.get(event["contentBlockIndex"]), event["delta"])
        elif kind == "contentBlockStop":
            call = tools.get(event["contentBlockIndex"])
            if call is not None and not call["arguments"]:
                raise NoRule("a tool call that streamed no input")
        elif kind == "messageStop":
            out.add(finish=event["stopReason"])
        elif kind == "metadata":
            out.add(usage=usage(event["usage"]))
            break
        else:
            raise NoRule(f"event {kind}")
    return out.stream


def delta(out: Chunks, call: dict[str, Any] | None, sent: dict[str, Any]) -> None:
    if "text" in sent:
        out.add({"content": sent["text"]})
    elif "toolUse" in sent and call is not None:
        fragment = sent["toolUse"]["input"]
        call["arguments"] += fragment
        out.add(tool_call(call["index"], arguments=fragment) if fragment else None)
    elif "reasoningContent" in sent:
        reasoning = sent["reasoningContent"]
        if "text" in reasoning:
            out.add(thinking(reasoning["text"]))
        elif "signature" in reasoning:
            out.add(thinking(signature=reasoning["signature"]))
        else:
            out.add(redacted(reasoning["redactedContent"]))
    else:
        raise NoRule(f"content block delta {sorted(sent)}")
