"""Retries (num_retries, max_retries, rillm.num_retries) against the local server: only connection errors
before the response, 408, 409, 429 and 5xx are tried again; the provider's retry-after-ms / retry-after is
honoured (capped), else exponential backoff with jitter; a 4xx configuration error or an invalid URL is never
retried; each retry is one log line without a key. The waits are recorded, not slept."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from typing import Any

import pytest

import rillm
from rillm import _retry
from tests.e2e import API_KEY
from tests.server import Fault, ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
NAME = "mistral/text.sse"
ERROR = b'{"message": "try again"}'

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Every wait a retry asks for, sync or async (none is slept)."""
    recorded: list[float] = []

    async def asleep(seconds: float) -> None:
        recorded.append(seconds)

    monkeypatch.setattr(_retry, "_sleep", recorded.append)
    monkeypatch.setattr(_retry, "_asleep", asleep)
    return recorded


def _call(server: ReplayServer, **extra: Any) -> Any:
    return rillm.completion(
        "mistral/mistral-small-latest", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True, **extra
    )


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
def test_these_statuses_are_retried(server: ReplayServer, waits: list[float], status: int) -> None:
    server.reply(Reply(status=status, body=ERROR))
    server.reply_file(NAME)
    assert list(_call(server, num_retries=1))
    assert len(server.requests) == 2 and len(waits) == 1


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 422])
def test_client_errors_are_not_retried(server: ReplayServer, waits: list[float], status: int) -> None:
    server.reply(Reply(status=status, body=ERROR))
    with pytest.raises(rillm.APIError) as caught:
        _call(server, num_retries=3)
    assert caught.value.status_code == status
    assert len(server.requests) == 1 and waits == []


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "0.25"}, 0.25),
        ({"retry-after": "2"}, 2.0),
        ({"retry-after-ms": "150"}, 0.15),
        ({"retry-after-ms": "150", "retry-after": "9"}, 0.15),  # the precise one wins, as in the OpenAI SDK
        ({"retry-after": "3600"}, 60.0),  # capped
    ],
)
def test_retry_after_is_honoured(
    server: ReplayServer, waits: list[float], headers: dict[str, str], expected: float
) -> None:
    server.reply(Reply(status=429, body=ERROR, headers=headers))
    server.reply_file(NAME)
    list(_call(server, num_retries=1))
    assert waits == [pytest.approx(expected)]


def test_retry_after_as_an_http_date(server: ReplayServer, waits: list[float]) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.reply(Reply(status=503, body=ERROR, headers={"retry-after": when}))
    server.reply_file(NAME)
    list(_call(server, num_retries=1))
    assert len(waits) == 1 and 25 < waits[0] <= 30


@pytest.mark.parametrize("header", ["0", "-1", "soon"])
def test_an_unusable_retry_after_falls_back_to_backoff(server: ReplayServer, waits: list[float], header: str) -> None:
    server.reply(Reply(status=503, body=ERROR, headers={"retry-after": header}))
    server.reply_file(NAME)
    list(_call(server, num_retries=1))
    assert len(waits) == 1 and 0.375 <= waits[0] <= 0.5


def test_backoff_doubles_with_jitter_up_to_its_ceiling(server: ReplayServer, waits: list[float]) -> None:
    for _ in range(6):
        server.reply(Reply(status=500, body=ERROR))
    with pytest.raises(rillm.InternalServerError) as caught:
        _call(server, num_retries=5)
    assert len(server.requests) == 6 and caught.value.num_retries == 5
    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(waits) == len(ceilings)
    assert all(0.75 * ceiling <= wait <= ceiling for wait, ceiling in zip(waits, ceilings))
    assert "LiteLLM Retried: 5 times" in str(caught.value)


def test_jitter_spreads_the_waits() -> None:
    error = rillm.InternalServerError("x", llm_provider="openai", model="gpt-4o")
    assert len({_retry.delay(error, 2)[0] for _ in range(20)}) > 1


