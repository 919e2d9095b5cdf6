"""What every transport shares: the body error, the URL without user-info, masked credentials, the errors
raised before a response, and the `httpx.Response` an error status carries whatever the client.

httpx is imported here only when an error is built (an error path, never per chunk)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from rillm._error_mapping import http_error
from rillm.exceptions import APIConnectionError, APIError, Timeout

if TYPE_CHECKING:
    import httpx

    from rillm._http import HttpRequest

__all__ = [
    "CREDENTIAL_HEADERS",
    "MASK",
    "BodyError",
    "env_proxy",
    "error_status",
    "masked_headers",
    "masked_request",
    "read_failed",
    "read_limit",
    "strip_userinfo",
    "transport_error",
    "where",
]

# Headers that carry a credential in some provider's style (bearer, Anthropic, Azure, Gemini, SigV4 and its
# session token), masked wherever a request is shown; any other header whose value holds one of the
# call's secrets is masked too.
CREDENTIAL_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-amz-security-token",
        "cookie",
    }
)
MASK = "[masked]"


class BodyError(Exception):
    """Reading a response body failed. `timeout` is the limit (seconds) a read waited for in vain, or None
    when the connection broke; the message says what the client reported (never a header or a key)."""

    def __init__(self, detail: str, timeout: float | None = None) -> None:
        super().__init__(detail)
        self.timeout = timeout


def read_limit(read_timeout: float | None, hook_value: float | None) -> float | None:
    """The limit of one read: the smaller of the request's read timeout and the deadline hook's value."""
    if hook_value is None:
        return read_timeout
    return hook_value if read_timeout is None else min(read_timeout, hook_value)


def env_proxy(url: str) -> str | None:
    """The environment's proxy for `url` (HTTP_PROXY, HTTPS_PROXY, NO_PROXY...), as httpx would use it: read
    from the environment only, at each call (no file is read, so no thread is needed for it)."""
    import urllib.request  # on first use: it costs milliseconds at import

    parts = urlsplit(url)
    proxy = urllib.request.getproxies().get(parts.scheme)
    if proxy is None or urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def strip_userinfo(url: str, headers: dict[str, str]) -> tuple[str, dict[str, str], str | None]:
    """(url without user-info, headers with the Basic credentials it held, the password) — or the inputs and
    None when the URL has none. httpx makes the same header from such a URL; doing it here keeps the
    credentials out of every URL that is shown or logged, whatever the client."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url, headers, None
    if "@" not in parts.netloc:
        return url, headers, None
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    token = base64.b64encode(f"{unquote(user)}:{unquote(password)}".encode()).decode()
    kept = {name: value for name, value in headers.items() if name.lower() != "authorization"}
    kept["Authorization"] = f"Basic {token}"
    return urlunsplit(parts._replace(netloc=host)), kept, unquote(password) or unquote(user)


def where(request: HttpRequest) -> str:
    """The URL as errors name it: without its query (which never holds a key, but may hold other values)."""
    return request.url.split("?")[0]


def _secret_values(request: HttpRequest) -> list[str]:
    values = [value for value in request.secrets if value]
    for name, value in request.headers.items():
        if name.lower() in CREDENTIAL_HEADERS and value:
            values.append(value)
            scheme, _, token = value.partition(" ")
            if token and scheme.lower() in ("bearer", "basic"):
                values.append(token)
    return values


def masked_headers(request: HttpRequest, headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """The headers (by default the request's) with every credential masked: the credential headers by
    name, and any other whose value holds a secret of the call."""
    secrets = _secret_values(request)
    masked = {}
    for name, value in (request.headers if headers is None else headers).items():
        if name.lower() in CREDENTIAL_HEADERS or any(secret in value for secret in secrets):
            value = MASK
        masked[name] = value
    return masked


def masked_request(request: HttpRequest) -> httpx.Request:
    """The request as an exception or a stream shows it: method, URL (no user-info) and masked headers."""
    import httpx

    return httpx.Request(request.method, request.url, headers=masked_headers(request))


def error_status(request: HttpRequest, status: int, headers: Any, body: bytes) -> APIError:
    """The rillm exception for an error status, carrying an `httpx.Response` (status, headers, body and the
    masked request), whichever client read it."""
    import httpx

    items = list(headers.items()) if hasattr(headers, "items") else list(headers)
    response = httpx.Response(status, headers=items, content=body, request=masked_request(request))
    return http_error(status, body, llm_provider=request.provider, model=request.model, response=response)


def read_failed(exc: BodyError, request: HttpRequest) -> APIError:
    """The exception for a whole body (a non-streaming response) that could not be read."""
    kind = "ReadTimeout" if exc.timeout is not None else "ReadError"
    return transport_error(kind, str(exc), request, timeout=exc.timeout is not None, limit=exc.timeout)


def transport_error(kind: str, detail: str, request: HttpRequest, *, timeout: bool, limit: float | None) -> APIError:
    """The exception for a failure before the response: a Timeout (`timeout`, `limit` seconds) or an
    APIConnectionError. `kind` is the client's name for it (ConnectTimeout, ConnectError, ...)."""
    if timeout:
        return Timeout(
            f"{kind}: no response from {where(request)} within {limit} s",
            model=request.model,
            llm_provider=request.provider,
        )
    return APIConnectionError(
        f"{kind} talking to {where(request)}: {detail}", llm_provider=request.provider, model=request.model
    )
