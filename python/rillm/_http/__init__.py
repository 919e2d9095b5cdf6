"""The transport seam: one POST to a provider, sync or async, over the HTTP client chosen for the call.

`completion()` hands an `HttpRequest` to `send()` or `asend()` and gets back an open `Response` whose body
the stream wrapper reads as bytes; nothing else in rillm talks to an HTTP client. The clients behind the
seam, one module each, imported on the first call that uses them:

  httpx    sync and async (`httpx_transport.py`); always installed, the compatibility choice
  urllib3  sync only (`urllib3_transport.py`); the `urllib3` extra
  pycurl   sync only (`pycurl_transport.py`); the `pycurl` extra
  aiohttp  async only (`aiohttp_transport.py`); the `aiohttp` extra
  httptools  sync and async (`httptools_transport.py`, `h1*.py`): rillm's own client, with httptools'
           parser, on asyncio and on a blocking socket; the `httptools` extra

Which one: the call's `transport=`, else `rillm.transport` (read at call time), else httpx when the
caller gave its own httpx client (`rillm.client_session` / `rillm.aclient_session`, used as they are),
else the default of the path, the fastest client installed: httptools, then pycurl, then urllib3, for
`completion()`, and httptools, then aiohttp, for `acompletion()` (`rillm bench`, end to end over sockets:
rillm's completion takes less CPU time on httptools' blocking socket, one system call and one parser feed a
read, than on pycurl, which polls and reads until nothing is left each step; pycurl's bare read of a stream
whose events arrive one per socket read takes a third of urllib3's CPU time, and urllib3's a sixth of
httpx's; aiohttp's a sixth of httpx's; rillm's acompletion of a 20,000-chunk stream written one event per
HTTP chunk takes less than half the CPU time on httptools that it takes on aiohttp, whose StreamReader does
Python work per HTTP chunk), else httpx, with one debug line saying so.
A name given per call must serve the call's path (`transport="aiohttp"` for `completion()` is an error);
`rillm.transport` set to a one-path client applies to that path and leaves the other on its default.

Connections: one pool per provider (per event loop for async), sized by `max_connections=` (per call) or
`rillm.max_connections` (default 1,000), of which at most `rillm.max_keepalive_connections` (default
100) idle ones are kept. An event loop's pools are closed while the loop shuts down (`loops.py`).

What a transport returns (`Response`): `status_code`, `headers` (case-insensitive), `request` (an
`httpx.Request` with the credential headers masked), and the body:

- `is_closed`: whether the response was closed (its connection back in the pool, or closed).
- `iter_bytes(next_read_timeout=None)` / `aiter_bytes(next_read_timeout=None)` yield the body as the
  socket gives it (bytes, bytearray or memoryview, never reused by the transport once yielded; one piece
  per network read or HTTP chunk, never held back to fill a size), and raise `BodyError` when the
  connection breaks or a read times out.
- The deadline hook: `next_read_timeout`, when given, is a callable `() -> float | None` called before
  each read: before each piece is asked for, and again before each blocking socket read inside that step
  where the client needs several (httpx). It returns the longest that read may wait, in seconds (None:
  no limit beyond the request's read timeout). The read waits at most the smaller of that and the
  request's read timeout, and is interrupted when it expires, while it is blocked, on every transport,
  sync and async; then `BodyError` is raised with `timeout` set to the limit that applied. A value
  <= 0 raises at once, even if bytes are waiting. A stream deadline (a total budget, or an idle budget
  restarted at each content event) is a hook returning what is left of it:
  `lambda: deadline - time.monotonic()`. Without a hook a read costs nothing extra.
- `read()` / `aread()` return the whole body (same errors); `close()` (sync, usable from `__del__` and
  for async responses too: it shuts the socket down at once and frees the pool slot without awaiting)
  and `aclose()`.

An error status is read, the response closed, and the mapped rillm exception raised here, carrying an
`httpx.Response` (status, headers, body) whose `request` has every credential header masked. A failure
before the response is an APIConnectionError, or a Timeout. URLs never carry user-info past
`HttpRequest` (it becomes an Authorization: Basic header, as httpx would make it). Nothing is per chunk.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Protocol, Union

from rillm._http import tls as _tls
from rillm._http.common import BodyError, read_failed, strip_userinfo, transport_error
from rillm.exceptions import BadRequestError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_KEEPALIVE",
    "BodyError",
    "HttpRequest",
    "NextReadTimeout",
    "Piece",
    "Response",
    "Transport",
    "asend",
    "close_all",
    "pool_key",
    "read_failed",
    "send",
    "transport_error",
    "transport_for",
]

log = logging.getLogger("rillm")

DEFAULT_MAX_CONNECTIONS = 1000
DEFAULT_MAX_KEEPALIVE = 100

NextReadTimeout = Callable[[], Optional[float]]
Piece = Union[bytes, bytearray, memoryview]


@dataclass(frozen=True)
class HttpRequest:
    """Everything one call sends. `headers` hold the credentials: this class's repr leaves them out, and so
    `secrets` (the call's credential values, for masking). A URL with user-info (`https://user:pass@host`)
    loses it here: it becomes an Authorization: Basic header (replacing any other, as httpx does), so no URL
    shown or logged anywhere carries it. `transport` and `max_connections` are the call's own choices
    (None: the module settings); `tls` is what its connections' TLS is made with (`tls.from_settings`)."""

    url: str
    body: bytes
    headers: dict[str, str] = field(repr=False)
    timeout: httpx.Timeout
    provider: str
    model: str
    method: str = "POST"
    transport: str | None = None
    max_connections: int | None = None
    secrets: tuple[str, ...] = field(default=(), repr=False)
    tls: _tls.Tls = _tls.DEFAULT

    def __post_init__(self) -> None:
        url, headers, password = strip_userinfo(self.url, self.headers)
        if password is not None:
            object.__setattr__(self, "url", url)
            object.__setattr__(self, "headers", headers)
            object.__setattr__(self, "secrets", (*self.secrets, password))


class Response(Protocol):
    """What the stream wrapper and completion() read from a transport's response (see the module docstring)."""

    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...
    @property
    def request(self) -> httpx.Request: ...
    @property
    def is_closed(self) -> bool: ...
    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[Piece]: ...
    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[Piece]: ...
    def read(self) -> bytes: ...
    async def aread(self) -> bytes: ...
    def close(self) -> None: ...
    async def aclose(self) -> None: ...


class Transport(Protocol):
    """One HTTP client behind the seam; `send` for the sync path, `asend` for the async one."""

    name: str

    def send(self, request: HttpRequest) -> Response: ...
    async def asend(self, request: HttpRequest) -> Response: ...
    def close(self) -> None: ...


# name -> (module, class, serves sync, serves async, the package it needs)
_CLIENTS: dict[str, tuple[str, str, bool, bool, str]] = {
    "httpx": ("rillm._http.httpx_transport", "HttpxTransport", True, True, "httpx"),
    "urllib3": ("rillm._http.urllib3_transport", "Urllib3Transport", True, False, "urllib3"),
    "aiohttp": ("rillm._http.aiohttp_transport", "AiohttpTransport", False, True, "aiohttp"),
    "pycurl": ("rillm._http.pycurl_transport", "PycurlTransport", True, False, "pycurl"),
    "httptools": ("rillm._http.httptools_transport", "HttptoolsTransport", True, True, "httptools"),
}
# The defaults, best first (by the README's end-to-end benchmark); httpx is always installed.
_PREFERRED = {False: ("httptools", "pycurl", "urllib3", "httpx"), True: ("httptools", "aiohttp", "httpx")}
# Live transports by name, made on first use (tests may put their own here).
TRANSPORTS: dict[str, Transport] = {}
_defaults: dict[bool, str] = {}


def send(request: HttpRequest) -> Response:
    """Sends the request and returns the response with its body unread; raises for an error status."""
    return transport_for(request.transport, is_async=False).send(request)


async def asend(request: HttpRequest) -> Response:
    """The async twin of `send()`."""
    return await transport_for(request.transport, is_async=True).asend(request)


def transport_for(name: str | None, *, is_async: bool) -> Transport:
    """The transport a call uses: `name` (the call's), else `rillm.transport`, else the path's default."""
    if name is not None:
        _check(name, is_async)
    chosen = name if name is not None else _module_setting(is_async)
    if chosen is None and getattr(sys.modules.get("rillm"), "aclient_session" if is_async else "client_session", None):
        chosen = "httpx"  # the caller's own httpx client (LiteLLM's client_session / aclient_session)
    if chosen is None:
        chosen = _defaults.get(is_async) or _default(is_async)
    transport = TRANSPORTS.get(chosen)
    if transport is None:
        transport = TRANSPORTS.setdefault(chosen, _make(chosen))
    return transport


def _module_setting(is_async: bool) -> str | None:
    """`rillm.transport`, when it names a client that serves this path (else the path's default)."""
    name = getattr(sys.modules.get("rillm"), "transport", None)
    if name is None:
        return None
    _check(name, is_async, strict=False)
    return name if _CLIENTS[name][3 if is_async else 2] else None


def _check(name: Any, is_async: bool, *, strict: bool = True) -> None:
    if name not in _CLIENTS:
        raise BadRequestError(
            f"unknown transport {name!r}: one of {', '.join(sorted(_CLIENTS))} (or None for the default)", None, None
        )
    if strict and not _CLIENTS[name][3 if is_async else 2]:
        path = "acompletion()" if is_async else "completion()"
        serving = [n for n, row in _CLIENTS.items() if row[3 if is_async else 2]]
        raise BadRequestError(f"transport {name!r} cannot serve {path}: use one of {', '.join(serving)}", None, None)


def _default(is_async: bool) -> str:
    for name in _PREFERRED[is_async]:
        if importlib.util.find_spec(_CLIENTS[name][4]) is not None:
            break
    if name != _PREFERRED[is_async][0]:
        path = "async" if is_async else "sync"
        log.debug("%s is not installed: the %s transport is %s", _PREFERRED[is_async][0], path, name)
    _defaults[is_async] = name
    return name


def _make(name: str) -> Transport:
    _check(name, is_async=True, strict=False)
    module_name, class_name, *_rest, package = _CLIENTS[name]
    if importlib.util.find_spec(package) is None:
        raise ImportError(f"the {name} transport needs the {package} package: pip install 'rillm[{package}]'")
    module = importlib.import_module(module_name)
    transport: Transport = getattr(module, class_name)()
    return transport


def check_transport(name: str | None, *, is_async: bool) -> None:
    """Raises BadRequestError when a call's `transport=` cannot serve its path."""
    if name is not None:
        _check(name, is_async)


def limits(request: HttpRequest) -> tuple[int, int]:
    """(max connections, max idle connections kept) for the request's pool."""
    rillm = sys.modules.get("rillm")
    most = request.max_connections or getattr(rillm, "max_connections", None) or DEFAULT_MAX_CONNECTIONS
    idle = getattr(rillm, "max_keepalive_connections", None) or DEFAULT_MAX_KEEPALIVE
    return int(most), min(int(idle), int(most))


def pool_key(request: HttpRequest) -> tuple[str, tuple[int, int], _tls.Tls]:
    """What a transport keeps one pool for: the provider, the pool's size (`limits`) and the TLS settings."""
    return request.provider, limits(request), request.tls


def close_all() -> None:
    """Closes every sync pool (async pools close with their event loop)."""
    for transport in list(TRANSPORTS.values()):
        transport.close()
