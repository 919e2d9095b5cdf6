"""Stream deadlines against the local server: a total budget (max_streaming_duration, the module attributes,
LITELLM_MAX_STREAMING_DURATION_SECONDS) and an idle limit between content events (stream_idle_timeout). Each
fires while data or keepalives keep flowing (SSE comments, Anthropic pings: no chunk, so no content) and while
a read is blocked on a silent server, sync and async; each raises rillm's Timeout (a 408 that is also an
APIConnectionError) with the partial response, and the server sees the connection closed."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

import rillm
from tests.e2e import API_KEY
from tests.server import Fault, ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
SIZE = 200  # every event and keepalive is padded to this many bytes, and sent as one piece
PACE = 0.05  # seconds between pieces
# Each deadline is 1.5 s, long enough on a loaded machine for the content before it to arrive; it must fire well
# within WITHIN seconds, and every stream it cuts would go on longer than that (10 s of keepalives, a 30 s stall).
WITHIN = 8.0

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


def _padded(text: str) -> bytes:
    data = text.encode()
    assert len(data) <= SIZE - 2, text
    return data + b" " * (SIZE - 2 - len(data)) + b"\n\n"  # JSON and SSE comments both allow trailing spaces


def _openai(contents: int, keepalives: int, *, done: bool = False) -> bytes:
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    events = [
        "data: " + json.dumps({**head, "choices": [{"index": 0, "delta": {"content": f"part {i} "}}]})
        for i in range(contents)
    ]
    end = _padded("data: [DONE]") if done else b""
    return b"".join(_padded(e) for e in events) + _padded(": keepalive") * keepalives + end


def _anthropic(keepalives: int) -> bytes:
    message = {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5", "content": []}
    events = [
        ("message_start", {"type": "message_start", "message": message}),
        (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        ),
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        ),
    ]
    body = b"".join(_padded(f"event: {name}\ndata: {json.dumps(data)}") for name, data in events)
    return body + _padded('event: ping\ndata: {"type": "ping"}') * keepalives


def _sse(body: bytes, **kwargs: Any) -> Reply:
    return Reply(body=body, headers={"content-type": "text/event-stream"}, piece_size=SIZE, delay=PACE, **kwargs)


def _stream(server: ReplayServer, provider: str = "openai", **kwargs: Any) -> Any:
    if provider == "anthropic":
        return rillm.completion(
            "anthropic/claude-sonnet-4-5", MESSAGES, api_base=server.url, api_key=API_KEY, stream=True, **kwargs
        )
    return rillm.completion(
        "openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True, **kwargs
    )


def _fails_in_time(stream: Any, within: float) -> rillm.Timeout:
    started = time.monotonic()
    chunks = []
    with pytest.raises(rillm.Timeout) as caught:
        for chunk in stream:
            chunks.append(chunk)
    assert time.monotonic() - started < within
    error = caught.value
    assert error.status_code == 408 and isinstance(error, rillm.APIConnectionError)
    assert error.partial_response is not None and error.partial_response.choices[0].message.content
    return error


# -- the total budget ------------------------------------------------------------------------------------------


def test_the_budget_fires_while_keepalives_flow(server: ReplayServer) -> None:
    served = server.reply(_sse(_openai(3, 200)))
    error = _fails_in_time(_stream(server, max_streaming_duration=1.5), within=WITHIN)
    assert "max streaming duration of 1.5 s" in str(error)
    assert server.wait_closed(served)


def test_the_budget_fires_while_a_read_is_blocked(server: ReplayServer) -> None:
    served = server.reply(_sse(_openai(3, 0), fault=Fault(stall_after=3 * SIZE, stall=30)))
    error = _fails_in_time(_stream(server, max_streaming_duration=1.5), within=WITHIN)
    assert "max streaming duration" in str(error)
    assert server.wait_closed(served)


@pytest.mark.parametrize(
    "setting",
    [
        ("attribute", "max_streaming_duration"),
        ("attribute", "LITELLM_MAX_STREAMING_DURATION_SECONDS"),
        ("env", "RILLM_MAX_STREAMING_DURATION_SECONDS"),
        ("env", "LITELLM_MAX_STREAMING_DURATION_SECONDS"),
    ],
)
def test_the_budget_from_a_setting_read_at_call_time(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, setting: tuple[str, str]
) -> None:
    kind, name = setting
    if kind == "env":
        monkeypatch.setenv(name, "1.5")
    else:
        monkeypatch.setattr(rillm, name, 1.5)
    served = server.reply(_sse(_openai(3, 200)))
    _fails_in_time(_stream(server), within=WITHIN)
    assert server.wait_closed(served)


def test_the_argument_wins_over_the_settings(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "max_streaming_duration", 0.2)
    server.reply(_sse(_openai(8, 0, done=True)))  # 9 pieces, 0.45 s
    chunks = list(_stream(server, max_streaming_duration=30))
    assert len(chunks) == 8


# -- the idle limit --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["openai", "anthropic"], ids=["sse-comments", "anthropic-pings"])
def test_keepalives_do_not_reset_the_idle_limit(server: ReplayServer, provider: str) -> None:
    body = _anthropic(200) if provider == "anthropic" else _openai(3, 200)
    served = server.reply(_sse(body))
    error = _fails_in_time(_stream(server, provider, stream_idle_timeout=1.5), within=WITHIN)
    assert "stream idle timeout of 1.5 s" in str(error)
    assert server.wait_closed(served)


def test_content_resets_the_idle_limit(server: ReplayServer) -> None:
    # A content event every 0.05 s for 3 s: never idle for 1.5 s, though the stream lasts longer than that.
    server.reply(_sse(_openai(60, 0)))
    with pytest.raises(rillm.IncompleteStreamError):  # the body has no [DONE]: it ends, no deadline fired
        list(_stream(server, stream_idle_timeout=1.5))


def test_the_idle_limit_fires_while_a_read_is_blocked(server: ReplayServer) -> None:
    served = server.reply(_sse(_openai(3, 0), fault=Fault(stall_after=3 * SIZE, stall=30)))
    error = _fails_in_time(_stream(server, stream_idle_timeout=1.5), within=WITHIN)
    assert "stream idle timeout" in str(error)
    assert server.wait_closed(served)


def test_the_idle_limit_from_litellms_variable(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_STREAM_INACTIVITY_TIMEOUT_SECONDS", "1.5")
    served = server.reply(_sse(_openai(3, 200)))
    _fails_in_time(_stream(server), within=WITHIN)
    assert server.wait_closed(served)


# -- async -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("blocked", [False, True], ids=["keepalives", "blocked"])
@pytest.mark.parametrize("deadline", ["max_streaming_duration", "stream_idle_timeout"])
def test_async_deadlines(server: ReplayServer, deadline: str, blocked: bool) -> None:
    fault = Fault(stall_after=3 * SIZE, stall=30) if blocked else Fault()
    served = server.reply(_sse(_openai(3, 0 if blocked else 200), fault=fault))

    async def main() -> rillm.Timeout:
        stream = await rillm.acompletion(
            "openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True, **{deadline: 1.5}
        )
        started = time.monotonic()
        with pytest.raises(rillm.Timeout) as caught:
            async for _chunk in stream:
                pass
        assert time.monotonic() - started < WITHIN
        return caught.value

    error = asyncio.run(main())
    assert error.partial_response is not None
    assert server.wait_closed(served)
