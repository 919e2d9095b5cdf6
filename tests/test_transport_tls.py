"""TLS on every transport, against a local HTTPS server whose certificate a test authority signs (trustme):
a certificate the client does not trust is refused with a typed error before any request is sent, and one
it trusts carries a whole stream, whichever way it is trusted (the authority in SSL_CERT_FILE, or named by
`ssl_verify`), as does an untrusted one with `ssl_verify=False`; a server that asks for a client certificate
gets the one `ssl_certificate` names. The SSL_CERT_FILE case runs in a child process, whose environment is
set before anything reads it; the settings' precedence is in test_tls_settings.py."""

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

import rillm
from rillm import _http
from rillm._http import HttpRequest, tls
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
        self.bodies: list[bytes] = []  # each request's body
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
            head, _, body = head.partition(b"\r\n\r\n")
            length = next((int(v) for k, _, v in _fields(head) if k == b"content-length"), 0)
            while len(body) < length:
                body += sock.recv(65536)
        except (ssl.SSLError, OSError):
            self.refused += 1
            sock.close()
            return
        with sock:
            self.requests.append(head.split(b"\r\n", 1)[0])
            self.bodies.append(body)
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


def _fields(head: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        yield name.strip().lower(), colon, value.strip()


def _request(url: str, transport: str, settings: tls.Tls = tls.DEFAULT) -> HttpRequest:
    timeout = httpx.Timeout(10.0, connect=5.0)
    headers = {"Content-Type": "application/json"}
    return HttpRequest(url, b"{}", headers, timeout, "openai", "m", "POST", transport, tls=settings)


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
from rillm._http import tls
from tests.test_transport_tls import _read, _request
body = _read(_request(sys.argv[1], sys.argv[2], tls.from_settings()), sys.argv[3] == "async")
sys.stdout.buffer.write(body)
"""


@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
def test_a_trusted_certificate_carries_the_whole_stream(
    server: TlsServer, authority: trustme.CA, tmp_path: Path, transport: str, is_async: bool
) -> None:
    pytest.importorskip({"urllib3": "urllib3", "pycurl": "pycurl", "aiohttp": "aiohttp"}.get(transport, "httpx"))
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


def _importorskip(transport: str) -> None:
    pytest.importorskip({"urllib3": "urllib3", "pycurl": "pycurl", "aiohttp": "aiohttp"}.get(transport, "httpx"))


@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
# urllib3 warns of each request it makes unverified (InsecureRequestWarning), as it does for any caller.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_ssl_verify_names_the_authority_or_turns_verification_off(
    server: TlsServer, authority: trustme.CA, tmp_path: Path, transport: str, is_async: bool
) -> None:
    """In the same process, one after the other (each setting has its own context and pool): the authority's
    bundle named by `ssl_verify`, then verification off, then the default, which refuses the server again."""
    _importorskip(transport)
    bundle = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(bundle))
    url = f"https://localhost:{server.port}/v1/x"
    assert _read(_request(url, transport, tls.from_settings(str(bundle))), is_async) == BODY
    assert _read(_request(url, transport, tls.from_settings(False)), is_async) == BODY
    with pytest.raises(APIConnectionError):
        _read(_request(url, transport, tls.DEFAULT), is_async)


@pytest.fixture(scope="module")
def asks_for_a_client(authority: trustme.CA) -> Iterator[TlsServer]:
    """A server that refuses a client without a certificate the test authority signed."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    authority.configure_trust(context)
    context.verify_mode = ssl.CERT_REQUIRED
    tls_server = TlsServer(context)
    yield tls_server
    tls_server.close()


@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
def test_ssl_certificate_is_presented_to_a_server_that_asks_for_one(
    asks_for_a_client: TlsServer, authority: trustme.CA, tmp_path: Path, transport: str, is_async: bool
) -> None:
    _importorskip(transport)
    bundle, mine = tmp_path / "ca.pem", tmp_path / "client.pem"
    authority.cert_pem.write_to_path(str(bundle))
    client = authority.issue_cert("client@rillm.test")
    mine.write_bytes(client.private_key_pem.bytes() + b"".join(blob.bytes() for blob in client.cert_chain_pems))
    url = f"https://localhost:{asks_for_a_client.port}/v1/x"
    with_certificate = tls.Tls(ca_bundle=str(bundle), certificate=str(mine))
    assert _read(_request(url, transport, with_certificate), is_async) == BODY
    with pytest.raises(APIConnectionError):
        _read(_request(url, transport, tls.Tls(ca_bundle=str(bundle))), is_async)


# urllib3 warns of each request it makes unverified (InsecureRequestWarning), as it does for any caller.
@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("how", ["argument", "module", "environment"])
@pytest.mark.parametrize(("transport", "is_async"), CLIENTS, ids=IDS)
def test_completion_streams_from_an_untrusted_server_with_verification_off(
    server: TlsServer, monkeypatch: pytest.MonkeyPatch, how: str, transport: str, is_async: bool
) -> None:
    """`completion()` / `acompletion()` with `ssl_verify=False`, `rillm.ssl_verify = False` or SSL_VERIFY=false:
    the stream's text arrives, and the setting is not sent to the provider in the body."""
    _importorskip(transport)
    monkeypatch.delenv("SSL_VERIFY", raising=False)
    kwargs: dict[str, object] = {}
    if how == "argument":
        kwargs["ssl_verify"] = False
    elif how == "module":
        monkeypatch.setattr(rillm, "ssl_verify", False)
    else:
        monkeypatch.setenv("SSL_VERIFY", "false")
    call = dict(
        model="openai/gpt-4o",
        messages=[{"role": "user", "content": "hi"}],
        api_base=f"https://localhost:{server.port}/v1",
        api_key="sk-test",
        stream=True,
        transport=transport,
        **kwargs,
    )

    async def read_async() -> str:
        stream = await rillm.acompletion(**call)  # type: ignore[arg-type]
        return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    if is_async:
        text = asyncio.run(read_async())
    else:
        text = "".join(c.choices[0].delta.content or "" for c in rillm.completion(**call) if c.choices)  # type: ignore[arg-type]
    assert text == "".join(str(i) for i in range(50))
    assert server.requests[-1] == b"POST /v1/chat/completions HTTP/1.1"
    assert b"ssl_verify" not in server.bodies[-1]
