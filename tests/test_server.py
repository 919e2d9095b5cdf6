"""The replay server itself (tests/server.py), driven by plain httpx, sync and async: bytes, framing, keep-alive,
request recording, and that every fault ends in the httpx exception the end-to-end tests rely on."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .server import FIXTURES, Fault, ReplayServer, Reply

MODES = ("sync", "async")
BODY = b"".join(b'data: {"n": %d}\n\n' % n for n in range(40))  # 670 bytes of SSE
PEER_CLOSED = "peer closed connection without sending complete message body"
# Deadlines for a loaded 2-core machine: a timeout no healthy exchange reaches, a read timeout for a stalled
# reply (long enough for the bytes before the stall to arrive first), and a stall no test waits out (each
# checks it ended when the client left, well before its end).
HEALTHY = 30.0
STALLED = 2.0
STALL = 60.0


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture(autouse=True)
def fresh(server: ReplayServer) -> Iterator[None]:
    server.clear()
    yield
    server.clear()


def stream(
    mode: str, server: ReplayServer, got: bytearray, *, path: str = "/v1/chat", timeout: float = HEALTHY, **kw: Any
) -> httpx.Response:
    """POST to the server and read the streamed body into `got` (so a test sees what arrived before an error)."""
    if mode == "async":
        return asyncio.run(_astream(server.url + path, got, timeout, kw))
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        with client.stream("POST", server.url + path, json=kw.pop("json", {"stream": True}), **kw) as response:
            for piece in response.iter_bytes():
                got += piece
    return response


async def _astream(url: str, got: bytearray, timeout: float, kw: dict[str, Any]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
        async with client.stream("POST", url, json=kw.pop("json", {"stream": True}), **kw) as response:
            async for piece in response.aiter_bytes():
                got += piece
    return response


def raw_exchange(server: ReplayServer, request: bytes) -> bytes:
    """Send raw bytes and read until the server closes: the reply exactly as it went over the wire."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=HEALTHY) as sock:
        sock.sendall(request)
        received = b""
        while data := sock.recv(65536):
            received += data
    return received


# -- bytes and framing -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_fixture_replayed_in_pieces_byte_for_byte(server: ReplayServer, mode: str) -> None:
    served = server.reply_file("anthropic/text-basic.sse", piece_size=64, delay=0.001)
    got = bytearray()
    response = stream(mode, server, got)
    assert bytes(got) == (FIXTURES / "anthropic/text-basic.sse").read_bytes()
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    assert served.bytes_sent == len(got)
    assert server.wait_closed(served) is False


def test_each_piece_is_its_own_chunk_on_the_wire(server: ReplayServer) -> None:
    server.reply(Reply(body=b"abcdefghij", piece_size=3, headers={"content-type": "text/event-stream"}))
    wire = raw_exchange(server, b"GET /s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    head, _, body = wire.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"HTTP/1.1 200 OK"
    assert b"Transfer-Encoding: chunked" in head.split(b"\r\n")
    assert b"Connection: close" in head.split(b"\r\n")
    assert body == b"3\r\nabc\r\n3\r\ndef\r\n3\r\nghi\r\n1\r\nj\r\n0\r\n\r\n"


@pytest.mark.parametrize("mode", MODES)
def test_binary_fixture_comes_back_byte_identical(server: ReplayServer, mode: str) -> None:
    name = "bedrock/converse-tool-use-claude.bin"
    served = server.reply_file(name, piece_size=1000, chunked=False)
    got = bytearray()
    response = stream(mode, server, got)
    expected = (FIXTURES / name).read_bytes()
    assert bytes(got) == expected
    assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
    assert response.headers["content-length"] == str(len(expected))
    assert "transfer-encoding" not in response.headers
    assert served.bytes_sent == len(expected)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("google/json-array-text.json", "application/json"),
        ("cohere/v1-chat-stream-json.ndjson", "application/x-ndjson"),
    ],
)
def test_content_type_follows_the_extension(server: ReplayServer, name: str, content_type: str) -> None:
    server.reply_file(name)
    got = bytearray()
    response = stream("sync", server, got)
    assert response.headers["content-type"] == content_type
    assert bytes(got) == (FIXTURES / name).read_bytes()


