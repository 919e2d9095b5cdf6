"""Non-streaming responses, per dialect (python/rillm/_response): a whole response body written as the
dialect's stream and read by the live backend's StreamDecoder (CI runs this file with RILLM_BACKEND=rust and
=python). Where a recording of the same answer exists, the non-streaming body must merge to the same
response as the recorded stream.

The response bodies are written by hand from each provider's API reference, not from rillm's output.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import rillm
from rillm import exceptions
from rillm._response import bedrock, parse_response
from rillm.providers.translate import DIALECTS

from . import eventstream as es
from .conftest import FIXTURES

SYSTEM_CHAT = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


# --- parse_response: openai -----------------------------------------------------------------------------


OPENAI_RESPONSE = {
    "id": "chatcmpl-abc",
    "object": "chat.completion",
    "created": 1741569952,
    "model": "gpt-4.1-2025-04-14",
    "system_fingerprint": "fp_1",
    "service_tier": "default",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "Let me check.",
                "refusal": None,
                "annotations": [],
                "tool_calls": [CALL],
            },
            "logprobs": {"content": [{"token": "Let", "logprob": -0.1, "bytes": [76, 101, 116], "top_logprobs": []}]},
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 19,
        "completion_tokens": 10,
        "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 4, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 2, "audio_tokens": 0},
    },
}


def test_openai_response() -> None:
    response = parse_response("openai", body(OPENAI_RESPONSE), model="gpt-4.1", messages=SYSTEM_CHAT)
    assert isinstance(response, rillm.ModelResponse)
    assert (response.id, response.created, response.model) == ("chatcmpl-abc", 1741569952, "gpt-4.1-2025-04-14")
    assert (response.system_fingerprint, response.service_tier) == ("fp_1", "default")
    choice = response.choices[0]
    assert (choice.finish_reason, choice.message.content, choice.message.role) == (
        "tool_calls",
        "Let me check.",
        "assistant",
    )
    call = choice.message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == ("call_1", "get_weather", '{"city": "Paris"}')
    assert choice.logprobs.content[0].token == "Let"
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (19, 10, 29)
    assert usage.prompt_tokens_details.cached_tokens == 4
    assert usage.completion_tokens_details.reasoning_tokens == 2


def test_openai_response_with_several_choices_and_reasoning() -> None:
    reply = {
        **OPENAI_RESPONSE,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "A", "reasoning_content": "think"},
                "finish_reason": "stop",
            },
            {"index": 1, "message": {"role": "assistant", "content": "B"}, "finish_reason": "length"},
        ],
    }
    response = parse_response("openai", body(reply), model="m")
    assert [(c.index, c.message.content, c.finish_reason) for c in response.choices] == [
        (0, "A", "stop"),
        (1, "B", "length"),
    ]
    assert response.choices[0].message.reasoning_content == "think"


# --- parse_response: anthropic --------------------------------------------------------------------------


ANTHROPIC_TOOL_USE = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "thinking", "thinking": "Let me think.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"},
        {"type": "text", "text": "I'll check the weather."},
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_weather", "input": {"city": "Paris"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {
        "input_tokens": 25,
        "cache_creation_input_tokens": 3,
        "cache_read_input_tokens": 5,
        "output_tokens": 42,
    },
}


@pytest.mark.parametrize("dialect", ["anthropic", "bedrock_invoke"])
def test_anthropic_response_with_thinking_and_a_tool_call(dialect: str) -> None:
    response = parse_response(dialect, body(ANTHROPIC_TOOL_USE), model="claude-sonnet-4-5")
    assert (response.id, response.model) == ("msg_01XFDUDYJgAACzvnptvVoYEL", "claude-sonnet-4-5-20250929")
    message = response.choices[0].message
    assert response.choices[0].finish_reason == "tool_calls"
    assert message.content == "I'll check the weather."
    assert message.reasoning_content == "Let me think."
    assert message.thinking_blocks == [
        {"type": "thinking", "thinking": "Let me think.", "signature": "EqQBCgIYAhIM1gbcDa9GJwZA2b3h"}
    ]
    call = message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "toolu_01A09q90qw90lq917835lq9",
        "get_weather",
        {"city": "Paris"},
    )
    # Spec §5.3: prompt = input + cache writes + cache reads.
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (33, 42, 75)
    assert usage.prompt_tokens_details.cached_tokens == 5
    assert usage.prompt_tokens_details.cache_creation_tokens == 3


@pytest.mark.parametrize(
    ("stop_reason", "finish"),
    [("end_turn", "stop"), ("stop_sequence", "stop"), ("max_tokens", "length"), ("refusal", "content_filter")],
)
def test_anthropic_finish_reasons(stop_reason: str, finish: str) -> None:
    reply = {**ANTHROPIC_TOOL_USE, "content": [{"type": "text", "text": "Hi"}], "stop_reason": stop_reason}
    assert parse_response("anthropic", body(reply), model="m").choices[0].finish_reason == finish


def test_anthropic_redacted_thinking() -> None:
    reply = {
        **ANTHROPIC_TOOL_USE,
        "content": [{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va"}, {"type": "text", "text": "Done."}],
        "stop_reason": "end_turn",
    }
    message = parse_response("anthropic", body(reply), model="m").choices[0].message
    assert message.content == "Done."
    assert message.thinking_blocks == [{"type": "redacted_thinking", "data": "EmwKAhgBEgy3va"}]


# --- parse_response: gemini -----------------------------------------------------------------------------


def gemini_reply(parts: list[dict[str, Any]], finish: str = "STOP") -> dict[str, Any]:
    return {
        "candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": finish, "index": 0}],
        "usageMetadata": {
            "promptTokenCount": 10,
            "candidatesTokenCount": 7,
            "thoughtsTokenCount": 8,
            "totalTokenCount": 25,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "mUDhaKWkJf3v",
    }


def test_gemini_response_with_thoughts_and_a_call() -> None:
    reply = gemini_reply(
        [
            {"text": "Thinking about weather.", "thought": True},
            {"text": "Checking."},
            {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "CiQB"},
        ]
    )
    # Google's bodies are pretty-printed: as_stream() must not depend on the layout.
    response = parse_response("gemini", json.dumps(reply, indent=2).encode(), model="gemini-2.5-flash")
    assert (response.id, response.model) == ("mUDhaKWkJf3v", "gemini-2.5-flash")
    message = response.choices[0].message
    assert response.choices[0].finish_reason == "tool_calls"
    assert (message.content, message.reasoning_content) == ("Checking.", "Thinking about weather.")
    call = message.tool_calls[0]
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    assert call.id
    assert call.provider_specific_fields == {"thought_signature": "CiQB"}
    # Spec §5.9: thoughts are added to completion when the total counts them apart.
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 15, 25)
    assert usage.completion_tokens_details.reasoning_tokens == 8


@pytest.mark.parametrize(
    ("reason", "finish"), [("SAFETY", "content_filter"), ("MAX_TOKENS", "length"), ("STOP", "stop")]
)
def test_gemini_finish_reasons(reason: str, finish: str) -> None:
    reply = gemini_reply([{"text": "Partial"}], reason)
    assert parse_response("gemini", body(reply), model="m").choices[0].finish_reason == finish


# --- parse_response: bedrock ----------------------------------------------------------------------------


BEDROCK_TOOL_USE = {
    "output": {
        "message": {
            "role": "assistant",
            "content": [
                {"reasoningContent": {"reasoningText": {"text": "User wants weather.", "signature": "sig-b"}}},
                {"text": "Looking it up."},
                {"toolUse": {"toolUseId": "tooluse_kZJMlvQm", "name": "get_weather", "input": {"city": "Paris"}}},
            ],
        }
    },
    "stopReason": "tool_use",
    "usage": {
        "inputTokens": 12,
        "outputTokens": 20,
        "totalTokens": 36,
        "cacheReadInputTokens": 4,
        "cacheWriteInputTokens": 0,
    },
    "metrics": {"latencyMs": 1520},
}


def test_bedrock_response_with_reasoning_and_a_tool_call() -> None:
    response = parse_response("bedrock", body(BEDROCK_TOOL_USE), model="anthropic.claude-sonnet-4-5")
    assert response.model == "anthropic.claude-sonnet-4-5"
    assert response.id.startswith("chatcmpl-")
    message = response.choices[0].message
    assert response.choices[0].finish_reason == "tool_calls"
    assert (message.content, message.reasoning_content) == ("Looking it up.", "User wants weather.")
    assert message.thinking_blocks == [{"type": "thinking", "thinking": "User wants weather.", "signature": "sig-b"}]
    call = message.tool_calls[0]
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "tooluse_kZJMlvQm",
        "get_weather",
        {"city": "Paris"},
    )
    # Spec §5.10: in 12, read 4, out 20 -> prompt 16, total 36.
    usage = response.usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (16, 20, 36)
    assert usage.prompt_tokens_details.cached_tokens == 4


@pytest.mark.parametrize(
    ("reason", "finish"), [("guardrail_intervened", "content_filter"), ("max_tokens", "length"), ("end_turn", "stop")]
)
def test_bedrock_finish_reasons(reason: str, finish: str) -> None:
    reply = {
        **BEDROCK_TOOL_USE,
        "output": {"message": {"role": "assistant", "content": [{"text": "x"}]}},
        "stopReason": reason,
    }
    assert parse_response("bedrock", body(reply), model="m").choices[0].finish_reason == finish


def test_bedrock_cited_text() -> None:
    citation = {"title": "Doc", "location": {"documentChar": {"documentIndex": 0, "start": 0, "end": 12}}}
    block = {"citationsContent": {"content": [{"text": "Paris is big."}], "citations": [citation]}}
    reply = {
        **BEDROCK_TOOL_USE,
        "output": {"message": {"role": "assistant", "content": [block]}},
        "stopReason": "end_turn",
    }
    message = parse_response("bedrock", body(reply), model="m").choices[0].message
    assert message.content == "Paris is big."
    assert message.provider_specific_fields == {"citations": [citation]}


# --- parse_response: cohere -----------------------------------------------------------------------------


def test_cohere_response_text_and_tool_call() -> None:
    text = {
        "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4",
        "finish_reason": "COMPLETE",
        "message": {"role": "assistant", "content": [{"type": "text", "text": "Paris is the capital."}]},
        "usage": {
            "billed_units": {"input_tokens": 5, "output_tokens": 6},
            "tokens": {"input_tokens": 71, "output_tokens": 10},
        },
    }
    response = parse_response("cohere", body(text), model="command-a-03-2025")
    assert (response.id, response.model) == ("c14c80c3-18eb-4519-9460-6c92edd8cfb4", "command-a-03-2025")
    assert (response.choices[0].message.content, response.choices[0].finish_reason) == ("Paris is the capital.", "stop")
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (71, 10, 81)

    tool = {
        **text,
        "finish_reason": "TOOL_CALL",
        "message": {
            "role": "assistant",
            "tool_plan": "I will look up the weather.",
            "tool_calls": [
                {
                    "id": "get_weather_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
    }
    response = parse_response("cohere", body(tool), model="command-a-03-2025")
    message = response.choices[0].message
    assert response.choices[0].finish_reason == "tool_calls"
    assert message.reasoning_content == "I will look up the weather."
    call = message.tool_calls[0]
    assert (call.id, call.function.name, call.function.arguments) == (
        "get_weather_1",
        "get_weather",
        '{"city":"Paris"}',
    )
    assert (
        parse_response("cohere", body({**text, "finish_reason": "MAX_TOKENS"}), model="m").choices[0].finish_reason
        == "length"
    )


# --- parse_response: ollama -----------------------------------------------------------------------------


def test_ollama_response() -> None:
    reply = {
        "model": "qwen3:8b",
        "created_at": "2025-06-01T12:00:00.000Z",
        "message": {"role": "assistant", "content": "Paris is", "thinking": "Capital of France."},
        "done": True,
        "done_reason": "length",
        "total_duration": 4883583458,
        "prompt_eval_count": 26,
        "eval_count": 12,
    }
    response = parse_response("ollama", body(reply), model="qwen3")
    message = response.choices[0].message
    assert response.model == "qwen3:8b"
    assert (message.content, message.reasoning_content, response.choices[0].finish_reason) == (
        "Paris is",
        "Capital of France.",
        "length",
    )
    assert (response.usage.prompt_tokens, response.usage.completion_tokens, response.usage.total_tokens) == (26, 12, 38)

    calls = {
        **reply,
        "done_reason": "stop",
        "message": {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
    }
    response = parse_response("ollama", body(calls), model="qwen3")
    call = response.choices[0].message.tool_calls[0]
    assert response.choices[0].finish_reason == "tool_calls"
    assert (call.function.name, json.loads(call.function.arguments)) == ("get_weather", {"city": "Paris"})
    assert call.id


# --- parse_response equals the recorded stream of the same answer ------------------------------------------


def merged_recording(dialect: str, path: str) -> dict[str, Any]:
    decoder = rillm.StreamDecoder(dialect, model="requested")
    chunks = decoder.feed((FIXTURES / path).read_bytes()) + decoder.finish()
    return comparable(rillm.stream_chunk_builder(chunks))


def comparable(response: Any) -> dict[str, Any]:
    """The response without what differs between two decodes: the local time, and ids rillm makes up."""
    dump = response.model_dump()
    dump.pop("created")
    if dump["id"].startswith("chatcmpl-"):
        dump.pop("id")
    for choice in dump["choices"]:
        for call in choice["message"]["tool_calls"] or []:
            if call["id"].startswith("call_"):
                call.pop("id")
    return dump


# Each body is the non-streaming answer the recording streamed (content, calls, finish and final usage
# copied from the recording's events).
SAME_ANSWER = [
    (
        "anthropic",
        "anthropic/text-basic.sse",
        {
            "id": "msg_01T8kTq7cYyYJeQ5DxcVUc6D",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": "Hello"}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 10,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 4,
            },
        },
    ),
    (
        "anthropic",
        "anthropic/tool-use.sse",
        {
            "id": "msg_01BnVamfF7ccY9Qt3nZHAyaG",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_01CzN6riCPqw4pVSuTd9Dwn7",
                    "name": "pelican_name_generator",
                    "input": {},
                }
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 543,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "output_tokens": 40,
            },
        },
    ),
    (
        "gemini",
        "google/text-basic.sse",
        {
            "candidates": [
                {
                    "content": {"parts": [{"text": "The capital of France is Paris.\n"}], "role": "model"},
                    "finishReason": "STOP",
                }
            ],
            "usageMetadata": {"promptTokenCount": 13, "candidatesTokenCount": 8, "totalTokenCount": 21},
            "modelVersion": "gemini-2.0-flash-exp",
            "responseId": "w1peaMz6INOvnvgPgYfPiQY",
        },
    ),
    (
        "ollama",
        "ollama/chat-tool-call-granite.ndjson",
        {
            "model": "granite3-dense:8b",
            "created_at": "2025-03-20T18:32:42.633071Z",
            "message": {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"name": "weather", "arguments": {"city": "Detroit"}}}],
            },
            "done_reason": "stop",
            "done": True,
            "prompt_eval_count": 149,
            "eval_count": 15,
        },
    ),
    (
        "bedrock",
        "bedrock/converse-tool-use-claude.bin",
        {
            "output": {
                "message": {
                    "role": "assistant",
                    "content": [
                        {"text": "Okay, let me check the weather for Barcelona using the available tool:"},
                        {
                            "toolUse": {
                                "toolUseId": "tooluse_yypYDr71TwCwByoyao4-Vg",
                                "name": "get_weather",
                                "input": {"location": "Barcelona"},
                            }
                        },
                    ],
                }
            },
            "stopReason": "tool_use",
            "usage": {"inputTokens": 236, "outputTokens": 58, "serverToolUsage": {}, "totalTokens": 294},
            "metrics": {"latencyMs": 1176},
        },
    ),
]


@pytest.mark.parametrize(("dialect", "path", "reply"), SAME_ANSWER, ids=[p for _, p, _ in SAME_ANSWER])
def test_a_response_merges_like_the_stream_of_the_same_answer(dialect: str, path: str, reply: dict[str, Any]) -> None:
    whole = comparable(parse_response(dialect, body(reply), model="requested"))
    assert whole == merged_recording(dialect, path)


# --- parse_response errors ------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("raw", [b"<html>502 Bad Gateway</html>", b"", b'{"id": 1', b"[1, 2]", b"\xff\xfe{"])
def test_a_body_that_is_not_a_json_object(dialect: str, raw: bytes) -> None:
    with pytest.raises(rillm.StreamDecodeError, match=f"invalid {dialect} non-streaming response body"):
        parse_response(dialect, raw, model="m")


@pytest.mark.parametrize(
    ("dialect", "reply", "where"),
    [
        ("openai", {"id": "x", "choices": {"message": {}}}, "choices"),
        ("anthropic", {"id": "msg", "type": "message", "content": "Hello"}, "content"),
        ("bedrock", {"stopReason": "end_turn"}, "output"),
        ("cohere", {"id": "c", "message": {"content": "Hello"}, "finish_reason": "COMPLETE"}, "message.content"),
    ],
)
def test_a_body_of_the_wrong_shape_says_where(dialect: str, reply: dict[str, Any], where: str) -> None:
    with pytest.raises(rillm.StreamDecodeError, match=rf"non-streaming response body: `{where}`"):
        parse_response(dialect, body(reply), model="m")


def test_a_field_the_decoder_refuses_is_reported_as_from_the_body() -> None:
    reply = gemini_reply([{"text": 42}])
    with pytest.raises(rillm.StreamDecodeError, match=r"`text`: expected a string.*in the non-streaming response body"):
        parse_response("gemini", body(reply), model="m")


@pytest.mark.parametrize(
    ("dialect", "reply", "cls", "status"),
    [
        (
            "openai",
            {"error": {"message": "Rate limit reached", "type": "rate_limit_exceeded", "code": None}},
            exceptions.RateLimitError,
            429,
        ),
        (
            "anthropic",
            {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
            exceptions.InternalServerError,
            500,
        ),
        (
            "bedrock_invoke",
            {"type": "error", "error": {"type": "invalid_request_error", "message": "bad"}},
            exceptions.BadRequestError,
            400,
        ),
        (
            "gemini",
            {"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}},
            exceptions.RateLimitError,
            429,
        ),
        ("cohere", {"error": {"message": "internal", "type": "server_error"}}, exceptions.InternalServerError, 500),
        ("ollama", {"error": "model 'llama9' not found"}, exceptions.ProviderStreamError, 500),
        (
            "bedrock",
            {"message": "The security token included in the request is invalid."},
            exceptions.ProviderStreamError,
            500,
        ),
    ],
)
def test_an_error_body_raises_the_provider_error(
    dialect: str, reply: dict[str, Any], cls: type[Exception], status: int
) -> None:
    with pytest.raises(cls) as caught:
        parse_response(dialect, body(reply), model="m")
    error = caught.value
    assert isinstance(error, exceptions.ProviderStreamError)
    assert error.status_code == status
    assert "in the non-streaming response body" in str(error)


def test_a_cohere_error_finish_raises() -> None:
    reply = {"id": "c", "finish_reason": "ERROR", "message": {"role": "assistant", "content": []}}
    with pytest.raises(exceptions.ProviderStreamError, match="finish_reason"):
        parse_response("cohere", body(reply), model="m")


def test_the_bedrock_frames_match_an_independent_encoder() -> None:
    """The production encoder (rillm/_response/bedrock.py) against the test one (tests/eventstream.py),
    byte for byte."""
    payload = {"contentBlockIndex": 0, "delta": {"text": "Hello"}}
    assert bedrock._event("contentBlockDelta", payload) == es.event("contentBlockDelta", payload)
