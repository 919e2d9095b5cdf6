"""What is particular to the httptools transport (rillm._http.httptools_transport, rillm._http.h1): the shared
behaviour (pieces as they arrive, deadlines, faults, every ending of a stream) is tested on every transport in
test_transport.py, test_faults.py and test_hygiene.py. Here: a read's many HTTP chunks handed over in steps of
at most `TAKE` bytes, flow control, connections kept and reused (not one the reply closes; a request that a
kept connection's server drops unanswered is sent again on a new one), header injection refused, and an https
request through a proxy asking for a tunnel with the proxy's credentials."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

import rillm
from rillm._http import HttpRequest, asend, h1
from tests.server import ReplayServer, Reply

pytest.importorskip("httptools")

EVENT = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'


def _request(url: str, headers: dict[str, str] | None = None) -> HttpRequest:
    timeout = httpx.Timeout(20.0, connect=5.0)
    return HttpRequest(url, b"{}", headers or {}, timeout, "openai", "m", "POST", "httptools", secrets=("sk-secret",))


class _Transport:
    """What the protocol calls on its transport, recorded."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self.calls.append("resume")

    def abort(self) -> None:
        self.calls.append("abort")


def _chunked(pieces: list[bytes]) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    return head + b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces)


def test_a_reads_many_chunks_are_handed_over_in_steps_of_at_most_take_bytes() -> None:
    loop = asyncio.new_event_loop()
    try:
        conn = h1.Connection(loop)
        conn.connection_made(_Transport())  # type: ignore[arg-type]
        events = [EVENT] * 1000
        conn.data_received(_chunked(events) + b"0\r\n\r\n")
        assert conn.head_done and conn.status == 200 and conn.complete
        steps = []
        while conn.pieces:
            steps.append(conn.take())
        assert b"".join(steps) == b"".join(events)
        assert len(steps) > 1
        assert all(len(step) < h1.TAKE + len(EVENT) for step in steps)
    finally:
        loop.close()


@pytest.mark.parametrize("sizes", [[1, 70_000, 1] + [90] * 300, [5000] * 40, [90] * 200 + [20_000] + [3] * 50])
def test_a_read_of_chunks_of_mixed_sizes_is_handed_over_whole_and_in_order(sizes: list[int]) -> None:
    loop = asyncio.new_event_loop()
    try:
        conn = h1.Connection(loop)
        conn.connection_made(_Transport())  # type: ignore[arg-type]
        events = [bytes([65 + i % 26]) * size for i, size in enumerate(sizes)]
        wire = _chunked(events) + b"0\r\n\r\n"
        steps = []
        for at in range(0, len(wire), 30_000):  # a few reads, the reader taking all between them
            conn.data_received(wire[at : at + 30_000])
            while conn.pieces:
                steps.append(conn.take())
            assert conn.buffered == 0  # all taken: nothing counted as waiting
        assert conn.complete and b"".join(steps) == b"".join(events)
        assert all(len(step) <= h1.TAKE + max(sizes) for step in steps)
        assert len(steps) > 3
        conn.start()
        assert conn.buffered == 0 and conn.pieces == []
    finally:
        loop.close()


def test_4_kib_chunks_are_handed_over_two_at_a_time() -> None:
    # the framing's bytes, counted with the body's, must not shrink a step to one 4 KiB chunk
    loop = asyncio.new_event_loop()
    try:
        conn = h1.Connection(loop)
        conn.connection_made(_Transport())  # type: ignore[arg-type]
        events = [bytes([65 + i]) * 4096 for i in range(16)]
        conn.data_received(_chunked(events) + b"0\r\n\r\n")
        steps = []
        while conn.pieces:
            steps.append(conn.take())
        assert [len(step) for step in steps] == [8192] * 8
        assert b"".join(steps) == b"".join(events)
    finally:
        loop.close()


def test_a_reader_that_falls_behind_pauses_the_socket_until_it_catches_up() -> None:
    loop = asyncio.new_event_loop()
    try:
        conn = h1.Connection(loop)
        transport = _Transport()
        conn.connection_made(transport)  # type: ignore[arg-type]
        big = b"x" * 65536
        conn.data_received(_chunked([big]))
        reads = 1
        while "pause" not in transport.calls:
            conn.data_received(f"{len(big):x}\r\n".encode() + big + b"\r\n")
            reads += 1
        # Paused once the bytes held (the framing's included) pass the mark, not before.
        assert h1.HIGH_WATER - len(big) < reads * len(big) <= h1.HIGH_WATER + len(big)
        while conn.pieces:
            conn.take()
        assert transport.calls == ["pause", "resume"]
    finally:
        loop.close()


