"""What the end-to-end rows run over real sockets (the server of `serve.py`): rillm's completion() and
acompletion() on each transport, raw clients parsing the stream themselves, the bare byte read of each
client (the floor of any client built on it), the peers, and many concurrent streams (with the resident
memory each open stream costs).

Each function returns a `run()` that does the work once and returns what it read: the text of the
workload's field (checked against the workload's), or, for a bare read, the number of body bytes (checked
against the stream's length). Async runs go through one event loop (`LOOP`), kept for the whole benchmark,
so pools stay warm from one round to the next as in a long-running program; `shutdown()` closes it (and,
through rillm._http.loops, the pools on it).
"""

from __future__ import annotations

import asyncio
import gc
import importlib
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from rillm._bench.impls import AWS, KEY, MESSAGES, Run, _litellm, backend_module
from rillm._bench.workloads import Workload, aread_field, read_field, workload

__all__ = ["LOOP", "bare_read", "concurrent", "raw_client", "rillm_stream", "rss_per_stream", "shutdown"]


class _Loop:
    """The benchmarks' event loop, made on first use (`uvloop`: uvloop's, as gateways served by uvicorn run)."""

    def __init__(self, uvloop: bool = False) -> None:
        self.uvloop = uvloop
        self.loop: asyncio.AbstractEventLoop | None = None

    def run(self, make: Callable[[], Awaitable[Any]]) -> Any:
        if self.loop is None:
            self.loop = importlib.import_module("uvloop").new_event_loop() if self.uvloop else asyncio.new_event_loop()
        return self.loop.run_until_complete(make())

    def close(self) -> None:
        loop, self.loop = self.loop, None
        if loop is not None:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


LOOP = _Loop()
UVLOOP = _Loop(uvloop=True)  # rows marked "uvloop"; rillm works on any asyncio loop and does not need it
# Async clients made by the rows, closed in their loop.
_CLOSERS: list[tuple[_Loop, Callable[[], Awaitable[None]]]] = []
_SYNC_CLOSERS: list[Callable[[], Any]] = []  # and the sync ones


def shutdown() -> None:
    """Closes the clients the rows made and rillm's sync pools, then the loop (and rillm's async pools)."""
    from rillm import _http

    _http.close_all()
    while _SYNC_CLOSERS:
        _SYNC_CLOSERS.pop()()
    while _CLOSERS:
        loop, close = _CLOSERS.pop()
        if loop.loop is not None:
            loop.run(close)
    LOOP.close()
    UVLOOP.close()


def _credentials(load: Workload) -> dict[str, Any]:
    return dict(AWS) if load.dialect == "bedrock" else {"api_key": KEY}


def _with_backend(backend: str, call: Callable[[], Any]) -> Any:
    """`call()` with rillm's StreamDecoder swapped for the backend's (as RILLM_BACKEND would at import)."""
    from rillm import _backend

    live = _backend.StreamDecoder
    setattr(_backend, "StreamDecoder", backend_module(backend).StreamDecoder)  # noqa: B010
    try:
        return call()
    finally:
        setattr(_backend, "StreamDecoder", live)  # noqa: B010


def rillm_stream(
    backend: str, transport: str | None, is_async: bool, load: Workload, url: str, loop: _Loop = LOOP
) -> Run:
    """`completion(stream=True)` or `acompletion(stream=True)` on `transport` (None: the path's default), the
    async one on `loop`."""
    import rillm

    options = {"stream": True, "api_base": url, "transport": transport, **_credentials(load)}
    if not is_async:
        read = read_field(load.field)
        return lambda: _with_backend(backend, lambda: read(rillm.completion(load.model, MESSAGES, **options)))
    aread = aread_field(load.field)

    async def stream() -> list[Any]:
        return await aread(await rillm.acompletion(load.model, MESSAGES, **options))

    return lambda: _with_backend(backend, lambda: loop.run(stream))


# -- raw clients: the body's lines parsed by the caller -------------------------------------------------------


def _loads() -> Callable[[Any], Any]:
    try:
        return importlib.import_module("orjson").loads  # type: ignore[no-any-return]
    except ImportError:
        import json

        return json.loads


def _text_of(load: Workload) -> Callable[[Any], Any]:
    """What a raw client reads from one event's JSON: the field of the workload, as the dialect carries it."""
    if load.dialect == "anthropic":
        return lambda d: d["delta"].get("text") if d["type"] == "content_block_delta" else None
    return lambda d: d["choices"][0]["delta"].get("content") if d["choices"] else None