def test_error_status_is_sent_with_content_length(server: ReplayServer) -> None:
    error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}
    server.reply(Reply(body=json.dumps(error).encode(), status=429, headers={"content-type": "application/json"}))
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        response = client.post(server.url + "/v1/messages", json={})
    assert response.status_code == 429
    assert response.json() == error
    assert response.headers["content-length"] == str(len(response.content))
    assert "transfer-encoding" not in response.headers


# -- faults ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_stall_before_gives_read_timeout_and_the_server_sees_the_client_leave(server: ReplayServer, mode: str) -> None:
    served = server.reply(Reply(body=BODY, fault=Fault(stall_before=STALL)))
    got = bytearray()
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        stream(mode, server, got, timeout=STALLED)
    assert server.wait_closed(served, timeout=STALL / 2) is True
    assert time.monotonic() - started < STALL / 2  # the stall ended when the client closed, not after STALL
    assert served.bytes_sent == 0 and got == b""


@pytest.mark.parametrize("mode", MODES)
def test_stall_after_delivers_the_first_bytes_then_read_timeout(server: ReplayServer, mode: str) -> None:
    served = server.reply(Reply(body=BODY, fault=Fault(stall_after=100, stall=STALL)))
    got = bytearray()
    with pytest.raises(httpx.ReadTimeout):
        stream(mode, server, got, timeout=STALLED)
    assert bytes(got) == BODY[:100]
    assert server.wait_closed(served, timeout=STALL / 2) is True
    assert served.bytes_sent == 100


def test_short_stall_after_then_the_rest(server: ReplayServer) -> None:
    served = server.reply(Reply(body=BODY, piece_size=50, fault=Fault(stall_after=120, stall=0.05)))
    got = bytearray()
    stream("sync", server, got)
    assert bytes(got) == BODY
    assert server.wait_closed(served) is False


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("mode", MODES)
def test_reset_after_gives_read_error(server: ReplayServer, mode: str, chunked: bool) -> None:
    # httpx raises ReadError (ECONNRESET from recv), not RemoteProtocolError, sync and async alike.
    served = server.reply(Reply(body=BODY, piece_size=50, chunked=chunked, fault=Fault(reset_after=120)))
    got = bytearray()
    with pytest.raises(httpx.ReadError):
        stream(mode, server, got)
    assert bytes(got) == BODY[:120]
    assert served.bytes_sent == 120
    assert server.wait_closed(served) is False  # the server broke the connection, not the client


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize("mode", MODES)
def test_truncate_after_gives_remote_protocol_error(server: ReplayServer, mode: str, chunked: bool) -> None:
    served = server.reply(Reply(body=BODY, piece_size=50, chunked=chunked, fault=Fault(truncate_after=120)))
    got = bytearray()
    with pytest.raises(httpx.RemoteProtocolError, match=PEER_CLOSED):
        stream(mode, server, got)
    assert bytes(got) == BODY[:120]
    assert server.wait_closed(served) is False


def test_fault_offset_past_the_body_fires_at_its_end(server: ReplayServer) -> None:
    server.reply(Reply(body=BODY, fault=Fault(truncate_after=10**6)))  # every byte, but no terminating 0-chunk
    got = bytearray()
    with pytest.raises(httpx.RemoteProtocolError, match=PEER_CLOSED):
        stream("sync", server, got)
    assert bytes(got) == BODY


@pytest.mark.parametrize("mode", MODES)
def test_client_leaving_mid_stream_is_client_closed(server: ReplayServer, mode: str) -> None:
    served = server.reply(Reply(body=BODY, piece_size=50, fault=Fault(stall_after=100, stall=STALL)))

    async def read_one_async() -> None:
        async with httpx.AsyncClient(timeout=HEALTHY, trust_env=False) as client:
            async with client.stream("POST", server.url + "/v1/chat") as response:
                async for _ in response.aiter_bytes():
                    break

    if mode == "async":
        asyncio.run(read_one_async())
    else:
        with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
            with client.stream("POST", server.url + "/v1/chat") as response:
                for _ in response.iter_bytes():
                    break
    assert server.wait_closed(served, timeout=STALL / 2) is True  # the stall ended as the client left
    assert 50 <= served.bytes_sent <= 100  # the second piece may or may not go out before the client has left


