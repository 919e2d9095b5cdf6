"""A stream's deadlines: a total budget (`max_streaming_duration`, LiteLLM's
LITELLM_MAX_STREAMING_DURATION_SECONDS) and an idle limit between content events (`stream_idle_timeout`).

Both fire while a read is blocked, not only between chunks (LiteLLM checks its budget only when the next
chunk is asked for, so a stalled stream outlives it): the transport asks `next_read_timeout()` before each
read and gives that read no longer than what is left of either deadline. Data that keeps arriving is caught
too: each piece read is checked after it is decoded. Keepalives do not count as content: a piece whose
decoding made no chunk (an SSE comment, Anthropic's ping, a blank line) leaves the idle clock running.

Either raises rillm's Timeout (LiteLLM's class: a 408 that is also an APIConnectionError) naming the limit and
where it came from; the stream wrapper attaches the partial response and closes the connection. The clock
starts when the stream is handed to the caller (as LiteLLM's does, when its wrapper is made).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rillm.exceptions import Timeout

__all__ = ["Deadline"]


class Deadline:
    """The deadlines of one stream; None for one not set."""

    __slots__ = ("budget", "ends_at", "idle", "last_content", "model", "provider", "started")

    def __init__(self, budget: float | None, idle: float | None, *, provider: str, model: str) -> None:
        self.budget = budget
        self.idle = idle
        self.provider = provider
        self.model = model
        self.started = time.monotonic()
        self.ends_at = self.started + budget if budget is not None else None
        self.last_content = self.started

    def _limit(self) -> float:
        """The monotonic time at which the nearer deadline falls."""
        idle = self.last_content + self.idle if self.idle is not None else None
        return min(t for t in (self.ends_at, idle) if t is not None)

    def next_read_timeout(self) -> float:
        """Seconds the next read may wait (never negative; 0 when a deadline has passed)."""
        return max(self._limit() - time.monotonic(), 0.0)

    def watch(self, feed: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
        """`feed` checked after each piece: a piece that made chunks resets the idle clock, and a deadline
        that has passed raises (what was decoded is in the decoder's merge, for the partial response)."""
        clock = time.monotonic

        def timed(piece: Any) -> list[Any]:
            batch = feed(piece)
            now = clock()
            if batch:
                self.last_content = now
            if now >= self._limit():
                raise self.error(now)
            return batch

        return timed

    def expired(self) -> Timeout | None:
        """The Timeout of a deadline that has passed (a read cut short by `next_read_timeout`), else None."""
        now = time.monotonic()
        return self.error(now) if now >= self._limit() - 0.001 else None

    def error(self, now: float) -> Timeout:
        elapsed = now - self.started
        if self.ends_at is not None and now >= self.ends_at - 0.001:
            message = (
                f"the stream exceeded its max streaming duration of {self.budget:g} s (elapsed {elapsed:.1f} s; "
                "max_streaming_duration / LITELLM_MAX_STREAMING_DURATION_SECONDS)"
            )
        else:
            message = (
                f"no content for {now - self.last_content:.1f} s, over the stream idle timeout of {self.idle:g} s "
                f"(elapsed {elapsed:.1f} s; stream_idle_timeout)"
            )
        return Timeout(message, model=self.model, llm_provider=self.provider)
