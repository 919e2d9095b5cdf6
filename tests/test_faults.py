"""Faults on a real connection: each ends in the right exception, carries what had arrived as
`partial_response`, and leaves the server seeing the connection closed. Also every way out of a stream
(end, break, close, with, cancellation) releases the connection, and keys never show in errors."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

import rillm
from rillm import exceptions
from tests.conftest import FIXTURES
from tests.e2e import API_KEY, AWS, Target, target
from tests.partial import expected as expected_partial
from tests.partial import summary
from tests.server import Fault, ReplayServer, Reply

MESSAGES = [{"role": "user", "content": "Hello"}]
# One recording per dialect, long enough to fail in the middle of.
SAMPLES = [
    "openai/gpt5-text-after-tools.sse",
    "anthropic/thinking-then-tool.sse",
    "cohere/v2-tool-calls.sse",
    "google/thinking-parts.sse",
    "ollama/chat-thinking-gptoss.ndjson",
    "bedrock/converse-thinking-claude.bin",
]

# A read timeout for a stalled reply, long enough on a loaded machine for the bytes before the stall to arrive
# first, and a stall no test waits out (the server sees the client leave long before it ends).
STALLED = 2.0
STALL = 60.0

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


def _spec(name: str) -> Target:
    return target(FIXTURES / name)


def _kwargs(server: ReplayServer, spec: Target, **extra: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"api_base": server.url + spec.base, "stream": True, **extra}
    if spec.auth not in ("sigv4", "none"):
        kwargs["api_key"] = API_KEY
    return kwargs


def _shown(thing: Any) -> list[Any]:
    """`thing` and, for an error, the response and request it carries with their headers (a live stream's
    own response keeps the request as sent, as httpx's does)."""
    if not isinstance(thing, BaseException):
        return [thing]
    response = getattr(thing, "response", None)
    request = getattr(response, "_request", None)  # httpx.Response.request raises when there is none
    return [thing, response, getattr(response, "headers", None), request, getattr(request, "headers", None)]


def _no_secret(*things: Any) -> None:
    for thing in things:
        for shown in _shown(thing):
            headers = dict(shown.items()) if hasattr(shown, "items") else None
            for text in (str(shown), repr(shown), str(headers)):
                assert API_KEY not in text
                assert AWS["AWS_SECRET_ACCESS_KEY"] not in text


def _drain(stream: Any) -> list[Any]:
    return [chunk for chunk in stream]


def _holds_what_arrived(error: Any, spec: Target, sent: bytes) -> None:
    """The error's partial response holds the text, reasoning and tool calls of the bytes that arrived
    (tests/partial.py derives them from the bytes), and something did arrive."""
    assert error.partial_response is not None
    assert summary(error.partial_response) == expected_partial(spec.dialect, sent)


# -- faults in the middle of the body ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SAMPLES)
def test_stall_mid_stream_is_a_timeout_with_the_partial_response(server: ReplayServer, name: str) -> None:
    spec = _spec(name)
    body = (FIXTURES / name).read_bytes()
    served = server.reply_file(name, fault=Fault(stall_after=len(body) // 2, stall=STALL))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, timeout=STALLED))
    with pytest.raises(rillm.Timeout) as caught:
        _drain(stream)
    assert caught.value.status_code == 408
    _holds_what_arrived(caught.value, spec, body[: len(body) // 2])
    assert server.wait_closed(served)
    _no_secret(caught.value, stream)


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize("fault", ["reset", "truncate"])
def test_broken_connection_is_an_incomplete_stream_with_the_partial_response(
    server: ReplayServer, name: str, fault: str
) -> None:
    spec = _spec(name)
    body = (FIXTURES / name).read_bytes()
    half = len(body) // 2
    faults = {"reset": Fault(reset_after=half), "truncate": Fault(truncate_after=half)}
    server.reply_file(name, fault=faults[fault])
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(rillm.IncompleteStreamError) as caught:
        _drain(stream)
    error = caught.value
    assert isinstance(error, rillm.APIConnectionError)
    assert f"broke after {half} bytes" in str(error)
    _holds_what_arrived(error, spec, body[:half])
    _no_secret(error)


@pytest.mark.parametrize("name", SAMPLES)
def test_a_body_cut_short_is_an_incomplete_stream(server: ReplayServer, name: str) -> None:
    spec = _spec(name)
    body = (FIXTURES / name).read_bytes()
    server.reply(Reply(body=body[: len(body) // 2], headers={"content-type": "text/event-stream"}))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(exceptions.StreamError) as caught:
        _drain(stream)
    assert isinstance(caught.value, (rillm.IncompleteStreamError, rillm.StreamDecodeError))
    _holds_what_arrived(caught.value, spec, body[: len(body) // 2])


def test_keepalive_comments_only(server: ReplayServer) -> None:
    spec = _spec("anthropic/text-basic.sse")
    server.reply(Reply(body=b": keepalive\n\n" * 5, headers={"content-type": "text/event-stream"}, piece_size=13))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(rillm.IncompleteStreamError) as caught:
        _drain(stream)
    assert caught.value.partial_response is None


def test_keepalive_comments_then_a_stall_is_a_timeout(server: ReplayServer) -> None:
    spec = _spec("openai/gpt4o-refusal.sse")
    served = server.reply(
        Reply(
            body=b": keepalive\n\n" * 3,
            headers={"content-type": "text/event-stream"},
            fault=Fault(stall_after=39, stall=STALL),
        )
    )
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, timeout=STALLED))
    with pytest.raises(rillm.Timeout) as caught:
        _drain(stream)
    assert caught.value.partial_response is None
    assert server.wait_closed(served)


@pytest.mark.parametrize("name", SAMPLES)
def test_stall_before_the_first_byte_fails_the_call(server: ReplayServer, name: str) -> None:
    spec = _spec(name)
    served = server.reply_file(name, fault=Fault(stall_before=STALL))
    with pytest.raises(rillm.Timeout) as caught:
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, timeout=STALLED))
    assert caught.value.llm_provider == spec.model.split("/")[0]
    assert server.wait_closed(served)
    _no_secret(caught.value)


def test_stream_timeout_replaces_timeout_for_a_live_stream(server: ReplayServer) -> None:
    spec = _spec("mistral/text.sse")
    served = server.reply_file("mistral/text.sse", fault=Fault(stall_before=STALL))
    with pytest.raises(rillm.Timeout):
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, timeout=STALL * 2, stream_timeout=STALLED))
    assert server.wait_closed(served)


# -- error events after HTTP 200 -----------------------------------------------------------------------------


def _events_then(name: str, keep: int, error: bytes) -> bytes:
    """The first `keep` events of an SSE recording, then an error event."""
    events = (FIXTURES / name).read_bytes().replace(b"\r\n", b"\n").split(b"\n\n")
    return b"\n\n".join(events[:keep]) + b"\n\n" + error


@pytest.mark.parametrize(
    ("name", "error", "expected"),
    [
        (
            "openai/gpt5-text-after-tools.sse",
            b'data: {"error": {"message": "The server had an error", "type": "server_error"}}\n\n',
            exceptions.StreamInternalServerError,
        ),
        (
            "anthropic/thinking-then-tool.sse",
            b"event: error\n"
            b'data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}\n\n',
            exceptions.StreamInternalServerError,
        ),
        (
            "google/thinking-parts.sse",
            b'data: {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}}\n\n',
            exceptions.StreamRateLimitError,
        ),
        (
            "cohere/v2-tool-calls.sse",
            b'event: error\ndata: {"message": "internal server error"}\n\n',
            exceptions.StreamInternalServerError,
        ),
    ],
)
def test_error_event_after_200(server: ReplayServer, name: str, error: bytes, expected: type) -> None:
    spec = _spec(name)
    body = _events_then(name, 4, error)
    served = server.reply(Reply(body=body, headers={"content-type": "text/event-stream"}))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(expected) as caught:
        _drain(stream)
    _holds_what_arrived(caught.value, spec, body)
    assert caught.value.llm_provider is None or isinstance(caught.value.llm_provider, str)
    # The stream stopped reading at the error and released the connection (the server may or may not have
    # finished writing the message's last bytes by then, so its view of the close is not asserted).
    assert stream.response is not None and stream.response.is_closed
    served.finished.wait(5)


def test_ollama_error_line(server: ReplayServer) -> None:
    spec = _spec("ollama/chat-text-gemma3.ndjson")
    lines = (FIXTURES / "ollama/chat-text-gemma3.ndjson").read_bytes().split(b"\n")
    body = b"\n".join(lines[:3]) + b'\n{"error": "an error was encountered while running the model"}\n'
    server.reply(Reply(body=body, headers={"content-type": "application/x-ndjson"}))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(exceptions.ProviderStreamError) as caught:
        _drain(stream)
    assert "while running the model" in str(caught.value)
    _holds_what_arrived(caught.value, spec, body)


# -- HTTP error statuses with each provider's error body -----------------------------------------------------

_ERRORS = [
    (
        "openai/gpt4o-refusal.sse",
        401,
        {
            "error": {
                "message": "Incorrect API key provided: sk-****abcd.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
        rillm.AuthenticationError,
    ),
    (
        "anthropic/text-basic.sse",
        404,
        {"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}},
        rillm.NotFoundError,
    ),
    (
        "anthropic/text-basic.sse",
        529,
        {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
        rillm.InternalServerError,
    ),
    (
        "groq/text-llama.sse",
        429,
        {
            "error": {
                "message": "Rate limit reached for model llama-3.3-70b-versatile on tokens per minute (TPM)",
                "type": "tokens",
                "code": "rate_limit_exceeded",
            }
        },
        rillm.RateLimitError,
    ),
    (
        "google/text-basic.sse",
        500,
        {"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}},
        rillm.InternalServerError,
    ),
    (
        "bedrock/converse-text-nova.bin",
        503,
        {"message": "Bedrock is unable to process your request."},
        rillm.ServiceUnavailableError,
    ),
    (
        "cohere/v2-text.sse",
        400,
        {"message": "invalid request: message must be at least 1 token long or tool results must be specified."},
        rillm.BadRequestError,
    ),
    (
        "ollama/chat-text-gemma3.ndjson",
        404,
        {"error": 'model "llama3.2" not found, try pulling it first'},
        rillm.NotFoundError,
    ),
    (
        "openai/gpt4o-refusal.sse",
        400,
        {
            "error": {
                "message": "This model's maximum context length is 128000 tokens. However, your messages "
                "resulted in 130412 tokens.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
        rillm.ContextWindowExceededError,
    ),
    (
        "anthropic/text-basic.sse",
        400,
        {
            "type": "error",
            "error": {"type": "invalid_request_error", "message": "prompt is too long: 210000 tokens > 200000 maximum"},
        },
        rillm.ContextWindowExceededError,
    ),
    (
        "openai/gpt4o-refusal.sse",
        400,
        {
            "error": {
                "message": "Your request was rejected as a result of our safety system.",
                "type": "invalid_request_error",
                "code": "content_policy_violation",
            }
        },
        rillm.ContentPolicyViolationError,
    ),
]


@pytest.mark.parametrize(("name", "status", "body", "expected"), _ERRORS, ids=lambda v: str(v)[:30])
def test_http_error_status(server: ReplayServer, name: str, status: int, body: Any, expected: type) -> None:
    spec = _spec(name)
    raw = json.dumps(body).encode()
    served = server.reply(Reply(status=status, body=raw, headers={"content-type": "application/json"}))
    with pytest.raises(expected) as caught:
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    error = caught.value
    assert type(error) is expected
    assert error.status_code == (500 if status == 529 else status)
    assert error.llm_provider == spec.model.split("/")[0]
    assert error.body == body
    assert error.response.status_code == status
    assert f"HTTP {status}" in error.message
    assert not server.wait_closed(served)
    _no_secret(error)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (402, rillm.PaymentRequiredError),
        (403, rillm.PermissionDeniedError),
        (408, rillm.Timeout),
        (413, rillm.BadRequestError),
        (422, rillm.BadRequestError),
        (502, rillm.BadGatewayError),
        (504, rillm.Timeout),
        (507, rillm.APIError),
    ],
)
def test_status_mapping(server: ReplayServer, status: int, expected: type) -> None:
    spec = _spec("mistral/text.sse")
    server.reply(Reply(status=status, body=b'{"message": "nope"}', headers={"content-type": "application/json"}))
    with pytest.raises(expected) as caught:
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert "nope" in str(caught.value)


def test_an_html_error_page_is_cut_short_in_the_message(server: ReplayServer) -> None:
    spec = _spec("mistral/text.sse")
    page = b"<html><body>" + b"Bad gateway. " * 1000 + b"</body></html>"
    server.reply(Reply(status=502, body=page, headers={"content-type": "text/html"}))
    with pytest.raises(rillm.BadGatewayError) as caught:
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    assert len(caught.value.message) < 2200 and f"({len(page)} characters)" in caught.value.message
    assert caught.value.body == page.decode()


def test_connection_refused_is_an_api_connection_error() -> None:
    with pytest.raises(rillm.APIConnectionError) as caught:
        rillm.completion("openai/gpt-4o", MESSAGES, api_base="http://127.0.0.1:9/v1", api_key=API_KEY, stream=True)
    assert not isinstance(caught.value, rillm.Timeout)
    _no_secret(caught.value)


def test_retries_then_succeeds(server: ReplayServer) -> None:
    spec = _spec("mistral/text.sse")
    server.reply(Reply(status=503, body=b'{"message": "busy"}'))
    server.reply_file("mistral/text.sse")
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, num_retries=1))
    assert _drain(stream)
    assert len(server.requests) == 2


def test_no_retry_for_a_client_error(server: ReplayServer) -> None:
    spec = _spec("mistral/text.sse")
    server.reply(Reply(status=401, body=b'{"message": "no"}'))
    with pytest.raises(rillm.AuthenticationError):
        rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec, num_retries=3))
    assert len(server.requests) == 1


# -- every way out of a stream closes it ---------------------------------------------------------------------


def _slow(server: ReplayServer, name: str) -> Any:
    """A reply still being sent while the client leaves (so the server can see it go)."""
    return server.reply_file(name, piece_size=64, delay=0.05)


def test_break_closes_the_connection(server: ReplayServer) -> None:
    spec = _spec("openai/gpt5-text-after-tools.sse")
    served = _slow(server, "openai/gpt5-text-after-tools.sse")
    for _chunk in rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec)):
        break
    assert server.wait_closed(served)


def test_close_closes_the_connection(server: ReplayServer) -> None:
    spec = _spec("anthropic/thinking-then-tool.sse")
    served = _slow(server, "anthropic/thinking-then-tool.sse")
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    next(stream)
    stream.close()
    assert server.wait_closed(served)
    assert list(stream) == []


def test_close_before_iterating(server: ReplayServer) -> None:
    spec = _spec("anthropic/thinking-then-tool.sse")
    served = _slow(server, "anthropic/thinking-then-tool.sse")
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    stream.close()
    assert server.wait_closed(served)
    assert list(stream) == []


def test_dropping_an_unread_stream_closes_the_connection(server: ReplayServer) -> None:
    spec = _spec("anthropic/thinking-then-tool.sse")
    served = _slow(server, "anthropic/thinking-then-tool.sse")
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    del stream
    assert server.wait_closed(served)


def test_with_block_closes_the_connection(server: ReplayServer) -> None:
    spec = _spec("google/thinking-parts.sse")
    served = server.reply_file("google/thinking-parts.sse", fault=Fault(stall_after=3000, stall=STALL))
    with rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec)) as stream:
        next(stream)
    assert server.wait_closed(served)


def test_exception_in_the_loop_closes_the_connection(server: ReplayServer) -> None:
    spec = _spec("ollama/chat-thinking-gptoss.ndjson")
    served = _slow(server, "ollama/chat-thinking-gptoss.ndjson")
    with pytest.raises(KeyError):
        with rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec)) as stream:
            for _chunk in stream:
                raise KeyError("caller's own error")
    assert server.wait_closed(served)


