"""The status -> exception mapping (rillm._error_mapping): an HTTP error response and the same error sent
inside a stream raise corresponding classes, the stream one a ProviderStreamError subclass of the HTTP one
with the same status_code, on both backends."""

from __future__ import annotations

import json

import pytest

import rillm
from rillm import _error_mapping, exceptions
from rillm._error_mapping import CLASSES_BY_STATUS, http_error, provider_stream_error

from .conftest import Backend, decode

TEXT = b'data: {"id":"c1","model":"m","created":1,"choices":[{"index":0,"delta":{"content":"Hi"}}]}\n\n'

# LiteLLM's class for each HTTP status (spec §6.2), and the status_code it reports when not the provider's.
LITELLM = {
    400: (exceptions.BadRequestError, None),
    401: (exceptions.AuthenticationError, None),
    402: (exceptions.PaymentRequiredError, None),
    403: (exceptions.PermissionDeniedError, None),
    404: (exceptions.NotFoundError, None),
    408: (exceptions.Timeout, None),
    413: (exceptions.BadRequestError, None),
    422: (exceptions.BadRequestError, None),
    429: (exceptions.RateLimitError, None),
    500: (exceptions.InternalServerError, None),
    502: (exceptions.BadGatewayError, None),
    503: (exceptions.ServiceUnavailableError, None),
    504: (exceptions.Timeout, None),
    529: (exceptions.InternalServerError, 500),
}
# Statuses outside the table: other 4xx are bad requests, other 5xx plain API errors.
FALL_BACKS = {
    405: exceptions.BadRequestError,
    409: exceptions.BadRequestError,
    418: exceptions.BadRequestError,
    451: exceptions.BadRequestError,
    499: exceptions.BadRequestError,
    501: exceptions.APIError,
    505: exceptions.APIError,
    507: exceptions.APIError,
    599: exceptions.APIError,
}
STATUSES = sorted([*LITELLM, *FALL_BACKS])


def expected_http(status: int) -> tuple[type, int]:
    cls, reported = LITELLM.get(status, (FALL_BACKS.get(status), None))
    assert cls is not None
    return cls, reported or status


def payload(status: int, message: str = "nope") -> bytes:
    """An OpenAI-dialect error payload carrying the status as its numeric code (as OpenRouter sends)."""
    return json.dumps({"error": {"code": status, "message": message}}).encode()


def assert_twins(http: exceptions.APIError, stream: exceptions.ProviderStreamError) -> None:
    assert isinstance(stream, exceptions.ProviderStreamError)
    assert isinstance(stream, type(http)), (type(stream).__name__, type(http).__name__)
    assert stream.status_code == http.status_code


def test_the_table_is_litellms() -> None:
    assert {s: (c.http, c.reported) for s, c in CLASSES_BY_STATUS.items()} == LITELLM


def test_every_row_pairs_an_http_class_with_its_stream_twin() -> None:
    for status, classes in CLASSES_BY_STATUS.items():
        assert issubclass(classes.stream, exceptions.ProviderStreamError), status
        assert issubclass(classes.stream, classes.http), status
        assert classes.stream.__name__ == f"Stream{classes.http.__name__}", status


def test_every_stream_class_is_its_http_class_twin() -> None:
    streams = [getattr(exceptions, n) for n in exceptions.__all__ if n.startswith("Stream")]
    provider = [c for c in streams if issubclass(c, exceptions.ProviderStreamError)]
    assert exceptions.StreamPaymentRequiredError in provider
    for cls in provider:
        twin = getattr(exceptions, cls.__name__.removeprefix("Stream"))
        assert issubclass(cls, twin), cls.__name__
        assert cls.__mro__[1] is exceptions.ProviderStreamError, cls.__name__


@pytest.mark.parametrize("status", STATUSES)
def test_http_and_stream_agree(status: int) -> None:
    cls, reported = expected_http(status)
    http = http_error(status, payload(status), llm_provider="openrouter", model="m")
    assert type(http) is cls
    assert http.status_code == reported
    assert f"HTTP {status}: nope" in http.message
    stream = provider_stream_error(payload(status).decode(), event=3, offset=40)
    assert_twins(http, stream)
    assert stream.code == status and (stream.event, stream.offset) == (3, 40)
    assert str(stream) == f"rillm.{type(stream).__name__}: nope (an error in event 3 at byte 40)"


@pytest.mark.parametrize("status", STATUSES)
def test_a_decoded_error_payload_agrees_with_http(backend: Backend, status: int) -> None:
    outcome = decode(backend.module, [TEXT, b"data: " + payload(status) + b"\n\n"])
    stream = outcome.exception
    assert isinstance(stream, exceptions.ProviderStreamError)
    assert_twins(http_error(status, payload(status), llm_provider="openai", model="m"), stream)
    assert type(stream) is type(provider_stream_error(payload(status).decode()))
    assert outcome.error == (type(stream).__name__, 1, len(TEXT))
    assert [c.choices[0].delta.content for c in outcome.chunks] == ["Hi"]


