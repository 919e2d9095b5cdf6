"""Opening a connection of the httptools transport: TCP (no Nagle delay), TLS as the call's settings make it
(`tls.py`), or through the environment's proxy (to the proxy for an http URL; a CONNECT tunnel, then TLS with
the origin inside it, for https, the proxy's credentials sent to the proxy only)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import socket
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from rillm._http import HttpRequest
from rillm._http.common import transport_error
from rillm._http.h1 import Connection
from rillm._http.tls import context as tls_context

__all__ = ["Origin", "connect", "origin_of", "proxy_auth", "request_head"]

Origin = tuple[str, str, int]  # scheme, host, port


async def connect(
    loop: asyncio.AbstractEventLoop, origin: Origin, proxy: str | None, request: HttpRequest
) -> Connection:
    """A new connection to the origin (through the proxy: to the proxy, tunnelled for https)."""
    scheme, host, port = origin
    target = urlsplit(proxy) if proxy is not None else None
    try:
        if target is None:
            conn = await _open(loop, host, port, scheme == "https", host, request)
        else:
            name = target.hostname or ""
            tls = target.scheme == "https"
            conn = await _open(loop, name, target.port or (443 if tls else 80), tls, name, request)
            if scheme == "https":
                await _tunnel(loop, conn, origin, target, request)
    except OSError as exc:
        raise transport_error("ConnectError", str(exc), request, timeout=False, limit=None) from None
    return conn


async def _open(
    loop: asyncio.AbstractEventLoop, host: str, port: int, tls: bool, server_name: str | None, request: HttpRequest
) -> Connection:
    limit = request.timeout.connect
    context = tls_context(request.tls) if tls else None
    try:
        _transport, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: Connection(loop), host, port, ssl=context, server_hostname=server_name if tls else None
            ),
            limit,
        )
    except asyncio.TimeoutError:
        raise transport_error("ConnectTimeout", "", request, timeout=True, limit=limit) from None
    sock = _transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn


async def _tunnel(
    loop: asyncio.AbstractEventLoop, conn: Connection, origin: Origin, proxy: Any, request: HttpRequest
) -> None:
    """CONNECT through the proxy, then TLS with the origin inside the tunnel."""
    _scheme, host, port = origin
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}", *proxy_auth(proxy)]
    assert conn.transport is not None
    conn.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    # The reply to CONNECT has no body: its head is all there is to wait for.
    try:
        while not conn.head_done:
            if conn.error is not None:
                raise OSError(f"the proxy closed the connection: {conn.error}")
            await conn.wait(request.timeout.connect)
            if conn.expired:
                raise transport_error("ConnectTimeout", "", request, timeout=True, limit=request.timeout.connect)
        if not 200 <= conn.status < 300:
            raise OSError(f"the proxy refused the tunnel: {conn.status}")
        transport = await loop.start_tls(conn.transport, conn, tls_context(request.tls), server_hostname=host)
    except BaseException:
        conn.abort()
        raise
    conn.start()
    conn.transport = transport


def proxy_auth(proxy: Any) -> list[str]:
    if proxy.username is None:
        return []
    token = base64.b64encode(f"{unquote(proxy.username)}:{unquote(proxy.password or '')}".encode()).decode()
    return [f"Proxy-Authorization: Basic {token}"]


def origin_of(request: HttpRequest) -> tuple[SplitResult, Origin]:
    """The request's URL, split, and its origin; an URL that is not http(s) is refused."""
    parts = urlsplit(request.url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise transport_error("UnsupportedProtocol", f"cannot send to {scheme}://", request, timeout=False, limit=None)
    return parts, (scheme, parts.hostname, parts.port or (443 if scheme == "https" else 80))


def request_head(request: HttpRequest, parts: Any, proxy: str | None) -> bytes:
    """The request line and headers; the absolute URL and the proxy's credentials for a plain-http proxy."""
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    if proxy is not None:
        target = request.url
    lines = [f"{request.method} {target} HTTP/1.1"]
    names = {name.lower() for name in request.headers}
    if "host" not in names:
        lines.append(f"Host: {parts.netloc}")
    for name, value in request.headers.items():
        if "\r" in name or "\n" in name or ":" in name or "\r" in value or "\n" in value:
            raise transport_error("LocalProtocolError", f"invalid header {name!r}", request, timeout=False, limit=None)
        lines.append(f"{name}: {value}")
    if "content-length" not in names:
        lines.append(f"Content-Length: {len(request.body)}")
    if proxy is not None:
        lines.extend(proxy_auth(urlsplit(proxy)))
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        detail = "a header is not latin-1"
        raise transport_error("LocalProtocolError", detail, request, timeout=False, limit=None) from None
