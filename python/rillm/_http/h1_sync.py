"""The sync side of the httptools transport: a blocking socket, httptools' parser (`h1.Message`), and a pool.

Per network read: one `recv` and one parser feed (its body callback a list's append, so the HTTP chunks in a
read cost no Python frame each); the body is handed over as the read gave it (up to `TAKE` bytes a step).
On a plain TCP socket the read's time limit is the kernel's (SO_RCVTIMEO, set only when the limit changes),
so a read is one system call; Python's own socket timeout polls before each read. A TLS socket keeps
Python's timeout: its reads are not safe with SO_RCVTIMEO (a timed-out read would look like the end).
pycurl, the other fast sync client, polls and reads again until nothing is left on each step.

One pool per provider and pool size, shared by threads: at most `max_connections` requests at once (a turn
waited for at most the pool timeout), at most `max_keepalive_connections` idle connections kept, each for
`KEEPALIVE` seconds; a kept connection the server closed meanwhile is noticed before reuse, and a request it
leaves unanswered is sent again on a new one. Proxies as the async side reads them; an https proxy in front
of an https origin (TLS inside TLS) is refused: the sync socket API cannot layer it.
"""

from __future__ import annotations

import select
import socket
import ssl
import struct
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit

import httptools

from rillm._http import HttpRequest, NextReadTimeout
from rillm._http.common import BodyError, env_proxy, error_status, read_limit, transport_error
from rillm._http.h1 import Message, ResponseHead
from rillm._http.h1_connect import Origin, origin_of, proxy_auth, request_head
from rillm._http.tls import context as tls_context

__all__ = ["KEEPALIVE", "SyncConnection", "SyncPool", "SyncResponse", "send"]

KEEPALIVE = 15.0  # seconds an idle connection is kept (as the async side)
READ_SIZE = 65536
_FOREVER = struct.pack("ll", 0, 0)  # SO_RCVTIMEO of 0: no limit


class SyncConnection(Message):
    """One connection, reused for each response it carries (`start()` before each)."""

    __slots__ = (
        "_limit",
        "_recv",
        "buffered",
        "complete",
        "error",
        "head_done",
        "headers",
        "idle_since",
        "keep_alive",
        "lost",
        "on_body",
        "parser",
        "pieces",
        "received",
        "sock",
        "status",
        "tls",
        "until_eof",
    )

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.tls = isinstance(sock, ssl.SSLSocket)
        self._recv = sock.recv
        self._limit: float | None = -1.0  # the limit the socket is set to (-1: not set yet)
        self.lost = False
        self.idle_since = 0.0
        self.start()

    def receive(self, limit: float | None) -> None:
        """One read of at most `limit` seconds, fed to the parser; a broken or closed connection is noted in
        `error` (or ends a body that runs to the close). Raises BodyError when the limit passes."""
        if limit != self._limit:
            self._set_limit(limit)
        try:
            data = self._recv(READ_SIZE)
        except (BlockingIOError, TimeoutError):  # SO_RCVTIMEO's EAGAIN, Python's own timeout
            raise BodyError("ReadTimeout", limit) from None
        except OSError as exc:
            self.lost = True
            self.error = f"ReadError: {exc}"
            return
        if not data:
            self.lost = True
            if self.until_eof and self.head_done and not self.complete:
                self.complete = True
            elif not self.complete:
                self.error = "ServerDisconnectedError: the server closed the connection"
            return
        self.received = True
        self.buffered += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            self.abort()

    def _set_limit(self, limit: float | None) -> None:
        self._limit = limit
        if self.tls:
            self.sock.settimeout(limit)
            return
        if limit is None:
            value = _FOREVER
        else:  # at least a microsecond: 0 would mean no limit
            micros = max(1, int(limit * 1_000_000))
            value = struct.pack("ll", micros // 1_000_000, micros % 1_000_000)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)

    def send(self, data: bytes, limit: float | None) -> None:
        """Writes `data` within `limit` seconds (Python's timeout for the write; the next read sets its own)."""
        self._limit = -1.0
        self.sock.settimeout(limit)
        self.sock.sendall(data)
        if not self.tls:
            self.sock.settimeout(None)  # blocking: reads are bounded by SO_RCVTIMEO
            self._limit = None
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, _FOREVER)

    def stale(self) -> bool:
        """Whether a kept connection was closed by the server (or sent something unasked) while idle."""
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def abort(self) -> None:
        self.lost = True
        try:
            self.sock.close()
        except OSError:
            pass