def test_async_with_and_cancellation_close_the_connection(server: ReplayServer) -> None:
    spec = _spec("bedrock/converse-thinking-claude.bin")

    async def leave_with_block() -> None:
        served = server.reply_file("bedrock/converse-thinking-claude.bin", fault=Fault(stall_after=400, stall=STALL))
        async with await rillm.acompletion(spec.model, MESSAGES, **_kwargs(server, spec)) as stream:
            await stream.__anext__()
        assert server.wait_closed(served)

    async def cancel_reader() -> None:
        served = server.reply_file("bedrock/converse-thinking-claude.bin", fault=Fault(stall_after=400, stall=STALL))
        stream = await rillm.acompletion(spec.model, MESSAGES, **_kwargs(server, spec))

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

    asyncio.run(leave_with_block())
    asyncio.run(cancel_reader())


def test_async_faults(server: ReplayServer) -> None:
    spec = _spec("anthropic/thinking-then-tool.sse")
    body = (FIXTURES / "anthropic/thinking-then-tool.sse").read_bytes()
    half = len(body) // 2

    async def run(fault: Fault, **extra: Any) -> BaseException:
        server.reply_file("anthropic/thinking-then-tool.sse", fault=fault)
        stream = await rillm.acompletion(spec.model, MESSAGES, **_kwargs(server, spec, **extra))
        try:
            async for _chunk in stream:
                pass
        except rillm.APIError as exc:
            return exc
        raise AssertionError("no error")

    stalled = asyncio.run(run(Fault(stall_after=half, stall=STALL), timeout=STALLED))
    assert isinstance(stalled, rillm.Timeout)
    _holds_what_arrived(stalled, spec, body[:half])
    reset = asyncio.run(run(Fault(reset_after=half)))
    assert isinstance(reset, rillm.IncompleteStreamError)
    _holds_what_arrived(reset, spec, body[:half])


