"""The transport: one POST to a provider, sync or async, over httpx.

This is the seam between rillm and its HTTP client: `completion()` hands a `HttpRequest` to `send()` or
`asend()` and gets back an open response whose body it reads as bytes; nothing else in rillm imports
httpx's request API. Another client can be measured by replacing `TRANSPORT` with an object that has the
same two methods and returns responses with `status_code`, `headers`, `iter_bytes()`/`aiter_bytes()`,
`read()`/`aread()` and `close()`/`aclose()`.

One httpx client per provider per process (per event loop for async clients, whose connections belong to
the loop that opened them), so connections are reused across calls. An error status is read, the
response closed, and the mapped rillm exception raised here; a connection failure or timeout becomes
APIConnectionError or Timeout. Nothing here is per chunk.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from rillm._error_mapping import http_error
from rillm.exceptions import APIConnectionError, APIError, Timeout

__all__ = ["TRANSPORT", "HttpRequest", "HttpxTransport", "Response", "transport_error"]


@dataclass(frozen=True)
class HttpRequest:
    """Everything one call sends. `headers` hold the credentials: this class's repr leaves them out."""

    url: str
    body: bytes
    headers: dict[str, str] = field(repr=False)
    timeout: httpx.Timeout
    provider: str
    model: str
    method: str = "POST"


class Response(Protocol):
    """What the stream wrapper and completion() read from a transport's response."""

    status_code: int
    headers: Any

    def iter_bytes(self) -> Iterator[bytes]: ...
    def aiter_bytes(self) -> AsyncIterator[bytes]: ...
    def read(self) -> bytes: ...
    async def aread(self) -> bytes: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...


class HttpxTransport:
    """httpx clients, one per provider (and per event loop for async), created on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, httpx.Client] = {}
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, httpx.AsyncClient]] = (
            weakref.WeakKeyDictionary()
        )

    def client(self, provider: str) -> httpx.Client:
        with self._lock:
            client = self._clients.get(provider)
            if client is None:
                client = self._clients[provider] = httpx.Client(follow_redirects=False)
            return client

    def async_client(self, provider: str) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            clients = self._async_clients.setdefault(loop, {})
            client = clients.get(provider)
            if client is None:
                client = clients[provider] = httpx.AsyncClient(follow_redirects=False)
            return client

    def send(self, request: HttpRequest) -> httpx.Response:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        client = self.client(request.provider)
        try:
            built = client.build_request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=request.timeout
            )
            response = client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise transport_error(exc, request, None) from None
        if response.status_code >= 400:
            try:
                body = response.read()
            except httpx.HTTPError as exc:
                raise transport_error(exc, request, None) from None
            finally:
                response.close()
            raise http_error(
                response.status_code, body, llm_provider=request.provider, model=request.model, response=response
            )
        return response

    async def asend(self, request: HttpRequest) -> httpx.Response:
        """The async twin of `send()`."""
        client = self.async_client(request.provider)
        try:
            built = client.build_request(
                request.method, request.url, content=request.body, headers=request.headers, timeout=request.timeout
            )
            response = await client.send(built, stream=True)
        except httpx.HTTPError as exc:
            raise transport_error(exc, request, None) from None
        if response.status_code >= 400:
            try:
                body = await response.aread()
            except httpx.HTTPError as exc:
                raise transport_error(exc, request, None) from None
            finally:
                await response.aclose()
            raise http_error(
                response.status_code, body, llm_provider=request.provider, model=request.model, response=response
            )
        return response

    def close(self) -> None:
        """Closes the sync clients (async clients close with their event loop's garbage)."""
        with self._lock:
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()


def transport_error(exc: httpx.HTTPError, request: HttpRequest, received: int | None) -> APIError:
    """A Timeout for an httpx timeout, else an APIConnectionError; `received` is the number of body bytes
    that had arrived when a stream broke (None before the response). The message names the URL without
    its query (which never holds a key, but may hold other parameters) and never the headers."""
    where = request.url.split("?")[0]
    after = f" after {received} bytes of the response" if received is not None else ""
    if isinstance(exc, httpx.TimeoutException):
        kind = type(exc).__name__
        limit = request.timeout.read if isinstance(exc, httpx.ReadTimeout) else request.timeout.connect
        return Timeout(
            f"{kind}: no response from {where} within {limit} s{after}",
            model=request.model,
            llm_provider=request.provider,
        )
    return APIConnectionError(
        f"{type(exc).__name__} talking to {where}{after}: {exc}", llm_provider=request.provider, model=request.model
    )


TRANSPORT = HttpxTransport()
