"""Bad input and provider errors on both backends: typed exceptions that say what and where, and nothing
already received lost."""

from __future__ import annotations

import pytest

import rillm
from rillm import exceptions

from .conftest import FIXTURES, Backend, decode

TEXT = b'data: {"id":"c1","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'
STOP = b'data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'


def test_groq_string_code_is_a_typed_bad_request(backend: Backend) -> None:
    # LiteLLM crashes with ValueError on Groq's "code": "tool_use_failed"; we raise a 400.
    outcome = decode(backend.module, [(FIXTURES / "groq/tool-use-failed-error-event.sse").read_bytes()])
    exc = outcome.exception
    assert isinstance(exc, exceptions.StreamBadRequestError)
    assert isinstance(exc, rillm.BadRequestError) and isinstance(exc, rillm.StreamError)
    assert not isinstance(exc, rillm.RateLimitError)
    assert (exc.status_code, exc.code, exc.type) == (400, "tool_use_failed", "invalid_request_error")
    assert exc.body["error"]["failed_generation"].startswith('{"name": "get_something_by_name"')
    assert "Tool call validation failed" in str(exc) and "error event in event 94" in str(exc)
    # The 94 reasoning chunks before the error are all there.
    assert len(outcome.chunks) == 94 and outcome.chunks[-1].choices[0].delta.reasoning_content


def test_groq_error_after_text_keeps_the_text(backend: Backend) -> None:
    outcome = decode(backend.module, [(FIXTURES / "groq/error-after-text.sse").read_bytes()])
    assert isinstance(outcome.exception, rillm.BadRequestError)
    text = "".join(c.choices[0].delta.content or "" for c in outcome.chunks)
    assert text == "maybe"


def test_openrouter_in_band_error_keeps_its_chunk_and_usage(backend: Backend) -> None:
    outcome = decode(backend.module, [(FIXTURES / "openrouter/error-midstream-comments.sse").read_bytes()])
    exc = outcome.exception
    assert isinstance(exc, exceptions.StreamBadRequestError) and exc.status_code == 400
    assert exc.code == 400 and "Token limit reached" in str(exc)
    # The error payload was also a chunk: it is delivered, with its usage, before the error.
    assert outcome.chunks[-1].usage.prompt_tokens == 43
    assert outcome.chunks[-1].usage.completion_tokens_details.reasoning_tokens == 11


@pytest.mark.parametrize(
    ("payload", "cls", "status"),
    [
        (b'{"error":{"message":"slow down","type":"rate_limit_exceeded"}}', exceptions.StreamRateLimitError, 429),
        (b'{"error":{"message":"boom","code":502}}', exceptions.StreamBadGatewayError, 502),
        (b'{"error":{"message":"bad key","code":"invalid_api_key"}}', exceptions.StreamAuthenticationError, 401),
        (b'{"error":{"message":"x","status_code":503}}', exceptions.StreamServiceUnavailableError, 503),
        (b'{"error":{"message":"x","code":"599"}}', exceptions.StreamAPIError, 599),
        (b'{"error":{"message":"no credits","code":402}}', exceptions.StreamPaymentRequiredError, 402),
        (b'{"error":{"message":"x","code":422}}', exceptions.StreamBadRequestError, 422),
        (b'{"error":{"message":"x","code":529}}', exceptions.StreamInternalServerError, 500),
        (b'{"error":"plain text"}', exceptions.StreamInternalServerError, 500),
        (
            b'{"error":{"message":"This model\'s maximum context length is 8192 tokens","code":400}}',
            exceptions.StreamContextWindowExceededError,
            400,
        ),
        (
            b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
            exceptions.StreamInternalServerError,
            500,
        ),
    ],
)
def test_error_payloads_map_to_litellm_classes(backend: Backend, payload: bytes, cls: type, status: int) -> None:
    outcome = decode(backend.module, [TEXT, b"data: " + payload + b"\n\n"])
    assert type(outcome.exception) is cls
    assert outcome.exception.status_code == status
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]
    assert outcome.error == (cls.__name__, 1, len(TEXT))


def test_an_error_event_that_is_not_json(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT, b"event: error\ndata: upstream went away\n\n"])
    assert isinstance(outcome.exception, exceptions.StreamInternalServerError)
    assert "upstream went away" in str(outcome.exception)


