"""The httptools transport (async only; the `httptools` extra): rillm's own HTTP/1.1 client on asyncio, with
httptools (llhttp, the C parser uvicorn uses) for responses (`h1.py`; connections are opened by
`h1_connect.py`). It reads a body with one Python step
per socket read where aiohttp takes several per HTTP chunk (`rillm bench`: the bare read rows).

One pool per provider and pool size per event loop (`loops.py` closes them as the loop shuts down): at most
`max_connections` requests at once (waiting at most the pool timeout for a turn), at most
`max_keepalive_connections` idle connections kept, each for `KEEPALIVE` seconds. A connection whose
response was read to its end goes back to the pool; any other ending closes it. TLS with the system's
certificates and certifi's; the environment's proxy as httpx reads it (an http URL is sent to the proxy,
an https one tunnelled with CONNECT), the credentials of the proxy's URL sent to the proxy only. A request
sent on a kept connection that the server had closed meanwhile is sent again on a new one (nothing of it
was answered).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator, Hashable, Iterator

from rillm._http import HttpRequest, NextReadTimeout, h1_sync, pool_key
from rillm._http.common import BodyError, env_proxy, error_status, read_limit, transport_error
from rillm._http.h1 import Connection, ResponseHead
from rillm._http.h1_connect import Origin, connect, origin_of, request_head
from rillm._http.loops import LoopClients

__all__ = ["HttptoolsResponse", "HttptoolsTransport"]

KEEPALIVE = 15.0  # seconds an idle connection is kept (aiohttp's default)


class _Pool:
    """The connections of one provider and pool size on one loop."""

    __slots__ = ("closed", "idle", "keep", "open", "proxies", "turns")

    def __init__(self, most: int, keep: int) -> None:
        self.turns = asyncio.Semaphore(most)  # one per request in flight
        self.keep = keep
        self.idle: dict[Origin, list[Connection]] = {}
        self.open: set[Connection] = set()
        self.proxies: dict[Origin, str | None] = {}
        self.closed = False

    def proxy(self, origin: Origin, url: str) -> str | None:
        """The environment's proxy for the origin, read once per pool (as httpx reads it per client)."""
        if origin not in self.proxies:
            self.proxies[origin] = env_proxy(url)
        return self.proxies[origin]

    def checkout(self, origin: Origin, now: float) -> Connection | None:
        idle = self.idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.lost and now - conn.idle_since < KEEPALIVE:
                return conn
            conn.abort()
        return None

    def add(self, conn: Connection) -> None:
        self.open.add(conn)
        conn.on_lost = self._forget

    def _forget(self, conn: Connection) -> None:
        self.open.discard(conn)
        for idle in self.idle.values():
            if conn in idle:
                idle.remove(conn)

    def release(self, conn: Connection, origin: Origin, reuse: bool, now: float) -> None:
        """A response ended: its connection kept for the next request (`reuse`) or closed; its turn freed."""
        self.turns.release()
        kept = sum(len(idle) for idle in self.idle.values())
        if reuse and not self.closed and not conn.lost and kept < self.keep:
            conn.cancel_timer()
            conn.start()
            conn.idle_since = now
            self.idle.setdefault(origin, []).append(conn)
        else:
            conn.abort()

    async def close(self) -> None:
        self.closed = True
        for conn in list(self.open):
            conn.abort()
        self.idle.clear()


def _pool(key: Hashable) -> _Pool:
    most, idle = key[1]  # type: ignore[index]
    return _Pool(most, idle)


async def _close(pool: _Pool) -> None:
    await pool.close()


class HttptoolsTransport:
    """rillm's asyncio client, one pool per provider and pool size per event loop, made on first use."""

    name = "httptools"

    def __init__(self) -> None:
        self.loops: LoopClients[_Pool] = LoopClients(_pool, _close)
        self._lock = threading.Lock()
        self._sync: dict[Hashable, h1_sync.SyncPool] = {}

    def send(self, request: HttpRequest) -> h1_sync.SyncResponse:
        """The sync path (`h1_sync.py`): sends the request and returns the response with its body unread."""
        key = pool_key(request)
        pool = self._sync.get(key)
        if pool is None:
            with self._lock:
                pool = self._sync.get(key)
                if pool is None:
                    pool = self._sync[key] = h1_sync.SyncPool(*key[1])
        return h1_sync.send(pool, request)

    async def asend(self, request: HttpRequest) -> HttptoolsResponse:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        pool = self.loops.get(pool_key(request))
        t = request.timeout
        try:
            await asyncio.wait_for(pool.turns.acquire(), t.pool)
        except asyncio.TimeoutError:
            raise transport_error("PoolTimeout", "", request, timeout=True, limit=t.pool) from None
        try:
            conn, origin = await _exchange(pool, request)
        except BaseException:
            pool.turns.release()
            raise
        response = HttptoolsResponse(conn, origin, pool, request)
        if response.status_code >= 400:
            try:
                body = await response.aread()
            except BodyError as exc:
                raise transport_error("ReadError", str(exc), request, timeout=False, limit=None) from None
            finally:
                await response.aclose()
            raise error_status(request, response.status_code, response.header_list, body)
        return response

    def close(self) -> None:
        """Closes the sync pools' idle connections (async pools close with their loop)."""
        with self._lock:
            pools, self._sync = list(self._sync.values()), {}
        for pool in pools:
            pool.close()


