"""Retries (`num_retries` / `max_retries` / `rillm.num_retries`): which errors are tried again and how long to
wait, as LiteLLM's and the OpenAI SDK's `should_retry` / `calculate_retry_after` decide (litellm/utils.py).

Tried again: a connection that failed before the response (refused, reset, a connect or first-byte timeout:
APIConnectionError and Timeout), and the statuses 408, 409, 429 and 5xx. Never: any other 4xx (a bad key, a
bad request, a model that does not exist, a context window exceeded), nor a configuration error found before
sending (an invalid URL, a missing key), which no retry can fix. An error while a stream is being read is not
retried here: the caller has already had chunks.

How long: the provider's `retry-after-ms` (milliseconds), else `retry-after` (seconds or an HTTP date), when
it is positive, capped at MAX_RETRY_AFTER; else exponential backoff from INITIAL_RETRY_DELAY, doubling per
attempt up to MAX_RETRY_DELAY, with jitter (a random cut of up to a quarter, so clients that failed together
do not come back together). Each retry is one log line on the `rillm` logger.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rillm._log import logger
from rillm.exceptions import APIConnectionError, APIError

__all__ = ["aretry", "delay", "retry", "retryable"]

T = TypeVar("T")

# LiteLLM's constants (litellm/constants.py: INITIAL_RETRY_DELAY, MAX_RETRY_DELAY) and the OpenAI SDK's
# 60 s ceiling on a server's Retry-After.
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
MAX_RETRY_AFTER = 60.0

_RETRIED_STATUSES = frozenset({408, 409, 429})

# How a retry waits (the tests record the waits instead).
_sleep = time.sleep
_asleep = asyncio.sleep


def retryable(exc: APIError) -> bool:
    """Whether another attempt may succeed (configuration errors are BadRequestErrors, raised before sending)."""
    if isinstance(exc, APIConnectionError):
        return True
    return exc.status_code in _RETRIED_STATUSES or exc.status_code >= 500


def delay(exc: APIError, attempt: int) -> tuple[float, str]:
    """(seconds to wait before attempt `attempt + 1`, why): the provider's Retry-After, else backoff."""
    asked = _retry_after(getattr(exc, "response", None))
    if asked is not None:
        return min(asked, MAX_RETRY_AFTER), "retry-after"
    backoff = min(INITIAL_RETRY_DELAY * 2.0**attempt, MAX_RETRY_DELAY)
    return backoff * (1.0 - 0.25 * random.random()), "backoff"


def _retry_after(response: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (delta-seconds or an HTTP date); None when absent or
    not positive."""
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            seconds = float(ms) / 1000.0
            return seconds if seconds > 0 else None
        text = headers.get("retry-after")
        if text is None:
            return None
        try:
            seconds = float(text)
        except ValueError:
            when = email.utils.parsedate_to_datetime(text)
            seconds = when.timestamp() - time.time()
    except (TypeError, ValueError, OverflowError):
        return None
    return seconds if seconds > 0 else None


def _next_wait(exc: APIError, tries: int, retries: int) -> float | None:
    """None when `exc` ends the call (recording how many retries were made on it), else the wait, logged."""
    if tries >= retries or not retryable(exc):
        exc.num_retries = tries or None
        exc.max_retries = retries or None
        return None
    wait, why = delay(exc, tries)
    status = "" if isinstance(exc, APIConnectionError) and exc.status_code == 500 else f" ({exc.status_code})"
    logger.info(
        "retrying %s/%s after %s%s: attempt %d of %d in %.2f s (%s)",
        exc.llm_provider,
        exc.model,
        type(exc).__name__,
        status,
        tries + 2,
        retries + 1,
        wait,
        why,
    )
    return wait


def retry(retries: int, attempt: Callable[[], T]) -> T:
    """`attempt()` until it succeeds, a non-retryable error, or `retries` retries."""
    tries = 0
    while True:
        try:
            return attempt()
        except APIError as exc:
            wait = _next_wait(exc, tries, retries)
            if wait is None:
                raise
        _sleep(wait)
        tries += 1


async def aretry(retries: int, attempt: Callable[[], Awaitable[T]]) -> T:
    """The async `retry()`."""
    tries = 0
    while True:
        try:
            return await attempt()
        except APIError as exc:
            wait = _next_wait(exc, tries, retries)
            if wait is None:
                raise
        await _asleep(wait)
        tries += 1