def test_a_falsy_error_is_not_an_error(backend: Backend) -> None:
    for falsy in (b"null", b"false", b"0", b'""', b"{}", b"[]"):
        body = b'data: {"error":' + falsy + b',"choices":[{"delta":{"content":"a"}}]}\n\n'
        outcome = decode(backend.module, [body, STOP])
        assert outcome.error is None, falsy
        assert outcome.chunks[0].choices[0].delta.content == "a"


@pytest.mark.parametrize("reason", ["error", "abort", "ABORT"])
def test_finish_reason_error_or_abort_raises_after_the_chunk(backend: Backend, reason: str) -> None:
    body = b'data: {"choices":[{"delta":{"content":"x"},"finish_reason":"' + reason.encode() + b'"}]}\n\n'
    outcome = decode(backend.module, [body])
    assert isinstance(outcome.exception, exceptions.StreamInternalServerError)
    assert f'finish_reason "{reason}"' in str(outcome.exception)
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["x"]
    assert outcome.chunks[0].choices[0].finish_reason == "stop"


def test_malformed_json_says_where(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT, b": keepalive\n\n", b'data: {"choices": [}\n\n', STOP])
    exc = outcome.exception
    assert isinstance(exc, rillm.StreamDecodeError) and isinstance(exc, ValueError)
    start = len(TEXT) + len(b": keepalive\n\n")
    assert (exc.event, exc.offset) == (1, start)
    assert str(exc).startswith(f"rillm.StreamDecodeError: event 1 starting at byte {start}: invalid chunk")
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"choices": "many"}',
        b'{"choices": [{"delta": {"content": 5}}]}',
        b'{"choices": [{"index": 1.5}]}',
        b'{"choices": [{"index": true}]}',
        b'{"created": 99999999999999999999}',
        b'{"choices": [{"delta": {"tool_calls": [{"function": []}]}}]}',
        b'{"choices": [{"delta": {"reasoning": 7}}]}',
        b'{"usage": {"prompt_tokens": "many"}}',
        b"[1, 2]",
        b'{"a": NaN}',
        b'{"a": "\\ud800"}',
        b"{" * 300 + b"}" * 300,
    ],
)
def test_shapes_that_are_not_a_chunk(backend: Backend, payload: bytes) -> None:
    outcome = decode(backend.module, [b"data: " + payload + b"\n\n"])
    assert isinstance(outcome.exception, rillm.StreamDecodeError)
    assert (outcome.exception.event, outcome.exception.offset) == (0, 0)


def test_invalid_utf8_is_replaced_not_fatal(backend: Backend) -> None:
    body = b'data: {"choices":[{"delta":{"content":"a\xff\xfeb"},"finish_reason":"stop"}]}\n\n'
    outcome = decode(backend.module, [body])
    assert outcome.error is None
    assert outcome.chunks[0].choices[0].delta.content == "a\ufffd\ufffdb"


def test_a_truncated_stream_is_reported(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT])
    exc = outcome.exception
    assert isinstance(exc, rillm.IncompleteStreamError) and isinstance(exc, rillm.APIConnectionError)
    assert "before [DONE] or a finish_reason for every choice" in str(exc)
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]


def test_a_stream_cut_inside_an_event_is_reported(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT, STOP[:-1]])
    exc = outcome.exception
    assert isinstance(exc, rillm.IncompleteStreamError)
    assert f"inside event 1 starting at byte {len(TEXT)}, before its blank line" in str(exc)
    assert exc.offset == len(TEXT) + len(STOP) - 1


def test_a_finish_reason_ends_a_stream_without_done(backend: Backend) -> None:
    # Perplexity and Gemini-style streams send no [DONE].
    assert decode(backend.module, [TEXT, STOP]).error is None


def test_every_choice_must_finish(backend: Backend) -> None:
    two = b'data: {"choices":[{"index":1,"delta":{"content":"b"}}]}\n\n'
    assert isinstance(decode(backend.module, [TEXT, two, STOP]).exception, rillm.IncompleteStreamError)


