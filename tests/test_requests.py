"""Request translation, per dialect (python/rillm/providers/translate): the caller's OpenAI-shaped messages
and parameters as the body each API takes, and the requests that cannot be translated.

The expected request bodies are written by hand from each provider's API reference and spec §5, not from
rillm's output.
"""

from __future__ import annotations

from typing import Any

import pytest

import rillm
from rillm.providers.translate import DIALECTS, build_body, supported_params

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
