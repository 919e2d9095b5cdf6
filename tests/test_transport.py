"""The transport seam on every client, sync and async, against the local server: bytes are handed over as
they arrive (never held back to fill a size), the deadline hook interrupts a blocked read, what each
client raises becomes the seam's BodyError, and the transport is chosen as documented."""

from __future__ import annotations

import asyncio
import base64
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

import rillm
from rillm import _http
from rillm._http import BodyError, HttpRequest
from tests.server import Fault, ReplayServer, Reply

# (transport, async): every client on every path it serves.
CLIENTS = [
    ("httpx", False),
    ("urllib3", False),
    ("pycurl", False),
    ("httptools", False),
    ("httpx", True),
    ("aiohttp", True),
    ("httptools", True),
]
IDS = [f"{name}-{'async' if is_async else 'sync'}" for name, is_async in CLIENTS]
EVENT = b'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'
LONG = 30.0  # a stall no test waits out
SHORT = 2.0  # a read deadline a stall reaches, long enough on a loaded machine for the bytes before it


@dataclass
class Outcome:
    pieces: list[bytes] = field(default_factory=list)
    times: list[float] = field(default_factory=list)  # seconds from the start to each piece
    error: BodyError | None = None
    failed_at: float | None = None


def _request(server: ReplayServer, transport: str, read: float = 20.0) -> HttpRequest:
    timeout = httpx.Timeout(read, connect=5.0)
    return HttpRequest(
        server.url + "/v1/x", b"{}", {"Content-Type": "application/json"}, timeout, "openai", "m", "POST", transport
    )


def _read(
    request: HttpRequest, is_async: bool, hook: Callable[[], float | None] | None, outcome: Outcome | None = None
) -> Outcome:
    """Sends the request and reads the body with the hook; the response is closed at the end."""
    outcome, start = outcome or Outcome(), time.monotonic()

    def record(piece: Any) -> None:
        assert isinstance(piece, (bytes, bytearray, memoryview))
        outcome.pieces.append(bytes(piece))
        outcome.times.append(time.monotonic() - start)

    if not is_async:
        response = _http.send(request)
        try:
            for piece in response.iter_bytes(hook):
                record(piece)
        except BodyError as exc:
            outcome.error, outcome.failed_at = exc, time.monotonic() - start
        finally:
            response.close()
        return outcome

    async def run() -> None:
        response = await _http.asend(request)
        try:
            async for piece in response.aiter_bytes(hook):
                record(piece)
        except BodyError as exc:
            outcome.error, outcome.failed_at = exc, time.monotonic() - start
        finally:
            await response.aclose()

    asyncio.run(run())
    return outcome


@pytest.fixture(autouse=True)
def _clean(server: ReplayServer) -> None:
    server.clear()


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_a_piece_is_handed_over_before_a_stall(server: ReplayServer, name: str, is_async: bool, chunked: bool) -> None:
    """One event, then the server stalls: the event reaches the caller at once, not when the stall ends."""
    body = EVENT + b"data: [DONE]\n\n"
    served = server.reply(Reply(body=body, chunked=chunked, fault=Fault(stall_after=len(EVENT), stall=LONG)))
    outcome = Outcome()

    def hook() -> float:
        return 0.0 if outcome.pieces else LONG  # wait for the event as long as it takes, then stop

    _read(_request(server, name), is_async, hook, outcome)
    assert outcome.pieces == [EVENT]
    assert outcome.times[0] < 10.0
    assert outcome.error is not None and outcome.error.timeout is not None
    assert server.wait_closed(served)


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_the_hook_interrupts_a_blocked_read(server: ReplayServer, name: str, is_async: bool) -> None:
    served = server.reply(Reply(body=EVENT * 3, fault=Fault(stall_after=len(EVENT), stall=LONG)))
    calls: list[float] = []
    outcome = Outcome()

    def hook() -> float:
        calls.append(time.monotonic())
        return SHORT if outcome.pieces else LONG  # the event arrives however loaded the machine, then the stall

    _read(_request(server, name), is_async, hook, outcome)
    assert b"".join(outcome.pieces) == EVENT
    assert outcome.error is not None and outcome.error.timeout == pytest.approx(SHORT)
    assert outcome.failed_at is not None and SHORT * 0.8 < outcome.failed_at - outcome.times[0] < 10.0
    assert calls  # consulted
    assert server.wait_closed(served)


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_a_hook_returning_none_leaves_the_read_timeout(server: ReplayServer, name: str, is_async: bool) -> None:
    served = server.reply(Reply(body=EVENT * 3, fault=Fault(stall_after=len(EVENT), stall=LONG)))
    outcome = _read(_request(server, name, read=SHORT), is_async, lambda: None)
    assert b"".join(outcome.pieces) == EVENT
    assert outcome.error is not None and outcome.error.timeout == pytest.approx(SHORT)
    assert server.wait_closed(served)


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_a_budget_fires_while_keepalives_flow(server: ReplayServer, name: str, is_async: bool) -> None:
    """A total budget (what is left of it, per read) ends a stream that keeps sending: each read is short,
    but the budget runs out."""
    served = server.reply(Reply(body=b": keepalive\n\n" * 200, piece_size=13, delay=0.05))
    deadline = time.monotonic() + SHORT
    outcome = _read(_request(server, name), is_async, lambda: deadline - time.monotonic())
    assert outcome.pieces and b"".join(outcome.pieces).startswith(b": keepalive\n\n")
    assert outcome.error is not None and outcome.error.timeout is not None and outcome.error.timeout <= SHORT
    assert outcome.failed_at is not None and outcome.failed_at < 5.0
    assert len(b"".join(outcome.pieces)) < 13 * 200
    assert server.wait_closed(served)


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_without_a_hook_the_whole_body_arrives(server: ReplayServer, name: str, is_async: bool) -> None:
    body = EVENT * 50 + b"data: [DONE]\n\n"
    server.reply(Reply(body=body, piece_size=len(EVENT)))
    outcome = _read(_request(server, name), is_async, None)
    assert b"".join(outcome.pieces) == body and outcome.error is None


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
def test_the_read_timeout_bounds_each_read_not_the_body(server: ReplayServer, name: str, is_async: bool) -> None:
    """Events 0.4 s apart for three times the 1 s read timeout: each read ends within it, so nothing times out
    (a read timer moved lazily must not fire for an earlier read's start)."""
    body = EVENT * 8
    server.reply(Reply(body=body, piece_size=len(EVENT), delay=0.4))
    outcome = _read(_request(server, name, read=1.0), is_async, None)
    assert b"".join(outcome.pieces) == body and outcome.error is None
    assert outcome.times[-1] > 2.0