class SyncPool:
    """The connections of one provider and pool size, shared by threads."""

    def __init__(self, most: int, keep: int) -> None:
        self.turns = threading.BoundedSemaphore(most)  # one per request in flight
        self.keep = keep
        self.lock = threading.Lock()
        self.idle: dict[Origin, list[SyncConnection]] = {}
        self.proxies: dict[Origin, str | None] = {}
        self.closed = False

    def proxy(self, origin: Origin, url: str) -> str | None:
        """The environment's proxy for the origin, read once per pool (as httpx reads it per client)."""
        with self.lock:
            if origin not in self.proxies:
                self.proxies[origin] = env_proxy(url)
            return self.proxies[origin]

    def checkout(self, origin: Origin) -> SyncConnection | None:
        now = time.monotonic()
        while True:
            with self.lock:
                idle = self.idle.get(origin)
                conn = idle.pop() if idle else None
            if conn is None:
                return None
            if not conn.lost and now - conn.idle_since < KEEPALIVE and not conn.stale():
                return conn
            conn.abort()

    def release(self, conn: SyncConnection, origin: Origin, reuse: bool) -> None:
        """A response ended: its connection kept for the next request (`reuse`) or closed; its turn freed."""
        kept = False
        if reuse and not conn.lost:
            conn.start()
            conn.idle_since = time.monotonic()
            with self.lock:
                if not self.closed and sum(len(idle) for idle in self.idle.values()) < self.keep:
                    self.idle.setdefault(origin, []).append(conn)
                    kept = True
        if not kept:
            conn.abort()
        self.turns.release()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            idle = [conn for conns in self.idle.values() for conn in conns]
            self.idle.clear()
        for conn in idle:
            conn.abort()


class _Unanswered(Exception):
    """The connection closed before any byte of the response."""


def _exchange(pool: SyncPool, request: HttpRequest) -> tuple[SyncConnection, Origin]:
    """Sends the request on a kept connection or a new one, and waits for the response's head (the caller
    holds a turn of the pool)."""
    parts, origin = origin_of(request)
    proxy = pool.proxy(origin, request.url)
    head = request_head(request, parts, proxy if origin[0] == "http" else None) + request.body
    conn = pool.checkout(origin)
    if conn is not None:
        try:  # a kept connection the server closed meanwhile answers nothing: send again on a new one
            return _send(conn, head, request), origin
        except _Unanswered:
            pass
    conn = _connect(origin, proxy, request)
    try:
        return _send(conn, head, request), origin
    except _Unanswered as exc:
        raise transport_error("RemoteProtocolError", str(exc), request, timeout=False, limit=None) from None


def _send(conn: SyncConnection, head: bytes, request: HttpRequest) -> SyncConnection:
    limit = request.timeout.read
    try:
        try:
            conn.send(head, request.timeout.write)
        except TimeoutError:
            raise transport_error("WriteTimeout", "", request, timeout=True, limit=request.timeout.write) from None
        except OSError as exc:
            raise _Unanswered(f"WriteError: {exc}") from None
        while not conn.head_done:
            if conn.error is not None:
                if not conn.received:
                    raise _Unanswered(conn.error)
                raise transport_error("RemoteProtocolError", conn.error, request, timeout=False, limit=None)
            try:
                conn.receive(limit)
            except BodyError:
                raise transport_error("ReadTimeout", "", request, timeout=True, limit=limit) from None
    except BaseException:
        conn.abort()
        raise
    return conn


