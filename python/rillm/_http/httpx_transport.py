"""The httpx transport, sync and async: the compatibility choice (httpx is a dependency of rillm, and the
client LiteLLM's users know), slower per read than the others (h11 parses the chunked body in Python).

One client per provider and pool size (per event loop for async: `loops.py`), or the caller's own client
(`rillm.client_session` / `rillm.aclient_session`, as LiteLLM takes them). The deadline hook reaches
the socket through a network backend wrapped around httpcore's own: each read of the socket asks the
hook of the response being read (a context variable, set around each step of that response's body only)
for its limit, so the read is interrupted where httpcore blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from rillm._http import HttpRequest, NextReadTimeout, pool_key
from rillm._http.common import BodyError, error_status, masked_request, read_limit, transport_error
from rillm._http.loops import LoopClients
from rillm._http.tls import context as tls_context
from rillm.exceptions import APIError

__all__ = ["HttpxResponse", "HttpxTransport"]


class _Hook:
    """The deadline hook of the response being read, and the limit it last applied."""

    __slots__ = ("applied", "next_read_timeout")

    def __init__(self, next_read_timeout: NextReadTimeout) -> None:
        self.next_read_timeout = next_read_timeout
        self.applied: float | None = None

    def limit(self, timeout: float | None) -> float | None:
        self.applied = limit = read_limit(timeout, self.next_read_timeout())
        if limit is not None and limit <= 0:
            raise httpcore.ReadTimeout("the stream's deadline has passed")
        return limit


_HOOK: ContextVar[_Hook | None] = ContextVar("rillm_httpx_read_hook", default=None)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        hook = _HOOK.get()
        return self._inner.read(max_bytes, timeout if hook is None else hook.limit(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _Stream(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


def _tls_failed(exc: ssl.SSLError, kind: type[httpcore.NetworkError]) -> httpcore.NetworkError:
    """A TLS alert after the handshake (as TLS 1.3 refuses a client's certificate) as the error httpcore gives
    for every other failed read or write: anyio's TLS stream, under httpcore's async backend, lets it through
    as itself, where httpx would let it escape unmapped."""
    return kind(f"TLS: {exc.reason or exc}")


class _AsyncStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        hook = _HOOK.get()
        try:
            return await self._inner.read(max_bytes, timeout if hook is None else hook.limit(timeout))
        except ssl.SSLError as exc:
            raise _tls_failed(exc, httpcore.ReadError) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            await self._inner.write(buffer, timeout)
        except ssl.SSLError as exc:
            raise _tls_failed(exc, httpcore.WriteError) from exc

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _Stream(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._inner.connect_tcp(*args, **kwargs))

    async def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.AsyncNetworkStream:
        return _AsyncStream(await self._inner.connect_unix_socket(*args, **kwargs))

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def _hooked(transport: Any, wrap: type[Any]) -> Any:
    """httpx's transport with its pool's network backend wrapped (httpx offers no argument for it; every
    httpcore pool, proxies included, keeps it as `_network_backend`)."""
    pool = transport._pool
    pool._network_backend = wrap(pool._network_backend)
    return transport


def _adopt(client: Any, wrap: type[Any]) -> None:
    """A caller's own client (`rillm.client_session` / `aclient_session`, as LiteLLM's): used as it is, its
    pool and settings the caller's, with the deadline hook added to its network backend once (the wrapper
    only delegates unless a rillm stream is reading)."""
    transport = getattr(client, "_transport", None)
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None and not isinstance(backend, (_Backend, _AsyncBackend)):
        pool._network_backend = wrap(backend)  # type: ignore[union-attr]


def _limits(key: Hashable) -> httpx.Limits:
    most, idle = key[1]  # type: ignore[index]
    return httpx.Limits(max_connections=most, max_keepalive_connections=idle)


def _tls(key: Hashable) -> ssl.SSLContext:
    return tls_context(key[2])  # type: ignore[index]


def _client(key: Hashable) -> httpx.Client:
    transport = _hooked(httpx.HTTPTransport(limits=_limits(key), verify=_tls(key)), _Backend)
    return httpx.Client(follow_redirects=False, transport=transport)


def _async_client(key: Hashable) -> httpx.AsyncClient:
    transport = _hooked(httpx.AsyncHTTPTransport(limits=_limits(key), verify=_tls(key)), _AsyncBackend)
    return httpx.AsyncClient(follow_redirects=False, transport=transport)


async def _aclose(client: httpx.AsyncClient) -> None:
    await client.aclose()


class HttpxTransport:
    """httpx clients, one per provider and pool size (and per event loop for async), made on first use."""

    name = "httpx"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[Hashable, httpx.Client] = {}
        self.loops: LoopClients[httpx.AsyncClient] = LoopClients(_async_client, _aclose)

    def client(self, request: HttpRequest) -> httpx.Client:
        session = getattr(sys.modules.get("rillm"), "client_session", None)
        if isinstance(session, httpx.Client):
            _adopt(session, _Backend)
            return session
        key = pool_key(request)
        client = self._clients.get(key)
        if client is None:
            with self._lock:
                client = self._clients.get(key) or self._clients.setdefault(key, _client(key))
        return client

    def async_client(self, request: HttpRequest) -> httpx.AsyncClient:
        session = getattr(sys.modules.get("rillm"), "aclient_session", None)
        if isinstance(session, httpx.AsyncClient):
            _adopt(session, _AsyncBackend)
            return session
        return self.loops.get(pool_key(request))

    def send(self, request: HttpRequest) -> HttpxResponse:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        client = self.client(request)
        try:
            built = client.build_request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=request.timeout
            )
            response = client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise _before_response(exc, request) from None
        if response.status_code >= 400:
            try:
                body = response.read()
            except httpx.HTTPError as exc:
                raise _before_response(exc, request) from None
            finally:
                response.close()
            raise error_status(request, response.status_code, response.headers.multi_items(), body)
        return HttpxResponse(response, request, None)

    async def asend(self, request: HttpRequest) -> HttpxResponse:
        """The async twin of `send()`."""
        client = self.async_client(request)
        try:
            built = client.build_request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=request.timeout
            )
            response = await client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise _before_response(exc, request) from None
        if response.status_code >= 400:
            try:
                body = await response.aread()
            except httpx.HTTPError as exc:
                raise _before_response(exc, request) from None
            finally:
                await response.aclose()
            raise error_status(request, response.status_code, response.headers.multi_items(), body)
        return HttpxResponse(response, request, asyncio.get_running_loop())

    def close(self) -> None:
        """Closes the sync clients (async ones close with their loop)."""
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()


def _before_response(exc: httpx.HTTPError, request: HttpRequest) -> APIError:
    timeout = isinstance(exc, httpx.TimeoutException)
    limit = request.timeout.read if isinstance(exc, httpx.ReadTimeout) else request.timeout.connect
    return transport_error(type(exc).__name__, str(exc), request, timeout=timeout, limit=limit)


class HttpxResponse:
    """An open httpx response behind the seam's `Response` (the httpx object itself is `raw`)."""

    __slots__ = ("_loop", "_request", "raw")

    def __init__(self, raw: httpx.Response, request: HttpRequest, loop: asyncio.AbstractEventLoop | None) -> None:
        self.raw = raw
        self._request = request
        # The loop of an async response (None for a sync one).
        self._loop = loop

    @property
    def status_code(self) -> int:
        return self.raw.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def is_closed(self) -> bool:
        return self.raw.is_closed

    @property
    def request(self) -> httpx.Request:
        return masked_request(self._request)

    def _pieces(self) -> Iterator[bytes]:
        # iter_raw skips httpx's decoder and re-chunker when the body is not compressed.
        encoded = self.raw.headers.get("content-encoding", "identity") not in ("identity", "")
        return self.raw.iter_bytes() if encoded else self.raw.iter_raw()

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        hook = None if next_read_timeout is None else _Hook(next_read_timeout)
        try:
            if hook is None:
                yield from self._pieces()
                return
            pieces = self._pieces()
            while True:
                hook.limit(self._request.timeout.read)  # before each step, as on every transport
                token = _HOOK.set(hook)
                try:
                    piece = next(pieces, None)
                finally:
                    _HOOK.reset(token)
                if piece is None:
                    return
                yield piece
        except (httpx.TimeoutException, httpcore.TimeoutException):
            raise BodyError("ReadTimeout", self._read_limit(hook)) from None
        except httpx.HTTPError as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None

    async def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        hook = None if next_read_timeout is None else _Hook(next_read_timeout)
        encoded = self.raw.headers.get("content-encoding", "identity") not in ("identity", "")
        pieces = self.raw.aiter_bytes() if encoded else self.raw.aiter_raw()
        try:
            if hook is None:
                async for piece in pieces:
                    yield piece
                return
            while True:
                hook.limit(self._request.timeout.read)  # before each step, as on every transport
                token = _HOOK.set(hook)
                try:
                    piece = await pieces.__anext__()
                except StopAsyncIteration:
                    return
                finally:
                    _HOOK.reset(token)
                yield piece
        except (httpx.TimeoutException, httpcore.TimeoutException):
            raise BodyError("ReadTimeout", self._read_limit(hook)) from None
        except httpx.HTTPError as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None

    def _read_limit(self, hook: _Hook | None) -> float | None:
        return hook.applied if hook is not None else self._request.timeout.read

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    async def aread(self) -> bytes:
        return b"".join([piece async for piece in self.aiter_bytes()])

    def close(self) -> None:
        """Closes the response; for an async one, without awaiting (from `__del__`, any thread): the socket
        is shut down at once (the server sees it), and the pool is told on the loop's next turn."""
        if self._loop is None:
            self.raw.close()
            return
        _shutdown(self.raw.extensions.get("network_stream"))
        with contextlib.suppress(RuntimeError):  # the loop is closed: its pools went with it
            self._loop.call_soon_threadsafe(_close_later, self.raw)

    async def aclose(self) -> None:
        await self.raw.aclose()


_CLOSING: set[asyncio.Task[None]] = set()


def _close_later(raw: httpx.Response) -> None:
    """In the response's loop: close it in a task (kept here until it is done: the loop holds tasks weakly)."""
    task = asyncio.get_running_loop().create_task(raw.aclose())
    _CLOSING.add(task)
    task.add_done_callback(_CLOSING.discard)


def _shutdown(stream: Any) -> None:
    """Shuts the socket of an httpcore network stream down (the peer sees the connection end at once)."""
    if stream is None:
        return
    sock = stream.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
