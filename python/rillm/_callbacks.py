"""LiteLLM's logging callbacks, called once per call: `rillm.success_callback` and `rillm.failure_callback`
(functions `f(kwargs, response_obj, start_time, end_time)`) and `rillm.callbacks` (objects with CustomLogger's
method names; a plain function there counts as both a success and a failure callback). They are read when a
call starts. Never per chunk: a stream calls them once, when it ends.

Which event each ending of a call is (one, exactly once):

- a response, or a stream read to its end: success; `response_obj` is the ModelResponse (for a stream, the
  one built from every chunk), `kwargs["response_cost"]` its cost in USD (None for a model without a price)
  and, for a stream, `kwargs["complete_streaming_response"]` (and `"async_complete_streaming_response"` in
  acompletion()) the same response, as LiteLLM passes them;
- an error (the call's, or one raised while a stream was read: a provider error event, a broken connection,
  a timeout, a deadline): failure; `response_obj` is None as in LiteLLM, `kwargs["exception"]` is the exception
  raised to the caller (its `partial_response` holds what had arrived) and `kwargs["response_cost"]` the cost
  of that partial response;
- the caller leaving a stream before its end (`break` and dropping it, `close()`, leaving a `with` block, a
  cancelled task): success with the partial response built from what had arrived (None if nothing had) and
  its cost, and `kwargs["litellm_params"]["metadata"]["client_disconnected"] = True`: what LiteLLM's proxy
  does for a client that disconnects (it bills the partial stream as a success, marked that way). A stream
  whose terminator had already arrived ended normally, whatever the caller does next.

In completion() the sync methods are called (`log_success_event`); in acompletion() the async ones are awaited
(`async_log_success_event`); an object without the method of that kind gets the other one. A function that
returns an awaitable has it awaited in acompletion(), and run to completion (or scheduled on the running loop)
in completion(). A callback that raises is logged on the `rillm` logger; the caller never sees its error.
Names of LiteLLM's built-in integrations ("langfuse", ...) are not supported: they are logged once and skipped.
"""

from __future__ import annotations

import asyncio
import datetime
import inspect
import sys
import traceback
from collections.abc import Awaitable
from typing import Any

from rillm._log import logger

__all__ = ["CallLog", "registered"]

# Tasks started for async functions called from completion() inside a running loop (kept until done).
_PENDING: set[asyncio.Task[Any]] = set()
_WARNED_NAMES: set[str] = set()


class Hooks:
    """The callbacks registered when a call started."""

    __slots__ = ("failure", "loggers", "success")

    def __init__(self, success: list[Any], failure: list[Any], loggers: list[Any]) -> None:
        self.success = success
        self.failure = failure
        self.loggers = loggers


def registered() -> Hooks | None:
    """The module's callbacks now, or None when there are none (the common case costs three lookups)."""
    module = sys.modules["rillm"]
    success = list(getattr(module, "success_callback", None) or ())
    failure = list(getattr(module, "failure_callback", None) or ())
    objects = list(getattr(module, "callbacks", None) or ())
    if not (success or failure or objects):
        return None
    loggers = []
    for item in objects:
        if hasattr(item, "log_success_event") or hasattr(item, "async_log_success_event"):
            loggers.append(item)
        elif callable(item):
            success.append(item)
            failure.append(item)
        else:
            _unsupported(item)
    return Hooks(success, failure, loggers)


def _unsupported(item: Any) -> None:
    name = item if isinstance(item, str) else type(item).__name__
    if name not in _WARNED_NAMES:
        _WARNED_NAMES.add(name)
        logger.warning("callback %r is not supported by rillm (only functions and CustomLogger objects): skipped", name)