def test_a_connection_read_to_its_end_is_reused(server: ReplayServer) -> None:
    server.clear()
    url = server.url + "/v1/x"

    async def two() -> list[bytes]:
        bodies, responses = [], []
        for _ in range(2):
            server.reply(Reply(body=EVENT * 3, piece_size=len(EVENT), delay=0.05))
            response = await asend(_request(url))
            # The first response's body, read again while its connection carries the second: nothing.
            if responses:
                assert [piece async for piece in responses[0].aiter_bytes()] == []
            bodies.append(await response.aread())
            await response.aclose()
            assert response.is_closed
            responses.append(response)
        assert responses[0]._conn is responses[1]._conn and not responses[0]._conn.lost
        return bodies

    assert asyncio.run(two()) == [EVENT * 3] * 2


def test_a_connection_the_reply_closes_is_not_kept(server: ReplayServer) -> None:
    """The first reply closes its connection (Connection: close); the second request goes out on a new one and
    is answered."""
    server.clear()
    url = server.url + "/v1/x"

    async def two() -> list[bytes]:
        bodies = []
        for headers in ({"Connection": "close"}, {}):
            server.reply(Reply(body=EVENT, headers=headers))
            response = await asend(_request(url))
            bodies.append(await response.aread())
            await response.aclose()
        return bodies

    assert asyncio.run(two()) == [EVENT, EVENT]
    assert len(server.requests) == 2


def test_a_header_with_a_line_break_is_refused_without_showing_its_value(server: ReplayServer) -> None:
    server.clear()
    request = _request(server.url + "/v1/x", {"X-Note": "sk-secret\r\nX-Injected: 1"})
    with pytest.raises(rillm.APIConnectionError) as caught:
        asyncio.run(asend(request))
    assert "X-Note" in str(caught.value) and "sk-secret" not in str(caught.value)
    assert not server.requests


def test_an_https_request_through_a_proxy_asks_for_a_tunnel_with_the_proxys_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A proxy that refuses the tunnel: the CONNECT request it saw names the origin and carries the proxy's
    credentials; the caller gets an APIConnectionError naming the refusal (no TLS is needed to see this)."""
    seen: list[bytes] = []

    async def run() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            seen.append(await reader.readuntil(b"\r\n\r\n"))
            writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()

        proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = proxy.sockets[0].getsockname()[1]
        for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("HTTPS_PROXY", f"http://user:s%40cret@127.0.0.1:{port}")
        try:
            with pytest.raises(rillm.APIConnectionError, match="refused the tunnel: 403"):
                await asend(_request("https://provider.invalid:8443/v1/x"))
        finally:
            proxy.close()
            await proxy.wait_closed()

    asyncio.run(run())
    head = seen[0].decode("latin-1")
    assert head.startswith("CONNECT provider.invalid:8443 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic " + base64.b64encode(b"user:s@cret").decode() in head


def test_the_transport_is_chosen_per_call(server: ReplayServer) -> None:
    server.clear()
    server.reply(Reply(body=EVENT + b"data: [DONE]\n\n"))

    async def run() -> Any:
        stream = await rillm.acompletion(
            "openai/gpt-4o",
            [{"role": "user", "content": "hi"}],
            stream=True,
            api_key="k",
            api_base=server.url + "/v1",
            transport="httptools",
        )
        assert type(stream.response).__module__ == "rillm._http.httptools_transport"
        return "".join([c.choices[0].delta.content or "" async for c in stream])

    assert asyncio.run(run()) == "hi"


def test_a_request_on_a_kept_connection_the_server_dropped_unanswered_is_sent_again_on_a_new_one() -> None:
    """The server answers the first request and keeps the connection, then closes it on reading the second
    without a byte of reply (as a server whose keep-alive ran out does): the second request goes out again on
    a new connection and is answered."""
    requests: list[int] = []  # the connection each request arrived on
    reply = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

    async def run() -> list[bytes]:
        connections = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            number = connections
            try:
                while True:
                    head = await reader.readuntil(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    await reader.readexactly(length)
                    requests.append(number)
                    if len(requests) == 2:
                        break  # the first connection's second request: dropped unanswered
                    writer.write(reply)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:  # (also when the loop's end cancels a handler waiting for a next request)
                writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1/x"
        try:
            bodies = []
            for _ in range(2):
                response = await asend(_request(url))
                bodies.append(await response.aread())
                await response.aclose()
            return bodies
        finally:
            server.close()
            await server.wait_closed()

    assert asyncio.run(run()) == [b"ok", b"ok"]
    assert requests == [1, 1, 2]
