"""What the end-to-end tests need to send each recording through `completion()`: the model string that picks
its provider, where that provider's request lands on the local server, and how to check its credentials.

Every recorded stream in tests/fixtures/streams is served at its provider's real path; the folder says
which provider (and Azure recordings, in the openai folder, go to Azure's deployment path).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES
from tests.server import CONTENT_TYPES

# A key that must never show up in an error message, a repr or a log.
API_KEY = "sk-rillm-test-0123456789abcdef-DO-NOT-LEAK"
AWS = {"AWS_ACCESS_KEY_ID": "AKIDRILLMTEST", "AWS_SECRET_ACCESS_KEY": "rillm/secret/DO-NOT-LEAK/0123456789abcdefgh"}


@dataclass(frozen=True)
class Target:
    """How one provider is called: `model` for completion(), the server `path` it must POST to, the
    `api_base` suffix after the server's URL, and the dialect its bytes are decoded with."""

    model: str
    path: str
    base: str
    dialect: str
    provider_model: str
    auth: str = "bearer"
    query: dict[str, list[str]] = field(default_factory=dict)


_OPENAI_STYLE = {
    "openai": ("openai/gpt-4o", "/v1"),
    "groq": ("groq/llama-3.3-70b-versatile", "/openai/v1"),
    "deepseek": ("deepseek/deepseek-chat", "/beta"),
    "mistral": ("mistral/mistral-small-latest", "/v1"),
    "xai": ("xai/grok-4", "/v1"),
    "openrouter": ("openrouter/anthropic/claude-sonnet-4", "/api/v1"),
    "perplexity": ("perplexity/sonar", ""),
    "zai": ("zai/glm-4.6", "/api/paas/v4"),
    "llamacpp": ("hosted_vllm/gpt-oss-20b", "/v1"),
}
BEDROCK_MODEL = "anthropic.claude-sonnet-4-5-20250929-v1:0"


def target(recording: Path) -> Target:
    folder = recording.parent.name
    if folder == "openai" and recording.name.startswith("azure-"):
        return Target(
            "azure/gpt-5-mini",
            "/openai/deployments/gpt-5-mini/chat/completions",
            "",
            "openai",
            "gpt-5-mini",
            auth="api-key",
            query={"api-version": ["2024-10-21"]},
        )
    if folder in _OPENAI_STYLE:
        model, base = _OPENAI_STYLE[folder]
        return Target(model, f"{base}/chat/completions", base, "openai", model.partition("/")[2])
    if folder == "anthropic":
        return Target("anthropic/claude-sonnet-4-5", "/v1/messages", "", "anthropic", "claude-sonnet-4-5", "x-api-key")
    if folder == "cohere":
        return Target("cohere_chat/command-a-03-2025", "/v2/chat", "", "cohere", "command-a-03-2025")
    if folder == "google":
        return Target(
            "gemini/gemini-2.5-flash",
            "/v1beta/models/gemini-2.5-flash:streamGenerateContent",
            "/v1beta",
            "gemini",
            "gemini-2.5-flash",
            "x-goog-api-key",
            query={"alt": ["sse"]},
        )
    if folder == "ollama":
        return Target("ollama_chat/llama3.2", "/api/chat", "", "ollama", "llama3.2", "none")
    if folder == "bedrock":
        quoted = BEDROCK_MODEL.replace(":", "%3A")
        if recording.name.startswith("invoke-"):
            return Target(
                f"bedrock/invoke/{BEDROCK_MODEL}",
                f"/model/{quoted}/invoke-with-response-stream",
                "",
                "bedrock",
                BEDROCK_MODEL,
                "sigv4",
            )
        return Target(
            f"bedrock/{BEDROCK_MODEL}", f"/model/{quoted}/converse-stream", "", "bedrock", BEDROCK_MODEL, "sigv4"
        )
    raise AssertionError(f"no provider for the folder {folder}")


def recordings() -> list[Path]:
    return sorted(p for p in FIXTURES.glob("*/*") if p.suffix in CONTENT_TYPES)


def check_auth(target: Target, headers: dict[str, str]) -> None:
    """The credentials arrived the way the provider expects them."""
    if target.auth == "bearer":
        assert headers["authorization"] == f"Bearer {API_KEY}"
    elif target.auth == "x-api-key":
        assert headers["x-api-key"] == API_KEY
        assert headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in headers
    elif target.auth == "api-key":
        assert headers["api-key"] == API_KEY
        assert "authorization" not in headers
    elif target.auth == "x-goog-api-key":
        assert headers["x-goog-api-key"] == API_KEY
        assert "authorization" not in headers
    elif target.auth == "sigv4":
        authorization = headers["authorization"]
        assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={AWS['AWS_ACCESS_KEY_ID']}/")
        assert "/bedrock/aws4_request, SignedHeaders=" in authorization
        assert "x-amz-date" in headers
    else:
        assert "authorization" not in headers


def assert_same(actual: Any, first: Any, second: Any, where: str = "response") -> None:
    """`actual` equals `first` except where `first` and `second` (the same bytes decoded twice) differ: the
    values a decoder makes up per run, such as a generated id or the local time as `created`."""
    if isinstance(first, dict) and isinstance(second, dict):
        assert isinstance(actual, dict) and actual.keys() == first.keys(), where
        for key in first:
            assert_same(actual[key], first[key], second.get(key), f"{where}.{key}")
    elif isinstance(first, list) and isinstance(second, list) and len(first) == len(second):
        assert isinstance(actual, list) and len(actual) == len(first), where
        for i, (a, f, s) in enumerate(zip(actual, first, second)):
            assert_same(a, f, s, f"{where}[{i}]")
    elif first == second:
        assert actual == first, where


# What the provider must receive for MESSAGES (a system prompt and "Hello") with stream=True, in its own
# shape: written from each provider's API reference, not from rillm's output.
SYSTEM, USER = "Be brief.", "Hello"
_OPENAI_BODY = {"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER}], "stream": True}
_ANTHROPIC_MESSAGES = [{"role": "user", "content": [{"type": "text", "text": USER}]}]
# The providers whose API documents stream_options.include_usage (OpenAI, Azure, Groq, DeepSeek, xAI, OpenRouter,
# vLLM and llama.cpp servers); Mistral, Perplexity and Z.ai do not take it.
_TAKES_STREAM_OPTIONS = {"openai", "azure", "groq", "deepseek", "xai", "openrouter", "hosted_vllm"}


def expected_body(spec: Target) -> dict[str, Any]:
    if spec.model.startswith("bedrock/invoke/"):
        return {
            "anthropic_version": "bedrock-2023-05-31",
            "system": SYSTEM,
            "messages": _ANTHROPIC_MESSAGES,
            "max_tokens": 4096,
        }
    if spec.dialect == "bedrock":
        return {"system": [{"text": SYSTEM}], "messages": [{"role": "user", "content": [{"text": USER}]}]}
    if spec.dialect == "anthropic":
        body = {"model": spec.provider_model, "system": SYSTEM, "messages": _ANTHROPIC_MESSAGES}
        return {**body, "max_tokens": 4096, "stream": True}
    if spec.dialect == "gemini":
        return {
            "systemInstruction": {"parts": [{"text": SYSTEM}]},
            "contents": [{"role": "user", "parts": [{"text": USER}]}],
        }
    body = {"model": spec.provider_model, **_OPENAI_BODY}
    if spec.model.split("/")[0] in _TAKES_STREAM_OPTIONS:
        # rillm asks every provider that takes stream_options for its usage (LiteLLM only when told to).
        body["stream_options"] = {"include_usage": True}
    return body