@pytest.mark.parametrize(("name", "is_async"), CLIENTS, ids=IDS)
@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_a_broken_body_is_a_body_error(server: ReplayServer, name: str, is_async: bool, fault: str) -> None:
    body = EVENT * 20
    faults = {"reset": Fault(reset_after=len(EVENT) * 5), "truncate": Fault(truncate_after=len(EVENT) * 5)}
    server.reply(Reply(body=body, piece_size=len(EVENT), fault=faults[fault]))
    outcome = _read(_request(server, name), is_async, None)
    assert b"".join(outcome.pieces) == EVENT * 5
    assert outcome.error is not None and outcome.error.timeout is None


@pytest.mark.parametrize("client", ["aiohttp", "httptools"])
def test_the_environments_proxy_carries_an_async_request(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, client: str
) -> None:
    """HTTP_PROXY, read from the environment at each call as httpx reads it (aiohttp's own lookup, which reads
    .netrc in a worker thread per request, is not used): the request goes to the proxy, with the credentials
    of the proxy's URL."""
    for name in ("http_proxy", "HTTP_PROXY", "no_proxy", "NO_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url.replace("http://", "http://user:s%40cret@"))
    served = server.reply(Reply(body=EVENT))
    request = HttpRequest("http://provider.invalid/v1/x", b"{}", {}, httpx.Timeout(20.0), "openai", "m", "POST", client)
    outcome = _read(request, True, None)
    assert b"".join(outcome.pieces) == EVENT and outcome.error is None
    assert served.request.headers["host"] == "provider.invalid"
    assert served.request.headers["proxy-authorization"] == "Basic " + base64.b64encode(b"user:s@cret").decode()


# -- choosing the transport ----------------------------------------------------------------------------------


def test_the_defaults_are_the_fast_clients_when_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "transport", None)
    monkeypatch.setattr(_http, "_defaults", {})
    assert _http.transport_for(None, is_async=False).name == "httptools"
    assert _http.transport_for(None, is_async=True).name == "httptools"


def test_without_httptools_the_sync_default_is_pycurl(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(rillm, "transport", None)
    monkeypatch.setattr(_http, "_defaults", {})
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "httptools" else real(name, *a))
    with caplog.at_level("DEBUG", logger="rillm"):
        assert _http.transport_for(None, is_async=False).name == "pycurl"
    assert [r.getMessage() for r in caplog.records] == ["httptools is not installed: the sync transport is pycurl"]


def test_without_httptools_and_pycurl_the_sync_default_is_urllib3(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(rillm, "transport", None)
    monkeypatch.setattr(_http, "_defaults", {})
    gone = ("httptools", "pycurl")
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in gone else real(name, *a))
    with caplog.at_level("DEBUG", logger="rillm"):
        assert _http.transport_for(None, is_async=False).name == "urllib3"
    assert [r.getMessage() for r in caplog.records] == ["httptools is not installed: the sync transport is urllib3"]