async def _exchange(pool: _Pool, request: HttpRequest) -> tuple[Connection, Origin]:
    """Sends the request on a kept connection or a new one, and waits for the response's head."""
    loop = asyncio.get_running_loop()
    parts, origin = origin_of(request)
    proxy = pool.proxy(origin, request.url)
    head = request_head(request, parts, proxy if origin[0] == "http" else None)
    conn = pool.checkout(origin, loop.time())
    if conn is not None:
        # A kept connection the server closed meanwhile answers nothing: send again on a new one.
        with contextlib.suppress(_Unanswered):
            return await _send(conn, head, request), origin
    conn = await connect(loop, origin, proxy, request)
    pool.add(conn)
    try:
        return await _send(conn, head, request), origin
    except _Unanswered as exc:
        raise transport_error("RemoteProtocolError", str(exc), request, timeout=False, limit=None) from None


class _Unanswered(Exception):
    """The connection closed before any byte of the response."""


async def _send(conn: Connection, head: bytes, request: HttpRequest) -> Connection:
    assert conn.transport is not None
    conn.transport.write(head + request.body)
    try:
        while not conn.head_done:
            if conn.error is not None:
                if not conn.received:
                    raise _Unanswered(conn.error)
                raise transport_error("RemoteProtocolError", conn.error, request, timeout=False, limit=None)
            await conn.wait(request.timeout.read)
            if conn.expired:
                limit = request.timeout.read
                raise transport_error("ReadTimeout", "", request, timeout=True, limit=limit)
    except BaseException:
        conn.abort()
        raise
    return conn


class HttptoolsResponse(ResponseHead[Connection, _Pool]):
    """An open response of the httptools transport behind the seam's `Response`."""

    __slots__ = ("_loop",)

    def __init__(self, conn: Connection, origin: Origin, pool: _Pool, request: HttpRequest) -> None:
        super().__init__(conn, origin, pool, request)
        self._loop = asyncio.get_running_loop()

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        raise TypeError("the httptools transport is async only")

    def read(self) -> bytes:
        raise TypeError("the httptools transport is async only")

    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        return _Body(self, self._conn, self._request.timeout.read, next_read_timeout)

    async def aread(self) -> bytes:
        pieces = [piece async for piece in self.aiter_bytes()]
        return b"".join(pieces)

    def close(self) -> None:
        """Ends the response without awaiting (from `__del__`, any thread): a body read to its end gives its
        connection back to the pool; otherwise the socket is shut down at once (the server sees it) and the
        connection closed, in the loop's thread."""
        if self._done:
            return
        conn = self._conn
        if not (conn.complete and not conn.pieces and conn.error is None):
            sock = conn.transport.get_extra_info("socket") if conn.transport is not None else None
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        if self._in_loop_thread():
            self._end()
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop took its pools with it
                self._loop.call_soon_threadsafe(self._end)

    def _end(self) -> None:
        if self._done:
            return
        self._done = True
        conn = self._conn
        self.whole = conn.complete and not conn.pieces and conn.error is None
        reuse = self.whole and conn.keep_alive
        self._pool.release(conn, self._origin, reuse, self._loop.time())

    def _in_loop_thread(self) -> bool:
        if self._loop.is_closed() or not self._loop.is_running():
            return True
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def aclose(self) -> None:
        self.close()


class _Body:
    """What `aiter_bytes` returns: each step every body byte that has arrived, or the next read's, as one
    piece; the wait bounded by the read timeout and the deadline hook (the connection's timer)."""

    __slots__ = ("_conn", "_hook", "_read_timeout", "_response")

    def __init__(
        self, response: HttptoolsResponse, conn: Connection, read_timeout: float | None, hook: NextReadTimeout | None
    ) -> None:
        self._response = response
        self._conn = conn
        self._read_timeout = read_timeout
        self._hook = hook

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        conn = self._conn
        if self._response.is_closed:  # the connection may carry another response now
            if self._response.whole:
                raise StopAsyncIteration
            raise BodyError("the response was closed")
        limit = self._read_timeout
        if self._hook is not None:
            limit = read_limit(limit, self._hook())
            if limit is not None and limit <= 0:
                raise BodyError("ReadTimeout", limit)
        while not conn.pieces:
            if conn.complete:
                raise StopAsyncIteration
            if conn.error is not None:
                raise BodyError(conn.error)
            await conn.wait(limit)
            if conn.expired:
                raise BodyError("ReadTimeout", limit)
        return conn.take()
