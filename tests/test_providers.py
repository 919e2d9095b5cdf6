"""The provider table, model-string resolution, base URLs from arguments and env vars, credentials, argument
checks, mock responses and fake streaming."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

import rillm
from rillm.providers import get_provider, providers, resolve
from rillm.providers.auth import key_headers
from rillm.providers.request import build_request, endpoint
from tests.e2e import API_KEY
from tests.server import ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]


pytestmark = pytest.mark.usefixtures("e2e_env")

# -- the table -------------------------------------------------------------------------------------------------


def test_the_table_has_the_providers_litellm_users_name() -> None:
    names = set(providers())
    assert len(names) >= 40
    for name in (
        "openai azure anthropic cohere cohere_chat groq mistral deepseek xai openrouter perplexity together_ai "
        "fireworks_ai gemini bedrock bedrock/converse bedrock/invoke ollama ollama_chat hosted_vllm lm_studio "
        "llamafile cerebras sambanova deepinfra nvidia_nim huggingface"
    ).split():
        assert name in names, name


@pytest.mark.parametrize(
    ("model", "provider", "name"),
    [
        ("gpt-4o", "openai", "gpt-4o"),
        ("o3-mini", "openai", "o3-mini"),
        ("claude-sonnet-4-5", "anthropic", "claude-sonnet-4-5"),
        ("command-r-plus", "cohere_chat", "command-r-plus"),
        ("anthropic/claude-3-5-sonnet", "anthropic", "claude-3-5-sonnet"),
        ("openrouter/anthropic/claude-3.5-sonnet", "openrouter", "anthropic/claude-3.5-sonnet"),
        ("groq/llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"),
        ("bedrock/anthropic.claude-3-sonnet-20240229-v1:0", "bedrock", "anthropic.claude-3-sonnet-20240229-v1:0"),
        ("bedrock/converse/amazon.nova-pro-v1:0", "bedrock/converse", "amazon.nova-pro-v1:0"),
        ("bedrock/invoke/anthropic.claude-v2:1", "bedrock/invoke", "anthropic.claude-v2:1"),
        ("together_ai/meta-llama/Llama-3-70b", "together_ai", "meta-llama/Llama-3-70b"),
        ("ollama_chat/llama3.2", "ollama_chat", "llama3.2"),
        ("gemini/gemini-2.5-flash", "gemini", "gemini-2.5-flash"),
    ],
)
def test_resolve(model: str, provider: str, name: str) -> None:
    row, resolved = resolve(model)
    assert (row.name, resolved) == (provider, name)


def test_get_llm_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENROUTER_API_BASE", raising=False)
    monkeypatch.setenv("OPENROUTER_API_KEY", "or-key")
    assert rillm.get_llm_provider("openrouter/anthropic/claude-3.5-sonnet") == (
        "anthropic/claude-3.5-sonnet",
        "openrouter",
        "or-key",
        "https://openrouter.ai/api/v1",
    )
    assert rillm.get_llm_provider("gpt-4o", api_key="k", api_base="http://h")[1:] == ("openai", "k", "http://h")


def test_resolve_by_known_api_base_and_custom_llm_provider() -> None:
    row, model = resolve("llama-3.3-70b-versatile", api_base="https://api.groq.com/openai/v1")
    assert (row.name, model) == ("groq", "llama-3.3-70b-versatile")
    row, model = resolve("my-model", custom_llm_provider="hosted_vllm")
    assert (row.name, model) == ("hosted_vllm", "my-model")


@pytest.mark.parametrize("model", ["llama3", "vertex_ai/gemini-2.5-pro", ""])
def test_unknown_provider_is_a_bad_request(model: str) -> None:
    with pytest.raises(rillm.BadRequestError, match=r"LLM Provider NOT provided|non-empty"):
        resolve(model)


def test_unknown_custom_llm_provider_names_the_known_ones() -> None:
    with pytest.raises(rillm.BadRequestError, match=r"unknown provider 'nope'; rillm knows: .*openai"):
        get_provider("nope")


def test_endpoints() -> None:
    assert endpoint(get_provider("openai"), "gpt-4o", stream=True) == "https://api.openai.com/v1/chat/completions"
    assert endpoint(get_provider("anthropic"), "c", stream=True) == "https://api.anthropic.com/v1/messages"
    assert endpoint(get_provider("anthropic"), "c", stream=True, api_base="http://h/v1/messages") == (
        "http://h/v1/messages"
    )
    assert endpoint(get_provider("gemini"), "gemini-2.5-flash", stream=False) == (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    assert endpoint(get_provider("bedrock"), "anthropic.claude-v2:1", stream=True, region="eu-west-1") == (
        "https://bedrock-runtime.eu-west-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse-stream"
    )
    assert endpoint(get_provider("azure"), "dep", stream=True, api_base="https://x.openai.azure.com/") == (
        "https://x.openai.azure.com/openai/deployments/dep/chat/completions?api-version=2025-02-01-preview"
    )
    with pytest.raises(rillm.BadRequestError, match="HOSTED_VLLM_API_BASE"):
        endpoint(get_provider("hosted_vllm"), "m", stream=True)


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("openai", "OPENAI_BASE_URL"),
        ("openai", "OPENAI_API_BASE"),
        ("anthropic", "ANTHROPIC_API_BASE"),
        ("cohere_chat", "COHERE_API_BASE"),
        ("groq", "GROQ_API_BASE"),
        ("gemini", "GEMINI_API_BASE"),
        ("ollama_chat", "OLLAMA_API_BASE"),
        ("hosted_vllm", "HOSTED_VLLM_API_BASE"),
        ("deepseek", "DEEPSEEK_API_BASE"),
    ],
)
def test_every_row_reads_its_base_url_variable(provider: str, variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    row = get_provider(provider)
    for name in row.api_base_env:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "http://127.0.0.1:9999/base")
    assert endpoint(row, "m", stream=True).startswith("http://127.0.0.1:9999/base/")


@pytest.mark.parametrize("row", list(providers().values()), ids=lambda row: row.name)
def test_every_base_url_variable_of_every_row(row: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of a row's variables is read alone, and the first one set wins, as LiteLLM reads them."""
    assert row.api_base_env, f"{row.name} has no base-URL variable"
    for name in row.api_base_env:
        monkeypatch.delenv(name, raising=False)
    for port, name in enumerate(row.api_base_env, start=9000):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}/alone")
        assert endpoint(row, "m", stream=True).startswith(f"http://127.0.0.1:{port}/alone/")
        monkeypatch.delenv(name)
    for port, name in enumerate(row.api_base_env, start=9000):
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}/b")
    assert endpoint(row, "m", stream=True).startswith("http://127.0.0.1:9000/b/")
    assert endpoint(row, "m", stream=True, api_base="http://h/x").startswith("http://h/x")


