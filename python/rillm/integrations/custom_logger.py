"""`CustomLogger`, at the path LiteLLM's docs import it from (`from litellm.integrations.custom_logger import
CustomLogger`), so a callback class written for LiteLLM runs with only the import changed.

Put an instance in `rillm.callbacks`. rillm calls `log_success_event` / `log_failure_event` once per call
made with `completion()` (for a stream: once, when it ends; see rillm._callbacks for what each ending
counts as), and `async_log_success_event` / `async_log_failure_event` once per `acompletion()` call, each with
`(kwargs, response_obj, start_time, end_time)`. The other methods are LiteLLM's hooks that rillm never
calls (pre-call, post-call and per-chunk stream events): they are here so a subclass that overrides them
still imports and runs. Every method does nothing by default.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CustomLogger"]


class CustomLogger:
    """Subclass it and override the events you want. A method that raises is logged on the `rillm` logger and
    never breaks the call or the stream."""

    def __init__(self, **kwargs: Any) -> None:
        # LiteLLM's constructor takes options (message logging, turn-off flags) as keywords; kept for code
        # that passes them.
        self.init_kwargs = kwargs

    # -- called by rillm -----------------------------------------------------------------------------------

    def log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    def log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        pass

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        pass

    # -- LiteLLM's other hooks, never called by rillm -------------------------------------------------------

    def log_pre_api_call(self, model: Any, messages: Any, kwargs: dict[str, Any]) -> None:
        pass

    def log_post_api_call(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    def log_stream_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        pass

    async def async_log_pre_api_call(self, model: Any, messages: Any, kwargs: dict[str, Any]) -> None:
        pass

    async def async_log_stream_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        pass
