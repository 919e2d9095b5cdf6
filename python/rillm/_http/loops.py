"""Async clients per event loop, closed while their loop shuts down.

An async client's connections belong to the loop that opened them, so each loop gets its own clients. A
loop's clients are closed from inside the loop as it shuts down: the first client made on a loop starts a
small async generator there, which the loop registers through its async-generator hooks; `asyncio.run()`
(and every runner: `loop.shutdown_asyncgens()`) closes it before closing the loop, and its `finally`
awaits each client's close. The loop's entry is then dropped, so neither the loop nor a connection is
left behind by repeated `asyncio.run()` (the entry must be dropped by hand: the clients refer to their
loop, so a weak mapping from the loop would never let go). A loop closed without that shutdown is
forgotten the next time any loop makes a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LoopClients"]

C = TypeVar("C")
log = logging.getLogger("rillm")


class _Loop(Generic[C]):
    __slots__ = ("clients", "guard")

    def __init__(self) -> None:
        self.clients: dict[Hashable, C] = {}
        self.guard: AsyncGenerator[None, None] | None = None


class LoopClients(Generic[C]):
    """The clients of each running loop, by key. `make(key)` builds one (in the loop, without awaiting);
    `close(client)` closes one from inside its loop as the loop shuts down."""

    def __init__(self, make: Callable[[Hashable], C], close: Callable[[C], Awaitable[None]]) -> None:
        self._make = make
        self._close = close
        self._lock = threading.Lock()
        self._loops: dict[asyncio.AbstractEventLoop, _Loop[C]] = {}

    def get(self, key: Hashable) -> C:
        """The running loop's client for `key`, made on first use."""
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is not None:
            client = entry.clients.get(key)
            if client is not None:
                return client
        with self._lock:
            if entry is None:
                self._forget_closed()
                entry = self._loops[loop] = _Loop()
                entry.guard = self._guard(loop, entry)
                _start(entry.guard)
            client = entry.clients.get(key)
            if client is None:
                client = entry.clients[key] = self._make(key)
        return client

    def count(self) -> int:
        """How many loops have clients (for tests: no loop is kept after it closed)."""
        return len(self._loops)

    async def _guard(self, loop: asyncio.AbstractEventLoop, entry: _Loop[C]) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                self._loops.pop(loop, None)
            for client in list(entry.clients.values()):
                try:
                    await self._close(client)
                except Exception as exc:  # a client that fails to close must not stop the others
                    log.debug("closing a client at loop shutdown failed: %s", type(exc).__name__)
            entry.clients.clear()

    def _forget_closed(self) -> None:
        """Drops loops closed without shutting their async generators down (their clients cannot be awaited)."""
        for loop in [loop for loop in self._loops if loop.is_closed()]:
            entry = self._loops.pop(loop)
            entry.clients.clear()
            entry.guard = None


def _start(guard: AsyncGenerator[None, None]) -> None:
    """Runs the guard to its first `yield` without awaiting: asking for its first value is what registers it
    with the running loop's async-generator hooks, and it yields at once."""
    step = guard.asend(None)
    with contextlib.suppress(StopIteration):
        step.send(None)
