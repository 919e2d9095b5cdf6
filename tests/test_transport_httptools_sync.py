"""What is particular to the httptools transport's sync side (rillm._http.h1_sync); the shared behaviour is
tested on every transport in test_transport.py, test_faults.py, test_hygiene.py and the end-to-end suites (the
"own" set). Here: connections kept and reused (not one the reply closes, not one the server closed while it
was idle; a request a kept connection's server drops unanswered is sent again on a new one), the pool's turns
(a turn waited for within the pool timeout, a dropped response giving its turn back), header injection
refused, and the proxy's tunnel."""

from __future__ import annotations

import base64
import gc
import socket
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest

import rillm
from rillm._http import HttpRequest, h1_sync, send
from tests.server import ReplayServer, Reply

pytest.importorskip("httptools")

EVENT = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _request(
    url: str,
    headers: dict[str, str] | None = None,
    *,
    provider: str = "openai",
    max_connections: int | None = None,
    pool: float = 5.0,
) -> HttpRequest:
    timeout = httpx.Timeout(20.0, connect=5.0, pool=pool)
    return HttpRequest(
        url, b"{}", headers or {}, timeout, provider, "m", "POST", "httptools", max_connections, ("sk-secret",)
    )


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, int], None]], str]]:
    """A socket server running `handle(connection, its number)` on a thread per connection; gives its URL."""
    listeners: list[socket.socket] = []

    def start(handle: Callable[[socket.socket, int], None]) -> str:
        listener = socket.create_server(("127.0.0.1", 0))
        listeners.append(listener)

        def accept() -> None:
            number = 0
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                number += 1
                threading.Thread(target=handle, args=(conn, number), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return f"http://127.0.0.1:{listener.getsockname()[1]}/v1/x"

    yield start
    for listener in listeners:
        listener.close()


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        more = conn.recv(65536)
        if not more:
            return b""
        data += more
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_a_connection_read_to_its_end_is_reused(server: ReplayServer) -> None:
    server.clear()
    url = server.url + "/v1/x"
    bodies, responses = [], []
    for _ in range(2):
        server.reply(Reply(body=EVENT * 3, piece_size=len(EVENT), delay=0.05))
        response = send(_request(url))
        # The first response's body, read again while its connection carries the second: nothing.
        if responses:
            assert list(responses[0].iter_bytes()) == []
        bodies.append(response.read())
        assert response.is_closed
        responses.append(response)
    assert bodies == [EVENT * 3] * 2
    assert responses[0]._conn is responses[1]._conn and not responses[0]._conn.lost


def test_a_connection_the_reply_closes_is_not_kept(server: ReplayServer) -> None:
    server.clear()
    url = server.url + "/v1/x"
    responses = []
    for headers in ({"Connection": "close"}, {}):
        server.reply(Reply(body=EVENT, headers=headers))
        responses.append(send(_request(url)))
        assert responses[-1].read() == EVENT
    assert len(server.requests) == 2
    assert responses[0]._conn.lost and responses[1]._conn is not responses[0]._conn


def test_a_kept_connection_the_server_closed_while_idle_is_not_used(
    raw_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server answers, keeps nothing and closes: the next request notices before sending (it is sent once)
    and goes out on a new connection."""
    seen: list[int] = []
    sends: list[object] = []
    real = h1_sync._send
    monkeypatch.setattr(h1_sync, "_send", lambda conn, *rest: sends.append(conn) or real(conn, *rest))

    def handle(conn: socket.socket, number: int) -> None:
        with conn:
            if _read_request(conn):
                seen.append(number)
                conn.sendall(OK)

    url = raw_server(handle)
    first = send(_request(url))
    assert first.read() == b"ok"
    conn = first._conn
    for _ in range(100):  # the server's close reaches the client's socket
        if conn.stale():
            break
        threading.Event().wait(0.02)
    sends.clear()
    assert send(_request(url)).read() == b"ok"
    assert seen == [1, 2] and len(sends) == 1 and sends[0] is not conn


def test_a_request_on_a_kept_connection_the_server_dropped_unanswered_is_sent_again_on_a_new_one(
    raw_server: Callable[..., str],
) -> None:
    """The server answers the first request and keeps the connection, then closes it on reading the second
    without a byte of reply: the second request goes out again on a new connection and is answered."""
    requests: list[int] = []

    def handle(conn: socket.socket, number: int) -> None:
        with conn:
            while _read_request(conn):
                requests.append(number)
                if len(requests) == 2:
                    return  # the first connection's second request: dropped unanswered
                conn.sendall(OK)

    url = raw_server(handle)
    assert [send(_request(url)).read() for _ in range(2)] == [b"ok", b"ok"]
    assert requests == [1, 1, 2]


def test_a_turn_is_waited_for_within_the_pool_timeout_and_a_dropped_response_gives_it_back(
    server: ReplayServer,
) -> None:
    server.clear()
    url = server.url + "/v1/x"
    server.reply(Reply(body=EVENT))
    held = send(_request(url, max_connections=1, pool=0.2))
    with pytest.raises(rillm.Timeout, match="PoolTimeout"):
        send(_request(url, max_connections=1, pool=0.2))
    del held
    gc.collect()
    server.reply(Reply(body=EVENT))
    assert send(_request(url, max_connections=1, pool=0.2)).read() == EVENT


def test_a_header_with_a_line_break_is_refused_without_showing_its_value(server: ReplayServer) -> None:
    server.clear()
    request = _request(server.url + "/v1/x", {"X-Note": "sk-secret\r\nX-Injected: 1"})
    with pytest.raises(rillm.APIConnectionError) as caught:
        send(request)
    assert "X-Note" in str(caught.value) and "sk-secret" not in str(caught.value)
    assert not server.requests


def _proxy_env(monkeypatch: pytest.MonkeyPatch, proxy: str) -> None:
    for name in ("https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", proxy)


def test_an_https_request_through_a_proxy_asks_for_a_tunnel_with_the_proxys_credentials(
    raw_server: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A proxy that refuses the tunnel: the CONNECT request it saw names the origin and carries the proxy's
    credentials; the caller gets an APIConnectionError naming the refusal."""
    seen: list[bytes] = []

    def handle(conn: socket.socket, number: int) -> None:
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            seen.append(data)
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    port = raw_server(handle).split(":")[2].split("/")[0]
    _proxy_env(monkeypatch, f"http://user:s%40cret@127.0.0.1:{port}")
    with pytest.raises(rillm.APIConnectionError, match="refused the tunnel: 403"):
        send(_request("https://provider.invalid:8443/v1/x", provider="sync-proxy"))
    head = seen[0].decode("latin-1")
    assert head.startswith("CONNECT provider.invalid:8443 HTTP/1.1\r\n")
    assert "Proxy-Authorization: Basic " + base64.b64encode(b"user:s@cret").decode() in head


def test_an_https_proxy_in_front_of_an_https_origin_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    _proxy_env(monkeypatch, "https://proxy.invalid:3128")
    with pytest.raises(rillm.APIConnectionError, match="TLS inside TLS"):
        send(_request("https://provider.invalid/v1/x", provider="sync-tls-proxy"))
