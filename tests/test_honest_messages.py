"""Messages that say what went wrong and what to do: an unknown provider prefix gets a "did you mean" and the
command that lists the providers; a second loop over a stream that has ended raises instead of yielding
nothing; a sync `for` over a stream from acompletion() fails the same way whether the stream is a mock or
comes from a server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

import rillm
from rillm.providers import get_provider, resolve
from tests.conftest import FIXTURES
from tests.e2e import API_KEY, target
from tests.server import ReplayServer

MESSAGES = [{"role": "user", "content": "Hello"}]
RECORDING = "openai/gpt5-text-after-tools.sse"


@pytest.mark.parametrize(
    ("model", "suggestion"),
    [
        ("opneai/gpt-4o", "'openai/gpt-4o'"),
        ("antropic/claude-x", "'anthropic/claude-x'"),
        ("gorq/llama", "'groq/llama'"),
    ],
)
def test_a_typo_in_the_prefix_gets_a_did_you_mean(model: str, suggestion: str) -> None:
    with pytest.raises(rillm.BadRequestError) as info:
        resolve(model)
    message = str(info.value)
    assert message.startswith("rillm.BadRequestError: LLM Provider NOT provided.")  # LiteLLM's words first
    assert f"did you mean {suggestion}?" in message
    assert "`rillm providers`" in message


def test_an_unknown_provider_names_the_list_command_and_suggests_nothing_far_off() -> None:
    with pytest.raises(rillm.BadRequestError) as info:
        rillm.completion("vertex_ai/gemini-2.5-pro", MESSAGES, api_key="k")
    message = str(info.value)
    assert "rillm has no provider 'vertex_ai'" in message and "`rillm providers`" in message
    assert "did you mean" not in message


def test_custom_llm_provider_typo() -> None:
    with pytest.raises(rillm.BadRequestError, match=r"did you mean 'openai'\?.*`rillm providers`"):
        get_provider("opnai")


def _server_stream(server: ReplayServer) -> Any:
    spec = target(FIXTURES / RECORDING)
    server.reply_file(RECORDING)
    return rillm.completion(spec.model, MESSAGES, stream=True, api_base=server.url + spec.base, api_key=API_KEY)


def _mock_stream() -> Any:
    return rillm.completion("gpt-4o", MESSAGES, stream=True, mock_response="Hello there")


@pytest.mark.usefixtures("e2e_env")
@pytest.mark.parametrize("source", ["mock", "server"])
def test_a_second_loop_over_an_ended_stream_raises(server: ReplayServer, source: str) -> None:
    stream = _mock_stream() if source == "mock" else _server_stream(server)
    chunks = list(stream)
    assert chunks
    with pytest.raises(rillm.OpenAIError, match="has already ended") as info:
        list(stream)
    assert not isinstance(info.value, rillm.APIError)  # not the provider's error: nothing to retry
    with stream:  # a `with` block around a finished stream does not make a later loop silent
        pass
    with pytest.raises(rillm.OpenAIError, match="iterated once"):
        list(stream)
    assert rillm.stream_chunk_builder(stream.chunks, MESSAGES) is not None  # what the message advises works


@pytest.mark.usefixtures("e2e_env")
def test_a_second_async_loop_over_an_ended_stream_raises(server: ReplayServer) -> None:
    async def run() -> None:
        stream = await rillm.acompletion("gpt-4o", MESSAGES, stream=True, mock_response="Hello there")
        assert [c async for c in stream]
        with pytest.raises(rillm.OpenAIError, match="has already ended"):
            [c async for c in stream]

    asyncio.run(run())


def test_a_stream_closed_before_its_end_still_ends_quietly() -> None:
    stream = _mock_stream()
    next(stream)
    stream.close()
    assert list(stream) == []  # close() stops a stream; only a stream that had ended raises


def test_a_stream_resumed_after_break_goes_on() -> None:
    stream = _mock_stream()
    for _chunk in stream:
        break
    assert [c.choices[0].delta.content for c in stream] == ["lo ", "the", "re", None]


@pytest.mark.usefixtures("e2e_env")
@pytest.mark.parametrize("source", ["mock", "server"])
def test_a_sync_loop_over_an_acompletion_stream_fails_the_same_way(server: ReplayServer, source: str) -> None:
    async def run() -> None:
        if source == "mock":
            stream = await rillm.acompletion("gpt-4o", MESSAGES, stream=True, mock_response="Hello there")
        else:
            spec = target(FIXTURES / RECORDING)
            server.reply_file(RECORDING)
            kwargs = {"api_base": server.url + spec.base, "api_key": API_KEY}
            stream = await rillm.acompletion(spec.model, MESSAGES, stream=True, **kwargs)
        with pytest.raises(TypeError, match=r"came from acompletion\(\): iterate it with `async for`"):
            for _chunk in stream:
                pass
        with pytest.raises(TypeError, match="async for"):
            next(stream)
        assert [c async for c in stream]  # the way it is meant to be read still works

    asyncio.run(run())