def raw_client(client: str, load: Workload, url: str) -> Run:
    """httpx (`iter_lines`) or aiohttp (the body's lines) plus orjson (json when it is not installed): each
    `data:` line parsed and the field read, which is what a hand-written client does."""
    loads, text = _loads(), _text_of(load)
    path = _path(load)
    if client == "httpx":
        import httpx

        session = httpx.Client(timeout=60)
        _SYNC_CLOSERS.append(session.close)

        def run() -> list[Any]:
            out = []
            with session.stream("POST", url + path, content=b"{}") as response:
                for line in response.iter_lines():
                    if line.startswith("data: {"):
                        out.append(text(loads(line[6:])))
            return out

        return run
    import aiohttp

    holder: list[aiohttp.ClientSession] = []

    async def stream() -> list[Any]:
        if not holder:
            holder.append(aiohttp.ClientSession())
            _CLOSERS.append((LOOP, holder[0].close))
        out = []
        async with holder[0].post(url + path, data=b"{}") as response:
            async for line in response.content:
                if line.startswith(b"data: {"):
                    out.append(text(loads(line[6:])))
        return out

    return lambda: LOOP.run(stream)


def _path(load: Workload) -> str:
    return "/v1/messages" if load.dialect == "anthropic" else "/chat/completions"


# -- the bare byte read of each client: the floor ---------------------------------------------------------------


def bare_read(client: str, load: Workload, url: str, loop: _Loop = LOOP) -> Run:
    """The body read and dropped, as each client hands it over (returns the number of bytes); async ones on
    `loop`."""
    target = url + _path(load)
    if client == "httpx":
        import httpx

        session = httpx.Client(timeout=60)
        _SYNC_CLOSERS.append(session.close)

        def run() -> int:
            with session.stream("POST", target, content=b"{}") as response:
                return sum(len(piece) for piece in response.iter_raw())

        return run
    if client == "urllib3":
        import urllib3

        pool = urllib3.PoolManager(retries=False)
        _SYNC_CLOSERS.append(pool.clear)

        def run3() -> int:
            response = pool.urlopen("POST", target, body=b"{}", preload_content=False)
            total = sum(len(piece) for piece in response.read_chunked())
            response.release_conn()
            return total

        return run3
    if client == "pycurl":
        return _curl_read(target)
    if client == "httptools":
        return _transport_read("httptools", target, loop)
    if client == "httptools-sync":
        return _transport_read_sync("httptools", target)
    return _abare_read(client, target, loop)


def _transport_read_sync(name: str, target: str) -> Run:
    """The sync twin of `_transport_read`."""
    import httpx

    from rillm import _http

    request = _http.HttpRequest(target, b"{}", {}, httpx.Timeout(60.0), "openai", "bench", transport=name)

    def run() -> int:
        response = _http.send(request)
        try:
            return sum(len(piece) for piece in response.iter_bytes())
        finally:
            response.close()

    return run


def _transport_read(name: str, target: str, loop: _Loop) -> Run:
    """The bare read of one of rillm's own transports (no client library of its own to read with): the seam's
    send and the body's pieces, nothing decoded."""
    import httpx

    from rillm import _http

    request = _http.HttpRequest(target, b"{}", {}, httpx.Timeout(60.0), "openai", "bench", transport=name)

    async def stream() -> int:
        response = await _http.asend(request)
        total = 0
        try:
            async for piece in response.aiter_bytes():
                total += len(piece)
        finally:
            await response.aclose()
        return total

    return lambda: loop.run(stream)


def _curl_read(target: str) -> Run:
    """pycurl (libcurl, which undoes the chunked framing in C) through its multi interface, the way a
    pull-style transport would drive it: perform, take what the write callback got, wait on the socket."""
    import pycurl

    easy, multi = pycurl.Curl(), pycurl.CurlMulti()
    _SYNC_CLOSERS.extend((easy.close, multi.close))
    pieces: list[bytes] = []
    easy.setopt(pycurl.URL, target)
    easy.setopt(pycurl.POSTFIELDS, b"{}")
    easy.setopt(pycurl.WRITEFUNCTION, pieces.append)

    def run() -> int:
        multi.add_handle(easy)
        total, active = 0, 1
        try:
            while active:
                status, active = multi.perform()
                while status == pycurl.E_CALL_MULTI_PERFORM:
                    status, active = multi.perform()
                total += sum(len(piece) for piece in pieces)
                pieces.clear()
                if active:
                    multi.select(1.0)
        finally:
            multi.remove_handle(easy)
        return total

    return run


def _abare_read(client: str, target: str, loop: _Loop) -> Run:
    if client == "httpx-async":
        import httpx

        session = httpx.AsyncClient(timeout=60)
        _CLOSERS.append((LOOP, session.aclose))

        async def stream() -> int:
            total = 0
            async with session.stream("POST", target, content=b"{}") as response:
                async for piece in response.aiter_raw():
                    total += len(piece)
            return total

        return lambda: LOOP.run(stream)
    import aiohttp

    holder: list[aiohttp.ClientSession] = []

    async def astream() -> int:
        if not holder:
            holder.append(aiohttp.ClientSession())
            _CLOSERS.append((loop, holder[0].close))
        total = 0
        async with holder[0].post(target, data=b"{}") as response:
            readany = response.content.readany
            while piece := await readany():
                total += len(piece)
        return total

    return lambda: loop.run(astream)


