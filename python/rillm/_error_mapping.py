"""How a provider's error becomes one of rillm.exceptions' classes. One table maps a status to the class an
HTTP error response raises (`http_error`) and to its ProviderStreamError twin, raised for the same error
sent inside a stream (`provider_stream_error`), so the two paths agree by construction: the stream class is
a subclass of the HTTP class and reports the same status_code. The rows follow LiteLLM's own mapping of
an HTTP status (spec §6.2). Both backends build their in-stream errors here: the fallback through
`_fallback/errors.py`, the Rust bindings by calling `provider_stream_error` (rust/python/shared.rs).

An error payload is read by `rillm._json`, under the rules every JSON text in rillm is read by; one that is
not JSON by those rules (plain text, an HTML page, JSON nested deeper than the limit, a number past it) is
read as text: the error is still the provider's, with that text as its message (cut at `_MESSAGE_LIMIT`
characters; `body` keeps all of it). A value that is not a string is shown as JSON (`true`, not `True`)."""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from rillm import _json
from rillm.exceptions import (
    APIError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    InternalServerError,
    NotFoundError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    ServiceUnavailableError,
    StreamAPIError,
    StreamAuthenticationError,
    StreamBadGatewayError,
    StreamBadRequestError,
    StreamContentPolicyViolationError,
    StreamContextWindowExceededError,
    StreamInternalServerError,
    StreamNotFoundError,
    StreamPaymentRequiredError,
    StreamPermissionDeniedError,
    StreamRateLimitError,
    StreamServiceUnavailableError,
    StreamTimeout,
    Timeout,
    _StatusError,
)

__all__ = ["CLASSES_BY_STATUS", "Classes", "classes_for", "http_error", "provider_stream_error"]


class Classes(NamedTuple):
    """What a status maps to: the class of an HTTP error response, its twin for the same error inside a
    stream, and the status_code both report when it is not the provider's own."""

    http: type[APIError]
    stream: type[ProviderStreamError]
    reported: int | None = None


# Status -> classes. A 413 and a 422 are BadRequestErrors (LiteLLM's UnprocessableEntityError is raised by
# its Replicate mapping only); 504 is a Timeout; Anthropic's 529 "overloaded" is an InternalServerError
# reporting status 500, as LiteLLM reports it.
CLASSES_BY_STATUS: dict[int, Classes] = {
    400: Classes(BadRequestError, StreamBadRequestError),
    401: Classes(AuthenticationError, StreamAuthenticationError),
    402: Classes(PaymentRequiredError, StreamPaymentRequiredError),
    403: Classes(PermissionDeniedError, StreamPermissionDeniedError),
    404: Classes(NotFoundError, StreamNotFoundError),
    408: Classes(Timeout, StreamTimeout),
    413: Classes(BadRequestError, StreamBadRequestError),
    422: Classes(BadRequestError, StreamBadRequestError),
    429: Classes(RateLimitError, StreamRateLimitError),
    500: Classes(InternalServerError, StreamInternalServerError),
    502: Classes(BadGatewayError, StreamBadGatewayError),
    503: Classes(ServiceUnavailableError, StreamServiceUnavailableError),
    504: Classes(Timeout, StreamTimeout),
    529: Classes(InternalServerError, StreamInternalServerError, reported=500),
}
# A status not in the table: any other 4xx is a bad request, anything else a plain APIError.
_OTHER_CLIENT_ERROR = Classes(BadRequestError, StreamBadRequestError)
_OTHER_STATUS = Classes(APIError, StreamAPIError)
# What a bad request becomes when its text says why (LiteLLM's string checks, spec §6.2).
_CONTEXT_WINDOW_EXCEEDED = Classes(ContextWindowExceededError, StreamContextWindowExceededError)
_CONTENT_POLICY_VIOLATION = Classes(ContentPolicyViolationError, StreamContentPolicyViolationError)