def test_a_connection_refused_is_retried(waits: list[float]) -> None:
    with pytest.raises(rillm.APIConnectionError) as caught:
        rillm.completion("openai/gpt-4o", MESSAGES, api_base="http://127.0.0.1:9/v1", api_key=API_KEY, num_retries=2)
    assert len(waits) == 2 and caught.value.num_retries == 2


@pytest.mark.parametrize("base", ["htp://127.0.0.1:9/v1", "http:///v1", "http://127.0.0.1:99999/v1", "127.0.0.1/v1"])
def test_an_invalid_url_is_a_configuration_error_never_sent(waits: list[float], base: str) -> None:
    with pytest.raises(rillm.BadRequestError, match="invalid URL"):
        rillm.completion("openai/gpt-4o", MESSAGES, api_base=base, api_key=API_KEY, num_retries=3)
    assert waits == []


def test_an_error_while_a_stream_is_read_is_not_retried(server: ReplayServer, waits: list[float]) -> None:
    server.reply_file(NAME, fault=Fault(reset_after=300))
    with pytest.raises(rillm.IncompleteStreamError):
        list(_call(server, num_retries=3))
    assert len(server.requests) == 1 and waits == []


def test_rillm_num_retries_is_read_at_call_time(
    server: ReplayServer, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rillm, "num_retries", 2)
    for _ in range(2):
        server.reply(Reply(status=503, body=ERROR))
    server.reply_file(NAME)
    assert list(_call(server))
    assert len(server.requests) == 3
    server.clear()
    server.reply(Reply(status=503, body=ERROR))
    with pytest.raises(rillm.ServiceUnavailableError):
        _call(server, num_retries=0)  # the argument wins
    assert len(server.requests) == 1


def test_max_retries_is_the_argument_after_num_retries(server: ReplayServer, waits: list[float]) -> None:
    server.reply(Reply(status=503, body=ERROR))
    server.reply_file(NAME)
    list(_call(server, max_retries=1))
    assert len(waits) == 1


def test_each_retry_is_one_log_line_without_the_key(
    server: ReplayServer, waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="rillm")
    server.reply(Reply(status=429, body=ERROR, headers={"retry-after": "0.1"}))
    server.reply(Reply(status=503, body=ERROR))
    server.reply_file(NAME)
    list(_call(server, num_retries=2))
    lines = [r for r in caplog.records if r.getMessage().startswith("retrying")]
    assert len(lines) == 2 and all(r.levelno == logging.INFO for r in lines)
    assert "RateLimitError (429)" in lines[0].getMessage() and "retry-after" in lines[0].getMessage()
    assert "attempt 3 of 3" in lines[1].getMessage()
    assert all(API_KEY not in r.getMessage() for r in caplog.records)


def test_async_retries_honour_retry_after(server: ReplayServer, waits: list[float]) -> None:
    server.reply(Reply(status=429, body=ERROR, headers={"retry-after-ms": "40"}))
    server.reply_file(NAME)

    async def main() -> int:
        stream = await rillm.acompletion(
            "mistral/mistral-small-latest",
            MESSAGES,
            api_base=server.url + "/v1",
            api_key=API_KEY,
            stream=True,
            num_retries=1,
        )
        return len([chunk async for chunk in stream])

    assert asyncio.run(main()) > 0
    assert waits == [pytest.approx(0.04)]


def test_a_whole_response_is_retried_too(server: ReplayServer, waits: list[float]) -> None:
    body = (
        b'{"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": [{"index": 0, '
        b'"message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}'
    )
    server.reply(Reply(status=502, body=ERROR))
    server.reply(Reply(body=body, headers={"content-type": "application/json"}))
    response = rillm.completion(
        "mistral/mistral-small-latest", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, num_retries=1
    )
    assert response.choices[0].message.content == "ok" and len(waits) == 1
