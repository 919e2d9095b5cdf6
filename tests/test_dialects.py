"""The native dialects on both backends, in the cases the recordings lack: errors in the middle of a
stream (Anthropic's overloaded_error after text, Bedrock's exception frames, Gemini's error body, Ollama's
error line, Cohere's ERROR finish), corrupt and truncated frames, a Gemini SAFETY finish and a blocked
prompt, streamed Gemini arguments with nested paths, parallel calls, several candidates, Ollama's think
tags split anywhere, and Anthropic streams whose `event:` lines a proxy dropped."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm import exceptions
from rillm._builder import build_response

from . import eventstream as es
from .conftest import FIXTURES, TEST_ID, Backend, Outcome, decode


def sse(*events: Any, named: bool = True) -> bytes:
    """Anthropic/Cohere-style SSE: `event: <type>` (when `named`) and `data: <json>` per event."""
    out = []
    for event in events:
        name = event.get("type", "") if isinstance(event, dict) else ""
        head = f"event: {name}\n" if named and name else ""
        out.append(f"{head}data: {json.dumps(event)}\n\n")
    return "".join(out).encode()


def merged(backend: Backend, outcome: Outcome) -> Any:
    return build_response(backend.module.merge_chunks(outcome.chunks), None)


def every_split(backend: Backend, data: bytes, dialect: str) -> Outcome:
    """Decodes `data` whole, then checks every split point gives the same outcome."""
    whole = decode(backend.module, [data], dialect)
    for cut in range(len(data) + 1):
        assert decode(backend.module, [data[:cut], data[cut:]], dialect).comparable() == whole.comparable(), cut
    return whole


# --- Anthropic ---------------------------------------------------------------------------------------------

START = {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {"input_tokens": 9}}}
TEXT = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}
STOP = {"type": "message_stop"}


@pytest.mark.parametrize("named", [True, False])
def test_anthropic_overloaded_after_text_raises_with_the_text_kept(backend: Backend, named: bool) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    data = sse(START, {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
    data += sse(TEXT, {"type": "ping"}, overloaded, named=named)
    outcome = every_split(backend, data, "anthropic")
    exc = outcome.exception
    assert isinstance(exc, rillm.ProviderStreamError)
    assert isinstance(exc, exceptions.InternalServerError)
    assert (exc.status_code, exc.type, exc.event) == (500, "overloaded_error", 4)
    assert "Overloaded" in str(exc)
    assert merged(backend, outcome).choices[0].message.content == "Hel"


def test_anthropic_api_error_event_name_alone_raises(backend: Backend) -> None:
    data = b'event: error\ndata: {"error": {"type": "rate_limit_error", "message": "slow"}}\n\n'
    outcome = decode(backend.module, [sse(START), data], "anthropic")
    assert isinstance(outcome.exception, exceptions.RateLimitError)
    assert len(outcome.chunks) == 1


@pytest.mark.parametrize("path", sorted((FIXTURES / "anthropic").glob("*.sse")), ids=lambda p: p.name)
def test_anthropic_without_event_lines_decodes_the_same(backend: Backend, path: Path) -> None:
    """A proxy that drops the `event:` lines changes nothing: events are read by their JSON `type`."""
    data = path.read_bytes()
    bare = b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"event:"))
    with_names = decode(backend.module, [data], "anthropic")
    without = decode(backend.module, [bare], "anthropic")
    if b"event: error" in data:
        # Payloads of `event: error` carry `"type": "error"` too, so they still raise.
        assert without.error is not None and with_names.error is not None
        assert without.dumps() == with_names.dumps()
    else:
        assert without.comparable() == with_names.comparable()


def test_anthropic_as_ndjson_decodes_like_sse(backend: Backend) -> None:
    events = [START, TEXT, {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}, STOP]
    ndjson = "".join(json.dumps(e) + "\n" for e in events).encode()
    assert (
        decode(backend.module, [ndjson], "anthropic").dumps()
        == decode(backend.module, [sse(*events)], "anthropic").dumps()
    )


def test_anthropic_ignores_ping_unknown_events_and_unknown_deltas(backend: Backend) -> None:
    noise = [{"type": "ping"}, {"type": "brand_new_event", "x": 1}]
    noise.append({"type": "content_block_delta", "index": 0, "delta": {"type": "future_delta", "y": 2}})
    quiet = decode(backend.module, [sse(START, TEXT, STOP)], "anthropic")
    noisy = decode(backend.module, [sse(START, *noise, TEXT, STOP)], "anthropic")
    assert noisy.comparable()[0] == quiet.comparable()[0]
    assert noisy.error is None


def test_anthropic_stream_without_message_stop_is_incomplete(backend: Backend) -> None:
    outcome = decode(backend.module, [sse(START, TEXT)], "anthropic")
    assert isinstance(outcome.exception, rillm.IncompleteStreamError)
    assert "before message_stop" in str(outcome.exception)
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["", "Hel"]


def test_anthropic_tool_input_from_the_start_block_when_no_deltas(backend: Backend) -> None:
    block = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"city": "Paris"}}
    events = [START, {"type": "content_block_start", "index": 1, "content_block": block}]
    events += [{"type": "content_block_stop", "index": 1}, STOP]
    response = merged(backend, decode(backend.module, [sse(*events)], "anthropic"))
    call = response.choices[0].message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == ("toolu_1", "f", {"city": "Paris"})


def test_anthropic_usage_is_cumulative_with_cache_tokens(backend: Backend) -> None:
    start = {
        "type": "message_start",
        "message": {
            "id": "m",
            "usage": {"input_tokens": 25, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 3},
        },
    }
    delta = {"type": "message_delta", "delta": {"stop_reason": "max_tokens"}, "usage": {"output_tokens": 42}}
    outcome = decode(backend.module, [sse(start, delta, STOP)], "anthropic")
    usage = outcome.chunks[-1].usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (33, 42, 75)
    assert usage.prompt_tokens_details.cached_tokens == 5
    assert usage.prompt_tokens_details.cache_creation_tokens == 3
    assert outcome.chunks[-1].choices[0].finish_reason == "length"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"{not json", "invalid anthropic event"),
        (b'["a", "list"]', "expected an object"),
        (b'{"type": "content_block_delta", "index": "0", "delta": {}}', "`index`: expected an integer"),
        (b'{"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": 5}}', "`text`"),
        (b'{"no": "type"}', "expected an event with a `type`"),
    ],
)
def test_anthropic_bad_payloads_are_decode_errors_naming_the_event(
    backend: Backend, payload: bytes, message: str
) -> None:
    data = sse(START) + b"data: " + payload + b"\n\n"
    outcome = decode(backend.module, [data], "anthropic")
    assert outcome.error == ("StreamDecodeError", 1, len(sse(START)))
    assert message in str(outcome.exception)
    assert len(outcome.chunks) == 1


# --- Bedrock -----------------------------------------------------------------------------------------------

CONVERSE = [
    es.event("messageStart", {"role": "assistant"}),
    es.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "Hi"}}),
]


@pytest.mark.parametrize(
    ("exception", "cls", "status"),
    [
        ("throttlingException", exceptions.RateLimitError, 429),
        ("validationException", exceptions.BadRequestError, 400),
        ("internalServerException", exceptions.InternalServerError, 500),
        ("serviceUnavailableException", exceptions.ServiceUnavailableError, 503),
        ("modelStreamErrorException", exceptions.InternalServerError, 500),
    ],
)
def test_bedrock_exception_frames_raise_the_matching_class(
    backend: Backend, exception: str, cls: type, status: int
) -> None:
    data = b"".join(CONVERSE) + es.exception(exception, "it went wrong")
    outcome = every_split(backend, data, "bedrock")
    exc = outcome.exception
    assert isinstance(exc, cls) and isinstance(exc, rillm.ProviderStreamError)
    assert (exc.status_code, exc.type, exc.event, exc.offset) == (status, exception, 2, len(b"".join(CONVERSE)))
    assert "it went wrong" in str(exc)
    assert merged(backend, outcome).choices[0].message.content == "Hi"


def test_bedrock_error_message_type_raises(backend: Backend) -> None:
    frame = es.message(
        [
            es.header(":message-type", es.STRING, "error"),
            es.header(":error-code", es.STRING, "InternalFailure"),
            es.header(":error-message", es.STRING, "boom"),
        ],
        b"",
    )
    exc = decode(backend.module, [CONVERSE[0], frame], "bedrock").exception
    assert isinstance(exc, rillm.ProviderStreamError)
    assert "boom" in str(exc) and exc.type == "InternalFailure"


@pytest.mark.parametrize("name", ["converse-text-nova.bin", "invoke-stream-claude-tool-use.bin"])
def test_bedrock_corrupt_crc_names_the_frame(backend: Backend, name: str) -> None:
    data = (FIXTURES / "bedrock" / name).read_bytes()
    # The third frame's payload gets one bit flipped: its message CRC no longer matches.
    starts = [0]
    while starts[-1] < len(data):
        starts.append(starts[-1] + int.from_bytes(data[starts[-1] : starts[-1] + 4], "big"))
    at = starts[2] + 20
    corrupt = data[:at] + bytes([data[at] ^ 0x10]) + data[at + 1 :]
    outcome = decode(backend.module, [corrupt], "bedrock")
    assert outcome.error == ("StreamDecodeError", 2, starts[2])
    assert "CRC32 mismatch" in str(outcome.exception)
    assert len(outcome.chunks) == len(decode(backend.module, [data[: starts[2]]], "bedrock").chunks)


def test_bedrock_truncated_frame_is_incomplete(backend: Backend) -> None:
    data = (FIXTURES / "bedrock" / "converse-tool-use-claude.bin").read_bytes()
    outcome = decode(backend.module, [data[:-5]], "bedrock")
    assert isinstance(outcome.exception, rillm.IncompleteStreamError)
    assert "of its" in str(outcome.exception)


def test_bedrock_stream_ending_after_message_stop_is_complete(backend: Backend) -> None:
    stop = es.event("messageStop", {"stopReason": "max_tokens"})
    outcome = decode(backend.module, [*CONVERSE, stop], "bedrock")
    assert outcome.error is None
    assert outcome.chunks[-1].choices[0].finish_reason == "length"


def test_bedrock_guardrail_and_cache_usage(backend: Backend) -> None:
    frames = [*CONVERSE, es.event("messageStop", {"stopReason": "guardrail_intervened"})]
    usage = {"inputTokens": 12, "outputTokens": 20, "cacheReadInputTokens": 4, "cacheWriteInputTokens": 2}
    frames.append(es.event("metadata", {"usage": usage, "trace": {"guardrail": {"action": "masked"}}}))
    outcome = decode(backend.module, frames, "bedrock")
    last = outcome.chunks[-1]
    assert last.choices == []
    assert (last.usage.prompt_tokens, last.usage.total_tokens) == (18, 38)
    assert last.usage.prompt_tokens_details.cached_tokens == 4
    assert last.provider_specific_fields == {"trace": {"guardrail": {"action": "masked"}}}
    assert merged(backend, outcome).choices[0].finish_reason == "content_filter"


def test_bedrock_invoke_chunk_with_bad_base64_is_a_decode_error(backend: Backend) -> None:
    outcome = decode(backend.module, [es.event("chunk", {"bytes": "not base64!"})], "bedrock")
    assert outcome.error == ("StreamDecodeError", 0, 0)
    assert "invalid base64" in str(outcome.exception)
    good = base64.b64encode(json.dumps(START).encode()).decode()
    assert decode(backend.module, [es.event("chunk", {"bytes": good})], "bedrock").chunks[0].id == "msg_1"


# --- Gemini ------------------------------------------------------------------------------------------------


def gemini(*responses: Any) -> bytes:
    return b"".join(b"data: " + json.dumps(r).encode() + b"\r\n\r\n" for r in responses)


def candidate(parts: list[Any], finish: str | None = None, index: int = 0, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"content": {"parts": parts, "role": "model"}, "index": index, **extra}
    if finish:
        out["finishReason"] = finish
    return out


def test_gemini_safety_finish_is_content_filter(backend: Backend) -> None:
    ratings = [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}]
    data = gemini(
        {"candidates": [candidate([{"text": "Sure, "}])], "responseId": "r1"},
        {"candidates": [candidate([], "SAFETY", safetyRatings=ratings)], "responseId": "r1"},
    )
    outcome = every_split(backend, data, "gemini")
    assert outcome.error is None
    last = outcome.chunks[-1].choices[0]
    assert last.finish_reason == "content_filter"
    assert last.delta.provider_specific_fields == {"safety_ratings": ratings}
    assert merged(backend, outcome).choices[0].finish_reason == "content_filter"


def test_gemini_blocked_prompt(backend: Backend) -> None:
    data = gemini({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": 7}})
    outcome = decode(backend.module, [data], "gemini")
    assert outcome.error is None
    choice = outcome.chunks[0].choices[0]
    assert (choice.finish_reason, choice.delta.role) == ("content_filter", "assistant")
    assert choice.delta.provider_specific_fields == {"prompt_feedback": {"blockReason": "SAFETY"}}


@pytest.mark.parametrize("array", [False, True])
def test_gemini_error_body_raises_with_its_status(backend: Backend, array: bool) -> None:
    ok = {"candidates": [candidate([{"text": "partial"}])]}
    error = {"error": {"code": 429, "message": "Resource has been exhausted", "status": "RESOURCE_EXHAUSTED"}}
    data = ("[" + json.dumps(ok) + ",\r\n" + json.dumps(error) + "]").encode() if array else gemini(ok, error)
    outcome = decode(backend.module, [data], "gemini")
    exc = outcome.exception
    assert isinstance(exc, exceptions.RateLimitError) and isinstance(exc, rillm.ProviderStreamError)
    assert "Resource has been exhausted" in str(exc)
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["partial"]


def test_gemini_parallel_calls_in_separate_chunks_get_distinct_indexes(backend: Backend) -> None:
    data = gemini(
        {"candidates": [candidate([{"functionCall": {"name": "a", "args": {"x": 1}}}])], "responseId": "R"},
        {"candidates": [candidate([{"functionCall": {"name": "b", "args": {}}}], "STOP")], "responseId": "R"},
    )
    outcome = decode(backend.module, [data], "gemini")
    calls = [c.choices[0].delta.tool_calls[0] for c in outcome.chunks]
    assert [(t.index, t.id, t.function.name, t.function.arguments) for t in calls] == [
        (0, "call_R_0", "a", '{"x":1}'),
        (1, "call_R_1", "b", "{}"),
    ]
    assert outcome.chunks[-1].choices[0].finish_reason == "tool_calls"


def partial(path: str, **value: Any) -> dict[str, Any]:
    return {"jsonPath": path, **value}


def test_gemini_streamed_arguments_with_nested_paths_build_valid_json(backend: Backend) -> None:
    def call(*args: dict[str, Any], more: bool = True) -> dict[str, Any]:
        fc: dict[str, Any] = {"partialArgs": list(args)}
        if more:
            fc["willContinue"] = True
        return {"candidates": [candidate([{"functionCall": fc}])], "responseId": "R"}

    data = gemini(
        {"candidates": [candidate([{"functionCall": {"name": "plan", "willContinue": True}}])], "responseId": "R"},
        call(partial("$.title", stringValue='Say "hi', willContinue=True)),
        call(partial("$.title", stringValue='"\n')),
        call(partial("$.trip.days", numberValue=3), partial("$.trip.budget", numberValue=1e-7)),
        call(partial("$.trip.stops[0].city", stringValue="Oslo"), partial("$.trip.stops[0].open", boolValue=True)),
        call(partial("$.trip.stops[1].city", stringValue="Bergen"), partial("$['odd key']", nullValue=None)),
        call(more=False),
        {"candidates": [candidate([{"functionCall": {"name": "next", "willContinue": True}}])], "responseId": "R"},
        call(partial("$.n", numberValue=-0.0)),
        {
            "candidates": [candidate([{"functionCall": {"name": "last", "args": {"k": [1]}}}], "STOP")],
            "responseId": "R",
        },
    )
    outcome = every_split(backend, data, "gemini")
    assert outcome.error is None
    calls = merged(backend, outcome).choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["plan", "next", "last"]
    assert json.loads(calls[0].function.arguments) == {
        "title": 'Say "hi"\n',
        "trip": {"days": 3, "budget": 1e-7, "stops": [{"city": "Oslo", "open": True}, {"city": "Bergen"}]},
        "odd key": None,
    }
    # A new named call while one streams ends the old one.
    assert json.loads(calls[1].function.arguments) == {"n": -0.0}
    assert calls[1].function.arguments == '{"n":-0.0}'


def test_gemini_two_candidates_stay_apart(backend: Backend) -> None:
    data = gemini(
        {"candidates": [candidate([{"text": "a"}], index=0), candidate([{"text": "b"}], index=1)]},
        {"candidates": [candidate([{"text": "A"}], "STOP", index=0)]},
    )
    outcome = decode(backend.module, [data], "gemini")
    assert isinstance(outcome.exception, rillm.IncompleteStreamError)  # candidate 1 never finished
    data += gemini({"candidates": [candidate([], "MAX_TOKENS", index=1)]})
    outcome = decode(backend.module, [data], "gemini")
    assert outcome.error is None
    roles = [(ch.index, ch.delta.role) for c in outcome.chunks for ch in c.choices]
    assert roles == [(0, "assistant"), (1, "assistant"), (0, None), (1, None)]
    response = merged(backend, outcome)
    assert [(c.message.content, c.finish_reason) for c in response.choices] == [("aA", "stop"), ("b", "length")]


def test_gemini_usage_counts_thoughts_and_cache(backend: Backend) -> None:
    metadata = {
        "promptTokenCount": 10,
        "candidatesTokenCount": 7,
        "thoughtsTokenCount": 8,
        "totalTokenCount": 25,
        "cachedContentTokenCount": 4,
    }
    outcome = decode(
        backend.module, [gemini({"candidates": [candidate([], "STOP")], "usageMetadata": metadata})], "gemini"
    )
    usage = outcome.chunks[0].usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 15, 25)
    assert usage.completion_tokens_details.reasoning_tokens == 8
    assert usage.prompt_tokens_details.cached_tokens == 4


def test_gemini_json_array_cut_short_is_incomplete(backend: Backend) -> None:
    data = (FIXTURES / "google" / "json-array-text.json").read_bytes()
    outcome = decode(backend.module, [data[: len(data) // 2]], "gemini")
    assert isinstance(outcome.exception, rillm.IncompleteStreamError)
    assert "before its closing brace" in str(outcome.exception)


# --- Ollama ------------------------------------------------------------------------------------------------


def ollama(*messages: dict[str, Any], done: dict[str, Any] | None = None) -> bytes:
    lines = [{"model": "qwen3", "message": {"role": "assistant", **m}, "done": False} for m in messages]
    lines.append({"model": "qwen3", "message": {"role": "assistant", "content": ""}, "done": True, **(done or {})})
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


@pytest.mark.parametrize("cut", range(1, 24))
def test_ollama_think_tags_split_anywhere(backend: Backend, cut: int) -> None:
    text = "<think>plan it</think>The answer"
    pieces = [{"content": text[:cut]}, {"content": text[cut:]}]
    response = merged(backend, decode(backend.module, [ollama(*pieces)], "ollama"))
    message = response.choices[0].message
    assert (message.reasoning_content, message.content) == ("plan it", "The answer")


def test_ollama_unclosed_think_and_held_text_at_the_end(backend: Backend) -> None:
    response = merged(backend, decode(backend.module, [ollama({"content": "<think>still thinking</th"})], "ollama"))
    assert response.choices[0].message.reasoning_content == "still thinking</th"
    response = merged(backend, decode(backend.module, [ollama({"content": "a <thi"})], "ollama"))
    assert response.choices[0].message.content == "a <thi"


def test_ollama_tool_calls_finish_and_usage(backend: Backend) -> None:
    calls = [
        {"function": {"name": "f", "arguments": {"q": "x"}}},
        {"function": {"name": "g", "arguments": '{"raw": 1}'}},
    ]
    data = ollama(
        {"content": "", "tool_calls": calls}, done={"done_reason": "stop", "prompt_eval_count": 5, "eval_count": 6}
    )
    outcome = decode(backend.module, [data], "ollama")
    response = merged(backend, outcome)
    got = [(t.id, t.function.name, t.function.arguments) for t in response.choices[0].message.tool_calls]
    assert got == [("call_test_0", "f", '{"q":"x"}'), ("call_test_1", "g", '{"raw": 1}')]
    assert response.choices[0].finish_reason == "tool_calls"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (5, 6)
    assert {c.id for c in outcome.chunks} == {TEST_ID}


def test_ollama_error_line_raises(backend: Backend) -> None:
    data = (
        ollama({"content": "Hi"})[:-1].rsplit(b"\n", 1)[0] + b'\n{"error": "model runner has unexpectedly stopped"}\n'
    )
    outcome = decode(backend.module, [data], "ollama")
    assert isinstance(outcome.exception, rillm.ProviderStreamError)
    assert "unexpectedly stopped" in str(outcome.exception)
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]


def test_ollama_length_finish(backend: Backend) -> None:
    outcome = decode(backend.module, [ollama({"content": "a"}, done={"done_reason": "length"})], "ollama")
    assert outcome.chunks[-1].choices[0].finish_reason == "length"


# --- Cohere ------------------------------------------------------------------------------------------------


def cohere_end(reason: str) -> dict[str, Any]:
    usage = {"tokens": {"input_tokens": 3, "output_tokens": 4}, "billed_units": {"input_tokens": 1}}
    return {"type": "message-end", "delta": {"finish_reason": reason, "usage": usage}}


COHERE_START = {"id": "gen-1", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
COHERE_TEXT = {"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hi"}}}}


@pytest.mark.parametrize(
    ("reason", "finish"), [("COMPLETE", "stop"), ("MAX_TOKENS", "length"), ("ERROR_TOXIC", "content_filter")]
)
def test_cohere_finish_reasons(backend: Backend, reason: str, finish: str) -> None:
    outcome = decode(backend.module, [sse(COHERE_START, COHERE_TEXT, cohere_end(reason))], "cohere")
    assert outcome.error is None
    last = outcome.chunks[-1]
    assert (last.choices[0].finish_reason, last.usage.total_tokens, last.id) == (finish, 7, "gen-1")
    assert last.usage.billed_units == {"input_tokens": 1}


def test_cohere_error_finish_raises(backend: Backend) -> None:
    outcome = decode(backend.module, [sse(COHERE_START, COHERE_TEXT, cohere_end("ERROR"))], "cohere")
    assert isinstance(outcome.exception, rillm.ProviderStreamError)
    assert "ERROR" in str(outcome.exception)
    assert merged(backend, outcome).choices[0].message.content == "Hi"


def test_cohere_citations_and_events_without_names(backend: Backend) -> None:
    citation = {"start": 0, "end": 2, "text": "Hi", "sources": [{"type": "document", "id": "d1"}]}
    cite = {"type": "citation-start", "index": 0, "delta": {"message": {"citations": citation}}}
    data = sse(COHERE_START, COHERE_TEXT, cite, cohere_end("COMPLETE"), named=False)
    response = merged(backend, decode(backend.module, [data], "cohere"))
    assert response.choices[0].message.provider_specific_fields == {"citations": [citation]}


def test_cohere_v1_streamed_tool_call(backend: Backend) -> None:
    lines = [
        {"event_type": "stream-start", "generation_id": "g1"},
        {"event_type": "tool-calls-chunk", "text": "I will look it up."},
        {"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0, "name": "search"}},
        {"event_type": "tool-calls-chunk", "tool_call_delta": {"index": 0, "parameters": '{"q": "x"}'}},
        {"event_type": "tool-calls-generation", "tool_calls": [{"name": "search", "parameters": {"q": "x"}}]},
        {
            "event_type": "stream-end",
            "finish_reason": "COMPLETE",
            "response": {"meta": {"tokens": {"input_tokens": 2}}},
        },
    ]
    data = "".join(json.dumps(line) + "\n" for line in lines).encode()
    response = merged(backend, decode(backend.module, [data], "cohere"))
    message = response.choices[0].message
    assert message.reasoning_content == "I will look it up."
    assert [(t.id, t.function.name, t.function.arguments) for t in message.tool_calls] == [
        ("call_g1_0", "search", '{"q": "x"}')
    ]
    assert response.choices[0].finish_reason == "tool_calls"


# --- every dialect -----------------------------------------------------------------------------------------


def test_an_unknown_dialect_lists_the_known_ones(backend: Backend) -> None:
    with pytest.raises(ValueError, match="expected one of: openai, anthropic, cohere, gemini, ollama, bedrock"):
        backend.module.StreamDecoder("palm")


def test_a_fresh_id_when_the_provider_sends_none(backend: Backend) -> None:
    first = backend.module.StreamDecoder("ollama").feed(ollama({"content": "x"}))
    second = backend.module.StreamDecoder("ollama").feed(ollama({"content": "x"}))
    assert first[0].id.startswith("chatcmpl-") and first[0].id != second[0].id
    assert {c.id for c in first} == {first[0].id}
    with pytest.raises(TypeError, match="id must be a str or None"):
        backend.module.StreamDecoder("ollama", id=5)