# Provider error types and codes that name a status (OpenAI, Anthropic, Groq, OpenRouter, Mistral, ...).
_STATUS_BY_TYPE = {
    "invalid_request_error": 400,
    "invalid_request": 400,
    "tool_use_failed": 400,
    "context_length_exceeded": 400,
    "authentication_error": 401,
    "invalid_api_key": 401,
    "permission_error": 403,
    "permission_denied": 403,
    "not_found_error": 404,
    "model_not_found": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "rate_limit_exceeded": 429,
    "insufficient_quota": 429,
    "overloaded_error": 529,  # Anthropic's; the table reports it as LiteLLM does
    "api_error": 500,
    "server_error": 500,
    "internal_server_error": 500,
    "service_unavailable": 503,
    "timeout_error": 504,
    # Bedrock's exception frames
    "validationException": 400,
    "accessDeniedException": 403,
    "resourceNotFoundException": 404,
    "modelTimeoutException": 408,
    "throttlingException": 429,
    "serviceQuotaExceededException": 429,
    "internalServerException": 500,
    "modelStreamErrorException": 500,
    "serviceUnavailableException": 503,
    "modelNotReadyException": 503,
    # Google's statuses (Gemini, Vertex AI)
    "INVALID_ARGUMENT": 400,
    "FAILED_PRECONDITION": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "NOT_FOUND": 404,
    "RESOURCE_EXHAUSTED": 429,
    "INTERNAL": 500,
    "UNAVAILABLE": 503,
    "DEADLINE_EXCEEDED": 504,
}

_CONTEXT_WINDOW = re.compile(
    r"maximum context length|context[_ ]length[_ ]exceeded|context window|prompt is too long|"
    r"exceeds the maximum number of tokens|too many tokens|input is too long",
    re.IGNORECASE,
)
_CONTENT_POLICY = re.compile(
    r"content[_ ]policy|content filtering policy|violating our usage policy|rejected as a result of (?:our|the) "
    r"safety system|content_filter",
    re.IGNORECASE,
)


def _status_of(error: dict[str, Any], code: Any, kind: Any) -> int:
    for candidate in (error.get("status_code"), error.get("status"), code):
        # A string status is three ASCII digits: int() of a longer or non-ASCII digit string could fail.
        if isinstance(candidate, str) and len(candidate) == 3 and candidate.isascii() and candidate.isdigit():
            candidate = int(candidate)
        if isinstance(candidate, int) and not isinstance(candidate, bool) and 400 <= candidate <= 599:
            return candidate
    for name in (code, kind, error.get("status")):
        if isinstance(name, str) and name in _STATUS_BY_TYPE:
            return _STATUS_BY_TYPE[name]
    return 500


def _parse_error(data: str | bytes, named: str | None) -> tuple[str, Any, Any, int, Any]:
    """Reads a provider's error payload: `{"error": {"message", "type", "code", "status_code"}}`,
    Anthropic's `{"type": "error", "error": {...}}`, Gemini's `{"error": {"code", "message", "status"}}`,
    Bedrock's `{"message": ...}`, or plain text. Returns (message, code, type, status, body as parsed)."""
    try:
        body: Any = _json.loads(data)
    except _json.JsonError:
        body = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    error: Any = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        message = error.get("message") or error.get("Message") or error.get("detail")
        if message is None:
            message = _as_json(error)
        code, kind = error.get("code"), error.get("type") or named
        status = _status_of(error, code, kind)
    else:
        message, code, kind = error, None, named
        status = _STATUS_BY_TYPE.get(named, 500) if named else 500
    if not isinstance(message, str):
        message = _as_json(message)
    return message, code, kind, status, body


def _as_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except ValueError:  # an integer longer than the interpreter's own limit, when that is set below 4300
        return f"(a {type(value).__name__} that cannot be shown)"


