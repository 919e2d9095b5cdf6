"""A scenario (`scenario.py`) written as each dialect's events, as the providers send them (the recordings
in tests/fixtures/streams are the models): OpenAI's chunks, Anthropic's content blocks, Cohere v1 and v2,
Gemini's responses, Ollama's lines, Bedrock's Converse events and its invoke stream of Anthropic events.
`framing.py` turns the events into bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .scenario import Block, Scenario
from .source import Choices

# The framings each dialect's streams come in (bedrock "invoke": Anthropic events inside event-stream frames).
FRAMINGS = {
    "openai": ["sse"],
    "anthropic": ["sse", "sse", "sse_bare", "ndjson"],
    "cohere": ["sse", "ndjson"],
    "gemini": ["sse_bare", "json_array"],
    "ollama": ["ndjson"],
    "bedrock": ["eventstream", "eventstream", "invoke"],
}
DIALECTS = tuple(FRAMINGS)


@dataclass
class Event:
    """One event: its SSE `event:` name or event-stream type, and its value (JSON, or `raw` text sent as it
    is); `exception` makes an event-stream exception frame. `subst` maps placeholder strings in the value to
    raw JSON text put in their place when written (numbers and nestings json.dumps cannot or will not write)."""

    name: str
    value: Any
    raw: bool = False
    exception: bool = False
    subst: dict[str, str] = field(default_factory=dict)


@dataclass
class Wire:
    dialect: str
    framing: str
    events: list[Event]


def usage_numbers(s: Scenario) -> tuple[int, int, int, int]:
    return s.prompt_tokens, s.completion_tokens, s.cached_tokens, s.reasoning_tokens


def openai(c: Choices, s: Scenario) -> list[Event]:
    base: dict[str, Any] = {"id": f"chatcmpl-{s.id}", "object": "chat.completion.chunk", "created": 1700000000}
    base["model"] = s.model
    if c.chance(500):
        base["system_fingerprint"] = "fp_1"
    choices = 2 if c.chance(80) else 1

    def chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> Event:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}
        return Event("", {**base, "choices": [choice]})

    reasoning = c.choice(["reasoning_content", "reasoning"])
    events = [chunk({"role": "assistant", "content": ""}, index=i) for i in range(choices)]
    calls = 0
    for block in s.blocks:
        for i in range(choices):
            if block.kind == "tool" and block.tool is not None:
                t = block.tool
                head = {"index": calls, "id": t.id, "type": "function", "function": {"name": t.name, "arguments": ""}}
                events.append(chunk({"tool_calls": [head]}, index=i))
                for f in t.fragments:
                    events.append(chunk({"tool_calls": [{"index": calls, "function": {"arguments": f}}]}, index=i))
            else:
                key = reasoning if block.kind == "reasoning" else "content"
                events.extend(chunk({key: p}, index=i) for p in block.pieces)
        calls += block.kind == "tool"
    events.extend(chunk({}, s.finish, index=i) for i in range(choices))
    prompt, completion, cached, thoughts = usage_numbers(s)
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
    usage["prompt_tokens_details"] = {"cached_tokens": cached}
    usage["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    if c.chance(700):
        events.append(Event("", {**base, "choices": [], "usage": usage}))
    if c.chance(900):
        events.append(Event("", "[DONE]", raw=True))
    return events


ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _anthropic_block(c: Choices, s: Scenario, index: int, block: Block) -> Iterator[dict[str, Any]]:
    def delta(kind: str, **fields: Any) -> dict[str, Any]:
        return {"type": "content_block_delta", "index": index, "delta": {"type": kind, **fields}}

    if block.kind == "tool" and block.tool is not None:
        t = block.tool
        start = {"type": "tool_use", "id": t.id, "name": t.name, "input": {}}
        deltas = [delta("input_json_delta", partial_json=f) for f in t.fragments]
    elif block.kind == "reasoning":
        start = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [delta("thinking_delta", thinking=p) for p in block.pieces]
        deltas.append(delta("signature_delta", signature=s.signature))
    else:
        start = {"type": "text", "text": ""}
        deltas = [delta("text_delta", text=p) for p in block.pieces]
    yield {"type": "content_block_start", "index": index, "content_block": start}
    if c.chance(100):
        yield {"type": "ping"}
    yield from deltas
    yield {"type": "content_block_stop", "index": index}


def anthropic_values(c: Choices, s: Scenario) -> list[dict[str, Any]]:
    prompt, completion, cached, _ = usage_numbers(s)
    usage = {"input_tokens": prompt, "cache_read_input_tokens": cached, "output_tokens": 1}
    message = {"id": s.id, "type": "message", "role": "assistant", "model": s.model, "content": []}
    values = [{"type": "message_start", "message": {**message, "stop_reason": None, "usage": usage}}]
    for index, block in enumerate(s.blocks):
        values.extend(_anthropic_block(c, s, index, block))
    stop = {"stop_reason": ANTHROPIC_STOP[s.finish], "stop_sequence": None}
    values.append({"type": "message_delta", "delta": stop, "usage": {"output_tokens": completion}})
    values.append({"type": "message_stop"})
    return values


def anthropic(c: Choices, s: Scenario) -> list[Event]:
    return [Event(v["type"], v) for v in anthropic_values(c, s)]


COHERE_FINISH = {"stop": "COMPLETE", "length": "MAX_TOKENS", "tool_calls": "TOOL_CALL"}


def _cohere_v2_block(index: int, block: Block) -> Iterator[dict[str, Any]]:
    if block.kind == "tool" and block.tool is not None:
        t = block.tool
        call = {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": ""}}
        yield {"type": "tool-call-start", "index": index, "delta": {"message": {"tool_calls": call}}}
        for f in t.fragments:
            args = {"function": {"arguments": f}}
            yield {"type": "tool-call-delta", "index": index, "delta": {"message": {"tool_calls": args}}}
        yield {"type": "tool-call-end", "index": index}
        return
    key = "thinking" if block.kind == "reasoning" else "text"
    yield {"type": "content-start", "index": index, "delta": {"message": {"content": {"type": key, key: ""}}}}
    for p in block.pieces:
        yield {"type": "content-delta", "index": index, "delta": {"message": {"content": {key: p}}}}
    yield {"type": "content-end", "index": index}


def cohere_v2(c: Choices, s: Scenario) -> list[Event]:
    empty = {"role": "assistant", "content": [], "tool_plan": "", "tool_calls": [], "citations": []}
    values = [{"id": s.id, "type": "message-start", "delta": {"message": empty}}]
    if any(b.kind == "tool" for b in s.blocks) and c.chance(500):
        for p in ["I", " will", " call", " a tool."]:
            values.append({"type": "tool-plan-delta", "delta": {"message": {"tool_plan": p}}})
    content = tools = 0
    for block in s.blocks:
        if block.kind == "tool":
            values.extend(_cohere_v2_block(tools, block))
            tools += 1
        else:
            values.extend(_cohere_v2_block(content, block))
            content += 1
    prompt, completion, cached, _ = usage_numbers(s)
    tokens = {"input_tokens": prompt, "output_tokens": completion}
    usage = {"billed_units": tokens, "tokens": tokens, "cached_tokens": cached}
    values.append({"type": "message-end", "delta": {"finish_reason": COHERE_FINISH[s.finish], "usage": usage}})
    return [*(Event(v["type"], v) for v in values), Event("", "[DONE]", raw=True)]


def cohere_v1(c: Choices, s: Scenario) -> list[Event]:
    values: list[dict[str, Any]] = [{"is_finished": False, "event_type": "stream-start", "generation_id": s.id}]
    calls = []
    for block in s.blocks:
        if block.kind == "tool" and block.tool is not None:
            t, index = block.tool, len(calls)
            values.append({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": index, "name": t.name}})
            for f in t.fragments:
                values.append({"event_type": "tool-calls-chunk", "tool_call_delta": {"index": index, "parameters": f}})
            calls.append({"name": t.name, "parameters": json.loads(t.arguments)})
        else:
            values.extend({"is_finished": False, "event_type": "text-generation", "text": p} for p in block.pieces)
    if calls:
        values.append({"is_finished": False, "event_type": "tool-calls-generation", "tool_calls": calls})
    prompt, completion, _, _ = usage_numbers(s)
    meta = {"tokens": {"input_tokens": prompt, "output_tokens": completion}}
    finish = COHERE_FINISH[s.finish]
    response = {"generation_id": s.id, "finish_reason": finish, "meta": meta}
    values.append({"is_finished": True, "event_type": "stream-end", "response": response, "finish_reason": finish})
    return [Event("", v) for v in values]


def gemini(c: Choices, s: Scenario) -> list[Event]:
    prompt, completion, cached, thoughts = usage_numbers(s)
    usage = {"promptTokenCount": prompt, "candidatesTokenCount": completion, "totalTokenCount": prompt + completion}
    usage.update({"thoughtsTokenCount": thoughts, "cachedContentTokenCount": cached})
    parts: list[dict[str, Any]] = []
    for block in s.blocks:
        if block.kind == "tool" and block.tool is not None:
            call = {"functionCall": {"name": block.tool.name, "args": json.loads(block.tool.arguments)}}
            if s.signature and c.chance(500):
                call["thoughtSignature"] = s.signature
            parts.append(call)
        else:
            thought = {"thought": True} if block.kind == "reasoning" else {}
            parts.extend({"text": p, **thought} for p in block.pieces)
    responses = []
    for n, part in enumerate(parts):
        candidate: dict[str, Any] = {"content": {"parts": [part], "role": "model"}, "index": 0}
        if n == len(parts) - 1:
            candidate["finishReason"] = "MAX_TOKENS" if s.finish == "length" else "STOP"
        response = {"candidates": [candidate], "modelVersion": s.model, "responseId": s.id}
        if n == len(parts) - 1 or c.chance(300):
            response["usageMetadata"] = usage
        responses.append(Event("", response))
    return responses


def ollama(c: Choices, s: Scenario) -> list[Event]:
    head = {"model": s.model, "created_at": "2025-06-09T17:58:55.337823Z"}
    values = []
    for block in s.blocks:
        if block.kind == "tool" and block.tool is not None:
            call = {"function": {"name": block.tool.name, "arguments": json.loads(block.tool.arguments)}}
            message = {"role": "assistant", "content": "", "tool_calls": [call]}
            values.append({**head, "message": message, "done": False})
        else:
            key = "thinking" if block.kind == "reasoning" else "content"
            for p in block.pieces:
                values.append({**head, "message": {"role": "assistant", key: p}, "done": False})
    prompt, completion, _, _ = usage_numbers(s)
    last = {"done": True, "done_reason": "length" if s.finish == "length" else "stop"}
    last.update({"prompt_eval_count": prompt, "eval_count": completion})
    values.append({**head, "message": {"role": "assistant", "content": ""}, **last})
    return [Event("", v) for v in values]


BEDROCK_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def _bedrock_block(s: Scenario, index: int, block: Block) -> Iterator[tuple[str, dict[str, Any]]]:
    def delta(value: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        return "contentBlockDelta", {"contentBlockIndex": index, "delta": value}

    if block.kind == "tool" and block.tool is not None:
        start = {"toolUse": {"toolUseId": block.tool.id, "name": block.tool.name}}
        yield "contentBlockStart", {"contentBlockIndex": index, "start": start}
        yield from (delta({"toolUse": {"input": f}}) for f in block.tool.fragments)
    elif block.kind == "reasoning":
        yield from (delta({"reasoningContent": {"text": p}}) for p in block.pieces)
        yield delta({"reasoningContent": {"signature": s.signature}})
    else:
        yield from (delta({"text": p}) for p in block.pieces)
    yield "contentBlockStop", {"contentBlockIndex": index}


def bedrock(c: Choices, s: Scenario) -> list[Event]:
    events = [("messageStart", {"role": "assistant"})]
    for index, block in enumerate(s.blocks):
        events.extend(_bedrock_block(s, index, block))
    events.append(("messageStop", {"stopReason": BEDROCK_STOP[s.finish]}))
    prompt, completion, cached, _ = usage_numbers(s)
    usage = {"inputTokens": prompt, "outputTokens": completion, "totalTokens": prompt + completion}
    if cached:
        usage["cacheReadInputTokens"] = cached
    events.append(("metadata", {"usage": usage, "metrics": {"latencyMs": 1999}}))
    pad = c.chance(500)
    return [Event(name, {**value, "p": "abcdefghijklmnop"[: len(name)]} if pad else value) for name, value in events]


def write(c: Choices, dialect: str, s: Scenario) -> Wire:
    """The scenario as `dialect`'s events, in one of the framings its streams come in."""
    framing = c.choice(FRAMINGS[dialect])
    if dialect == "cohere":
        events = cohere_v2(c, s) if framing == "sse" else cohere_v1(c, s)
    elif dialect == "bedrock" and framing == "invoke":
        events = [Event("chunk", v) for v in anthropic_values(c, s)]
    else:
        events = WRITERS[dialect](c, s)
    return Wire(dialect, framing, events)


WRITERS = {"openai": openai, "anthropic": anthropic, "gemini": gemini, "ollama": ollama, "bedrock": bedrock}
