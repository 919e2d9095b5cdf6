"""The events of every native dialect (Anthropic, Cohere v1 and v2, Gemini, Ollama, Bedrock), mostly
well-formed; in wild streams now and then a field of any type at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from .values import json_value, text


def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Any:
    return st.fixed_dictionaries(required, optional=optional or {})


@dataclass(frozen=True)
class Fields:
    """The field strategies the dialects share; `wild`: now and then a field of any type at all."""

    wild: bool

    def usually(self, valid: Any, other: Any = None) -> Any:
        """Almost always `valid`; in wild streams, now and then anything (where the backends must agree on
        what fails), rarely enough that most generated streams still get far."""
        if not self.wild:
            return valid
        return st.one_of(*[valid] * 40, json_value if other is None else other)

    @property
    def index(self) -> Any:
        return st.integers(0, 3)

    @property
    def count(self) -> Any:
        return self.usually(st.integers(0, 500), st.one_of(st.none(), st.floats(0, 9), st.text(max_size=2)))

    @property
    def fragment(self) -> Any:
        """A piece of streamed tool-call arguments."""
        return st.sampled_from(['{"a"', ": 1", "}", '{"q": "x', 'y"}', "", "[1, 2]", "{}"]) | text


def _anthropic_block(f: Fields) -> Any:
    u = f.usually
    return u(
        st.one_of(
            obj({"type": st.just("text"), "text": u(text)}),
            obj({"type": st.just("thinking"), "thinking": u(text)}),
            obj(
                {"type": st.sampled_from(["tool_use", "server_tool_use"]), "id": u(text), "name": u(text)},
                {"input": u(st.dictionaries(text, json_value, max_size=2))},
            ),
            obj({"type": st.just("redacted_thinking"), "data": u(text)}),
            obj(
                {"type": st.sampled_from(["web_search_tool_result", "code_execution_tool_result"])},
                {"content": json_value},
            ),
            obj({"type": text}),
        )
    )


def _anthropic_delta(f: Fields) -> Any:
    u = f.usually
    return u(
        st.one_of(
            obj({"type": st.just("text_delta"), "text": u(text)}),
            obj({"type": st.just("input_json_delta"), "partial_json": u(f.fragment)}),
            obj({"type": st.just("thinking_delta"), "thinking": u(text)}),
            obj({"type": st.just("signature_delta"), "signature": u(text)}),
            obj({"type": st.just("citations_delta"), "citation": json_value}),
            obj({"type": text}),
        )
    )


def anthropic_event(f: Fields) -> Any:
    u, count, index = f.usually, f.count, f.index
    usage = obj(
        {},
        {
            "input_tokens": count,
            "output_tokens": count,
            "cache_creation_input_tokens": count,
            "cache_read_input_tokens": count,
            "output_tokens_details": u(obj({}, {"thinking_tokens": count})),
            "server_tool_use": u(obj({}, {"web_search_requests": count})),
        },
    )
    reason = st.sampled_from(["end_turn", "max_tokens", "tool_use", "refusal", "pause_turn", "stop_sequence", "x"])
    delta = _anthropic_delta(f)
    message = u(obj({}, {"id": u(text), "model": u(text), "usage": u(usage)}))
    message_delta = obj({}, {"stop_reason": u(reason), "stop_details": u(obj({}, {"explanation": u(text)}))})
    return st.one_of(
        obj({"type": st.just("message_start")}, {"message": message}),
        obj({"type": st.just("content_block_start"), "index": u(index)}, {"content_block": _anthropic_block(f)}),
        obj({"type": st.just("content_block_delta"), "index": u(index)}, {"delta": delta}),
        obj({"type": st.just("content_block_delta"), "index": u(index)}, {"delta": delta}),
        obj({"type": st.just("content_block_stop"), "index": u(index)}),
        obj({"type": st.just("message_delta")}, {"delta": u(message_delta), "usage": u(usage)}),
        obj({"type": st.sampled_from(["message_stop", "ping", "mystery"])}),
        u(
            obj({"type": st.just("ping")}),
            st.one_of(json_value, obj({"type": st.just("error")}, {"error": json_value})),
        ),
    )


COHERE_FINISH = st.sampled_from(["COMPLETE", "MAX_TOKENS", "TOOL_CALL", "ERROR_TOXIC", "ERROR", "STOP_SEQUENCE"])
COHERE_V2_TYPES = (
    "message-start content-start content-delta content-delta content-end tool-plan-delta "
    "tool-call-start tool-call-delta tool-call-end citation-start message-end other"
).split()
COHERE_V1_TYPES = [
    "stream-start",
    "text-generation",
    "text-generation",
    "tool-calls-chunk",
    "tool-calls-generation",
    "citation-generation",
    "stream-end",
    "search-results",
]


def cohere_v2_event(f: Fields) -> Any:
    u, count = f.usually, f.count
    call = obj({}, {"id": u(text), "function": u(obj({}, {"name": u(text), "arguments": u(f.fragment)}))})
    content = obj({}, {"type": st.sampled_from(["text", "thinking"]), "text": u(text), "thinking": u(text)})
    message = obj({}, {"content": u(content), "tool_plan": u(text), "tool_calls": u(call), "citations": json_value})
    usage = obj({}, {"tokens": obj({}, {"input_tokens": count, "output_tokens": count}), "cached_tokens": count})
    delta = obj({}, {"message": u(message), "finish_reason": u(COHERE_FINISH), "usage": u(usage)})
    return obj({"type": st.sampled_from(COHERE_V2_TYPES)}, {"id": u(text), "index": u(f.index), "delta": u(delta)})


def cohere_v1_event(f: Fields) -> Any:
    u, count = f.usually, f.count
    call_delta = obj({}, {"index": u(f.index), "name": u(text), "parameters": u(f.fragment)})
    call = obj({}, {"name": u(text), "parameters": u(st.dictionaries(text, json_value, max_size=2))})
    tokens = obj({}, {"input_tokens": count, "output_tokens": count})
    return obj(
        {"event_type": st.sampled_from(COHERE_V1_TYPES)},
        {
            "generation_id": u(text),
            "text": u(text),
            "tool_call_delta": u(call_delta),
            "tool_calls": u(st.lists(call, max_size=2)),
            "citations": u(st.lists(json_value, max_size=2)),
            "finish_reason": u(COHERE_FINISH),
            "response": u(obj({}, {"meta": obj({}, {"tokens": tokens})})),
        },
    )


def _gemini_part(f: Fields) -> Any:
    u = f.usually
    partial_arg = obj(
        {"jsonPath": u(st.sampled_from(["$.a", "$.b", "$.a.b", "$.list[0]", "$.list[1].x", "$['k y']", "$", "x"]))},
        {
            "stringValue": u(text),
            "numberValue": u(st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False))),
            "boolValue": u(st.booleans()),
            "nullValue": st.none(),
            "willContinue": u(st.booleans()),
        },
    )
    whole_call = obj({}, {"name": u(text), "args": u(st.dictionaries(text, json_value, max_size=2)), "id": u(text)})
    streamed_call = obj(
        {},
        {
            "name": u(st.sampled_from(["f", "g"])),
            "willContinue": u(st.booleans()),
            "partialArgs": u(st.lists(partial_arg, max_size=3)),
        },
    )
    return st.one_of(
        obj({"text": u(text)}, {"thought": u(st.booleans()), "thoughtSignature": u(text)}),
        obj({"text": u(text)}),
        obj({"functionCall": u(whole_call)}, {"thoughtSignature": u(text)}),
        obj({"functionCall": streamed_call}),
        obj({"executableCode": json_value}),
    )


def gemini_response(f: Fields) -> Any:
    u, count = f.usually, f.count
    finish = st.sampled_from(["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "MALFORMED_FUNCTION_CALL", ""])
    content = obj({}, {"parts": u(st.lists(_gemini_part(f), max_size=3)), "role": st.just("model")})
    candidate = obj(
        {},
        {
            "content": u(content),
            "finishReason": u(finish),
            "index": u(st.integers(0, 1)),
            "safetyRatings": json_value,
            "groundingMetadata": json_value,
        },
    )
    counts = ("prompt", "candidates", "total", "thoughts", "toolUsePrompt", "cachedContent")
    usage = obj({}, {f"{name}TokenCount": count for name in counts})
    response = obj(
        {},
        {
            "candidates": u(st.lists(candidate, max_size=2)),
            "usageMetadata": u(usage),
            "modelVersion": u(text),
            "responseId": u(text),
            "promptFeedback": u(obj({}, {"blockReason": u(st.sampled_from(["SAFETY", ""]))})),
        },
    )
    return u(response, obj({"error": json_value}))


def ollama_line(f: Fields) -> Any:
    u, count = f.usually, f.count
    think_text = st.lists(
        st.sampled_from(["<think>", "</think>", "<th", "ink>", "</", "a", "é", " "]) | text, max_size=4
    ).map("".join)
    arguments = st.one_of(st.dictionaries(text, json_value, max_size=2), text)
    call = obj({}, {"function": u(obj({}, {"name": u(text), "arguments": u(arguments)})), "id": u(text)})
    message = obj({}, {"content": u(think_text), "thinking": u(text), "tool_calls": u(st.lists(call, max_size=2))})
    line = obj(
        {},
        {
            "model": u(text),
            "message": u(message),
            "done": u(st.booleans()),
            "done_reason": u(st.sampled_from(["stop", "length", "load", ""])),
            "prompt_eval_count": count,
            "eval_count": count,
        },
    )
    return u(line, obj({"error": json_value}))


def bedrock_event(f: Fields) -> Any:
    """(event type, payload) of an event-stream frame; the payload "!" makes an exception frame."""
    u, count, index = f.usually, f.count, f.index
    reasoning = obj({}, {"text": u(text), "signature": u(text), "redactedContent": u(text)})
    delta = obj(
        {},
        {
            "text": u(text),
            "toolUse": u(obj({}, {"input": u(f.fragment)})),
            "reasoningContent": u(reasoning),
            "citation": json_value,
        },
    )
    start = obj({}, {"toolUse": u(obj({}, {"toolUseId": u(text), "name": u(text)}))})
    stop_reason = st.sampled_from(["end_turn", "tool_use", "guardrail_intervened", "max_tokens"])
    usage = obj({}, {"inputTokens": count, "outputTokens": count, "cacheReadInputTokens": count})
    failures = st.sampled_from(["throttlingException", "validationException", "modelStreamErrorException"])
    return st.one_of(
        st.tuples(st.just("messageStart"), obj({"role": st.just("assistant")})),
        st.tuples(st.just("contentBlockStart"), obj({"contentBlockIndex": u(index)}, {"start": u(start)})),
        st.tuples(st.just("contentBlockDelta"), obj({"contentBlockIndex": u(index)}, {"delta": u(delta)})),
        st.tuples(st.just("contentBlockStop"), obj({"contentBlockIndex": u(index)})),
        st.tuples(st.just("messageStop"), obj({}, {"stopReason": u(stop_reason)})),
        st.tuples(st.just("metadata"), obj({}, {"usage": u(usage), "trace": json_value})),
        st.tuples(failures, st.just("!")),
        st.tuples(st.just("chunk"), u(anthropic_event(f))),
    )


def event_strategies(wild: bool) -> dict[str, Any]:
    """The event strategies of every dialect, by name."""
    f = Fields(wild)
    return {
        "anthropic": anthropic_event(f),
        "cohere_v1": cohere_v1_event(f),
        "cohere_v2": cohere_v2_event(f),
        "gemini": gemini_response(f),
        "ollama": ollama_line(f),
        "bedrock": bedrock_event(f),
    }