def test_every_row_is_reachable_through_api_base_and_its_env_vars(server: ReplayServer) -> None:
    """Every OpenAI-dialect row, through the server: api_base= and the row's first base-URL variable."""
    rows = [row for row in providers().values() if row.dialect == "openai" and row.name != "azure"]
    assert len(rows) >= 40
    body = b'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\n\n'
    for row in rows:
        server.reply(Reply(body=body, headers={"content-type": "text/event-stream"}))
        stream = rillm.completion(f"{row.name}/m", MESSAGES, api_base=server.url + "/x", api_key=API_KEY, stream=True)
        assert [c.choices[0].delta.content for c in stream] == ["hi"]
        assert server.requests[-1].path == "/x/chat/completions"
        assert server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"


def test_base_url_from_env_through_completion(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_BASE", server.url + "/openai/v1")
    monkeypatch.setenv("GROQ_API_KEY", API_KEY)
    server.reply_file("groq/text-llama.sse")
    assert list(rillm.completion("groq/llama-3.3-70b-versatile", MESSAGES, stream=True))
    request = server.requests[-1]
    assert request.path == "/openai/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


# -- credentials -----------------------------------------------------------------------------------------------


def test_a_missing_key_names_the_variables_not_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(rillm.AuthenticationError, match="ANTHROPIC_API_KEY"):
        rillm.completion("anthropic/claude-x", MESSAGES, stream=True)


def test_key_styles(monkeypatch: pytest.MonkeyPatch) -> None:
    assert key_headers(get_provider("openai"), "k", "m") == {"Authorization": "Bearer k"}
    assert key_headers(get_provider("anthropic"), "k", "m") == {"x-api-key": "k"}
    assert key_headers(get_provider("azure"), "k", "m") == {"api-key": "k"}
    for name in get_provider("azure").api_key_env:
        monkeypatch.delenv(name, raising=False)
    assert key_headers(get_provider("azure"), None, "m", "entra") == {"Authorization": "Bearer entra"}
    monkeypatch.setenv("AZURE_AD_TOKEN", "from-env-token")
    assert key_headers(get_provider("azure"), None, "m") == {"Authorization": "Bearer from-env-token"}
    assert key_headers(get_provider("gemini"), "k", "m") == {"x-goog-api-key": "k"}
    monkeypatch.delenv("OLLAMA_API_KEY", raising=False)
    assert key_headers(get_provider("ollama_chat"), None, "m") == {}
    monkeypatch.setenv("GOOGLE_API_KEY", "")
    monkeypatch.setenv("GEMINI_API_KEY", "from-env")
    assert key_headers(get_provider("gemini"), None, "m") == {"x-goog-api-key": "from-env"}


def test_bedrock_bearer_token_and_session_token(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_BEARER_TOKEN_BEDROCK", API_KEY)
    server.reply_file("bedrock/converse-text-nova.bin")
    list(rillm.completion("bedrock/amazon.nova-pro-v1:0", MESSAGES, api_base=server.url, stream=True))
    assert server.requests[-1].headers["authorization"] == f"Bearer {API_KEY}"
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK")
    server.reply_file("bedrock/converse-text-nova.bin")
    list(
        rillm.completion(
            "bedrock/amazon.nova-pro-v1:0",
            MESSAGES,
            api_base=server.url,
            stream=True,
            aws_access_key_id="AKIDTEST",
            aws_secret_access_key="secret-DO-NOT-LEAK",
            aws_session_token="session-token",
            aws_region_name="eu-central-1",
        )
    )
    headers = server.requests[-1].headers
    assert headers["x-amz-security-token"] == "session-token"
    assert "/eu-central-1/bedrock/aws4_request" in headers["authorization"]
    assert "x-amz-security-token" in headers["authorization"]
    assert "secret-DO-NOT-LEAK" not in json.dumps(headers)


def test_bedrock_without_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_BEARER_TOKEN_BEDROCK"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(rillm.AuthenticationError, match="AWS_ACCESS_KEY_ID"):
        rillm.completion("bedrock/amazon.nova-pro-v1:0", MESSAGES, stream=True)


def test_build_request_makes_the_whole_request_without_sending_it() -> None:
    """providers.request alone: the URL, the credential headers with the caller's extra headers, and the
    translated body with the extra body over it; nothing is sent."""
    request = build_request(
        get_provider("anthropic"),
        "claude-x",
        MESSAGES,
        {"max_tokens": 10},
        stream=True,
        secrets={"api_key": "k"},
        timeout=httpx.Timeout(5.0),
        api_base="http://h",
        extra_headers={"anthropic-beta": "b"},
        extra_body={"top_k": 40, "max_tokens": 20},
    )
    assert request.url == "http://h/v1/messages"
    assert request.headers == {
        "Content-Type": "application/json",
        "anthropic-version": "2023-06-01",
        "x-api-key": "k",
        "anthropic-beta": "b",
    }
    assert json.loads(request.body) == {
        "model": "claude-x",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hello"}]}],
        "max_tokens": 20,
        "stream": True,
        "top_k": 40,
    }
    assert (request.provider, request.model, request.timeout) == ("anthropic", "claude-x", httpx.Timeout(5.0))


def test_build_request_signs_bedrock_unless_a_key_stands_in(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    row, model, timeout = get_provider("bedrock"), "amazon.nova-pro-v1:0", httpx.Timeout(5.0)
    aws = {"aws_access_key_id": "AKIDTEST", "aws_secret_access_key": "secret-DO-NOT-LEAK"}
    signed = build_request(
        row, model, MESSAGES, {}, stream=True, secrets=aws, timeout=timeout, aws_region_name="eu-west-1"
    )
    assert signed.url == "https://bedrock-runtime.eu-west-1.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse-stream"
    authorization = signed.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert "/eu-west-1/bedrock/aws4_request, SignedHeaders=content-type;host;x-amz-date," in authorization
    assert "secret-DO-NOT-LEAK" not in json.dumps(signed.headers)
    keyed = build_request(row, model, MESSAGES, {}, stream=False, secrets={**aws, "api_key": "k"}, timeout=timeout)
    assert keyed.url == "https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-pro-v1%3A0/converse"
    assert keyed.headers == {"Content-Type": "application/json", "Authorization": "Bearer k"}


# -- argument checks -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("messages", "match"),
    [
        ("hello", "non-empty list"),
        ([], "non-empty list"),
        (["hello"], r"messages\[0\] must be a dict"),
        ([{"role": "robot", "content": "x"}], r"messages\[0\].role must be one of"),
        ([{"role": "user"}], r"messages\[0\] \(user\) has no content"),
        ([{"role": "user", "content": 5}], r"messages\[0\].content must be a string or a list"),
    ],
)
def test_bad_messages(messages: Any, match: str) -> None:
    with pytest.raises(rillm.BadRequestError, match=match):
        rillm.completion("openai/gpt-4o", messages, api_key=API_KEY)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": -1}, "temperature"),
        ({"top_p": 2}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 0}, "n:"),
        ({"tool_choice": "sometimes"}, "tool_choice"),
        ({"tools": [{"type": "function", "function": {}}]}, r"tools\[0\].function.name"),
        ({"timeout": "soon"}, "timeout"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(rillm.BadRequestError, match=match):
        rillm.completion("openai/gpt-4o", MESSAGES, api_key=API_KEY, **kwargs)


def test_a_key_of_the_wrong_type_is_not_echoed() -> None:
    with pytest.raises(rillm.BadRequestError) as caught:
        rillm.completion("openai/gpt-4o", MESSAGES, api_key=b"sk-bytes-key-DO-NOT-LEAK")
    assert "DO-NOT-LEAK" not in str(caught.value)


def test_unsupported_param_and_drop_params(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = {"api_base": server.url, "api_key": API_KEY, "stream": True, "response_format": {"type": "json_object"}}
    with pytest.raises(rillm.UnsupportedParamsError, match="anthropic does not support response_format"):
        rillm.completion("anthropic/claude-x", MESSAGES, **kwargs)
    with pytest.raises(rillm.UnsupportedParamsError, match="gemini does not support logprobs, top_logprobs"):
        rillm.completion("gemini/gemini-2.5-flash", MESSAGES, api_key=API_KEY, logprobs=True, top_logprobs=2)
    with pytest.raises(rillm.UnsupportedParamsError, match="perplexity does not support tools"):
        rillm.completion("perplexity/sonar", MESSAGES, api_key=API_KEY, tools=[{"function": {"name": "f"}}])
    server.reply_file("anthropic/text-basic.sse")
    list(rillm.completion("anthropic/claude-x", MESSAGES, drop_params=True, **kwargs))
    assert "response_format" not in server.requests[-1].json()
    monkeypatch.setattr(rillm, "drop_params", True)
    server.reply_file("anthropic/text-basic.sse")
    list(rillm.completion("anthropic/claude-x", MESSAGES, **kwargs))


def test_unknown_arguments_go_to_the_provider_and_extra_body_and_headers(server: ReplayServer) -> None:
    server.reply_file("anthropic/text-basic.sse")
    list(
        rillm.completion(
            "anthropic/claude-x",
            MESSAGES,
            api_base=server.url,
            api_key=API_KEY,
            stream=True,
            top_k=40,
            extra_body={"metadata": {"user_id": "u1"}},
            extra_headers={"anthropic-beta": "feature-x"},
        )
    )
    request = server.requests[-1]
    body = request.json()
    assert body["top_k"] == 40 and body["metadata"] == {"user_id": "u1"}
    assert request.headers["anthropic-beta"] == "feature-x"


# -- mock responses and fake streams ---------------------------------------------------------------------------


def test_mock_stream_in_three_character_pieces() -> None:
    chunks = list(rillm.completion("gpt-4o", MESSAGES, stream=True, mock_response="Hello world!"))
    assert [c.choices[0].delta.content for c in chunks] == ["Hel", "lo ", "wor", "ld!", None]
    assert chunks[0].choices[0].delta.role == "assistant" and chunks[1].choices[0].delta.role is None
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert rillm.stream_chunk_builder(chunks).choices[0].message.content == "Hello world!"


def test_mock_response_without_stream_and_async() -> None:
    response = rillm.completion("gpt-4o", MESSAGES, mock_response="Hi")
    assert response.choices[0].message.content == "Hi"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (10, 20)

    async def run() -> list[Any]:
        stream = await rillm.acompletion("gpt-4o", MESSAGES, stream=True, mock_response="abcdef")
        return [chunk async for chunk in stream]

    assert [c.choices[0].delta.content for c in asyncio.run(run())] == ["abc", "def", None]


def test_mock_response_object_streamed_whole() -> None:
    whole = rillm.completion("gpt-4o", MESSAGES, mock_response="All at once")
    chunks = list(rillm.completion("gpt-4o", MESSAGES, stream=True, mock_response=whole))
    assert [c.choices[0].delta.content for c in chunks] == ["All at once"]
    built = rillm.stream_chunk_builder(chunks)
    assert built.choices[0].message.content == "All at once" and built.usage.total_tokens == 30


@pytest.mark.parametrize("model", ["anthropic/claude-sonnet-4-5", "claude-sonnet-4-5", "gpt-4o", "nobody/knows"])
def test_mock_stream_usage_counts_the_prompt_and_is_priced_by_the_model(model: str) -> None:
    """A mock stream's final usage is an estimate like any stream's that reported none: the prompt counted
    from the messages; its cost is the model's, whichever provider the model string names."""
    long = [{"role": "user", "content": "tell me about rivers " * 20}]
    prompts = []
    for messages in (MESSAGES, long):
        chunks = list(rillm.completion(model, messages, stream=True, mock_response="Hello world!"))
        usage = chunks[-1].usage
        built = rillm.stream_chunk_builder(chunks, messages=messages)
        assert usage.estimated and built.usage.prompt_tokens == usage.prompt_tokens
        prompts.append(usage.prompt_tokens)
    assert 0 < prompts[0] < prompts[1]
    priced = rillm.completion(model, MESSAGES, stream=True, mock_response="Hi")
    list(priced)
    if model == "nobody/knows":
        assert priced.hidden_params["response_cost"] is None
    else:
        assert priced.hidden_params["response_cost"] == rillm.completion_cost(
            rillm.stream_chunk_builder(priced.chunks, messages=MESSAGES), model=model.split("/")[-1]
        )
        assert priced.hidden_params["response_cost"] > 0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("litellm.RateLimitError", rillm.RateLimitError),
        ("litellm.ContextWindowExceededError", rillm.ContextWindowExceededError),
        ("litellm.InternalServerError", rillm.InternalServerError),
    ],
)
def test_mock_errors(value: str, expected: type) -> None:
    with pytest.raises(expected):
        rillm.completion("gpt-4o", MESSAGES, stream=True, mock_response=value)
    with pytest.raises(ValueError, match="mine"):
        rillm.completion("gpt-4o", MESSAGES, mock_response=ValueError("mine"))


def test_fake_stream_sends_one_request_without_stream(server: ReplayServer) -> None:
    whole = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "llama-3.3-70b-versatile",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": '{"a": 1}'}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }
    server.reply(Reply(body=json.dumps(whole).encode(), headers={"content-type": "application/json"}))
    stream = rillm.completion(
        "groq/llama-3.3-70b-versatile",
        MESSAGES,
        api_base=server.url,
        api_key=API_KEY,
        stream=True,
        response_format={"type": "json_object"},
    )
    chunks = list(stream)
    body = server.requests[-1].json()
    assert "stream" not in body and body["response_format"] == {"type": "json_object"}
    # The whole answer in one chunk, as the decoder makes it of the response written as a stream (LiteLLM splits the
    # finish reason into a second chunk).
    assert [c.choices[0].delta.content for c in chunks] == ['{"a": 1}']
    assert chunks[-1].choices[0].finish_reason == "stop"
    built = rillm.stream_chunk_builder(stream.chunks)
    assert built.usage.total_tokens == 18 and built.choices[0].message.content == '{"a": 1}'


def test_not_streamed_through_the_server(server: ReplayServer) -> None:
    whole = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "content": [{"type": "text", "text": "Hi there"}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 5, "output_tokens": 3},
    }
    server.reply(Reply(body=json.dumps(whole).encode(), headers={"content-type": "application/json"}))
    response = rillm.completion("anthropic/claude-sonnet-4-5", MESSAGES, api_base=server.url, api_key=API_KEY)
    assert isinstance(response, rillm.ModelResponse)
    assert response.choices[0].message.content == "Hi there"
    assert response.usage.total_tokens == 8
    assert "stream" not in server.requests[-1].json()