def test_stop_interrupts_a_stall() -> None:
    replay = ReplayServer().start()
    served = replay.reply(Reply(body=BODY, fault=Fault(stall_before=STALL)))
    port = int(replay.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=HEALTHY) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert served.received.wait(HEALTHY)
        started = time.monotonic()
        replay.stop()
        assert time.monotonic() - started < STALL / 2
        assert served.finished.is_set() and served.client_closed is False
        assert sock.recv(100) == b""  # the server closed the connection without a reply


# -- connections and requests ------------------------------------------------------------------------------------------


def test_keep_alive_reuses_one_connection(server: ReplayServer) -> None:
    first = server.reply(Reply(body=b"one"))
    second = server.reply(Reply(body=b"two", chunked=False))
    before = server.connections
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        assert client.post(server.url + "/a").content == b"one"
        assert client.post(server.url + "/b").content == b"two"
    assert server.connections - before == 1
    # The client closed its idle connection after complete replies: not client_closed.
    assert server.wait_closed(first) is False and server.wait_closed(second) is False


def test_connection_is_closed_after_a_fault(server: ReplayServer) -> None:
    server.reply(Reply(body=BODY, fault=Fault(truncate_after=10)))
    server.reply(Reply(body=b"fine"))
    before = server.connections
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(server.url + "/a")
        assert client.post(server.url + "/a").content == b"fine"
    assert server.connections - before == 2


def test_request_without_a_queued_reply_gets_500(server: ReplayServer) -> None:
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        response = client.post(server.url + "/v1/chat/completions", json={})
    assert response.status_code == 500
    assert response.json() == {"error": {"message": "no reply queued for POST /v1/chat/completions"}}
    assert "content-length" in response.headers


def test_path_specific_replies(server: ReplayServer) -> None:
    only_b = server.reply(Reply(body=b"for b"), path="/b")
    anything = server.reply(Reply(body=b"for any"))
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        assert client.get(server.url + "/a").content == b"for any"
        assert client.get(server.url + "/b?alt=sse").content == b"for b"
    assert only_b.request.path == "/b" and only_b.request.query == {"alt": ["sse"]}
    assert anything.request.path == "/a"
    assert server.pending == 0


def test_requests_are_recorded_with_lower_cased_headers_and_body(server: ReplayServer) -> None:
    served = server.reply(Reply(body=b"ok"))
    payload = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True}
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        client.post(server.url + "/v1/messages?beta=true&beta=x", json=payload, headers={"X-Api-Key": "sk-test"})
    request = served.request
    assert server.requests == [request]
    assert request.method == "POST" and request.path == "/v1/messages"
    assert request.query == {"beta": ["true", "x"]}
    assert request.headers["x-api-key"] == "sk-test"
    assert request.headers["content-type"] == "application/json"
    assert all(name == name.lower() for name in request.headers)
    assert request.json() == payload
    assert request.body == json.dumps(payload, separators=(",", ":")).encode()


def test_chunked_request_body_is_read_whole(server: ReplayServer) -> None:
    served = server.reply(Reply(body=b"ok"))
    with httpx.Client(timeout=HEALTHY, trust_env=False) as client:
        response = client.post(server.url + "/up", content=iter([b'{"a":', b" 1", b"}"]))
    assert response.content == b"ok"
    assert served.request.headers["transfer-encoding"] == "chunked"
    assert served.request.json() == {"a": 1}


def test_served_request_is_loud_before_a_request_arrives(server: ReplayServer) -> None:
    served = server.reply(Reply())
    with pytest.raises(AssertionError, match="no request"):
        served.request  # noqa: B018
