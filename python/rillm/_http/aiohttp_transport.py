"""The aiohttp transport (async only; the `aiohttp` extra): its C HTTP parser reads a body several times
faster than httpx (the README's benchmark table), and its sessions keep per-loop connection pools.

One session per provider and pool size per event loop (`loops.py` closes them as the loop shuts down).
The pool holds at most `max_connections` connections; an idle one is closed after aiohttp's keep-alive
time (15 s). The body's reads are bounded by a timer of ours (`read_timer.py`, one per stream) instead of
aiohttp's `sock_read` (one per socket read); the deadline hook shortens each read's limit, and a read past
its limit is woken with a timeout by the timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping
from typing import Any, NoReturn

import aiohttp
import yarl

from rillm._http import HttpRequest, NextReadTimeout, pool_key
from rillm._http.common import BodyError, env_proxy, error_status, masked_request, read_limit, transport_error
from rillm._http.loops import LoopClients
from rillm._http.read_timer import ReadTimer
from rillm._http.tls import context as tls_context
from rillm.exceptions import APIError

__all__ = ["AiohttpResponse", "AiohttpTransport"]


class _Client:
    """One session and the environment's proxy for each origin it has sent to, read once per session (as
    httpx reads the environment when its client is made): reading it scans every environment variable."""

    __slots__ = ("proxies", "session")

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session
        self.proxies: dict[str, dict[str, Any]] = {}

    def options(self, request: HttpRequest) -> dict[str, Any]:
        """aiohttp's request options for the proxy and headers of `request`."""
        origin = "/".join(request.url.split("/", 3)[:3])  # scheme://host:port
        proxy = self.proxies.get(origin)
        if proxy is None:
            proxy = self.proxies[origin] = _proxy(origin)
        if "headers" in proxy:  # the proxy's credentials, on the request itself (plain http)
            return {**proxy, "headers": {**request.headers, **proxy["headers"]}}
        return {**proxy, "headers": request.headers}


def _session(key: Hashable) -> _Client:
    most, _idle = key[1]  # type: ignore[index]
    connector = aiohttp.TCPConnector(limit=most, limit_per_host=0, ssl=tls_context(key[2]))  # type: ignore[index]
    # No trust_env: with it aiohttp looks for a proxy and a .netrc in worker threads on every request (two
    # thread hops, about 1 ms before the first chunk); the proxy comes from `_proxy` instead.
    return _Client(aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=None)))


def _proxy(origin: str) -> dict[str, Any]:
    """aiohttp's proxy options for `origin`: the environment's proxy, as httpx reads it (HTTP_PROXY,
    HTTPS_PROXY, NO_PROXY...), and the credentials its URL carries, which go in the request's own headers for
    an http URL (sent to the proxy) and in the CONNECT request's for https (never inside the tunnel)."""
    proxy = env_proxy(origin + "/")
    if proxy is None:
        return {}
    parsed = yarl.URL(proxy)
    auth = aiohttp.BasicAuth.from_url(parsed)
    if auth is None:
        return {"proxy": proxy}
    authorization = {"Proxy-Authorization": auth.encode()}
    if origin.startswith("https:"):
        return {"proxy": str(parsed.with_user(None)), "proxy_headers": authorization}
    return {"proxy": str(parsed.with_user(None)), "headers": authorization}


async def _close(client: _Client) -> None:
    await client.session.close()


class AiohttpTransport:
    """aiohttp sessions, one per provider and pool size per event loop, made on first use."""

    name = "aiohttp"

    def __init__(self) -> None:
        self.loops: LoopClients[_Client] = LoopClients(_session, _close)

    def send(self, request: HttpRequest) -> NoReturn:
        raise TypeError("the aiohttp transport is async only")

    async def asend(self, request: HttpRequest) -> AiohttpResponse:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        client = self.loops.get(pool_key(request))
        t = request.timeout
        # aiohttp's `connect` covers the wait for a pooled connection and the connect itself.
        connect = None if t.pool is None or t.connect is None else t.pool + t.connect
        timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_connect=t.connect, sock_read=t.read)
        try:
            raw = await client.session.request(
                request.method,
                request.url,
                data=request.body,
                timeout=timeout,
                allow_redirects=False,
                **client.options(request),
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

    __slots__ = ("_loop", "_request", "_timer", "raw")

    def __init__(self, raw: aiohttp.ClientResponse, request: HttpRequest, loop: asyncio.AbstractEventLoop) -> None:
        self.raw = raw
        self._request = request
        self._loop = loop
        self._timer: _ReadTimer | None = None  # made when the body is iterated

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

    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        if self._timer is None:
            self._timer = _ReadTimer(self._loop, self.raw.content)
            # Our timer replaces aiohttp's sock_read for the body: theirs is cancelled and made again on every
            # socket read (a timer handle and two heap operations per event), ours once per read timeout.
            connection = self.raw.connection
            if connection is not None and connection.protocol is not None:
                connection.protocol.read_timeout = None
                connection.protocol.start_timeout()  # with no read timeout: drops the armed timer
        return _Body(self.raw.content, self._request.timeout.read, next_read_timeout, self._timer)

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
            self._close_in_loop()
        else:
            with contextlib.suppress(RuntimeError):  # a closed loop took its pools with it
                self._loop.call_soon_threadsafe(self._close_in_loop)

    def _close_in_loop(self) -> None:
        self.raw.close()
        if self._timer is not None:
            self._timer.cancel_timer()

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


class _Body:
    """What `aiter_bytes` returns: one `readany()` per step (all that has arrived, or the next network read),
    its wait bounded by the stream's read timer. A class whose `__anext__` is a coroutine rather than an
    async generator: a frame and an exception object less per piece."""

    __slots__ = ("_content", "_hook", "_read_timeout", "_timer")

    def __init__(
        self, content: aiohttp.StreamReader, read_timeout: float | None, hook: NextReadTimeout | None, timer: _ReadTimer
    ) -> None:
        self._content = content
        self._read_timeout = read_timeout
        self._hook = hook
        self._timer = timer

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        limit = self._read_timeout
        if self._hook is not None:
            limit = read_limit(limit, self._hook())
            if limit is not None and limit <= 0:
                raise BodyError("ReadTimeout", limit)
        timer = self._timer
        try:
            if limit is not None:
                timer.arm(limit)
            piece = await self._content.readany()
        except asyncio.TimeoutError:
            raise BodyError("ReadTimeout", timer.limit) from None
        except aiohttp.ClientError as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None
        finally:
            timer.ends = None
        if not piece:
            timer.cancel_timer()
            raise StopAsyncIteration
        return piece


class _ReadTimer(ReadTimer):
    """The read timeout of one response body (`read_timer.py`): a read past its limit is woken with aiohttp's
    timeout error, set as the body's exception."""

    __slots__ = ("_content", "limit")

    def __init__(self, loop: asyncio.AbstractEventLoop, content: aiohttp.StreamReader) -> None:
        super().__init__(loop)
        self._content = content
        self.limit: float | None = None  # the waiting read's limit in seconds, for the error

    def arm(self, limit: float) -> None:
        self.limit = limit
        super().arm(limit)

    def expire(self) -> None:
        self._content.set_exception(aiohttp.ServerTimeoutError(f"no data within {self.limit} s"))