def test_without_the_fast_clients_the_default_is_httpx(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(rillm, "transport", None)
    monkeypatch.setattr(_http, "_defaults", {})
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name in ("httptools", "aiohttp", "urllib3", "pycurl") else real(name, *a),
    )
    with caplog.at_level("DEBUG", logger="rillm"):
        assert _http.transport_for(None, is_async=True).name == "httpx"
        assert _http.transport_for(None, is_async=False).name == "httpx"
    assert [r.getMessage() for r in caplog.records] == [
        "httptools is not installed: the async transport is httpx",
        "httptools is not installed: the sync transport is httpx",
    ]


def test_the_module_setting_is_read_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "transport", "httpx")
    assert _http.transport_for(None, is_async=False).name == "httpx"
    assert _http.transport_for(None, is_async=True).name == "httpx"
    # A client of one path applies to that path; the other keeps its default.
    monkeypatch.setattr(rillm, "transport", "aiohttp")
    monkeypatch.setattr(_http, "_defaults", {False: "urllib3", True: "httpx"})
    assert _http.transport_for(None, is_async=True).name == "aiohttp"
    assert _http.transport_for(None, is_async=False).name == "urllib3"


def test_a_call_names_a_transport_that_serves_its_path() -> None:
    with pytest.raises(
        rillm.BadRequestError, match="'aiohttp' cannot serve completion\\(\\): use one of httpx, urllib3"
    ):
        _http.transport_for("aiohttp", is_async=False)
    with pytest.raises(rillm.BadRequestError, match="'urllib3' cannot serve acompletion\\(\\)"):
        _http.transport_for("urllib3", is_async=True)
    with pytest.raises(rillm.BadRequestError, match="unknown transport 'requests'"):
        _http.transport_for("requests", is_async=False)


def test_per_call_transport_reaches_the_server(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "transport", None)
    for name in ("httpx", "urllib3", "pycurl", "httptools"):
        server.reply(Reply(body=EVENT + b"data: [DONE]\n\n"))
        stream = rillm.completion(
            "openai/gpt-4o",
            [{"role": "user", "content": "hi"}],
            stream=True,
            api_key="k",
            api_base=server.url + "/v1",
            transport=name,
            max_connections=7,
        )
        module = "rillm._http.h1_sync" if name == "httptools" else f"rillm._http.{name}_transport"
        assert type(stream.response).__module__ == module
        assert "".join(c.choices[0].delta.content or "" for c in stream) == "hi"
        assert "transport" not in server.requests[-1].json() and "max_connections" not in server.requests[-1].json()


def test_optional_clients_are_not_imported_with_rillm() -> None:
    names = ("aiohttp", "urllib3", "pycurl", "rillm._http.aiohttp_transport", "rillm._http.urllib3_transport")
    names += ("rillm._http.pycurl_transport", "httptools", "rillm._http.httptools_transport", "rillm._http.h1")
    names += ("rillm._http.h1_sync", "rillm._http.h1_connect", "rillm._http.read_timer")
    code = f"import sys, rillm; print(sorted(m for m in {names!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_missing_client_named_explicitly_says_which_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.delitem(_http.TRANSPORTS, "aiohttp", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "aiohttp" else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install 'rillm\[aiohttp\]'"):
        _http.transport_for("aiohttp", is_async=True)


def test_a_callers_own_httpx_client_is_used_and_deadlines_still_fire(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rillm.client_session` / `aclient_session` (LiteLLM's): the caller's client sends the request, and a
    stream deadline still interrupts a blocked read on it."""
    monkeypatch.setattr(rillm, "transport", None)
    sent: list[str] = []

    async def arecord(request: httpx.Request) -> None:
        sent.append(f"async {request.url.path}")

    sync = httpx.Client(event_hooks={"request": [lambda request: sent.append(f"sync {request.url.path}")]})
    asynchronous = httpx.AsyncClient(event_hooks={"request": [arecord]})
    monkeypatch.setattr(rillm, "client_session", sync)
    monkeypatch.setattr(rillm, "aclient_session", asynchronous)
    kwargs: dict[str, Any] = {
        "api_key": "k",
        "api_base": server.url + "/v1",
        "stream": True,
        "max_streaming_duration": 0.5,
    }
    served = server.reply(Reply(body=EVENT * 3, fault=Fault(stall_after=len(EVENT), stall=LONG)))
    stream = rillm.completion("openai/gpt-4o", [{"role": "user", "content": "hi"}], **kwargs)
    start = time.monotonic()
    with pytest.raises(rillm.Timeout, match="max streaming duration"):
        list(stream)
    assert time.monotonic() - start < 10 and server.wait_closed(served)

    async def run() -> None:
        served = server.reply(Reply(body=EVENT * 3, fault=Fault(stall_after=len(EVENT), stall=LONG)))
        stream = await rillm.acompletion("openai/gpt-4o", [{"role": "user", "content": "hi"}], **kwargs)
        with pytest.raises(rillm.Timeout, match="max streaming duration"):
            async for _chunk in stream:
                pass
        assert server.wait_closed(served)
        await asynchronous.aclose()

    asyncio.run(run())
    assert sent == ["sync /v1/chat/completions", "async /v1/chat/completions"]
    sync.close()
