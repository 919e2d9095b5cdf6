"""The aiohttp transport (async only; the `aiohttp` extra): its C HTTP parser reads a body several times
faster than httpx (the README's benchmark table), and its sessions keep per-loop connection pools.

One session per provider and pool size per event loop (`loops.py` closes them as the loop shuts down).
The pool holds at most `max_connections` connections; an idle one is closed after aiohttp's keep-alive
time (15 s). The deadline hook sets the connection's read timer (aiohttp's `sock_read`) before each
wait, so the wait is interrupted by aiohttp itself; bytes already buffered are handed over first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping
from typing import Any, NoReturn

import aiohttp

from rillm._http import HttpRequest, NextReadTimeout, limits
from rillm._http.common import BodyError, error_status, masked_request, read_limit, transport_error
from rillm._http.loops import LoopClients
from rillm.exceptions import APIError

__all__ = ["AiohttpResponse", "AiohttpTransport"]


def _session(key: Hashable) -> aiohttp.ClientSession:
    most, _idle = key[1]  # type: ignore[index]
    connector = aiohttp.TCPConnector(limit=most, limit_per_host=0)
    # trust_env: proxies from the environment, as httpx reads them.
    return aiohttp.ClientSession(connector=connector, trust_env=True, timeout=aiohttp.ClientTimeout(total=None))


async def _close(session: aiohttp.ClientSession) -> None:
    await session.close()


class AiohttpTransport:
    """aiohttp sessions, one per provider and pool size per event loop, made on first use."""

    name = "aiohttp"

    def __init__(self) -> None:
        self.loops: LoopClients[aiohttp.ClientSession] = LoopClients(_session, _close)

    def send(self, request: HttpRequest) -> NoReturn:
        raise TypeError("the aiohttp transport is async only")

    async def asend(self, request: HttpRequest) -> AiohttpResponse:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        session = self.loops.get((request.provider, limits(request)))
        t = request.timeout
        # aiohttp's `connect` covers the wait for a pooled connection and the connect itself.
        connect = None if t.pool is None or t.connect is None else t.pool + t.connect
        timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=t.connect, sock_read=t.read)
        try:
            raw = await session.request(
                request.method,
                request.url,
                data=request.body,
                headers=request.headers,
                timeout=timeout,
                allow_redirects=False,
            )
        except asyncio.TimeoutError as exc:
            read = isinstance(exc, aiohttp.SocketTimeoutError)
            limit = t.read if read else t.connect
            raise transport_error(type(exc).__name__, "", request, timeout=True, limit=limit) from None
        except aiohttp.ClientError as exc:
            raise _connection_error(exc, request) from None
        if raw.status >= 400:
            try:
                body = await raw.read()
            except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
                raise _connection_error(exc, request) from None
            finally:
                raw.release()
            raise error_status(request, raw.status, raw.headers.items(), body)
        return AiohttpResponse(raw, request, asyncio.get_running_loop())

    def close(self) -> None:
        """Nothing to close outside a loop: sessions close with their loop."""


def _connection_error(exc: BaseException, request: HttpRequest) -> APIError:
    if isinstance(exc, asyncio.TimeoutError):
        return transport_error(type(exc).__name__, "", request, timeout=True, limit=request.timeout.read)
    return transport_error(type(exc).__name__, str(exc), request, timeout=False, limit=None)


class AiohttpResponse:
    """An open aiohttp response behind the seam's `Response` (the aiohttp object itself is `raw`)."""

    __slots__ = ("_loop", "_request", "raw")

    def __init__(self, raw: aiohttp.ClientResponse, request: HttpRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.raw = raw
        self._request = request
        self._loop = loop

    @property
    def status_code(self) -> int:
        return self.raw.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def is_closed(self) -> bool:
        return self.raw.closed

    @property
    def request(self) -> Any:
        return masked_request(self._request)

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        raise TypeError("the aiohttp transport is async only")

    def read(self) -> bytes:
        raise TypeError("the aiohttp transport is async only")

    async def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        content = self.raw.content
        limit = self._request.timeout.read
        try:
            if next_read_timeout is None:
                readany = content.readany
                while piece := await readany():
                    yield piece
                return
            while True:
                limit = read_limit(self._request.timeout.read, next_read_timeout())
                if limit is not None and limit <= 0:
                    raise asyncio.TimeoutError
                # What has arrived is handed over at once; only a wait needs the read timer.
                piece = content.read_nowait()
                if not piece:
                    if content.at_eof():
                        return
                    piece = await self._wait(content, limit)
                    if not piece:
                        return
                yield piece
        except asyncio.TimeoutError:
            raise BodyError("ReadTimeout", limit) from None
        except aiohttp.ClientError as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None

    async def _wait(self, content: aiohttp.StreamReader, limit: float | None) -> bytes:
        connection = self.raw.connection
        protocol = connection.protocol if connection is not None else None
        if protocol is not None:
            # The connection's read timer (aiohttp's sock_read), restarted with this read's limit.
            protocol.read_timeout = limit
            protocol.start_timeout()
        return await content.readany()

    async def aread(self) -> bytes:
        try:
            return await self.raw.read()
        except asyncio.TimeoutError:
            raise BodyError("ReadTimeout", self._request.timeout.read) from None
        except aiohttp.ClientError as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Closes the response without awaiting (from `__del__`, any thread): the socket is shut down at once
        (the server sees it) and the connection leaves the pool, in the loop's thread when it runs."""
        connection = self.raw.connection
        transport = connection.transport if connection is not None else None
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if self._in_loop_thread():
            self.raw.close()
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop took its pools with it
                self._loop.call_soon_threadsafe(self.raw.close)

    def _in_loop_thread(self) -> bool:
        if self._loop.is_closed() or not self._loop.is_running():
            return True
        try:
            return asyncio.get_running_loop() is self._loop
        except RuntimeError:
            return False

    async def aclose(self) -> None:
        # The socket is shut down here, not on the loop's next turn (aiohttp closes a transport from a callback).
        self.close()