def test_done_stops_reading(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT, b"data: [DONE]\n\ndata: {not json\n\n"])
    assert outcome.error is None
    decoder = backend.module.StreamDecoder("openai")
    decoder.feed(TEXT + b"data: [DONE]\n\n")
    assert decoder.done
    assert decoder.feed(b"data: garbage\n\n") == []
    assert decoder.finish() == []


def test_empty_data_is_a_keepalive(backend: Backend) -> None:
    assert decode(backend.module, [b"data:\n\ndata:   \n\n", TEXT, STOP]).error is None


def test_max_event_bytes_is_an_error(backend: Backend) -> None:
    outcome = decode(backend.module, [TEXT, b"data: " + b"x" * 100], max_event_bytes=100)
    exc = outcome.exception
    assert isinstance(exc, rillm.EventTooLargeError) and isinstance(exc, rillm.StreamDecodeError)
    assert (exc.event, exc.offset) == (1, len(TEXT))
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]


def test_a_closed_decoder_says_so(backend: Backend) -> None:
    decoder = backend.module.StreamDecoder("openai")
    decoder.feed(TEXT + STOP)
    decoder.finish()
    with pytest.raises(ValueError, match=r"feed\(\) after finish\(\)"):
        decoder.feed(b"")
    with pytest.raises(ValueError, match=r"finish\(\) called twice"):
        decoder.finish()
    failed = backend.module.StreamDecoder("openai")
    with pytest.raises(rillm.StreamDecodeError):
        failed.feed(b"data: {\n\n")
    with pytest.raises(ValueError, match="after the decoder raised an error"):
        failed.feed(TEXT)


def test_bad_arguments(backend: Backend) -> None:
    module = backend.module
    with pytest.raises(ValueError, match='unknown dialect "klingon"; expected one of: openai'):
        module.StreamDecoder("klingon")
    with pytest.raises(TypeError):
        module.StreamDecoder(7)
    with pytest.raises(TypeError, match="model must be a str or None"):
        module.StreamDecoder("openai", model=3)
    for limit in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="max_event_bytes must be a positive int"):
            module.StreamDecoder("openai", max_event_bytes=limit)
    with pytest.raises(TypeError, match="created must be an int or None"):
        module.StreamDecoder("openai", created="now")
    with pytest.raises(TypeError, match="feed\\(\\) expects bytes, not str"):
        module.StreamDecoder("openai").feed("data: x\n\n")


def test_feed_accepts_bytearray_and_memoryview(backend: Backend) -> None:
    decoder = backend.module.StreamDecoder("openai")
    chunks = decoder.feed(bytearray(TEXT)) + decoder.feed(memoryview(STOP))
    assert [c.choices[0].delta.content for c in chunks] == ["Hi", None]


def test_litellm_constructor_signatures() -> None:
    # Code written for LiteLLM builds these with its positional orders.
    assert rillm.APIError(502, "bad", "openai", "gpt-4o").status_code == 502
    e = rillm.RateLimitError("slow", "openai", "gpt-4o")
    assert (e.status_code, e.llm_provider, e.model) == (429, "openai", "gpt-4o")
    n = rillm.NotFoundError("gone", "gpt-4o", "openai")
    assert (n.status_code, n.model, n.llm_provider) == (404, "gpt-4o", "openai")
    t = rillm.Timeout("slow", "gpt-4o", "openai")
    assert t.status_code == 408 and isinstance(t, rillm.APIConnectionError)
    assert str(rillm.AuthenticationError("no", "openai", "m")) == "rillm.AuthenticationError: no"
    assert isinstance(rillm.ContextWindowExceededError("long", "m", "p"), rillm.BadRequestError)
    m = rillm.MidStreamFallbackError("x", "m", "p", original_exception=rillm.RateLimitError("r", "p", "m"))
    assert m.status_code == 429 and isinstance(m, rillm.ServiceUnavailableError)


def test_messages_never_carry_request_data(backend: Backend) -> None:
    # Errors are built from the provider's payload and positions only; nothing from the caller's side.
    outcome = decode(backend.module, [b'data: {"error":{"message":"quota"}}\n\n'])
    assert str(outcome.exception) == "rillm.StreamInternalServerError: quota (an error in event 0 at byte 0)"