@pytest.mark.parametrize("status", [402, 422, 529])
def test_the_statuses_the_two_paths_used_to_disagree_on(backend: Backend, status: int) -> None:
    http = http_error(status, payload(status), llm_provider="p", model="m")
    stream = decode(backend.module, [b"data: " + payload(status) + b"\n\n"]).exception
    assert isinstance(stream, exceptions.ProviderStreamError)
    if status == 402:
        assert type(stream) is exceptions.StreamPaymentRequiredError and stream.status_code == 402
        assert isinstance(http, rillm.PaymentRequiredError) and isinstance(stream, rillm.PaymentRequiredError)
    elif status == 422:
        assert type(stream) is exceptions.StreamBadRequestError and stream.status_code == 422
        assert type(http) is rillm.BadRequestError and http.status_code == 422
        assert not isinstance(stream, rillm.UnprocessableEntityError)
    else:
        assert type(stream) is exceptions.StreamInternalServerError and stream.status_code == 500
        assert type(http) is rillm.InternalServerError and http.status_code == 500
    assert isinstance(stream, type(http))


def test_anthropic_overloaded_is_a_500_both_ways() -> None:
    body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    http = http_error(529, json.dumps(body).encode(), llm_provider="anthropic", model="m")
    stream = provider_stream_error(json.dumps(body), "error")
    assert type(http) is rillm.InternalServerError and http.status_code == 500
    assert "HTTP 529: Overloaded" in http.message
    assert type(stream) is exceptions.StreamInternalServerError
    assert (stream.status_code, stream.type) == (500, "overloaded_error")


@pytest.mark.parametrize("status", [100, 302, 600, 1001])
def test_a_number_outside_4xx_5xx_is_not_a_status_in_a_payload(status: int) -> None:
    # Inside a payload such a number is the provider's own code: the error is a 500, as one with no status.
    stream = provider_stream_error(payload(status).decode())
    assert type(stream) is exceptions.StreamInternalServerError
    assert (stream.status_code, stream.code) == (500, status)


@pytest.mark.parametrize("status", [600, 999])
def test_an_http_status_past_599_is_a_plain_api_error(status: int) -> None:
    # The transport calls http_error for any status >= 400 (1xx and 3xx responses never reach it).
    http = http_error(status, b"odd", llm_provider="p", model="m")
    assert type(http) is rillm.APIError and http.status_code == status


CONTEXT = "This model's maximum context length is 8192 tokens"
POLICY = "Your request was rejected as a result of our safety system."


@pytest.mark.parametrize(
    ("status", "message", "refined"),
    [
        (400, CONTEXT, exceptions.ContextWindowExceededError),
        (413, "prompt is too long: 210000 tokens > 200000 maximum", exceptions.ContextWindowExceededError),
        (422, CONTEXT, exceptions.ContextWindowExceededError),
        (418, CONTEXT, exceptions.ContextWindowExceededError),
        (402, CONTEXT, exceptions.ContextWindowExceededError),
        (400, POLICY, exceptions.ContentPolicyViolationError),
        (422, POLICY, exceptions.ContentPolicyViolationError),
        (400, "plain bad request", None),
        (429, CONTEXT, None),
        (500, POLICY, None),
        (529, CONTEXT, None),
        (501, CONTEXT, None),
    ],
)
def test_bad_requests_are_refined_alike_on_both_paths(
    backend: Backend, status: int, message: str, refined: type | None
) -> None:
    http = http_error(status, payload(status, message), llm_provider="p", model="m")
    stream = decode(backend.module, [b"data: " + payload(status, message) + b"\n\n"]).exception
    assert isinstance(stream, exceptions.ProviderStreamError)
    assert_twins(http, stream)
    if refined is None:
        assert type(http) is expected_http(status)[0]
    else:
        assert type(http) is refined and http.status_code == status
    assert type(stream).__name__ == f"Stream{type(http).__name__}"


def test_a_refinement_by_code_alone() -> None:
    body = {"error": {"message": "too long", "type": "invalid_request_error", "code": "context_length_exceeded"}}
    http = http_error(400, json.dumps(body).encode(), llm_provider="openai", model="m")
    stream = provider_stream_error(json.dumps(body))
    assert type(http) is exceptions.ContextWindowExceededError
    assert type(stream) is exceptions.StreamContextWindowExceededError and stream.status_code == 400


def test_the_builders_live_in_the_mapping_module_only() -> None:
    assert not hasattr(exceptions, "http_error") and not hasattr(exceptions, "provider_stream_error")
    assert "http_error" not in exceptions.__all__
    assert _error_mapping.provider_stream_error is provider_stream_error
