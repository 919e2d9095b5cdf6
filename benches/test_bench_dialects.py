"""Decoding the other dialects' streams: 20,000-delta text streams of Anthropic, Bedrock (ConverseStream),
Gemini, Cohere v2 and Ollama, shaped like their recordings (rillm._bench.workloads), fed in 4 KiB pieces,
reading `choices[0].delta.content` of every chunk. rillm's Rust core vs its pure-Python twin (the
StreamDecoder alone, and `rillm.completion(..., stream=True)` end to end) vs LiteLLM end to end
(`litellm.completion(..., stream=True)`, on Anthropic and Bedrock). Both end-to-end runs go over an httpx mock
transport that serves the same pieces: request building, signing, the stream wrapper and the decoding, no
network. Each is checked for the right answer before it is timed. LiteLLM takes tens of seconds, so it is
timed once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import rillm
from rillm._bench.workloads import workload

from .conftest import N_CHUNKS, backend_module, peer, pieces, rillm_text, serve_pieces, use_transport

# The peers warn on import and while streaming (pydantic, deprecations): not ours to fail on.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

DIALECTS = ["anthropic", "bedrock", "gemini", "cohere", "ollama"]  # each is also its workload's name
IMPLS = ["rust", "python", "rust-completion", "python-completion"]
# LiteLLM's model for the dialects it is timed on (the mock client reaches its HTTP handler on these).
LITELLM_MODELS = {
    "anthropic": "anthropic/claude-sonnet-4-5-20250929",
    "bedrock": "bedrock/converse/anthropic.claude-sonnet-4-5-20250929-v1:0",
}
CASES = [(d, i) for d in DIALECTS for i in IMPLS] + [(d, "litellm") for d in LITELLM_MODELS]


def litellm_text(litellm: Any, dialect: str, data: list[bytes]) -> list[str]:
    from litellm.llms.custom_httpx.http_handler import HTTPHandler

    serve = serve_pieces(data, workload(dialect).content_type)
    client = HTTPHandler(client=httpx.Client(transport=httpx.MockTransport(serve)))
    stream = litellm.completion(
        model=LITELLM_MODELS[dialect],
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
        api_key="sk-bench" if dialect == "anthropic" else None,
        client=client,
    )
    return [c.choices[0].delta.content for c in stream if c.choices]


def completion_text(dialect: str) -> list[str]:
    api_key = None if dialect == "bedrock" else "sk-bench"  # Bedrock signs with SigV4, as LiteLLM does
    stream = rillm.completion(
        workload(dialect).model, [{"role": "user", "content": "hi"}], stream=True, api_key=api_key
    )
    return [c.choices[0].delta.content for c in stream if c.choices]


@pytest.mark.parametrize(("dialect", "impl"), CASES)
def test_decode_native_text(benchmark: Any, dialect: str, impl: str, monkeypatch: pytest.MonkeyPatch) -> None:
    benchmark.group = f"(d) decode a {N_CHUNKS}-delta {dialect} text stream in 4 KiB pieces, reading delta.content"
    load = workload(dialect)
    data, text = pieces(load.stream), load.expected
    for name, value in (("AWS_ACCESS_KEY_ID", "AKIDBENCH"), ("AWS_SECRET_ACCESS_KEY", "bench")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_REGION_NAME", "us-east-1")
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    if impl == "litellm":
        litellm = peer("litellm", benchmark)

        def run() -> list[str]:
            return litellm_text(litellm, dialect, data)
    elif impl.endswith("-completion"):
        use_transport(monkeypatch, serve_pieces(data, load.content_type), impl.split("-")[0])

        def run() -> list[str]:
            return completion_text(dialect)
    else:
        module = backend_module(impl)

        def run() -> list[str]:
            return rillm_text(module, dialect, data)

    assert "".join(s or "" for s in run()) == text
    benchmark.extra_info["chunks"] = N_CHUNKS
    if impl == "litellm":
        benchmark.pedantic(run, rounds=1, iterations=1)
    else:
        benchmark(run)