def classes_for(status: int, message: str = "", code: Any = None) -> Classes:
    """The classes for an error with this status (its row, or the fall-back), refined by what the provider
    said: a bad request whose message or code says the context window was exceeded or a content policy was
    hit is a ContextWindowExceededError or ContentPolicyViolationError. Both paths call this."""
    classes = CLASSES_BY_STATUS.get(status) or (_OTHER_CLIENT_ERROR if 400 <= status < 500 else _OTHER_STATUS)
    if issubclass(classes.http, BadRequestError):
        text = f"{message} {code}"
        if _CONTEXT_WINDOW.search(text):
            return _CONTEXT_WINDOW_EXCEEDED._replace(reported=classes.reported)
        if _CONTENT_POLICY.search(text):
            return _CONTENT_POLICY_VIOLATION._replace(reported=classes.reported)
    return classes


# How much of an error body's text goes into the exception's message.
_MESSAGE_LIMIT = 2000


def _clip(message: str) -> str:
    """The message, cut to `_MESSAGE_LIMIT` characters (an HTML error page from a proxy, a payload nested past
    the JSON limit): the exception's `body` keeps all of it."""
    if len(message) > _MESSAGE_LIMIT:
        return f"{message[:_MESSAGE_LIMIT]}... ({len(message)} characters)"
    return message


def provider_stream_error(
    data: str,
    event_type: str = "",
    *,
    event: int | None = None,
    offset: int | None = None,
    chunks: list[Any] | None = None,
    llm_provider: str | None = None,
    model: str | None = None,
) -> ProviderStreamError:
    """The exception for an error a provider sent inside a stream: an `event: error` or a payload with an
    `error` (see `_parse_error` for the shapes read). `event_type` is the SSE event name, or the exception
    type of an AWS event-stream exception frame (`throttlingException`, ...), which then names the error.

    The status comes from `status_code`, a numeric `code` or `status` (OpenRouter, Gemini), or the error's
    type, code or status name (Groq's string codes such as "tool_use_failed" are names, not statuses;
    Bedrock's exception types and Google's statuses are too); 500 otherwise. The class is the stream
    column of the status's row."""
    named = event_type if event_type not in ("", "error") else None
    message, code, kind, status, body = _parse_error(data, named)
    classes = classes_for(status, message, code)
    where = "an error event" if event_type == "error" else f"a {event_type}" if named else "an error"
    location = f" ({where} in event {event} at byte {offset})" if event is not None else ""
    return classes.stream(
        f"{_clip(message)}{location}",
        status_code=classes.reported or status,
        code=code,
        type=kind if isinstance(kind, str) else None,
        body=body,
        event=event,
        offset=offset,
        chunks=chunks,
        llm_provider=llm_provider,
        model=model,
    )


def http_error(
    status: int, body: bytes, *, llm_provider: str | None, model: str | None, response: Any = None
) -> APIError:
    """The exception for an HTTP error response: the HTTP column of the status's row, refined by the
    provider's error body (a 400 that says the context window is exceeded is a ContextWindowExceededError).
    `body` keeps the parsed error payload; the message is the provider's own, prefixed with who said it and
    the status the provider answered."""
    message, code, _kind, _status, parsed = _parse_error(body, None)
    classes = classes_for(status, message, code)
    text = f"{llm_provider or 'provider'} returned HTTP {status}: {_clip(message)}"
    cls = classes.http
    exc: APIError
    if issubclass(cls, Timeout):
        exc = cls(text, model, llm_provider, exception_status_code=status, response=response)
        exc.body = parsed
    elif issubclass(cls, _StatusError):
        exc = cls(text, llm_provider=llm_provider, model=model, response=response, body=parsed)
    else:  # a plain APIError, which takes the status first
        exc = cls(status, text, llm_provider, model, body=parsed, response=response)
    # The class says what kind of error; status_code says what the provider answered (413, 422, ...), or
    # what the row reports instead (529).
    exc.status_code = classes.reported or status
    return exc
