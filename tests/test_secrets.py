"""No secret shown: for every provider style of credential (bearer, x-api-key, api-key, x-goog-api-key, SigV4
with a session token, user-info in the URL, a key repeated in a header of the caller's), on every transport,
sync and async, through a stream read to its end, an HTTP error, a connection broken mid-stream, a stall and
a refused connection, the secret appears in no error (message, repr, attributes, the response and request it
carries), no repr, no hidden_params, no partial response, and no log line at DEBUG of rillm, httpx, httpcore,
aiohttp, urllib3 or asyncio."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import rillm
from tests.conftest import FIXTURES
from tests.e2e import API_KEY, AWS, target
from tests.server import Fault, ReplayServer, Reply

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")

MESSAGES = [{"role": "user", "content": "Hello"}]
SESSION_TOKEN = "FwoGZXIvYXdzEDO-session-token-DO-NOT-LEAK"
PASSWORD = "pa55-DO-NOT-LEAK"
LOGGERS = ("rillm", "httpx", "httpcore", "aiohttp", "urllib3", "asyncio")


@dataclass(frozen=True)
class Style:
    name: str
    recording: str
    secrets: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    userinfo: bool = False


STYLES = [
    Style("bearer", "openai/gpt5-text-after-tools.sse", (API_KEY,)),
    Style("x-api-key", "anthropic/thinking-then-tool.sse", (API_KEY,)),
    Style("api-key", "openai/azure-gpt5mini-text.sse", (API_KEY,)),
    Style("x-goog-api-key", "google/thinking-parts.sse", (API_KEY,)),
    Style("sigv4", "bedrock/converse-thinking-claude.bin", (AWS["AWS_SECRET_ACCESS_KEY"], SESSION_TOKEN)),
    Style("userinfo", "openai/gpt5-text-after-tools.sse", (PASSWORD,), userinfo=True),
    Style("key-in-extra-header", "mistral/text.sse", (API_KEY,), {"extra_headers": {"X-Gateway-Auth": API_KEY}}),
]


class Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def logs() -> Iterator[Captured]:
    handler = Captured()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    saved = []
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    yield handler
    for logger, level in saved:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _texts(thing: Any, depth: int = 0) -> Iterator[str]:
    """Every text a thing shows: str and repr, and those of what it carries (public attributes, a response,
    its request and headers, a partial response), a few levels deep."""
    if thing is None or depth > 4:
        return
    yield str(thing)
    yield repr(thing)
    if isinstance(thing, (str, bytes, int, float, bool)):
        return
    if isinstance(thing, dict):
        for key, value in thing.items():
            yield str(key)
            yield from _texts(value, depth + 1)
        return
    if isinstance(thing, (list, tuple)):
        for value in thing:
            yield from _texts(value, depth + 1)
        return
    if isinstance(thing, (httpx.Response, httpx.Request)):
        yield str(thing.url)
        yield repr(dict(thing.headers))
        if isinstance(thing, httpx.Response):
            yield thing.text
            yield from _texts(thing.request, depth + 1)
        return
    if hasattr(thing, "model_dump_json"):
        yield thing.model_dump_json()
        return
    for name in ("message", "response", "request", "partial_response", "body", "headers", "hidden_params"):
        value = getattr(thing, name, None)
        if value is not None and not callable(value):
            yield from _texts(value, depth + 1)
    for name, value in getattr(thing, "__dict__", {}).items():
        if not name.startswith("_"):  # what a caller reads, not what the object needs to work
            yield from _texts(value, depth + 1)


def _no_secret(style: Style, *things: Any) -> None:
    secrets = [*style.secrets, base64.b64encode(f"user:{PASSWORD}".encode()).decode()]
    for text in (t for thing in things for t in _texts(thing)):
        for secret in secrets:
            assert secret not in text, f"{style.name}: a secret in {text[:200]!r}"


def _kwargs(server: ReplayServer, style: Style, monkeypatch: pytest.MonkeyPatch, **extra: Any) -> dict[str, Any]:
    spec = target(FIXTURES / style.recording)
    base = server.url + spec.base
    if style.userinfo:
        base = base.replace("http://", f"http://user:{PASSWORD}@")
    kwargs: dict[str, Any] = {"api_base": base, "stream": True, **style.extra, **extra}
    if spec.auth == "sigv4":
        monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    elif spec.auth != "none":
        kwargs["api_key"] = API_KEY
    return kwargs


def _outcomes(server: ReplayServer, style: Style, monkeypatch: pytest.MonkeyPatch, is_async: bool) -> list[Any]:
    """What the caller sees in each scenario: the stream and its response, or the exception."""
    spec = target(FIXTURES / style.recording)
    half = len((FIXTURES / style.recording).read_bytes()) // 2
    scenarios: list[tuple[Reply | None, dict[str, Any]]] = [
        (None, {}),
        (Reply(status=401, body=b'{"error": {"message": "bad key"}}'), {}),
        (None, {"fault": Fault(reset_after=half)}),
        (None, {"fault": Fault(stall_after=half, stall=60), "timeout": 1.0}),
    ]
    seen: list[Any] = []
    for reply, options in scenarios:
        if reply is not None:
            server.reply(reply)
        else:
            server.reply_file(style.recording, **{k: v for k, v in options.items() if k == "fault"})
        extra = {k: v for k, v in options.items() if k != "fault"}
        seen += _call(spec.model, _kwargs(server, style, monkeypatch, **extra), is_async)
    # A refused connection (nothing listens on port 9).
    refused = _kwargs(server, style, monkeypatch)
    refused["api_base"] = refused["api_base"].replace(server.url.split("//")[1], "127.0.0.1:9")
    seen += _call(spec.model, refused, is_async)
    return seen


def _call(model: str, kwargs: dict[str, Any], is_async: bool) -> list[Any]:
    async def arun() -> list[Any]:
        try:
            stream = await rillm.acompletion(model, MESSAGES, **kwargs)
            chunks = [chunk async for chunk in stream]
            return [stream, stream.hidden_params, stream.response, chunks[-1:]]
        except rillm.APIError as exc:
            return [exc]

    if is_async:
        return asyncio.run(arun())
    try:
        stream = rillm.completion(model, MESSAGES, **kwargs)
        chunks = list(stream)
        return [stream, stream.hidden_params, stream.response, chunks[-1:]]
    except rillm.APIError as exc:
        return [exc]


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("style", STYLES, ids=[s.name for s in STYLES])
def test_no_secret_anywhere(
    server: ReplayServer,
    style: Style,
    is_async: bool,
    logs: Captured,
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
) -> None:
    seen = _outcomes(server, style, monkeypatch, is_async)
    errors = [thing for thing in seen if isinstance(thing, rillm.APIError)]
    assert {type(e).__name__ for e in errors} >= {"AuthenticationError", "IncompleteStreamError", "Timeout"}
    assert any(e.partial_response is not None for e in errors)
    # The clients did log, at DEBUG (libcurl, behind the sync path of "curl", and rillm's own sync client, behind
    # that of "own", log nothing to Python's logging).
    assert logs.lines or (transport in ("curl", "own") and not is_async)
    _no_secret(style, *seen, logs.lines)


def test_the_request_an_error_carries_has_its_credentials_masked(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    style = STYLES[-1]
    server.reply(Reply(status=429, body=b'{"error": {"message": "slow down"}}'))
    with pytest.raises(rillm.RateLimitError) as caught:
        rillm.completion("mistral/mistral-small-latest", MESSAGES, **_kwargs(server, style, monkeypatch))
    response = caught.value.response
    assert isinstance(response, httpx.Response) and response.status_code == 429 and "slow down" in response.text
    headers = response.request.headers
    assert headers["authorization"] == "[masked]" and headers["x-gateway-auth"] == "[masked]"
    assert headers["content-type"] == "application/json"  # the others are shown as they were


def test_user_info_becomes_basic_auth_and_leaves_the_url(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    style = STYLES[5]
    server.reply_file(style.recording)
    stream = rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server, style, monkeypatch))
    list(stream)
    sent = server.requests[-1].headers["authorization"]
    assert sent == "Basic " + base64.b64encode(f"user:{PASSWORD}".encode()).decode()
    assert stream.hidden_params["api_base"] == server.url + "/v1/chat/completions"
