"""Time to first chunk: how long from the call to the first chunk in the caller's hands, for rillm
(completion() on the default sync transport, acompletion() on the default async one) and for a raw httpx
request on the same server (from `client.stream(...)` to its first body bytes). The difference is what
rillm adds: building the request, the transport's send, the decoder's first event.

Warm: the connection is in the pool (the raw client and rillm reuse theirs). Cold: a new connection per
request (the raw client is a new httpx.Client, made before the clock starts; rillm's sync pools are closed
first, so the call makes its pool and connects). The calls alternate, each stream is read to its end after
the clock stops (so its connection goes back to the pool), and the median of the rounds is reported.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rillm._bench.impls import KEY, MESSAGES
from rillm._bench.sockets import _CLOSERS, LOOP
from rillm._bench.workloads import Workload

__all__ = ["FirstChunk", "first_chunk"]


@dataclass(frozen=True)
class FirstChunk:
    """One comparison: the medians (seconds) of the raw httpx request and of rillm's call."""

    path: str  # "completion() (warm)", ...
    raw: float
    rillm: float

    @property
    def added(self) -> float:
        return self.rillm - self.raw


def _median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def first_chunk(load: Workload, url: str, rounds: int) -> list[FirstChunk]:
    """The sync and async comparisons, warm and cold, over `rounds` requests each."""
    import httpx

    import rillm
    from rillm import _http

    target = url + "/chat/completions"
    options: dict[str, Any] = {"stream": True, "api_base": url, "api_key": KEY}

    def raw(client: httpx.Client) -> float:
        start = time.perf_counter()
        with client.stream("POST", target, content=b"{}") as response:
            pieces = response.iter_raw()
            next(pieces)
            took = time.perf_counter() - start
            for _ in pieces:
                pass
        return took

    def ours(cold: bool) -> float:
        if cold:
            _http.close_all()
        start = time.perf_counter()
        stream = rillm.completion(load.model, MESSAGES, **options)
        iterator = iter(stream)
        next(iterator)
        took = time.perf_counter() - start
        for _ in iterator:
            pass
        return took

    results = []
    warm = httpx.Client(timeout=60)
    for cold in (False, True):
        raws, rillms = [], []
        for _ in range(rounds):
            if cold:
                with httpx.Client(timeout=60) as fresh:
                    raws.append(raw(fresh))
            else:
                raws.append(raw(warm))
            rillms.append(ours(cold))
        name = "completion() (cold: new connection)" if cold else "completion() (warm)"
        results.append(FirstChunk(name, _median(raws), _median(rillms)))
    warm.close()
    results.append(_async(load, url, rounds, options, cold=False))
    results.append(_async(load, url, rounds, options, cold=True))
    return results


def _async(load: Workload, url: str, rounds: int, options: dict[str, Any], cold: bool) -> FirstChunk:
    """The async comparison. Warm: on the benchmark's loop, whose pools stay (the raw client is one kept
    httpx.AsyncClient). Cold: each request on an event loop of its own, made before the clock starts, so
    rillm makes the loop's pool and connects (the raw client is a new httpx.AsyncClient on that loop)."""
    import httpx

    import rillm

    target = url + "/chat/completions"
    kept: list[httpx.AsyncClient] = []

    async def raw() -> float:
        if cold:
            client = httpx.AsyncClient(timeout=60)
        elif not kept:
            client = httpx.AsyncClient(timeout=60)
            kept.append(client)
            _CLOSERS.append((LOOP, client.aclose))
        else:
            client = kept[0]
        start = time.perf_counter()
        async with client.stream("POST", target, content=b"{}") as response:
            pieces = response.aiter_raw()
            await pieces.__anext__()
            took = time.perf_counter() - start
            async for _ in pieces:
                pass
        if cold:
            await client.aclose()
        return took

    async def ours() -> float:
        start = time.perf_counter()
        stream = await rillm.acompletion(load.model, MESSAGES, **options)
        iterator = stream.__aiter__()
        await iterator.__anext__()
        took = time.perf_counter() - start
        async for _ in iterator:
            pass
        return took

    raws: list[float] = []
    rillms: list[float] = []
    timed: Callable[[], Any]
    for _ in range(rounds):
        for timed, into in ((raw, raws), (ours, rillms)):
            into.append(_on_own_loop(timed) if cold else LOOP.run(timed))
    name = "acompletion() (cold: new connection)" if cold else "acompletion() (warm)"
    return FirstChunk(name, _median(raws), _median(rillms))


def _on_own_loop(timed: Callable[[], Any]) -> Any:
    """`timed()` run on a new event loop, closed after it (rillm's pools on it close with it)."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(timed())
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