def test_connections_are_reused(server: ReplayServer) -> None:
    spec = _spec("mistral/text.sse")
    for _ in range(2):
        server.reply_file("mistral/text.sse")
    _drain(rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec)))
    before = server.connections
    _drain(rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec)))
    assert server.connections == before


def test_no_key_in_what_a_stream_shows(server: ReplayServer) -> None:
    spec = _spec("anthropic/text-basic.sse")
    server.reply_file("anthropic/text-basic.sse")
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    _drain(stream)
    assert stream.response is not None
    _no_secret(stream, stream.hidden_params, stream.response, stream.response.request, stream._state.request)


def test_the_partial_response_has_what_finish_decoded(server: ReplayServer) -> None:
    """An NDJSON body whose last line has no newline: finish() decodes that line, then finds the stream
    incomplete; the line's text is in the partial response."""
    spec = _spec("ollama/chat-text-gemma3.ndjson")
    lines = (FIXTURES / "ollama/chat-text-gemma3.ndjson").read_bytes().split(b"\n")
    server.reply(Reply(body=b"\n".join(lines[:4]), headers={"content-type": "application/x-ndjson"}))
    decoder = rillm.StreamDecoder("ollama")
    expected = "".join(c.choices[0].delta.content or "" for c in decoder.feed(b"\n".join(lines[:4]) + b"\n"))
    stream = rillm.completion(spec.model, MESSAGES, **_kwargs(server, spec))
    with pytest.raises(rillm.IncompleteStreamError) as caught:
        _drain(stream)
    assert caught.value.partial_response.choices[0].message.content == expected
    assert json.loads(lines[3])["message"]["content"] in expected
