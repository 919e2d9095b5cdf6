"""LiteLLM's documented gateway patterns, run with only the import changed (`import rillm as litellm`) against
the local server: usage on the final chunk, usage tracking with `include_cost_in_streaming_usage`,
`stream_chunk_builder` over the collected chunks, LITELLM_MAX_STREAMING_DURATION_SECONDS, and a cost-tracking
callback. Each body is the documented code; only `api_base`/`api_key` point it at the local server."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

import rillm as litellm
from tests.e2e import API_KEY
from tests.server import ReplayServer

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")

# The recording's gpt-4o usage (79 prompt, 1 completion) at gpt-4o's prices.
COST = 79 * 2.5e-06 + 1 * 1e-05


@pytest.fixture
def local(e2e_env: None, server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> ReplayServer:
    """The docs' calls name no endpoint: point OpenAI's at the local server, as OPENAI_BASE_URL would."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    server.reply_file("openai/gpt4o-finish-length.sse")
    return server


def _docs_usage_final_chunk() -> Any:
    """docs/completion/usage: usage is on the last chunk of the stream."""
    response = litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": "Hello!"}], stream=True)
    for chunk in response:
        print(chunk.choices[0].delta.content or "", end="")
    if chunk.usage:
        return chunk.usage
    return None


@pytest.mark.usefixtures("local")
def test_usage_after_the_loop() -> None:
    usage = _docs_usage_final_chunk()
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (79, 1, 80)


@pytest.mark.usefixtures("local")
def test_usage_tracking_with_include_cost_in_streaming_usage(monkeypatch: pytest.MonkeyPatch) -> None:
    """LiteLLM's test_streaming_with_cost_calculation: the first chunk with usage carries its cost."""
    monkeypatch.setattr(litellm, "include_cost_in_streaming_usage", True)
    response = litellm.completion(
        model="gpt-4o",
        messages=[{"role": "user", "content": "What is the capital of France?"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    usage_object = None
    for chunk in response:
        _usage_obj = getattr(chunk, "usage", None)
        if _usage_obj is not None:
            usage_object = _usage_obj
            break
    assert usage_object is not None
    assert usage_object.cost == pytest.approx(COST, rel=1e-9)


@pytest.mark.usefixtures("local")
def test_stream_chunk_builder_with_usage() -> None:
    """docs/completion/stream: rebuild the response from the chunks; its usage is the provider's."""
    messages = [{"role": "user", "content": "Hey, how's it going?"}]
    response = litellm.completion(model="gpt-4o", messages=messages, stream=True)
    chunks = []
    for chunk in response:
        chunks.append(chunk)
    rebuilt = litellm.stream_chunk_builder(chunks, messages=messages)
    assert rebuilt is not None
    assert (rebuilt.usage.prompt_tokens, rebuilt.usage.completion_tokens, rebuilt.usage.total_tokens) == (79, 1, 80)
    assert not getattr(rebuilt.usage, "estimated", False)


@pytest.mark.usefixtures("local")
def test_track_cost_callback() -> None:
    """docs/observability/custom_callback: a success callback reads kwargs["response_cost"] once per stream."""
    costs: list[float] = []

    def track_cost_callback(kwargs, completion_response, start_time, end_time):  # type: ignore[no-untyped-def]
        response_cost = kwargs.get("response_cost", 0)
        costs.append(response_cost)

    litellm.success_callback = [track_cost_callback]
    try:
        response = litellm.completion(model="gpt-4o", messages=[{"role": "user", "content": "Hi"}], stream=True)
        for _chunk in response:
            pass
    finally:
        litellm.success_callback = []
    assert costs == [pytest.approx(COST, rel=1e-9)]


@pytest.mark.parametrize("how", ["environment", "module attribute"])
def test_litellm_max_streaming_duration_seconds(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """LITELLM_MAX_STREAMING_DURATION_SECONDS, set after import (LiteLLM reads the variable once, at import):
    a stream still sending data past it raises litellm.Timeout, with what had arrived."""
    if how == "environment":
        monkeypatch.setenv("LITELLM_MAX_STREAMING_DURATION_SECONDS", "1.5")
    else:
        monkeypatch.setattr(litellm, "LITELLM_MAX_STREAMING_DURATION_SECONDS", 1.5)
    served = server.reply_file("openai/gpt5-text-after-tools.sse", piece_size=200, delay=0.1)
    response = litellm.completion(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        api_base=server.url + "/v1",
        api_key=API_KEY,
    )
    started = time.monotonic()
    with pytest.raises(litellm.Timeout) as caught:
        for _chunk in response:
            pass
    assert caught.value.status_code == 408 and isinstance(caught.value, litellm.APIConnectionError)
    assert "max streaming duration of 1.5 s" in str(caught.value)
    assert caught.value.partial_response is not None
    assert time.monotonic() - started < 5
    assert server.wait_closed(served)


def test_async_streaming_usage(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/completion/stream (async): `async for` then usage on the last chunk and in the rebuilt response."""
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.url + "/v1")
    server.reply_file("openai/gpt4o-finish-length.sse")

    async def completion_call() -> Any:
        response = await litellm.acompletion(
            model="gpt-4o", messages=[{"content": "Hello, how are you?", "role": "user"}], stream=True
        )
        chunks = []
        async for chunk in response:
            chunks.append(chunk)
        return chunks

    chunks = asyncio.run(completion_call())
    assert chunks[-1].usage.total_tokens == 80
    assert litellm.stream_chunk_builder(chunks).usage.total_tokens == 80
