"""The read timeout of an async response body, with one loop timer per connection rather than one per read.

A timer per socket read (asyncio's `wait_for`, aiohttp's `sock_read`) is a timer handle and two heap
operations per event when a provider writes one event per read. Here each read notes when it must end
(`arm`) and clears that once it has its piece (`ends = None`); the timer, when it fires, moves itself to the
end of the read then waiting, or, if that end has passed, calls `expire`. A read that must end sooner than
the timer (a deadline hook's shorter limit) moves the timer earlier. Used by the httptools transport's
connection (`h1.Connection`) and by the aiohttp transport's body.
"""

from __future__ import annotations

import asyncio

__all__ = ["ReadTimer"]


class ReadTimer:
    """The timer; a subclass says what expiring does (`expire`)."""

    __slots__ = ("_at", "_clock", "_handle", "_loop", "ends")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._clock = loop.time  # the loop's clock: call_at counts in it (uvloop's is not time.monotonic)
        self._handle: asyncio.TimerHandle | None = None
        self._at = 0.0  # when the armed timer fires
        self.ends: float | None = None  # when the read now waiting must end (None: no read waits)

    def arm(self, limit: float) -> None:
        """The read now starting must end within `limit` seconds."""
        ends = self.ends = self._clock() + limit
        if self._handle is None or ends < self._at:
            self._schedule(ends)

    def expire(self) -> None:
        """The waiting read's time is up: wake it with a timeout."""
        raise NotImplementedError

    def cancel_timer(self) -> None:
        """Drops the timer: nothing of the connection or response stays in the loop's timer heap."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _schedule(self, at: float) -> None:
        if self._handle is not None:
            self._handle.cancel()
        self._at = at
        self._handle = self._loop.call_at(at, self._fire)

    def _fire(self) -> None:
        self._handle = None
        ends = self.ends
        if ends is None:
            return  # no read waits: the next one arms the timer again
        if self._clock() < ends:
            self._schedule(ends)
            return
        self.expire()
