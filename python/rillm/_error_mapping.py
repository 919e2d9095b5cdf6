"""How provider errors become rillm's exceptions: the error payload a provider sends (in an HTTP error
response or inside a stream) is read here, and its status picks the class of rillm.exceptions. Both backends
build their errors here; the Rust bindings call `provider_stream_error`."""

from __future__ import annotations

import json
import re
from typing import Any

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
    StreamPermissionDeniedError,
    StreamRateLimitError,
    StreamServiceUnavailableError,
    StreamTimeout,
    StreamUnprocessableEntityError,
    Timeout,
)

__all__ = ["http_error", "provider_stream_error"]

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
    "overloaded_error": 500,  # Anthropic's 529; LiteLLM maps it to InternalServerError (500)
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

_STREAM_CLASS_BY_STATUS: dict[int, type[ProviderStreamError]] = {
    400: StreamBadRequestError,
    401: StreamAuthenticationError,
    402: StreamBadRequestError,
    403: StreamPermissionDeniedError,
    404: StreamNotFoundError,
    408: StreamTimeout,
    413: StreamBadRequestError,
    422: StreamUnprocessableEntityError,
    429: StreamRateLimitError,
    500: StreamInternalServerError,
    502: StreamBadGatewayError,
    503: StreamServiceUnavailableError,
    504: StreamTimeout,
}


def _status_of(error: dict[str, Any], code: Any, kind: Any) -> int:
    for candidate in (error.get("status_code"), error.get("status"), code):
        if isinstance(candidate, int) and not isinstance(candidate, bool) and 400 <= candidate <= 599:
            return candidate
        if isinstance(candidate, str) and candidate.isdigit() and 400 <= int(candidate) <= 599:
            return int(candidate)
    for name in (code, kind, error.get("status")):
        if isinstance(name, str) and name in _STATUS_BY_TYPE:
            return _STATUS_BY_TYPE[name]
    return 500


def _parse_error(data: str | bytes, named: str | None) -> tuple[str, Any, Any, int, Any]:
    """Reads a provider's error payload: `{"error": {"message", "type", "code", "status_code"}}`,
    Anthropic's `{"type": "error", "error": {...}}`, Gemini's `{"error": {"code", "message", "status"}}`,
    Bedrock's `{"message": ...}`, or plain text. Returns (message, code, type, status, body as parsed)."""
    try:
        body: Any = json.loads(data)
    except ValueError:
        body = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    error: Any = body.get("error", body) if isinstance(body, dict) else body
    if isinstance(error, dict):
        message = error.get("message") or error.get("Message") or error.get("detail")
        if message is None:
            message = json.dumps(error, ensure_ascii=False)
        code, kind = error.get("code"), error.get("type") or named
        status = _status_of(error, code, kind)
    else:
        message, code, kind = str(error), None, named
        status = _STATUS_BY_TYPE.get(named, 500) if named else 500
    if not isinstance(message, str):
        message = json.dumps(message, ensure_ascii=False)
    return message, code, kind, status, body


def _refine(status_class: type[Any], bad_request: type[Any], message: str, code: Any) -> str | None:
    """Whether a 400's text says the context window was exceeded or a content policy was hit (LiteLLM's
    literal string checks, spec §6.2): "context", "policy" or None."""
    if not issubclass(status_class, bad_request):
        return None
    if _CONTEXT_WINDOW.search(f"{message} {code}"):
        return "context"
    if _CONTENT_POLICY.search(f"{message} {code}"):
        return "policy"
    return None


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
    Both backends build their errors here.

    The status comes from `status_code`, a numeric `code` or `status` (OpenRouter, Gemini), or the error's
    type, code or status name (Groq's string codes such as "tool_use_failed" are names, not statuses;
    Bedrock's exception types and Google's statuses are too); 500 otherwise."""
    named = event_type if event_type not in ("", "error") else None
    message, code, kind, status, body = _parse_error(data, named)
    cls = _STREAM_CLASS_BY_STATUS.get(status)
    if cls is None:
        cls = StreamBadRequestError if 400 <= status < 500 else StreamAPIError
    refined = _refine(cls, StreamBadRequestError, message, code)
    if refined == "context":
        cls = StreamContextWindowExceededError
    elif refined == "policy":
        cls = StreamContentPolicyViolationError
    where = "an error event" if event_type == "error" else f"a {event_type}" if named else "an error"
    location = f" ({where} in event {event} at byte {offset})" if event is not None else ""
    exc = cls(
        f"{message}{location}",
        status_code=status,
        code=code,
        type=kind if isinstance(kind, str) else None,
        body=body,
        event=event,
        offset=offset,
        chunks=chunks,
        llm_provider=llm_provider,
        model=model,
    )
    exc.status_code = status
    return exc


# HTTP status -> class for an error response (spec §6.2). Other 4xx are BadRequestError, other 5xx APIError.
_CLASS_BY_STATUS: dict[int, Any] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: PaymentRequiredError,
    403: PermissionDeniedError,
    404: NotFoundError,
    408: Timeout,
    413: BadRequestError,
    422: BadRequestError,
    429: RateLimitError,
    500: InternalServerError,
    502: BadGatewayError,
    503: ServiceUnavailableError,
    504: Timeout,
    529: InternalServerError,  # Anthropic "overloaded"; LiteLLM reports it as a 500
}


# How much of an error body's text goes into the exception's message.
_MESSAGE_LIMIT = 2000


def http_error(
    status: int, body: bytes, *, llm_provider: str | None, model: str | None, response: Any = None
) -> APIError:
    """The exception for an HTTP error response: the class from the status, refined by the provider's error
    body (a 400 that says the context window is exceeded is a ContextWindowExceededError). `body` keeps the
    parsed error payload; the message is the provider's own, prefixed with who said it and the status."""
    message, code, _kind, _status, parsed = _parse_error(body, None)
    cls: Any = _CLASS_BY_STATUS.get(status) or (BadRequestError if 400 <= status < 500 else APIError)
    refined = _refine(cls, BadRequestError, message, code)
    if refined == "context":
        cls = ContextWindowExceededError
    elif refined == "policy":
        cls = ContentPolicyViolationError
    if len(message) > _MESSAGE_LIMIT:  # an HTML error page from a proxy, say; `body` keeps all of it
        message = f"{message[:_MESSAGE_LIMIT]}... ({len(message)} characters)"
    text = f"{llm_provider or 'provider'} returned HTTP {status}: {message}"
    exc: APIError
    if cls is APIError:
        exc = APIError(status, text, llm_provider, model, body=parsed, response=response)
    elif cls is Timeout:
        exc = Timeout(text, model, llm_provider, exception_status_code=status, response=response)
        exc.body = parsed
    else:
        exc = cls(text, llm_provider=llm_provider, model=model, response=response, body=parsed)
    # The class says what kind of error; the status says exactly what the provider answered (413, 422, ...),
    # except Anthropic's 529, which LiteLLM reports as 500.
    exc.status_code = 500 if status == 529 else status
    return exc
