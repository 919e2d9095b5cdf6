"""The urllib3 transport (sync only; the `urllib3` extra): it reads a chunked body through http.client's
buffered socket file, one HTTP chunk (one provider event, as providers flush them) per step, several
times faster than httpx's h11 (the README's benchmark table). `read_chunked()` hands each chunk over as
soon as it is complete; a body without chunked framing is read with `read1()`, which returns what one
read of the socket gave (never waiting to fill a size).

One pool manager per provider, pool size and proxy: at most `max_connections` connections per host,
waiting up to the request's pool timeout for a free one (idle connections are kept up to that number).
Proxies come from the environment, as httpx reads them. The deadline hook sets the socket's timeout
before each step, so a blocked read is interrupted by the socket itself.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
from collections.abc import AsyncIterator, Hashable, Iterator, Mapping
from typing import Any, NoReturn

import urllib3
from urllib3.exceptions import ConnectTimeoutError, EmptyPoolError, HTTPError, NewConnectionError, ReadTimeoutError

from rillm._http import HttpRequest, NextReadTimeout, pool_key
from rillm._http.common import (
    BodyError,
    env_proxy,
    error_status,
    masked_request,
    read_limit,
    transport_error,
)
from rillm._http.tls import context as tls_context
from rillm.exceptions import APIError

__all__ = ["Urllib3Response", "Urllib3Transport"]

_BROKEN = (HTTPError, OSError, http.client.HTTPException)


class Urllib3Transport:
    """urllib3 pool managers, one per provider, pool size and proxy, made on first use."""

    name = "urllib3"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._managers: dict[Hashable, urllib3.PoolManager] = {}

    def manager(self, request: HttpRequest) -> urllib3.PoolManager:
        proxy = env_proxy(request.url)
        key = (*pool_key(request), proxy)
        manager = self._managers.get(key)
        if manager is None:
            with self._lock:
                manager = self._managers.get(key)
                if manager is None:
                    most, _idle = key[1]
                    options: dict[str, Any] = {"maxsize": most, "block": True, "retries": False}
                    options["ssl_context"] = tls_context(request.tls)
                    made = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
                    manager = self._managers[key] = made
        return manager

    def send(self, request: HttpRequest) -> Urllib3Response:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        t = request.timeout
        try:
            raw = self.manager(request).urlopen(
                request.method,
                request.url,
                body=request.body,
                headers=request.headers,
                timeout=urllib3.Timeout(connect=t.connect, read=t.read),
                pool_timeout=t.pool,
                redirect=False,
                preload_content=False,
            )
        except _BROKEN as exc:
            raise _before_response(exc, request) from None
        if raw.status >= 400:
            try:
                body = raw.read()
            except _BROKEN as exc:
                raise _before_response(exc, request) from None
            finally:
                raw.release_conn()
            raise error_status(request, raw.status, raw.headers.items(), body)
        assert isinstance(raw, urllib3.HTTPResponse)
        return Urllib3Response(raw, request)

    async def asend(self, request: HttpRequest) -> NoReturn:
        raise TypeError("the urllib3 transport is sync only")

    def close(self) -> None:
        with self._lock:
            managers, self._managers = self._managers, {}
        for manager in managers.values():
            manager.clear()


def _before_response(exc: BaseException, request: HttpRequest) -> APIError:
    t = request.timeout
    # NewConnectionError subclasses ConnectTimeoutError (for old callers): a refused connection is no timeout.
    if isinstance(exc, NewConnectionError):
        return transport_error("ConnectError", str(exc), request, timeout=False, limit=None)
    for cls, kind, limit in (
        (ConnectTimeoutError, "ConnectTimeout", t.connect),
        (ReadTimeoutError, "ReadTimeout", t.read),
        (EmptyPoolError, "PoolTimeout", t.pool),
    ):
        if isinstance(exc, cls):
            return transport_error(kind, "", request, timeout=True, limit=limit)
    return transport_error(type(exc).__name__, str(exc), request, timeout=False, limit=None)


class Urllib3Response:
    """An open urllib3 response behind the seam's `Response` (the urllib3 object itself is `raw`)."""

    __slots__ = ("_request", "is_closed", "raw")

    def __init__(self, raw: urllib3.HTTPResponse, request: HttpRequest) -> None:
        self.raw = raw
        self._request = request
        self.is_closed = False

    @property
    def status_code(self) -> int:
        return self.raw.status

    @property
    def headers(self) -> Mapping[str, str]:
        return self.raw.headers

    @property
    def request(self) -> Any:
        return masked_request(self._request)

    def _pieces(self) -> Iterator[bytes]:
        raw = self.raw
        if raw.chunked and raw.supports_chunked_reads():
            yield from raw.read_chunked(decode_content=True)
            return
        while piece := raw.read1():
            yield piece

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        read_timeout = self._request.timeout.read
        limit = read_timeout
        try:
            if next_read_timeout is None:
                yield from self._pieces()
            else:
                connection = self.raw.connection
                sock = getattr(connection, "sock", None)
                pieces = self._pieces()
                while True:
                    limit = read_limit(read_timeout, next_read_timeout())
                    if limit is not None and limit <= 0:
                        raise BodyError("ReadTimeout", limit)
                    if sock is not None:
                        sock.settimeout(limit)
                    piece = next(pieces, None)
                    if piece is None:
                        break
                    yield piece
        except ReadTimeoutError:
            raise BodyError("ReadTimeout", limit) from None
        except _BROKEN as exc:
            raise BodyError(f"{type(exc).__name__}: {exc}") from None
        self.raw.release_conn()

    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        raise TypeError("the urllib3 transport is sync only")

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    async def aread(self) -> bytes:
        raise TypeError("the urllib3 transport is sync only")

    def close(self) -> None:
        """Closes the response: a body read to its end leaves its connection in the pool; otherwise the
        connection is shut down and closed (the server sees it at once) and its pool slot freed."""
        self.is_closed = True
        raw = self.raw
        connection = raw.connection
        if connection is not None:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            raw.close()
            raw.release_conn()

    async def aclose(self) -> None:
        self.close()
