"""The repetition guard (REPEATED_STREAMING_CHUNK_LIMIT) against the local server: off by default; when set, a
model sending the same content (longer than two characters) that many chunks in a row fails the stream with
LiteLLM's InternalServerError, the partial response attached, the connection closed (the server sees it) and
one failure callback; other content, short content and a delta without content start the count again. The
chunks counted are the ones the stream shows."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import rillm
from tests.e2e import API_KEY
from tests.server import ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


@pytest.fixture(autouse=True)
def _unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", None)
    monkeypatch.delenv("REPEATED_STREAMING_CHUNK_LIMIT", raising=False)


def _event(choices: list[Any]) -> bytes:
    return b"data: " + json.dumps({**HEAD, "choices": choices}).encode() + b"\n\n"


def _body(contents: list[str | None], *, done: bool = True, tail: int = 0) -> bytes:
    """One chunk per content (None: a delta without content), then `tail` more of "more"."""
    deltas = [{} if c is None else {"content": c} for c in contents]
    events = [_event([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    events += [_event([{"index": 0, "delta": {"content": "more"}}])] * tail
    if done:
        events += [_event([{"index": 0, "delta": {}, "finish_reason": "stop"}]), b"data: [DONE]\n\n"]
    return b"".join(events)


def _sse(body: bytes, delay: float = 0.0) -> Reply:
    """Written in pieces of half an event or less (`delay` seconds apart: a server still sending when the guard
    fires sees the client close)."""
    return Reply(body=body, headers={"content-type": "text/event-stream"}, piece_size=len(_event([])) // 2, delay=delay)


def _stream(server: ReplayServer) -> Any:
    return rillm.completion("openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True)


def _text(stream: Any) -> str:
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def test_off_by_default(server: ReplayServer) -> None:
    server.reply(_sse(_body(["Loop"] * 120)))
    assert _text(_stream(server)) == "Loop" * 120


@pytest.mark.parametrize("where", ["attribute", "environment"])
def test_the_limit_fails_the_stream_with_the_partial_response(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    if where == "attribute":
        monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", 5)
    else:
        monkeypatch.setenv("REPEATED_STREAMING_CHUNK_LIMIT", "5")
    failures: list[Any] = []
    monkeypatch.setattr(rillm, "failure_callback", [lambda kwargs, *rest: failures.append(kwargs["exception"])])
    served = server.reply(_sse(_body(["A story", " goes"] + [" on and"] * 40, done=False, tail=200), delay=0.01))
    seen: list[str] = []
    with pytest.raises(rillm.InternalServerError) as caught:
        for chunk in _stream(server):
            seen.append(chunk.choices[0].delta.content)
    error = caught.value
    assert "The model is repeating the same chunk = ' on and'" in str(error) and "5 times" in str(error)
    assert error.status_code == 500
    # At most the four repeats before the fifth were shown (fewer when a read carried several events: the error
    # takes the place of a read's chunks); never the fifth.
    assert seen == (["A story", " goes"] + [" on and"] * 4)[: len(seen)] and len(seen) <= 6
    partial = error.partial_response
    assert partial is not None and partial.choices[0].message.content.startswith("A story goes on and on and")
    assert server.wait_closed(served)  # the server would otherwise go on sending
    assert failures == [error]


def test_other_content_short_content_and_no_content_start_the_count_again(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", 3)
    contents: list[str | None] = ["same", "same", "other", "same", "same", None, "same", "same", ""]
    contents += ["ab"] * 10 + [None] * 5 + ["same", "same"]  # two characters never count; None: no content
    server.reply(_sse(_body(contents)))
    assert _text(_stream(server)) == "".join(c or "" for c in contents)


@pytest.mark.parametrize("value", [0, -1, "many", True, 2.5])
def test_a_bad_limit_is_refused_before_sending(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, value: object
) -> None:
    monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", value)
    before = len(server.requests)
    with pytest.raises(rillm.BadRequestError, match="REPEATED_STREAMING_CHUNK_LIMIT must be a whole number"):
        _stream(server)
    assert len(server.requests) == before


def test_async(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", 4)
    served = server.reply(_sse(_body(["go"] + [" again"] * 30, done=False, tail=200), delay=0.01))

    async def main() -> rillm.InternalServerError:
        stream = await rillm.acompletion(
            "openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True
        )
        with pytest.raises(rillm.InternalServerError) as caught:
            async for _chunk in stream:
                pass
        return caught.value

    error = asyncio.run(main())
    assert "repeating the same chunk" in str(error)
    assert error.partial_response is not None
    assert server.wait_closed(served)


# -- a mock stream (`mock_response`, in LiteLLM's 3-character pieces) is counted the same way -------------------


def _mock(text: str, *, is_async: bool = False) -> Any:
    call = rillm.acompletion if is_async else rillm.completion
    return call("openai/gpt-4o", MESSAGES, mock_response=text, stream=True)


def test_a_mock_stream_is_not_counted_by_default() -> None:
    assert _text(_mock("abc" * 200)) == "abc" * 200


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_mock_stream_fails_at_the_limit(monkeypatch: pytest.MonkeyPatch, is_async: bool) -> None:
    monkeypatch.setattr(rillm, "REPEATED_STREAMING_CHUNK_LIMIT", 5)
    failures: list[Any] = []
    monkeypatch.setattr(rillm, "failure_callback", [lambda kwargs, *rest: failures.append(kwargs["exception"])])
    seen: list[str] = []

    async def read_async() -> None:
        async for chunk in await _mock("Hi! " + "abc" * 20, is_async=True):
            seen.append(chunk.choices[0].delta.content)

    with pytest.raises(rillm.InternalServerError, match="repeating the same chunk = 'cab' \\(5 times") as caught:
        if is_async:
            asyncio.run(read_async())
        else:
            seen.extend(chunk.choices[0].delta.content for chunk in _mock("Hi! " + "abc" * 20))
    assert seen == ["Hi!", " ab"] + ["cab"] * 4  # the fifth "cab" is not shown
    partial = caught.value.partial_response
    assert partial is not None and partial.choices[0].message.content.startswith("Hi! abcab")
    assert failures == [caught.value]
