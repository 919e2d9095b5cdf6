"""TLS on every transport, against a local HTTPS server whose certificate a test authority signs (trustme):
a certificate the client does not trust is refused with a typed error before any request is sent, and one
it trusts (the authority given by SSL_CERT_FILE, which every client but libcurl reads when it makes its TLS
context) carries a whole stream. The trusted case runs in a child process: the clients make their TLS
contexts once per process, and the child's environment is the only way in that touches none of them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from rillm import _http
from rillm._http import HttpRequest
from rillm.exceptions import APIConnectionError
from tests.test_transport import CLIENTS, IDS  # every client on every path it serves

trustme = pytest.importorskip("trustme")

EVENTS = [b'data: {"choices":[{"delta":{"content":"%d"}}]}\n\n' % i for i in range(50)] + [b"data: [DONE]\n\n"]
BODY = b"".join(EVENTS)


class TlsServer:
    """Answers each request on its own TLS connection with the events, one HTTP chunk each, then closes;
    counts the connections refused (closed by the client before a request came)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.refused = 0  # connections that ended before a request: a failed handshake
        self.requests: list[bytes] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return  # closed
            threading.Thread(target=self._answer, args=(raw,), daemon=True).start()

    def _answer(self, raw: socket.socket) -> None:
        raw.settimeout(10)
        sock: socket.socket = raw
        try:
            sock = self._context.wrap_socket(raw, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                data = sock.recv(65536)  # with TLS 1.3 a client's refusal arrives here, after our side's handshake
                if not data:
                    raise ConnectionError("closed before a request")
                head += data
        except (ssl.SSLError, OSError):
            self.refused += 1
            sock.close()
            return
        with sock:
            self.requests.append(head.split(b"\r\n", 1)[0])
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
            for event in EVENTS:
                sock.sendall(b"%x\r\n%s\r\n" % (len(event), event))
            sock.sendall(b"0\r\n\r\n")
            with contextlib.suppress(OSError):
                sock.unwrap()

    def close(self) -> None:
        self._listener.close()


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server(authority: trustme.CA) -> Iterator[TlsServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    tls = TlsServer(context)
    yield tls
    tls.close()


def _request(url: str, transport: str) -> HttpRequest:
    timeout = httpx.Timeout(10.0, connect=5.0)
    return HttpRequest(url, b"{}", {"Content-Type": "application/json"}, timeout, "openai", "m", "POST", transport)


def _read(request: HttpRequest, is_async: bool) -> bytes:
    if not is_async:
        response = _http.send(request)
        try:
            return b"".join(bytes(piece) for piece in response.iter_bytes())
        finally:
            response.close()

    async def run() -> bytes:
        response = await _http.asend(request)
        try:
            return b"".join([bytes(piece) async for piece in response.aiter_bytes()])
        finally:
            await response.aclose()

    return asyncio.run(run())


@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
def test_a_certificate_the_client_does_not_trust_is_refused_before_the_request(
    server: TlsServer, transport: str, is_async: bool
) -> None:
    pytest.importorskip({"urllib3": "urllib3", "pycurl": "pycurl", "aiohttp": "aiohttp"}.get(transport, "httpx"))
    before, failed = len(server.requests), server.refused
    request = _request(f"https://localhost:{server.port}/v1/x", transport)
    with pytest.raises(APIConnectionError) as caught:
        _read(request, is_async)
    assert "localhost" in str(caught.value)  # says where
    assert len(server.requests) == before  # nothing of the request went out
    for _ in range(100):  # the server's side of the refused handshake ends a moment later
        if server.refused > failed:
            break
        threading.Event().wait(0.05)
    assert server.refused > failed


CHILD = """
import asyncio, sys
sys.path.insert(0, sys.argv[4])
from tests.test_transport_tls import _read, _request
body = _read(_request(sys.argv[1], sys.argv[2]), sys.argv[3] == "async")
sys.stdout.buffer.write(body)
"""


@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
def test_a_trusted_certificate_carries_the_whole_stream(
    server: TlsServer, authority: trustme.CA, tmp_path: Path, transport: str, is_async: bool
) -> None:
    if transport == "pycurl":
        pytest.skip("libcurl reads its CA bundle from its build, not from SSL_CERT_FILE")
    pytest.importorskip({"urllib3": "urllib3", "aiohttp": "aiohttp"}.get(transport, "httpx"))
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    env = {**os.environ, "SSL_CERT_FILE": str(bundle)}
    root = str(Path(__file__).resolve().parent.parent)
    url = f"https://localhost:{server.port}/v1/x"
    mode = "async" if is_async else "sync"
    child = subprocess.run(
        [sys.executable, "-c", CHILD, url, transport, mode, root], env=env, capture_output=True, timeout=60
    )
    assert child.returncode == 0, child.stderr.decode()[-2000:]
    assert child.stdout == BODY
    assert server.requests[-1] == b"POST /v1/x HTTP/1.1"