def _connect(origin: Origin, proxy: str | None, request: HttpRequest) -> SyncConnection:
    """A new connection to the origin (through the proxy: to the proxy, tunnelled for https)."""
    scheme, host, port = origin
    limit = request.timeout.connect
    target = urlsplit(proxy) if proxy is not None else None
    try:
        if target is None:
            return SyncConnection(_open(host, port, scheme == "https", host, request))
        name = target.hostname or ""
        tls = target.scheme == "https"
        if tls and scheme == "https":
            detail = "an https proxy in front of an https origin needs TLS inside TLS: use an async call or pycurl"
            raise transport_error("ProxyError", detail, request, timeout=False, limit=None)
        sock = _open(name, target.port or (443 if tls else 80), tls, name, request)
        if scheme == "https":
            sock = _tunnel(sock, origin, target, request)
        return SyncConnection(sock)
    except TimeoutError:
        raise transport_error("ConnectTimeout", "", request, timeout=True, limit=limit) from None
    except OSError as exc:
        raise transport_error("ConnectError", str(exc), request, timeout=False, limit=None) from None


def _open(host: str, port: int, tls: bool, server_name: str, request: HttpRequest) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=request.timeout.connect)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if tls:  # the handshake, within the connect timeout
            return tls_context(request.tls).wrap_socket(sock, server_hostname=server_name)
    except BaseException:
        sock.close()
        raise
    return sock


def _tunnel(sock: socket.socket, origin: Origin, proxy: Any, request: HttpRequest) -> socket.socket:
    """CONNECT through the proxy, then TLS with the origin inside the tunnel."""
    _scheme, host, port = origin
    lines = [f"CONNECT {host}:{port} HTTP/1.1", f"Host: {host}:{port}", *proxy_auth(proxy)]
    conn = SyncConnection(sock)
    try:
        conn.send(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), request.timeout.connect)
        # The reply to CONNECT has no body: its head is all there is to wait for.
        while not conn.head_done:
            if conn.error is not None:
                raise OSError(f"the proxy closed the connection: {conn.error}")
            try:
                conn.receive(request.timeout.connect)
            except BodyError:
                raise TimeoutError from None
        if not 200 <= conn.status < 300:
            raise OSError(f"the proxy refused the tunnel: {conn.status}")
        sock.settimeout(request.timeout.connect)
        return tls_context(request.tls).wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


class SyncResponse(ResponseHead[SyncConnection, SyncPool]):
    """An open response of the httptools transport's sync side behind the seam's `Response`."""

    __slots__ = ()

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        conn, read_timeout = self._conn, self._request.timeout.read
        try:
            while True:
                if self._done:  # closed from elsewhere: the connection may carry another response now
                    if self.whole:
                        return
                    raise BodyError("the response was closed")
                if conn.pieces:
                    yield conn.take_piece()
                    continue
                if conn.complete:
                    return
                if conn.error is not None:
                    raise BodyError(conn.error)
                limit = read_timeout if next_read_timeout is None else read_limit(read_timeout, next_read_timeout())
                if limit is not None and limit <= 0:
                    raise BodyError("ReadTimeout", limit)
                conn.receive(limit)
        finally:
            self.close()

    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        raise TypeError("this response is sync: iterate it with iter_bytes()")

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    async def aread(self) -> bytes:
        raise TypeError("this response is sync: read it with read()")

    def close(self) -> None:
        """A body read to its end gives its connection back to the pool; otherwise it is closed (the server
        sees it at once)."""
        if self._done:
            return
        self._done = True
        conn = self._conn
        self.whole = conn.complete and not conn.pieces and conn.error is None
        self._pool.release(conn, self._origin, self.whole and conn.keep_alive)

    async def aclose(self) -> None:
        self.close()


def send(pool: SyncPool, request: HttpRequest) -> SyncResponse:
    """Sends the request and returns the response with its body unread; raises for an error status."""
    t = request.timeout
    if not pool.turns.acquire(timeout=t.pool):
        raise transport_error("PoolTimeout", "", request, timeout=True, limit=t.pool)
    try:
        conn, origin = _exchange(pool, request)
    except BaseException:
        pool.turns.release()
        raise
    response = SyncResponse(conn, origin, pool, request)
    if response.status_code >= 400:
        try:
            body = response.read()
        except BodyError as exc:
            raise transport_error("ReadError", str(exc), request, timeout=False, limit=None) from None
        finally:
            response.close()
        raise error_status(request, response.status_code, response.header_list, body)
    return response
