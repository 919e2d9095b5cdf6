"""completion(stream=True) against a real HTTP server on 127.0.0.1 replaying every recorded stream.

For each recording: the request goes to the provider's real path with its credentials the provider's way,
and what the stream yields builds the same final response as feeding the recording's bytes straight to a
StreamDecoder (an error recording raises the same error, with the same partial response).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm.exceptions import StreamError
from tests.e2e import API_KEY, Target, assert_same, check_auth, expected_body, recordings, target
from tests.server import ReplayServer, Reply

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]


pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


def _decode(recording: Path, spec: Target) -> tuple[list[Any], StreamError | None]:
    """The chunks a StreamDecoder makes of the recording's bytes, and the error it raises, if any."""
    decoder = rillm.StreamDecoder(spec.dialect, model=spec.provider_model)
    chunks: list[Any] = []
    try:
        chunks += decoder.feed(recording.read_bytes())
        chunks += decoder.finish()
    except StreamError as exc:
        return chunks + exc.chunks, exc
    return chunks, None


def _call(server: ReplayServer, spec: Target, **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"api_base": server.url + spec.base, "stream": True, **kwargs}
    if spec.auth not in ("sigv4", "none"):
        arguments["api_key"] = API_KEY
    if spec.model.startswith("azure/"):
        arguments["api_version"] = "2024-10-21"
    return arguments


def _built(chunks: list[Any]) -> dict[str, Any] | None:
    built = rillm.stream_chunk_builder(chunks, MESSAGES)
    if built is None:
        return None
    dumped: dict[str, Any] = built.model_dump()
    dumped.pop("created")
    return dumped


def _check(recording: Path, spec: Target, chunks: list[Any], error: BaseException | None) -> None:
    """The stream's chunks and error match what the decoder makes of the same bytes (twice, to tell the
    values a decoder makes up per run)."""
    first, first_error = _decode(recording, spec)
    second, _ = _decode(recording, spec)
    assert type(error) is type(first_error), error
    assert_same(_built(chunks), _built(first), _built(second))
    if error is not None:
        assert first_error is not None
        assert error.partial_response is not None if first else error.partial_response is None  # type: ignore[attr-defined]
        partial = error.partial_response  # type: ignore[attr-defined]
        if partial is not None:
            dumped = partial.model_dump()
            dumped.pop("created")
            assert_same(dumped, _built(first), _built(second))


@pytest.mark.parametrize("recording", recordings(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_recording_through_completion(server: ReplayServer, recording: Path) -> None:
    spec = target(recording)
    served = server.reply_file(f"{recording.parent.name}/{recording.name}", piece_size=997)
    stream = rillm.completion(spec.model, MESSAGES, **_call(server, spec))
    assert isinstance(stream, rillm.CustomStreamWrapper)
    seen: list[Any] = []
    error: BaseException | None = None
    try:
        for chunk in stream:
            seen.append(chunk)
    except StreamError as exc:
        error = exc
    _check(recording, spec, stream.chunks, error)
    assert stream.response is not None and stream.response.is_closed
    assert all(chunk.choices for chunk in seen), "chunks without choices are shown only with include_usage"
    visible = [c for c in stream.chunks if c.choices]
    assert visible == seen if error is None else visible[: len(seen)] == seen
    request = served.request
    assert request.method == "POST"
    assert request.path == spec.path
    for key, value in spec.query.items():
        assert request.query[key] == value
    check_auth(spec, request.headers)
    assert request.headers["content-type"] == "application/json"
    assert request.json() == expected_body(spec)
    # A stream that ended normally read its reply to the end; one that failed may have left bytes unread.
    assert server.wait_closed(served) is False or error is not None


@pytest.mark.parametrize("recording", recordings(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_recording_through_acompletion(server: ReplayServer, recording: Path) -> None:
    spec = target(recording)
    served = server.reply_file(f"{recording.parent.name}/{recording.name}", piece_size=61)

    async def run() -> tuple[rillm.CustomStreamWrapper, StreamError | None]:
        stream = await rillm.acompletion(spec.model, MESSAGES, **_call(server, spec))
        try:
            async for _ in stream:
                pass
        except StreamError as exc:
            return stream, exc
        return stream, None

    stream, error = asyncio.run(run())
    _check(recording, spec, stream.chunks, error)
    assert stream.response is not None and stream.response.is_closed
    assert served.request.json() == expected_body(spec)


def test_not_streamed_with_acompletion(server: ReplayServer) -> None:
    whole = {
        "model": "llama3.2",
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": "Hi"},
        "done": True,
        "done_reason": "stop",
        "prompt_eval_count": 3,
        "eval_count": 2,
    }
    body = json.dumps(whole).encode()
    served = server.reply(Reply(body=body, headers={"content-type": "application/json"}))
    response = asyncio.run(rillm.acompletion("ollama_chat/llama3.2", MESSAGES, api_base=server.url))
    assert isinstance(response, rillm.ModelResponse)
    assert response.choices[0].message.content == "Hi"
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (3, 2)
    assert served.request.json()["stream"] is False


def test_include_usage_shows_the_usage_chunk_and_is_forwarded(server: ReplayServer) -> None:
    served = server.reply_file("openai/gpt4o-finish-length.sse")
    stream = rillm.completion(
        "openai/gpt-4o",
        MESSAGES,
        api_base=server.url + "/v1",
        api_key=API_KEY,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[-1].choices == [] and chunks[-1].usage.total_tokens == 80
    body = served.request.json()
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-4o" and body["messages"] == MESSAGES


def test_stream_options_is_left_out_where_the_provider_does_not_take_it(server: ReplayServer) -> None:
    served = server.reply_file("mistral/text.sse")
    rillm.completion(
        "mistral/mistral-small-latest",
        MESSAGES,
        api_base=server.url + "/v1",
        api_key=API_KEY,
        stream=True,
        stream_options={"include_usage": True},
    ).close()
    assert "stream_options" not in served.request.json()
