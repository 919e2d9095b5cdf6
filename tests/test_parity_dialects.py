"""Differential tests for the native dialects: generated event streams (mostly well-formed, some fields
of the wrong type, some truncated or corrupted), in every framing each dialect accepts and split at random
offsets, must give the same chunks, the same exception class and position, the same reprs and the same
merge on the Rust backend and on its pure-Python twin."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from . import eventstream as es
from .conftest import Backend, decode
from .test_parity import json_value, text

pytestmark = pytest.mark.rust


def strategies(wild: bool) -> dict[str, Any]:
    """The event strategies of every dialect; `wild`: now and then a field of any type at all."""

    def usually(valid: Any, other: Any = None) -> Any:
        """Almost always `valid`; in wild streams, now and then anything (where the backends must agree on
        what fails), rarely enough that most generated streams still get far."""
        if not wild:
            return valid
        return st.one_of(*[valid] * 40, json_value if other is None else other)

    index = st.integers(0, 3)

    def obj(required: dict[str, Any], optional: dict[str, Any] | None = None) -> Any:
        return st.fixed_dictionaries(required, optional=optional or {})

    count = usually(st.integers(0, 500), st.one_of(st.none(), st.floats(0, 9), st.text(max_size=2)))
    reason = st.sampled_from(["end_turn", "max_tokens", "tool_use", "refusal", "pause_turn", "stop_sequence", "x"])
    fragment = st.sampled_from(['{"a"', ": 1", "}", '{"q": "x', 'y"}', "", "[1, 2]", "{}"]) | text

    # --- Anthropic ---------------------------------------------------------------------------------------------

    anthropic_usage = obj(
        {},
        {
            "input_tokens": count,
            "output_tokens": count,
            "cache_creation_input_tokens": count,
            "cache_read_input_tokens": count,
            "output_tokens_details": usually(obj({}, {"thinking_tokens": count})),
            "server_tool_use": usually(obj({}, {"web_search_requests": count})),
        },
    )
    anthropic_block = usually(
        st.one_of(
            obj({"type": st.just("text"), "text": usually(text)}),
            obj({"type": st.just("thinking"), "thinking": usually(text)}),
            obj(
                {"type": st.sampled_from(["tool_use", "server_tool_use"]), "id": usually(text), "name": usually(text)},
                {"input": usually(st.dictionaries(text, json_value, max_size=2))},
            ),
            obj({"type": st.just("redacted_thinking"), "data": usually(text)}),
            obj(
                {"type": st.sampled_from(["web_search_tool_result", "code_execution_tool_result"])},
                {"content": json_value},
            ),
            obj({"type": text}),
        )
    )
    anthropic_delta = usually(
        st.one_of(
            obj({"type": st.just("text_delta"), "text": usually(text)}),
            obj({"type": st.just("input_json_delta"), "partial_json": usually(fragment)}),
            obj({"type": st.just("thinking_delta"), "thinking": usually(text)}),
            obj({"type": st.just("signature_delta"), "signature": usually(text)}),
            obj({"type": st.just("citations_delta"), "citation": json_value}),
            obj({"type": text}),
        )
    )
    anthropic_event = st.one_of(
        obj(
            {"type": st.just("message_start")},
            {
                "message": usually(
                    obj({}, {"id": usually(text), "model": usually(text), "usage": usually(anthropic_usage)})
                )
            },
        ),
        obj({"type": st.just("content_block_start"), "index": usually(index)}, {"content_block": anthropic_block}),
        obj({"type": st.just("content_block_delta"), "index": usually(index)}, {"delta": anthropic_delta}),
        obj({"type": st.just("content_block_delta"), "index": usually(index)}, {"delta": anthropic_delta}),
        obj({"type": st.just("content_block_stop"), "index": usually(index)}),
        obj(
            {"type": st.just("message_delta")},
            {
                "delta": usually(
                    obj(
                        {},
                        {
                            "stop_reason": usually(reason),
                            "stop_details": usually(obj({}, {"explanation": usually(text)})),
                        },
                    )
                ),
                "usage": usually(anthropic_usage),
            },
        ),
        obj({"type": st.sampled_from(["message_stop", "ping", "mystery"])}),
        usually(
            obj({"type": st.just("ping")}),
            st.one_of(json_value, obj({"type": st.just("error")}, {"error": json_value})),
        ),
    )

    # --- Cohere ------------------------------------------------------------------------------------------------

    cohere_call = obj(
        {}, {"id": usually(text), "function": usually(obj({}, {"name": usually(text), "arguments": usually(fragment)}))}
    )
    cohere_message = obj(
        {},
        {
            "content": usually(
                obj(
                    {},
                    {"type": st.sampled_from(["text", "thinking"]), "text": usually(text), "thinking": usually(text)},
                )
            ),
            "tool_plan": usually(text),
            "tool_calls": usually(cohere_call),
            "citations": json_value,
        },
    )
    cohere_finish = st.sampled_from(["COMPLETE", "MAX_TOKENS", "TOOL_CALL", "ERROR_TOXIC", "ERROR", "STOP_SEQUENCE"])
    cohere_v2_event = obj(
        {
            "type": st.sampled_from(
                (
                    "message-start content-start content-delta content-delta content-end tool-plan-delta "
                    "tool-call-start tool-call-delta tool-call-end citation-start message-end other"
                ).split()
            )
        },
        {
            "id": usually(text),
            "index": usually(index),
            "delta": usually(
                obj(
                    {},
                    {
                        "message": usually(cohere_message),
                        "finish_reason": usually(cohere_finish),
                        "usage": usually(
                            obj(
                                {},
                                {
                                    "tokens": obj({}, {"input_tokens": count, "output_tokens": count}),
                                    "cached_tokens": count,
                                },
                            )
                        ),
                    },
                )
            ),
        },
    )
    cohere_v1_event = obj(
        {
            "event_type": st.sampled_from(
                [
                    "stream-start",
                    "text-generation",
                    "text-generation",
                    "tool-calls-chunk",
                    "tool-calls-generation",
                    "citation-generation",
                    "stream-end",
                    "search-results",
                ]
            )
        },
        {
            "generation_id": usually(text),
            "text": usually(text),
            "tool_call_delta": usually(
                obj({}, {"index": usually(index), "name": usually(text), "parameters": usually(fragment)})
            ),
            "tool_calls": usually(
                st.lists(
                    obj(
                        {},
                        {"name": usually(text), "parameters": usually(st.dictionaries(text, json_value, max_size=2))},
                    ),
                    max_size=2,
                )
            ),
            "citations": usually(st.lists(json_value, max_size=2)),
            "finish_reason": usually(cohere_finish),
            "response": usually(
                obj({}, {"meta": obj({}, {"tokens": obj({}, {"input_tokens": count, "output_tokens": count})})})
            ),
        },
    )

    # --- Gemini ------------------------------------------------------------------------------------------------

    partial_arg = obj(
        {
            "jsonPath": usually(
                st.sampled_from(["$.a", "$.b", "$.a.b", "$.list[0]", "$.list[1].x", "$['k y']", "$", "x"])
            )
        },
        {
            "stringValue": usually(text),
            "numberValue": usually(st.one_of(st.integers(-(2**70), 2**70), st.floats(allow_nan=False))),
            "boolValue": usually(st.booleans()),
            "nullValue": st.none(),
            "willContinue": usually(st.booleans()),
        },
    )
    gemini_part = st.one_of(
        obj({"text": usually(text)}, {"thought": usually(st.booleans()), "thoughtSignature": usually(text)}),
        obj({"text": usually(text)}),
        obj(
            {
                "functionCall": usually(
                    obj(
                        {},
                        {
                            "name": usually(text),
                            "args": usually(st.dictionaries(text, json_value, max_size=2)),
                            "id": usually(text),
                        },
                    )
                )
            },
            {"thoughtSignature": usually(text)},
        ),
        obj(
            {
                "functionCall": obj(
                    {},
                    {
                        "name": usually(st.sampled_from(["f", "g"])),
                        "willContinue": usually(st.booleans()),
                        "partialArgs": usually(st.lists(partial_arg, max_size=3)),
                    },
                )
            }
        ),
        obj({"executableCode": json_value}),
    )
    gemini_finish = st.sampled_from(
        ["STOP", "MAX_TOKENS", "SAFETY", "RECITATION", "OTHER", "MALFORMED_FUNCTION_CALL", ""]
    )
    gemini_candidate = obj(
        {},
        {
            "content": usually(
                obj({}, {"parts": usually(st.lists(gemini_part, max_size=3)), "role": st.just("model")})
            ),
            "finishReason": usually(gemini_finish),
            "index": usually(st.integers(0, 1)),
            "safetyRatings": json_value,
            "groundingMetadata": json_value,
        },
    )
    gemini_response = obj(
        {},
        {
            "candidates": usually(st.lists(gemini_candidate, max_size=2)),
            "usageMetadata": usually(
                obj(
                    {},
                    {
                        "promptTokenCount": count,
                        "candidatesTokenCount": count,
                        "totalTokenCount": count,
                        "thoughtsTokenCount": count,
                        "toolUsePromptTokenCount": count,
                        "cachedContentTokenCount": count,
                    },
                )
            ),
            "modelVersion": usually(text),
            "responseId": usually(text),
            "promptFeedback": usually(obj({}, {"blockReason": usually(st.sampled_from(["SAFETY", ""]))})),
        },
    )
    failure = obj({"error": json_value})

    # --- Ollama ------------------------------------------------------------------------------------------------

    think_text = st.lists(
        st.sampled_from(["<think>", "</think>", "<th", "ink>", "</", "a", "é", " "]) | text, max_size=4
    ).map("".join)
    ollama_line = obj(
        {},
        {
            "model": usually(text),
            "message": usually(
                obj(
                    {},
                    {
                        "content": usually(think_text),
                        "thinking": usually(text),
                        "tool_calls": usually(
                            st.lists(
                                obj(
                                    {},
                                    {
                                        "function": usually(
                                            obj(
                                                {},
                                                {
                                                    "name": usually(text),
                                                    "arguments": usually(
                                                        st.one_of(st.dictionaries(text, json_value, max_size=2), text)
                                                    ),
                                                },
                                            )
                                        ),
                                        "id": usually(text),
                                    },
                                ),
                                max_size=2,
                            )
                        ),
                    },
                )
            ),
            "done": usually(st.booleans()),
            "done_reason": usually(st.sampled_from(["stop", "length", "load", ""])),
            "prompt_eval_count": count,
            "eval_count": count,
        },
    )

    # --- Bedrock -----------------------------------------------------------------------------------------------

    bedrock_event = st.one_of(
        st.tuples(st.just("messageStart"), obj({"role": st.just("assistant")})),
        st.tuples(
            st.just("contentBlockStart"),
            obj(
                {"contentBlockIndex": usually(index)},
                {
                    "start": usually(
                        obj({}, {"toolUse": usually(obj({}, {"toolUseId": usually(text), "name": usually(text)}))})
                    )
                },
            ),
        ),
        st.tuples(
            st.just("contentBlockDelta"),
            obj(
                {"contentBlockIndex": usually(index)},
                {
                    "delta": usually(
                        obj(
                            {},
                            {
                                "text": usually(text),
                                "toolUse": usually(obj({}, {"input": usually(fragment)})),
                                "reasoningContent": usually(
                                    obj(
                                        {},
                                        {
                                            "text": usually(text),
                                            "signature": usually(text),
                                            "redactedContent": usually(text),
                                        },
                                    )
                                ),
                                "citation": json_value,
                            },
                        )
                    )
                },
            ),
        ),
        st.tuples(st.just("contentBlockStop"), obj({"contentBlockIndex": usually(index)})),
        st.tuples(
            st.just("messageStop"),
            obj(
                {},
                {
                    "stopReason": usually(
                        st.sampled_from(["end_turn", "tool_use", "guardrail_intervened", "max_tokens"])
                    )
                },
            ),
        ),
        st.tuples(
            st.just("metadata"),
            obj(
                {},
                {
                    "usage": usually(
                        obj({}, {"inputTokens": count, "outputTokens": count, "cacheReadInputTokens": count})
                    ),
                    "trace": json_value,
                },
            ),
        ),
        st.tuples(
            st.sampled_from(["throttlingException", "validationException", "modelStreamErrorException"]), st.just("!")
        ),
        st.tuples(st.just("chunk"), usually(anthropic_event)),
    )

    return {
        "anthropic": anthropic_event,
        "cohere_v1": cohere_v1_event,
        "cohere_v2": cohere_v2_event,
        "gemini": usually(gemini_response, failure),
        "ollama": usually(ollama_line, failure),
        "bedrock": bedrock_event,
    }


VALID = strategies(wild=False)
WILD = strategies(wild=True)


def sse(events: list[tuple[str, Any]], named: bool, ending: str) -> bytes:
    out = []
    for name, value in events:
        head = f"event: {name}{ending}" if named and name else ""
        out.append(f"{head}data: {json.dumps(value)}{ending}{ending}")
    return "".join(out).encode()


def ndjson(values: list[Any]) -> bytes:
    return "".join(json.dumps(v) + "\n" for v in values).encode()


def frame(name: str, value: Any) -> bytes:
    if value == "!":
        return es.exception(name, "generated failure")
    if name == "chunk":
        inner = base64.b64encode(json.dumps(value).encode()).decode()
        return es.event("chunk", {"bytes": inner})
    return es.event(name, value)


def name_of(value: Any, key: str) -> str:
    return value.get(key, "") if isinstance(value, dict) and isinstance(value.get(key), str) else ""


@st.composite
def stream(draw: st.DrawFn, events: dict[str, Any] = VALID) -> tuple[str, bytes]:
    dialect = draw(st.sampled_from(["anthropic", "cohere", "gemini", "ollama", "bedrock"]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    if dialect == "anthropic":
        values = draw(st.lists(events["anthropic"], min_size=1, max_size=12))
        form = draw(st.sampled_from(["sse", "bare", "ndjson"]))
        named = [(name_of(e, "type"), e) for e in values]
        data = ndjson(values) if form == "ndjson" else sse(named, form == "sse", ending)
    elif dialect == "cohere":
        if draw(st.booleans()):
            data = ndjson(draw(st.lists(events["cohere_v1"], min_size=1, max_size=12)))
        else:
            values = draw(st.lists(events["cohere_v2"], min_size=1, max_size=12))
            data = sse([(name_of(e, "type"), e) for e in values], True, ending) + b"data: [DONE]\n\n"
    elif dialect == "gemini":
        responses = draw(st.lists(events["gemini"], min_size=1, max_size=6))
        if draw(st.booleans()):
            data = sse([("", r) for r in responses], False, "\r\n")
        else:
            data = ("[" + "\n,\r\n".join(json.dumps(r, indent=1) for r in responses) + "]").encode()
    elif dialect == "ollama":
        data = ndjson(draw(st.lists(events["ollama"], min_size=1, max_size=10)))
    else:
        data = b"".join(
            frame(name, value) for name, value in draw(st.lists(events["bedrock"], min_size=1, max_size=12))
        )
    if data and draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # truncation
    if data and draw(st.integers(0, 14)) == 0:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + bytes([data[at] ^ 0x20]) + data[at + 1 :]  # a flipped bit
    return dialect, data


def check(both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]) -> None:
    dialect, data = generated
    points = sorted(c % (len(data) + 1) for c in cuts)
    pieces = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    rust, python = both
    r = decode(rust.module, pieces, dialect)
    p = decode(python.module, pieces, dialect)
    assert r.comparable() == p.comparable()
    assert [repr(c) for c in r.chunks] == [repr(c) for c in p.chunks]
    assert rust.module.merge_chunks(r.chunks) == python.module.merge_chunks(p.chunks)
    assert decode(rust.module, [data], dialect).comparable() == r.comparable()


@given(generated=stream(), cuts=st.lists(st.integers(0, 10**6), max_size=5))
def test_generated_native_streams_decode_the_same(
    both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]
) -> None:
    check(both, generated, cuts)


@given(generated=stream(WILD), cuts=st.lists(st.integers(0, 10**6), max_size=5))
def test_generated_native_streams_with_wild_fields_decode_the_same(
    both: tuple[Backend, Backend], generated: tuple[str, bytes], cuts: list[int]
) -> None:
    check(both, generated, cuts)
