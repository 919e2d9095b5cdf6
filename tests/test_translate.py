"""Request translation and non-streaming responses, per dialect (python/rillm/providers/translate).

The expected request bodies are written by hand from each provider's API reference and spec §5, not from
rillm's output. Non-streaming responses go through the live backend's StreamDecoder (CI runs this file
with RILLM_BACKEND=rust and =python); where a recording of the same answer exists, the non-streaming body
must merge to the same response as the recorded stream.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import rillm
from rillm import exceptions
from rillm._response import bedrock, parse_response
from rillm.providers.translate import DIALECTS, build_body, supported_params

from . import eventstream as es
from .conftest import FIXTURES

SYSTEM_CHAT = [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}]
PNG = "iVBORw0KGgo="
IMAGE_CHAT = [
    {
        "role": "user",
        "content": [
            {"type": "text", "text": "What is in this picture?"},
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        ],
    }
]
SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "description": "Current weather for a city", "parameters": SCHEMA},
    }
]
CALL = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
TOOL_ROUND = [
    {"role": "user", "content": "Weather in Paris?"},
    {"role": "assistant", "content": None, "tool_calls": [CALL]},
    {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
]
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}


def build(dialect: str, messages: list[dict[str, Any]], stream: bool = True, **params: Any) -> dict[str, Any]:
    return build_body(dialect, "test-model", messages, params, stream=stream)


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_dialects_and_their_parameters() -> None:
    assert DIALECTS == ("openai", "anthropic", "cohere", "gemini", "bedrock", "bedrock_invoke", "ollama")
    assert "response_format" not in supported_params("anthropic")
    assert "n" in supported_params("gemini") and "n" not in supported_params("bedrock")
    assert "tool_choice" not in supported_params("ollama")
    assert supported_params("bedrock_invoke") == supported_params("anthropic")
    assert all("stream_options" in supported_params(d) for d in DIALECTS)
    with pytest.raises(ValueError, match="unknown dialect"):
        supported_params("palm")


# --- openai ---------------------------------------------------------------------------------------------


def test_openai_passes_the_request_through() -> None:
    assert build("openai", SYSTEM_CHAT, temperature=0.2, stream_options={"include_usage": True}) == {
        "model": "test-model",
        "messages": SYSTEM_CHAT,
        "temperature": 0.2,
        "stream_options": {"include_usage": True},
        "stream": True,
    }
    # Without streaming: no stream key, and no stream_options (OpenAI refuses it then).
    assert build("openai", IMAGE_CHAT, stream=False, stream_options={"include_usage": True}) == {
        "model": "test-model",
        "messages": IMAGE_CHAT,
    }


def test_openai_tools_stop_tokens_and_reasoning_as_given() -> None:
    params = {
        "tools": TOOLS,
        "tool_choice": FORCE_WEATHER,
        "stop": "END",
        "max_completion_tokens": 300,
        "reasoning_effort": "low",
    }
    assert build("openai", TOOL_ROUND, stream=False, **params) == {
        "model": "test-model",
        "messages": TOOL_ROUND,
        **params,
    }
    assert build("openai", SYSTEM_CHAT, stream=False, stop=["a", "b"], max_tokens=5)["stop"] == ["a", "b"]


# --- anthropic ------------------------------------------------------------------------------------------


def test_anthropic_plain_chat_with_system_prompt() -> None:
    assert build("anthropic", SYSTEM_CHAT) == {
        "model": "test-model",
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": 4096,
        "stream": True,
    }
    assert "stream" not in build("anthropic", SYSTEM_CHAT, stream=False)


def test_anthropic_images_as_base64_and_url_sources() -> None:
    messages = [
        *IMAGE_CHAT,
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]},
    ]
    assert build("anthropic", messages)["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What is in this picture?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}},
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ],
        }
    ]


def test_anthropic_tool_round_trip() -> None:
    second = {**CALL, "id": "call_2", "function": {"name": "get_weather", "arguments": ""}}
    messages = [
        {"role": "system", "content": "Use tools."},
        {"role": "user", "content": "Weather in Paris and Rome?"},
        {"role": "assistant", "content": "Looking.", "tool_calls": [CALL, second]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
        {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "21C"}]},
        {"role": "user", "content": "Thanks"},
    ]
    request = build("anthropic", messages, stream=False, tools=TOOLS, tool_choice=FORCE_WEATHER)
    assert request == {
        "model": "test-model",
        "system": "Use tools.",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Weather in Paris and Rome?"}]},
            {
                "role": "assistant",
                "content": [
                    {"type": "text", "text": "Looking."},
                    {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {}},
                ],
            },
            {
                "role": "user",
                "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "21C"},
                    {"type": "text", "text": "Thanks"},
                ],
            },
        ],
        "max_tokens": 4096,
        "tools": [{"name": "get_weather", "description": "Current weather for a city", "input_schema": SCHEMA}],
        "tool_choice": {"type": "tool", "name": "get_weather"},
    }


@pytest.mark.parametrize(
    ("choice", "parallel", "expected"),
    [
        ("auto", None, {"type": "auto"}),
        ("required", None, {"type": "any"}),
        ("none", None, {"type": "none"}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        (None, False, {"type": "auto", "disable_parallel_tool_use": True}),
    ],
)
def test_anthropic_tool_choice(choice: Any, parallel: Any, expected: dict[str, Any]) -> None:
    params = {"tools": TOOLS, "tool_choice": choice, "parallel_tool_calls": parallel}
    request = build("anthropic", SYSTEM_CHAT, **{k: v for k, v in params.items() if v is not None})
    assert request["tool_choice"] == expected


def test_anthropic_stop_max_tokens_and_user() -> None:
    assert build("anthropic", SYSTEM_CHAT, stop="END")["stop_sequences"] == ["END"]
    assert build("anthropic", SYSTEM_CHAT, stop=["a", "b"])["stop_sequences"] == ["a", "b"]
    assert build("anthropic", SYSTEM_CHAT, max_tokens=256)["max_tokens"] == 256
    assert build("anthropic", SYSTEM_CHAT, max_tokens=256, max_completion_tokens=300)["max_tokens"] == 300
    request = build("anthropic", SYSTEM_CHAT, temperature=0.5, top_p=0.9, user="u-42")
    assert (request["temperature"], request["top_p"], request["metadata"]) == (0.5, 0.9, {"user_id": "u-42"})


@pytest.mark.parametrize(
    ("params", "thinking", "max_tokens"),
    [
        # LiteLLM's budgets; without max_tokens the budget + 4096 (thinking counts against max_tokens).
        ({"reasoning_effort": "low"}, {"type": "enabled", "budget_tokens": 1024}, 5120),
        ({"reasoning_effort": "medium"}, {"type": "enabled", "budget_tokens": 2048}, 6144),
        ({"reasoning_effort": "high", "max_tokens": 10000}, {"type": "enabled", "budget_tokens": 4096}, 10000),
        # Anthropic's minimum budget is 1024.
        ({"reasoning_effort": "minimal"}, {"type": "enabled", "budget_tokens": 1024}, 5120),
        ({"reasoning_effort": "none"}, None, 4096),
        ({"thinking": {"type": "enabled", "budget_tokens": 5000}}, {"type": "enabled", "budget_tokens": 5000}, 9096),
        ({"thinking": {"type": "disabled"}, "reasoning_effort": "high"}, {"type": "disabled"}, 4096),
    ],
)
def test_anthropic_reasoning(params: dict[str, Any], thinking: Any, max_tokens: int) -> None:
    request = build("anthropic", SYSTEM_CHAT, **params)
    assert request.get("thinking") == thinking
    assert request["max_tokens"] == max_tokens


def test_anthropic_max_tokens_must_exceed_the_thinking_budget() -> None:
    with pytest.raises(rillm.BadRequestError, match="max_tokens: 1000 must exceed the thinking budget"):
        build("anthropic", SYSTEM_CHAT, reasoning_effort="medium", max_tokens=1000)


def test_anthropic_sends_thinking_blocks_back_first_and_cache_control() -> None:
    messages = [
        {
            "role": "system",
            "content": [{"type": "text", "text": "Long context", "cache_control": {"type": "ephemeral"}}],
        },
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [CALL],
            "thinking_blocks": [
                {"type": "thinking", "thinking": "Need a tool.", "signature": "sig1"},
                {"type": "redacted_thinking", "data": "opaque"},
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
    ]
    request = build("anthropic", messages, thinking={"type": "enabled", "budget_tokens": 2000})
    assert request["system"] == [{"type": "text", "text": "Long context", "cache_control": {"type": "ephemeral"}}]
    assert request["messages"][1]["content"] == [
        {"type": "thinking", "thinking": "Need a tool.", "signature": "sig1"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
    ]


def test_bedrock_invoke_is_the_anthropic_body_without_model_and_stream() -> None:
    assert build("bedrock_invoke", SYSTEM_CHAT, stop="END") == {
        "anthropic_version": "bedrock-2023-05-31",
        "system": "You are terse.",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "max_tokens": 4096,
        "stop_sequences": ["END"],
    }


# --- cohere ---------------------------------------------------------------------------------------------


def test_cohere_plain_chat_and_image() -> None:
    assert build("cohere", SYSTEM_CHAT) == {
        "model": "test-model",
        "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
        "stream": True,
    }
    assert build("cohere", IMAGE_CHAT, stream=False) == {
        "model": "test-model",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is in this picture?"},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
                ],
            }
        ],
    }


def test_cohere_tool_round_trip() -> None:
    messages = [TOOL_ROUND[0], {**TOOL_ROUND[1], "tool_plan": "I will look up the weather."}, TOOL_ROUND[2]]
    assert build("cohere", messages, stream=False, tools=TOOLS, tool_choice="required") == {
        "model": "test-model",
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "tool_calls": [CALL], "tool_plan": "I will look up the weather."},
            {"role": "tool", "tool_call_id": "call_1", "content": "18C and sunny"},
        ],
        "tools": TOOLS,
        "tool_choice": "REQUIRED",
    }
    assert build("cohere", SYSTEM_CHAT, tools=TOOLS, tool_choice="none")["tool_choice"] == "NONE"
    assert "tool_choice" not in build("cohere", SYSTEM_CHAT, tools=TOOLS, tool_choice="auto")
    with pytest.raises(rillm.BadRequestError, match="tool_choice: Cohere cannot force one named function"):
        build("cohere", SYSTEM_CHAT, tools=TOOLS, tool_choice=FORCE_WEATHER)


def test_cohere_sampling_stop_tokens_and_json() -> None:
    request = build(
        "cohere",
        SYSTEM_CHAT,
        stream=False,
        temperature=0.3,
        top_p=0.8,
        seed=7,
        max_tokens=100,
        stop="END",
        frequency_penalty=0.1,
        presence_penalty=0.2,
        response_format={"type": "json_schema", "json_schema": {"name": "w", "schema": SCHEMA}},
    )
    assert {k: v for k, v in request.items() if k not in ("model", "messages")} == {
        "temperature": 0.3,
        "p": 0.8,
        "seed": 7,
        "max_tokens": 100,
        "stop_sequences": ["END"],
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
        "response_format": {"type": "json_object", "json_schema": SCHEMA},
    }
    assert "max_tokens" not in build("cohere", SYSTEM_CHAT)
    assert build("cohere", SYSTEM_CHAT, stop=["a", "b"])["stop_sequences"] == ["a", "b"]
    assert build("cohere", SYSTEM_CHAT, response_format={"type": "json_object"})["response_format"] == {
        "type": "json_object"
    }


# --- gemini ---------------------------------------------------------------------------------------------


def test_gemini_plain_chat_has_no_stream_key() -> None:
    assert build("gemini", SYSTEM_CHAT) == {
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "contents": [{"role": "user", "parts": [{"text": "Hi"}]}],
    }


def test_gemini_images_inline_and_by_uri() -> None:
    messages = [
        *IMAGE_CHAT,
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "gs://bucket/cat.jpg"}}]},
    ]
    assert build("gemini", messages)["contents"] == [
        {
            "role": "user",
            "parts": [
                {"text": "What is in this picture?"},
                {"inlineData": {"mimeType": "image/png", "data": PNG}},
                {"fileData": {"fileUri": "gs://bucket/cat.jpg", "mimeType": "image/jpeg"}},
            ],
        }
    ]


def test_gemini_tool_round_trip() -> None:
    assert build("gemini", TOOL_ROUND, tools=TOOLS, tool_choice=FORCE_WEATHER) == {
        "contents": [
            {"role": "user", "parts": [{"text": "Weather in Paris?"}]},
            {"role": "model", "parts": [{"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}}]},
            {
                "role": "user",
                "parts": [{"functionResponse": {"name": "get_weather", "response": {"content": "18C and sunny"}}}],
            },
        ],
        "tools": [
            {
                "functionDeclarations": [
                    {"name": "get_weather", "description": "Current weather for a city", "parametersJsonSchema": SCHEMA}
                ]
            }
        ],
        "toolConfig": {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}},
    }
    modes = {c: build("gemini", SYSTEM_CHAT, tools=TOOLS, tool_choice=c)["toolConfig"] for c in ("auto", "none")}
    assert modes == {
        "auto": {"functionCallingConfig": {"mode": "AUTO"}},
        "none": {"functionCallingConfig": {"mode": "NONE"}},
    }


def test_gemini_sends_thought_signatures_back() -> None:
    signed = {**CALL, "provider_specific_fields": {"thought_signature": "sigA"}}
    litellm_style = {**CALL, "id": "call_abc__thought__sigB", "function": {"name": "get_weather", "arguments": "{}"}}
    messages = [{"role": "user", "content": "Go"}, {"role": "assistant", "tool_calls": [signed, litellm_style]}]
    assert build("gemini", messages)["contents"][1]["parts"] == [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}, "thoughtSignature": "sigA"},
        {"functionCall": {"name": "get_weather", "args": {}}, "thoughtSignature": "sigB"},
    ]


def test_gemini_generation_config() -> None:
    request = build(
        "gemini",
        SYSTEM_CHAT,
        temperature=0.4,
        top_p=0.9,
        max_completion_tokens=512,
        stop="END",
        n=2,
        seed=3,
        presence_penalty=0.5,
        frequency_penalty=0.6,
        response_format={"type": "json_schema", "json_schema": {"name": "w", "schema": SCHEMA}},
    )
    assert request["generationConfig"] == {
        "temperature": 0.4,
        "topP": 0.9,
        "maxOutputTokens": 512,
        "stopSequences": ["END"],
        "candidateCount": 2,
        "seed": 3,
        "presencePenalty": 0.5,
        "frequencyPenalty": 0.6,
        "responseMimeType": "application/json",
        "responseJsonSchema": SCHEMA,
    }
    assert build("gemini", SYSTEM_CHAT, stop=["a", "b"])["generationConfig"] == {"stopSequences": ["a", "b"]}
    assert "generationConfig" not in build("gemini", SYSTEM_CHAT)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"reasoning_effort": "minimal"}, {"thinkingBudget": 128, "includeThoughts": True}),
        ({"reasoning_effort": "low"}, {"thinkingBudget": 1024, "includeThoughts": True}),
        ({"reasoning_effort": "high"}, {"thinkingBudget": 4096, "includeThoughts": True}),
        ({"reasoning_effort": "none"}, {"thinkingBudget": 0, "includeThoughts": False}),
        ({"thinking": {"type": "enabled", "budget_tokens": 3000}}, {"thinkingBudget": 3000, "includeThoughts": True}),
    ],
)
def test_gemini_thinking_config(params: dict[str, Any], expected: dict[str, Any]) -> None:
    assert build("gemini", SYSTEM_CHAT, **params)["generationConfig"] == {"thinkingConfig": expected}


# --- bedrock (Converse) ---------------------------------------------------------------------------------


def test_bedrock_plain_chat_has_no_model_or_stream() -> None:
    assert build("bedrock", SYSTEM_CHAT) == {
        "system": [{"text": "You are terse."}],
        "messages": [{"role": "user", "content": [{"text": "Hi"}]}],
    }


def test_bedrock_image_bytes() -> None:
    assert build("bedrock", IMAGE_CHAT)["messages"] == [
        {
            "role": "user",
            "content": [
                {"text": "What is in this picture?"},
                {"image": {"format": "png", "source": {"bytes": PNG}}},
            ],
        }
    ]


def test_bedrock_tool_round_trip() -> None:
    assert build("bedrock", TOOL_ROUND, tools=TOOLS, tool_choice=FORCE_WEATHER) == {
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Paris?"}]},
            {
                "role": "assistant",
                "content": [{"toolUse": {"toolUseId": "call_1", "name": "get_weather", "input": {"city": "Paris"}}}],
            },
            {
                "role": "user",
                "content": [{"toolResult": {"toolUseId": "call_1", "content": [{"text": "18C and sunny"}]}}],
            },
        ],
        "toolConfig": {
            "tools": [
                {
                    "toolSpec": {
                        "name": "get_weather",
                        "description": "Current weather for a city",
                        "inputSchema": {"json": SCHEMA},
                    }
                }
            ],
            "toolChoice": {"tool": {"name": "get_weather"}},
        },
    }
    choices = {
        c: build("bedrock", SYSTEM_CHAT, tools=TOOLS, tool_choice=c)["toolConfig"]["toolChoice"]
        for c in ("auto", "required")
    }
    assert choices == {"auto": {"auto": {}}, "required": {"any": {}}}
    with pytest.raises(rillm.UnsupportedParamsError, match="no tool_choice 'none'"):
        build("bedrock", SYSTEM_CHAT, tools=TOOLS, tool_choice="none")


def test_bedrock_inference_config_and_thinking() -> None:
    request = build("bedrock", SYSTEM_CHAT, max_tokens=200, temperature=0.1, top_p=0.5, stop="END")
    assert request["inferenceConfig"] == {"maxTokens": 200, "temperature": 0.1, "topP": 0.5, "stopSequences": ["END"]}
    assert build("bedrock", SYSTEM_CHAT, stop=["a", "b"])["inferenceConfig"] == {"stopSequences": ["a", "b"]}
    thinking = build("bedrock", SYSTEM_CHAT, reasoning_effort="high")
    assert thinking["additionalModelRequestFields"] == {"thinking": {"type": "enabled", "budget_tokens": 4096}}
    assert thinking["inferenceConfig"] == {"maxTokens": 8192}


# --- ollama ---------------------------------------------------------------------------------------------


def test_ollama_plain_chat_always_says_stream() -> None:
    expected = {
        "model": "test-model",
        "messages": [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Hi"}],
        "stream": True,
    }
    assert build("ollama", SYSTEM_CHAT) == expected
    assert build("ollama", SYSTEM_CHAT, stream=False) == {**expected, "stream": False}


def test_ollama_images_and_tool_round_trip() -> None:
    assert build("ollama", IMAGE_CHAT)["messages"] == [
        {"role": "user", "content": "What is in this picture?", "images": [PNG]}
    ]
    assert build("ollama", TOOL_ROUND, stream=False, tools=TOOLS) == {
        "model": "test-model",
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
            },
            {"role": "tool", "content": "18C and sunny", "tool_name": "get_weather"},
        ],
        "tools": TOOLS,
        "stream": False,
    }


def test_ollama_options_format_and_think() -> None:
    request = build("ollama", SYSTEM_CHAT, temperature=0.7, top_p=0.9, max_tokens=64, stop="END", seed=1)
    assert request["options"] == {"temperature": 0.7, "top_p": 0.9, "num_predict": 64, "stop": ["END"], "seed": 1}
    assert build("ollama", SYSTEM_CHAT, stop=["a", "b"])["options"] == {"stop": ["a", "b"]}
    assert "options" not in build("ollama", SYSTEM_CHAT)
    assert build("ollama", SYSTEM_CHAT, response_format={"type": "json_object"})["format"] == "json"
    schema_format = {"type": "json_schema", "json_schema": {"name": "w", "schema": SCHEMA}}
    assert build("ollama", SYSTEM_CHAT, response_format=schema_format)["format"] == SCHEMA
    assert build("ollama", SYSTEM_CHAT, reasoning_effort="high")["think"] is True
    assert build("ollama", SYSTEM_CHAT, thinking={"type": "disabled"})["think"] is False


# --- what cannot be translated --------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["anthropic", "cohere", "gemini", "bedrock", "bedrock_invoke", "ollama"])
@pytest.mark.parametrize(
    ("messages", "where"),
    [
        (
            [{"role": "user", "content": "x"}, {"role": "user", "content": 42}],
            r"messages\[1\]\.content: expected a string",
        ),
        (
            [{"role": "user", "content": [{"type": "text", "text": "x"}, {"type": "input_audio", "input_audio": {}}]}],
            r"messages\[0\]\.content\[1\]\.type: 'input_audio' parts are not translated",
        ),
        ([{"role": "narrator", "content": "x"}], r"messages\[0\]\.role: 'narrator' is not one of"),
        ([{"role": "tool", "content": "x"}], r"messages\[0\]\.tool_call_id"),
        (
            [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}],
            r"messages\[0\]\.content\[0\]\.image_url\.url",
        ),
    ],
)
def test_bad_messages_name_the_place(dialect: str, messages: list[dict[str, Any]], where: str) -> None:
    with pytest.raises(rillm.BadRequestError, match=where) as caught:
        build(dialect, messages)
    assert caught.value.status_code == 400
    assert f"for the {dialect} API" in str(caught.value)


@pytest.mark.parametrize("dialect", ["anthropic", "gemini", "bedrock", "bedrock_invoke", "ollama"])
@pytest.mark.parametrize(
    ("arguments", "why"), [('{"city": "Par', "not valid JSON"), ("[1, 2]", "expected a JSON object")]
)
def test_tool_arguments_must_be_a_json_object(dialect: str, arguments: str, why: str) -> None:
    call = {**CALL, "function": {"name": "get_weather", "arguments": arguments}}
    messages = [{"role": "user", "content": "x"}, {"role": "assistant", "content": None, "tool_calls": [call]}]
    with pytest.raises(rillm.BadRequestError, match=rf"messages\[1\]\.tool_calls\[0\]\.function\.arguments: {why}"):
        build(dialect, messages)


@pytest.mark.parametrize("dialect", ["bedrock", "ollama"])
def test_image_urls_without_bytes_are_refused_where_the_api_takes_only_bytes(dialect: str) -> None:
    messages = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}]}]
    with pytest.raises(
        rillm.BadRequestError, match=r"messages\[0\]\.content\[0\]\.image_url\.url: .*base64 data: URLs"
    ):
        build(dialect, messages)


def test_more_bad_requests() -> None:
    with pytest.raises(rillm.BadRequestError, match=r"messages\[1\]\.tool_call_id: no earlier assistant tool call"):
        build("gemini", [{"role": "user", "content": "x"}, {"role": "tool", "tool_call_id": "call_9", "content": "y"}])
    with pytest.raises(rillm.BadRequestError, match="reasoning_effort: 'extreme' is not one of"):
        build("anthropic", SYSTEM_CHAT, reasoning_effort="extreme")
    with pytest.raises(rillm.BadRequestError, match="stop: expected a string or a list of strings"):
        build("gemini", SYSTEM_CHAT, stop=[1])
    with pytest.raises(rillm.BadRequestError, match="a data: URL must be"):
        build("anthropic", [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,abc"}}]}])
    with pytest.raises(rillm.BadRequestError, match=r"system messages take only text"):
        build("anthropic", [{"role": "system", "content": IMAGE_CHAT[0]["content"]}])


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
    # Google's bodies are pretty-printed: the replay must not depend on the layout.
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
    replayed = comparable(parse_response(dialect, body(reply), model="requested"))
    assert replayed == merged_recording(dialect, path)


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