class CallLog:
    """One call's logging: the `kwargs` its callbacks receive, and whether its one event has been sent."""

    __slots__ = ("details", "hooks", "is_async", "sent", "start_time")

    def __init__(self, hooks: Hooks, details: dict[str, Any], *, is_async: bool) -> None:
        self.hooks = hooks
        self.is_async = is_async
        self.start_time = datetime.datetime.now()
        self.details = {
            "call_type": "acompletion" if is_async else "completion",
            "start_time": self.start_time,
            "cache_hit": False,
            **details,
        }
        self.sent = False

    def update(self, **details: Any) -> None:
        """Adds what became known after the call started (the provider, the parameters sent, ...)."""
        self.details.update(details)

    def _kwargs(self, cost: float | None, extra: dict[str, Any], ok: bool) -> dict[str, Any] | None:
        """The callbacks' `kwargs` for this call's event, or None if its event was already sent."""
        if self.sent:
            return None
        self.sent = True
        kwargs = {**self.details, **extra, "end_time": datetime.datetime.now(), "response_cost": cost}
        kwargs["log_event_type"] = "successful_api_call" if ok else "failed_api_call"
        return kwargs

    def _success(self, response: Any, cost: float | None, disconnected: bool) -> dict[str, Any] | None:
        extra: dict[str, Any] = {}
        if self.details.get("stream"):
            extra["complete_streaming_response"] = response
            if self.is_async:
                extra["async_complete_streaming_response"] = response
        if disconnected:
            params = dict(self.details.get("litellm_params") or {})
            params["metadata"] = {**(params.get("metadata") or {}), "client_disconnected": True}
            extra["litellm_params"] = params
        return self._kwargs(cost, extra, True)

    def _failure(self, exc: BaseException, cost: float | None) -> dict[str, Any] | None:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return self._kwargs(cost, {"exception": exc, "traceback_exception": trace}, False)

    # -- sync (completion()) -------------------------------------------------------------------------------

    def success(self, response: Any, cost: float | None, *, disconnected: bool = False) -> None:
        kwargs = self._success(response, cost, disconnected)
        if kwargs is not None:
            _call_sync(self.hooks.success, self.hooks.loggers, "log_success_event", kwargs, response)

    def failure(self, exc: BaseException, cost: float | None = None) -> None:
        kwargs = self._failure(exc, cost)
        if kwargs is not None:
            _call_sync(self.hooks.failure, self.hooks.loggers, "log_failure_event", kwargs, None)

    # -- async (acompletion()) -----------------------------------------------------------------------------

    async def asuccess(self, response: Any, cost: float | None, *, disconnected: bool = False) -> None:
        kwargs = self._success(response, cost, disconnected)
        if kwargs is not None:
            await _call_async(self.hooks.success, self.hooks.loggers, "log_success_event", kwargs, response)

    async def afailure(self, exc: BaseException, cost: float | None = None) -> None:
        kwargs = self._failure(exc, cost)
        if kwargs is not None:
            await _call_async(self.hooks.failure, self.hooks.loggers, "log_failure_event", kwargs, None)


def _call_sync(functions: list[Any], loggers: list[Any], method: str, kwargs: dict[str, Any], response: Any) -> None:
    start, end = kwargs["start_time"], kwargs["end_time"]
    for function in functions:
        if isinstance(function, str) or not callable(function):
            _unsupported(function)
            continue
        _guard(function, lambda f=function: _run_soon(f(kwargs, response, start, end)))
    for obj in loggers:
        hook = getattr(obj, method, None) or getattr(obj, f"async_{method}", None)
        if hook is not None:
            _guard(hook, lambda h=hook: _run_soon(h(kwargs, response, start, end)))


async def _call_async(
    functions: list[Any], loggers: list[Any], method: str, kwargs: dict[str, Any], response: Any
) -> None:
    start, end = kwargs["start_time"], kwargs["end_time"]
    for function in functions:
        if isinstance(function, str) or not callable(function):
            _unsupported(function)
            continue
        await _aguard(function, lambda f=function: f(kwargs, response, start, end))
    for obj in loggers:
        hook = getattr(obj, f"async_{method}", None) or getattr(obj, method, None)
        if hook is not None:
            await _aguard(hook, lambda h=hook: h(kwargs, response, start, end))


def _run_soon(result: Any) -> None:
    """A sync call's awaitable result: run to its end here, or on this thread's running loop as a task."""
    if not inspect.isawaitable(result):
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(_awaited(result))
        return
    task = loop.create_task(_aguard(result, lambda: result))
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)


async def _awaited(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def _guard(callback: Any, call: Any) -> None:
    try:
        call()
    except Exception:
        logger.error("callback %s raised; the call goes on", _name(callback), exc_info=True)


async def _aguard(callback: Any, call: Any) -> None:
    try:
        result = call()
        if inspect.isawaitable(result):
            await result
    except Exception:
        logger.error("callback %s raised; the call goes on", _name(callback), exc_info=True)


def _name(callback: Any) -> str:
    return getattr(callback, "__qualname__", None) or type(callback).__name__