# -- peers ------------------------------------------------------------------------------------------------------


def openai_sdk(is_async: bool, load: Workload, url: str) -> Run:
    """The OpenAI SDK's client (one, reused), streaming from the server."""
    import openai

    model = load.model.partition("/")[2]
    if not is_async:
        read = read_field(load.field)
        client = openai.OpenAI(api_key=KEY, base_url=url, max_retries=0)
        _SYNC_CLOSERS.append(client.close)
        return lambda: read(client.chat.completions.create(model=model, messages=MESSAGES, stream=True))
    aread = aread_field(load.field)
    aclient = openai.AsyncOpenAI(api_key=KEY, base_url=url, max_retries=0)
    _CLOSERS.append((LOOP, aclient.close))

    async def stream() -> list[Any]:
        return await aread(await aclient.chat.completions.create(model=model, messages=MESSAGES, stream=True))

    return lambda: LOOP.run(stream)


def litellm_stream(is_async: bool, load: Workload, url: str) -> Run:
    """`litellm.completion(stream=True)` / `litellm.acompletion(stream=True)` against the server."""
    litellm = _litellm()
    options = {"model": load.model, "messages": MESSAGES, "stream": True, "api_base": url, **_credentials(load)}
    if not is_async:
        read = read_field(load.field)
        return lambda: read(litellm.completion(**options))
    aread = aread_field(load.field)

    async def stream() -> list[Any]:
        return await aread(await litellm.acompletion(**options))

    return lambda: LOOP.run(stream)


# -- many streams at once ---------------------------------------------------------------------------------------


def _one_stream(load: Workload, url: str) -> Callable[[], Awaitable[str]]:
    """One acompletion() stream read as a gateway reads it: each chunk's text taken and the chunk dropped (a
    benchmark that kept every chunk of 1,000 streams would measure the garbage collector walking them); the
    text is checked whole (a stream that failed or lost bytes makes the run fail)."""
    import rillm

    if load.field != "content":
        raise ValueError(f"the concurrent benchmark reads text streams, not {load.field}")
    options = {"stream": True, "api_base": url, **_credentials(load)}

    async def one() -> str:
        texts = [c.choices[0].delta.content async for c in await rillm.acompletion(load.model, MESSAGES, **options)]
        text = "".join(t or "" for t in texts)
        if text != load.expected:
            raise AssertionError(f"a stream read {len(text)} characters, {len(load.expected)} expected")
        return text

    return one


def concurrent(streams: int, load: Workload, url: str, loop: _Loop = LOOP) -> Run:
    """`streams` acompletion() streams at once on `loop` (Rust, the default async transport): the text of one
    of them (each was checked whole)."""
    one = _one_stream(load, url)

    async def run() -> str:
        texts = await asyncio.gather(*(one() for _ in range(streams)))
        return texts[0]  # each was checked; the runner checks one more time

    return lambda: _with_backend("rust", lambda: loop.run(run))


def rss_per_stream(streams: int, load: Workload, url: str) -> float | None:
    """Resident memory per open stream, in bytes: the peak RSS while `streams` acompletion() streams run at
    once, less the RSS before they start, over `streams`. Measured in a fresh interpreter (this module run as
    a script) after one stream has warmed it up: in the benchmark's process, memory freed by earlier rows
    would be reused and hide the cost. None where there is no /proc."""
    command = [sys.executable, "-m", "rillm._bench.sockets", str(streams), load.name, str(load.n), url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
    lines = done.stdout.split()
    return float(lines[-1]) if lines and lines[-1] != "None" else None


def _rss() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return None


async def _peak_rss(streams: int, load: Workload, url: str) -> float | None:
    one = _one_stream(load, url)
    await one()  # imports, the pool, the decoder's code: what every stream shares
    gc.collect()
    before = _rss()
    if before is None:
        return None
    peak, running = before, True

    async def sample() -> None:
        nonlocal peak
        while running:
            peak = max(peak, _rss() or 0)
            await asyncio.sleep(0.005)

    sampler = asyncio.ensure_future(sample())
    try:
        await asyncio.gather(*(one() for _ in range(streams)))
    finally:
        running = False
        await sampler
    return (peak - before) / streams


if __name__ == "__main__":
    _streams, _name, _n, _url = sys.argv[1:5]
    _load = workload(_name, int(_n))
    print(_with_backend("rust", lambda: asyncio.run(_peak_rss(int(_streams), _load, _url))))
