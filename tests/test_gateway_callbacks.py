"""LiteLLM's logging callbacks (rillm.success_callback, failure_callback, callbacks with CustomLogger objects),
over the local server: exactly one event per call, in every way a stream can end (read to its end, an error,
a break, close(), a cancelled task), never one per chunk; sync hooks for completion(), async ones awaited for
acompletion(); a callback that raises never reaches the caller."""

from __future__ import annotations

import asyncio
import datetime
import logging
from typing import Any

import pytest

import rillm
from rillm.integrations.custom_logger import CustomLogger
from tests.e2e import API_KEY
from tests.server import Fault, ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
NAME = "openai/gpt4o-parallel-tools-usage.sse"  # gpt-4o: 364 prompt and 40 completion tokens
COST = 364 * 2.5e-06 + 40 * 1e-05

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


class Recorder(CustomLogger):
    """Every event it gets, as (name, kwargs, response_obj, start_time, end_time)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, dict[str, Any], Any, Any, Any]] = []

    def log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.events.append(("success", kwargs, response_obj, start_time, end_time))

    def log_failure_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
        self.events.append(("failure", kwargs, response_obj, start_time, end_time))

    async def async_log_success_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        await asyncio.sleep(0)
        self.events.append(("async_success", kwargs, response_obj, start_time, end_time))

    async def async_log_failure_event(
        self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any
    ) -> None:
        await asyncio.sleep(0)
        self.events.append(("async_failure", kwargs, response_obj, start_time, end_time))

    @property
    def names(self) -> list[str]:
        return [event[0] for event in self.events]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    recorder = Recorder()
    monkeypatch.setattr(rillm, "callbacks", [recorder])
    return recorder


def _kwargs(server: ReplayServer, **extra: Any) -> dict[str, Any]:
    return {"api_base": server.url + "/v1", "api_key": API_KEY, **extra}


def _slow(server: ReplayServer) -> Any:
    """A reply still being sent while the caller leaves."""
    return server.reply_file(NAME, piece_size=64, delay=0.02)


def _assert_no_key(event: tuple[str, dict[str, Any], Any, Any, Any]) -> None:
    assert API_KEY not in repr(event[1]) and API_KEY not in repr(event[2])


# -- a stream read to its end --------------------------------------------------------------------------------


def test_a_stream_read_to_its_end_is_one_success_after_its_last_chunk(server: ReplayServer, recorder: Recorder) -> None:
    server.reply_file(NAME)
    stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, metadata={"team": "a"}, **_kwargs(server))
    seen = 0
    for _chunk in stream:
        seen += 1
        assert recorder.events == []  # never per chunk, not before the caller had the last one
    assert seen > 1
    assert recorder.names == ["success"]
    _name, kwargs, response, start, end = recorder.events[0]
    assert isinstance(response, rillm.ModelResponse)
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (364, 40)
    assert kwargs["complete_streaming_response"] is response
    assert kwargs["response_cost"] == pytest.approx(COST, rel=1e-9)
    assert kwargs["stream"] is True and kwargs["call_type"] == "completion"
    assert kwargs["model"] == "gpt-4o" and kwargs["custom_llm_provider"] == "openai"
    assert kwargs["messages"] == MESSAGES
    assert kwargs["litellm_params"]["metadata"] == {"team": "a"}
    assert isinstance(start, datetime.datetime) and start <= end
    _assert_no_key(recorder.events[0])


def test_an_async_stream_awaits_the_async_hooks_once(server: ReplayServer, recorder: Recorder) -> None:
    server.reply_file(NAME)
    calls: list[Any] = []

    async def on_success(kwargs: dict[str, Any], response: Any, start: Any, end: Any) -> None:
        await asyncio.sleep(0)
        calls.append(response)

    async def main() -> None:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
        async for _chunk in stream:
            assert recorder.events == [] and calls == []

    rillm.success_callback = [on_success]
    try:
        asyncio.run(main())
    finally:
        rillm.success_callback = []
    assert recorder.names == ["async_success"]
    kwargs, response = recorder.events[0][1], recorder.events[0][2]
    assert kwargs["async_complete_streaming_response"] is response and kwargs["call_type"] == "acompletion"
    assert calls == [response]


def test_the_functions_of_success_callback_are_called_once(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    server.reply_file(NAME)
    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(rillm, "success_callback", [lambda *args: calls.append(args)])
    monkeypatch.setattr(rillm, "failure_callback", [lambda *args: calls.append(("failure", *args))])
    chunks = list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server)))
    assert len(calls) == 1
    kwargs, response, _start, _end = calls[0]
    assert kwargs["response_cost"] == pytest.approx(COST, rel=1e-9)
    assert response.usage.total_tokens == chunks[-1].usage.total_tokens == 404


# -- errors --------------------------------------------------------------------------------------------------


def test_a_broken_stream_is_one_failure_with_the_partial_response(server: ReplayServer, recorder: Recorder) -> None:
    served = server.reply_file(NAME, fault=Fault(reset_after=600))
    stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
    with pytest.raises(rillm.IncompleteStreamError) as caught:
        list(stream)
    assert server.wait_closed(served) or served.finished.wait(5)
    assert recorder.names == ["failure"]
    kwargs, response = recorder.events[0][1], recorder.events[0][2]
    assert response is None  # as LiteLLM's failure events
    assert kwargs["exception"] is caught.value
    assert caught.value.partial_response is not None
    assert "IncompleteStreamError" in kwargs["traceback_exception"]
    _assert_no_key(recorder.events[0])


def test_an_error_status_is_one_failure(server: ReplayServer, recorder: Recorder) -> None:
    server.reply(Reply(status=401, body=b'{"error": {"message": "bad key"}}'))
    with pytest.raises(rillm.AuthenticationError) as caught:
        rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
    assert recorder.names == ["failure"]
    assert recorder.events[0][1]["exception"] is caught.value


def test_an_async_error_status_awaits_the_async_failure_hook(server: ReplayServer, recorder: Recorder) -> None:
    server.reply(Reply(status=429, body=b'{"error": {"message": "slow down"}}'))
    with pytest.raises(rillm.RateLimitError):
        asyncio.run(rillm.acompletion("openai/gpt-4o", MESSAGES, **_kwargs(server)))
    assert recorder.names == ["async_failure"]


# -- the caller leaving ---------------------------------------------------------------------------------------


def _left_early(recorder: Recorder) -> dict[str, Any]:
    assert recorder.names == ["success"]
    kwargs: dict[str, Any] = recorder.events[0][1]
    assert kwargs["litellm_params"]["metadata"]["client_disconnected"] is True
    return kwargs


def test_a_break_is_one_success_with_the_partial_response(server: ReplayServer, recorder: Recorder) -> None:
    served = _slow(server)
    for _chunk in rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server)):
        break
    assert server.wait_closed(served)
    _left_early(recorder)
    partial = recorder.events[0][2]
    assert isinstance(partial, rillm.ModelResponse) and partial.choices


def test_close_is_one_success_and_closing_again_adds_nothing(server: ReplayServer, recorder: Recorder) -> None:
    served = _slow(server)
    stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
    next(stream)
    stream.close()
    stream.close()
    assert list(stream) == []
    assert server.wait_closed(served)
    _left_early(recorder)


def test_close_before_reading_is_one_success_without_a_response(server: ReplayServer, recorder: Recorder) -> None:
    served = _slow(server)
    with rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server)):
        pass
    assert server.wait_closed(served)
    _left_early(recorder)
    assert recorder.events[0][2] is None and recorder.events[0][1]["response_cost"] is None


def test_a_stream_whose_terminator_arrived_ended_whatever_the_caller_does(
    server: ReplayServer, recorder: Recorder
) -> None:
    server.reply_file(NAME)
    count = len(list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))))
    recorder.events.clear()
    server.reply_file(NAME)
    stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
    for _ in range(count):
        next(stream)
    stream.close()
    assert recorder.names == ["success"]
    assert "client_disconnected" not in recorder.events[0][1]["litellm_params"]["metadata"]
    assert recorder.events[0][1]["response_cost"] == pytest.approx(COST, rel=1e-9)


def test_a_cancelled_task_is_one_async_success(server: ReplayServer, recorder: Recorder) -> None:
    async def main() -> None:
        served = server.reply_file(NAME, fault=Fault(stall_after=800, stall=60))
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
        first = asyncio.Event()

        async def read() -> None:
            async for _chunk in stream:
                first.set()

        task = asyncio.create_task(read())
        await asyncio.wait_for(first.wait(), 30)  # a chunk has arrived: the task is cancelled mid-stream
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert server.wait_closed(served)

    asyncio.run(main())
    assert recorder.names == ["async_success"]
    assert recorder.events[0][1]["litellm_params"]["metadata"]["client_disconnected"] is True
    assert recorder.events[0][2] is not None and recorder.events[0][2].choices


def test_async_break_and_aclose(server: ReplayServer, recorder: Recorder) -> None:
    async def main() -> None:
        served = _slow(server)
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
        async for _chunk in stream:
            break
        await stream.aclose()
        assert server.wait_closed(served)

    asyncio.run(main())
    assert recorder.names == ["async_success"]


# -- responses, mocks, and callbacks that misbehave -----------------------------------------------------------


def test_a_response_is_one_success_with_its_cost(server: ReplayServer, recorder: Recorder) -> None:
    body = (
        b'{"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "gpt-4o-2024-08-06", '
        b'"choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}], '
        b'"usage": {"prompt_tokens": 364, "completion_tokens": 40, "total_tokens": 404}}'
    )
    server.reply(Reply(body=body, headers={"content-type": "application/json"}))
    response = rillm.completion("openai/gpt-4o", MESSAGES, **_kwargs(server))
    assert recorder.names == ["success"]
    kwargs, logged = recorder.events[0][1], recorder.events[0][2]
    assert logged is response and kwargs["stream"] is False
    assert kwargs["response_cost"] == pytest.approx(COST, rel=1e-9)
    assert "complete_streaming_response" not in kwargs


def test_mock_streams_and_responses_log_too(recorder: Recorder) -> None:
    list(rillm.completion("gpt-4o", MESSAGES, stream=True, mock_response="Hello world!"))
    rillm.completion("gpt-4o", MESSAGES, mock_response="Hi")
    with pytest.raises(rillm.RateLimitError):
        rillm.completion("gpt-4o", MESSAGES, mock_response="litellm.RateLimitError")
    assert recorder.names == ["success", "success", "failure"]
    assert recorder.events[0][2].choices[0].message.content == "Hello world!"


def test_a_raising_callback_is_logged_and_the_stream_goes_on(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken(CustomLogger):
        def log_success_event(self, kwargs: dict[str, Any], response_obj: Any, start_time: Any, end_time: Any) -> None:
            raise RuntimeError("the logging backend is down")

    later: list[Any] = []
    monkeypatch.setattr(rillm, "callbacks", [Broken(), lambda *args: later.append(args)])
    server.reply_file(NAME)
    chunks = list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server)))
    assert chunks and len(later) == 1  # the next callback still ran
    assert any("raised" in r.getMessage() and r.levelno == logging.ERROR for r in caplog.records)


def test_a_raising_async_callback_is_logged_and_the_call_returns(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any) -> None:
        raise RuntimeError("down")

    monkeypatch.setattr(rillm, "success_callback", [broken])
    server.reply_file(NAME)

    async def main() -> int:
        stream = await rillm.acompletion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server))
        return len([chunk async for chunk in stream])

    assert asyncio.run(main()) > 1
    assert any("raised" in r.getMessage() for r in caplog.records)


def test_named_integrations_are_skipped_with_one_warning(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from rillm import _callbacks

    monkeypatch.setattr(_callbacks, "_WARNED_NAMES", set())  # forget what other tests were warned about
    monkeypatch.setattr(rillm, "success_callback", ["langfuse-rillm-test"])
    for _ in range(2):
        server.reply_file(NAME)
        list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **_kwargs(server)))
    warned = [r for r in caplog.records if "langfuse-rillm-test" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING


def test_litellm_docs_custom_callback_class_runs_with_only_the_import_changed(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LiteLLM's docs (observability/custom_callback): a CustomLogger subclass in litellm.callbacks, a
    streamed completion() and acompletion()."""
    import rillm as litellm
    from rillm import acompletion, completion
    from rillm.integrations.custom_logger import CustomLogger

    seen: list[str] = []

    class MyCustomHandler(CustomLogger):
        def log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            seen.append("On Success")

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            seen.append("On Async Success")

    monkeypatch.setattr(litellm, "callbacks", [MyCustomHandler()])
    for _ in range(2):
        server.reply_file(NAME)
    response = completion(model="gpt-4o", messages=MESSAGES, stream=True, **_kwargs(server))
    for _chunk in response:
        continue

    async def acall() -> None:
        response = await acompletion(model="gpt-4o", messages=MESSAGES, stream=True, **_kwargs(server))
        async for _chunk in response:
            continue

    asyncio.run(acall())
    assert seen == ["On Success", "On Async Success"]
