"""No connection left behind: every ending of a stream, sync and async, on every transport, gives its
connection back; a dropped async stream closes its connection without its loop running again; repeated
`asyncio.run()` leaves no client, loop or connection; and a thousand streams mixing every ending leave
the server's open connections, the process's open file descriptors and its RSS where they started."""

from __future__ import annotations

import asyncio
import gc
import os
import time
import weakref
from collections.abc import Callable
from typing import Any

import pytest

import rillm
from rillm import _http
from tests.server import ReplayServer, Reply

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")

MESSAGES = [{"role": "user", "content": "Hello"}]
_HEAD = b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
EVENT = _HEAD + b'"delta":{"content":"hi "}}]}\n\n'
END = _HEAD + b'"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
# Long enough that a client leaving after the first chunk leaves while the server is still writing.
BODY = EVENT * 60 + END
# RSS may move by what the allocator keeps; growth per stream would show far above this after 1,000 streams.
RSS_TOLERANCE = 8 * 1024 * 1024


def _kwargs(server: ReplayServer) -> dict[str, Any]:
    return {"api_base": server.url + "/v1", "api_key": "sk-hygiene", "stream": True}


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _settle(server: ReplayServer, baseline: int, timeout: float = 10.0) -> int:
    """The server's open connections once the client's closes have reached it (at most `timeout` s)."""
    deadline = time.monotonic() + timeout
    gc.collect()
    while server.open_connections > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.open_connections


# -- the sync endings ------------------------------------------------------------------------------------------


def _sync_endings(server: ReplayServer) -> list[Callable[[], None]]:
    def to_end() -> None:
        assert (
            "".join(
                c.choices[0].delta.content or "" for c in rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server))
            )
            == "hi " * 60
        )

    def break_out() -> None:
        for _chunk in rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server)):
            break

    def close() -> None:
        stream = rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        next(stream)
        stream.close()

    def with_exit() -> None:
        with rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server)) as stream:
            next(stream)

    def exception() -> None:
        try:
            for _chunk in rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server)):
                raise KeyError("the caller's own error")
        except KeyError:
            pass

    def dropped_unread() -> None:
        stream = rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        del stream

    return [to_end, break_out, close, with_exit, exception, dropped_unread]


# -- the async endings -----------------------------------------------------------------------------------------


def _async_endings(server: ReplayServer) -> list[Callable[[], Any]]:
    async def to_end() -> None:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        assert "".join([c.choices[0].delta.content or "" async for c in stream]) == "hi " * 60

    async def break_out() -> None:
        async for _chunk in await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server)):
            break

    async def close() -> None:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        await stream.__anext__()
        await stream.aclose()

    async def with_exit() -> None:
        async with await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server)) as stream:
            await stream.__anext__()

    async def exception() -> None:
        try:
            async for _chunk in await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server)):
                raise KeyError("the caller's own error")
        except KeyError:
            pass

    async def dropped_unread() -> None:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        del stream

    async def cancelled() -> None:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        started = asyncio.Event()

        async def read() -> None:
            async for _chunk in stream:
                started.set()
                await asyncio.sleep(10)

        task = asyncio.create_task(read())
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    return [to_end, break_out, close, with_exit, exception, dropped_unread, cancelled]


def _run_async(endings: list[Callable[[], Any]], count: int) -> None:
    """`count` streams: half in one loop per batch, half each in its own `asyncio.run()`."""

    async def batch(indexes: range) -> None:
        for i in indexes:
            await endings[i % len(endings)]()

    done = 0
    while done < count:
        size = min(50, count - done)
        if (done // 50) % 2 == 0:
            asyncio.run(batch(range(done, done + size)))
        else:
            for i in range(done, done + size):
                asyncio.run(endings[i % len(endings)]())
        done += size


def test_a_thousand_streams_of_every_ending_leave_nothing_behind(server: ReplayServer) -> None:
    server.fallback = Reply(body=BODY, headers={"content-type": "text/event-stream"}, piece_size=len(EVENT))
    sync, asynchronous = _sync_endings(server), _async_endings(server)
    for i in range(2 * len(sync)):  # warm up: imports, pools, the allocator's arenas
        sync[i % len(sync)]()
    _run_async(asynchronous, 100)  # a batch in one loop, then each in its own
    # Both counts are taken right after a stream read to its end, whose connection the sync pool keeps idle (a
    # kept-alive connection is not a leak): so the pool holds the same before and after, whatever the last
    # ending of the warm-up or of the run left in it.
    sync[0]()
    server.requests.clear()
    baseline = _settle(server, 1 << 30, 0.2)
    fds, rss = _open_fds(), _rss()
    for i in range(500):
        sync[i % len(sync)]()
    _run_async(asynchronous, 500)
    sync[0]()
    after = _settle(server, baseline)
    assert len(server.requests) == 1001
    assert after <= baseline, f"server connections: {baseline} before, {after} after"
    assert _open_fds() <= fds, f"open fds: {fds} before, {_open_fds()} after"
    assert _rss() - rss < RSS_TOLERANCE, f"RSS grew by {(_rss() - rss) / 2**20:.1f} MiB"
    for transport in _http.TRANSPORTS.values():
        loops = getattr(transport, "loops", None)
        assert loops is None or loops.count() == 0  # every loop's clients were closed with it


def test_a_dropped_async_stream_closes_without_its_loop_running(server: ReplayServer) -> None:
    async def run() -> None:
        served = server.reply(Reply(body=BODY, piece_size=len(EVENT), delay=0.05))
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        del stream
        # Blocking, in the loop's own thread: the loop does not run until the server has seen the close.
        assert server.wait_closed(served)

    asyncio.run(run())


def test_dropped_async_streams_do_not_exhaust_the_pool(server: ReplayServer) -> None:
    async def run() -> None:
        server.fallback = Reply(body=BODY, piece_size=len(EVENT), delay=0.01)
        for _ in range(12):
            stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server), max_connections=4)
            del stream
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server), max_connections=4, timeout=5)
        assert [c async for c in stream]

    asyncio.run(run())


def test_repeated_asyncio_run_keeps_no_loop_or_connection(server: ReplayServer) -> None:
    server.fallback = Reply(body=BODY, headers={"content-type": "text/event-stream"})
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def one() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server))
        assert [c async for c in stream]

    asyncio.run(one())
    baseline, fds = _settle(server, 1 << 30, 0.2), _open_fds()
    for _ in range(30):
        asyncio.run(one())
    assert _settle(server, baseline) <= baseline
    assert _open_fds() <= fds
    gc.collect()
    assert all(ref() is None for ref in loops)


def test_a_thousand_concurrent_streams_all_complete(
    server: ReplayServer, transport: str, request: pytest.FixtureRequest
) -> None:
    """1,000 acompletion() streams open at once against one provider (past httpx's default pool of 100): all
    complete. The RSS each open stream costs and the aggregate chunks per second are printed (`pytest -s`)
    and kept in the test's user_properties (the junit XML)."""
    server.fallback = Reply(body=BODY, headers={"content-type": "text/event-stream"}, piece_size=len(EVENT))
    streams = 1000
    baseline = _settle(server, 1 << 30, 0.2)  # idle connections other tests' sync pools keep

    async def run() -> tuple[list[str], float]:
        opened = 0
        all_open = asyncio.Event()
        before = _rss()
        rss_open: list[int] = []

        async def one() -> str:
            nonlocal opened
            stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server), timeout=60)
            first = await stream.__anext__()
            opened += 1
            if opened == streams:
                rss_open.append(_rss())
                all_open.set()
            await all_open.wait()  # every stream is open (its connection too) before any is read further
            return (first.choices[0].delta.content or "") + "".join(
                [c.choices[0].delta.content or "" async for c in stream]
            )

        start = time.perf_counter()
        texts = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - start
        figures = {
            "rss_per_open_stream_kib": round((rss_open[0] - before) / streams / 1024, 1),
            "aggregate_chunks_per_s": round(streams * 61 / elapsed),
        }
        request.node.user_properties.extend(figures.items())
        print(f"\n{transport}: 1,000 concurrent streams: {figures}")
        return texts, elapsed

    texts, _elapsed = asyncio.run(run())
    assert texts == ["hi " * 60] * streams
    assert _settle(server, baseline) <= baseline  # the loop's pools closed with it
