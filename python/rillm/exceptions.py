"""Exceptions raised by rillm: defined once here and raised by both backends (the Rust core raises these
same classes, so `except` clauses never depend on the backend).

The names and attributes are LiteLLM's, so code written for LiteLLM catches the same things::

    OpenAIError
     └── APIError                        status_code, message, llm_provider, model, response, body
          ├── APIConnectionError              the provider could not be reached or the connection broke
          │    └── Timeout                    408 (or 504)
          ├── APIResponseValidationError
          ├── BadRequestError                 400
          │    ├── ContextWindowExceededError
          │    ├── ContentPolicyViolationError
          │    ├── UnsupportedParamsError
          │    └── PaymentRequiredError       402
          ├── AuthenticationError             401
          ├── PermissionDeniedError           403
          ├── NotFoundError                   404
          ├── UnprocessableEntityError        422
          ├── RateLimitError                  429
          ├── InternalServerError             500
          ├── BadGatewayError                 502
          ├── ServiceUnavailableError         503
          │    └── MidStreamFallbackError
          └── StreamError                     went wrong while a stream was being decoded; carries
               │                              .chunks (decoded in the failing call), .partial_response,
               │                              .event (event number) and .offset (byte offset)
               ├── StreamDecodeError          malformed framing or JSON (also a ValueError)
               │    └── EventTooLargeError    an event past max_event_bytes
               ├── IncompleteStreamError      ended before its terminator (also an APIConnectionError)
               └── ProviderStreamError        the provider sent an error inside the stream; each
                                              concrete class is also the matching status class above,
                                              e.g. StreamRateLimitError is a RateLimitError

Unlike LiteLLM's, these classes do not derive from the `openai` package's (rillm does not depend on it).
API keys never appear in messages: only what the provider said and where.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ContentPolicyViolationError",
    "ContextWindowExceededError",
    "EventTooLargeError",
    "IncompleteStreamError",
    "InternalServerError",
    "MidStreamFallbackError",
    "NotFoundError",
    "OpenAIError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "ProviderStreamError",
    "RateLimitError",
    "ServiceUnavailableError",
    "StreamAPIError",
    "StreamAuthenticationError",
    "StreamBadGatewayError",
    "StreamBadRequestError",
    "StreamContentPolicyViolationError",
    "StreamContextWindowExceededError",
    "StreamDecodeError",
    "StreamError",
    "StreamInternalServerError",
    "StreamNotFoundError",
    "StreamPermissionDeniedError",
    "StreamRateLimitError",
    "StreamServiceUnavailableError",
    "StreamTimeout",
    "StreamUnprocessableEntityError",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedParamsError",
]


class OpenAIError(Exception):
    """Base of every error rillm raises about a call or a stream."""


class APIError(OpenAIError):
    """An error from the provider or on the way to it. LiteLLM's signature:
    `APIError(status_code, message, llm_provider, model, ...)`."""

    status_code: int = 500
    # Set on an error raised while a stream was being read: the response built from what had arrived.
    partial_response: Any = None

    def __init__(
        self,
        status_code: int,
        message: str,
        llm_provider: str | None = None,
        model: str | None = None,
        request: Any = None,
        litellm_debug_info: str | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        body: Any = None,
        response: Any = None,
    ) -> None:
        self._setup(status_code, message, llm_provider, model, response, body)
        self.request = request
        self.litellm_debug_info = litellm_debug_info
        self.max_retries = max_retries
        self.num_retries = num_retries

    def _setup(
        self, status_code: int, message: str, llm_provider: str | None, model: str | None, response: Any, body: Any
    ) -> None:
        self.status_code = status_code
        self.message = f"rillm.{type(self).__name__}: {message}"
        self.llm_provider = llm_provider
        self.model = model
        self.response = response
        self.body = body
        self.request = None
        self.litellm_debug_info = None
        self.max_retries = None
        self.num_retries = None
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.num_retries:
            return f"{self.message} LiteLLM Retried: {self.num_retries} times"
        return self.message


class _StatusError(APIError):
    """A class with a fixed status: LiteLLM's `(message, llm_provider, model, response=None, ...)`."""

    default_status = 500

    def __init__(
        self,
        message: str,
        llm_provider: str | None = None,
        model: str | None = None,
        response: Any = None,
        litellm_debug_info: str | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        body: Any = None,
    ) -> None:
        self._setup(self.default_status, message, llm_provider, model, response, body)
        self.litellm_debug_info = litellm_debug_info
        self.max_retries = max_retries
        self.num_retries = num_retries


class _ModelFirstError(_StatusError):
    """LiteLLM's `(message, model, llm_provider, response=None, ...)` order (NotFound, BadRequest, ...)."""

    def __init__(
        self,
        message: str,
        model: str | None = None,
        llm_provider: str | None = None,
        response: Any = None,
        litellm_debug_info: str | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message, llm_provider, model, response, litellm_debug_info, max_retries, num_retries, body)


class APIConnectionError(APIError):
    """The provider could not be reached, or the connection broke: `(message, llm_provider, model, ...)`."""

    def __init__(
        self,
        message: str,
        llm_provider: str | None = None,
        model: str | None = None,
        request: Any = None,
        litellm_debug_info: str | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
    ) -> None:
        super().__init__(500, message, llm_provider, model, request, litellm_debug_info, max_retries, num_retries)


class Timeout(APIConnectionError):
    """No byte (or not the whole response) within the timeout: 408, or the provider's 504."""

    headers: dict[str, str] | None = None

    def __init__(
        self,
        message: str,
        model: str | None = None,
        llm_provider: str | None = None,
        litellm_debug_info: str | None = None,
        max_retries: int | None = None,
        num_retries: int | None = None,
        headers: dict[str, str] | None = None,
        exception_status_code: int | None = None,
        response: Any = None,
    ) -> None:
        super().__init__(message, llm_provider, model, None, litellm_debug_info, max_retries, num_retries)
        self.status_code = exception_status_code or 408
        self.headers = headers
        self.response = response


class APIResponseValidationError(APIError):
    def __init__(self, message: str, llm_provider: str | None = None, model: str | None = None) -> None:
        super().__init__(500, message, llm_provider, model)


class BadRequestError(_ModelFirstError):
    default_status = 400


class ContextWindowExceededError(BadRequestError):
    pass


class ContentPolicyViolationError(BadRequestError):
    pass


class UnsupportedParamsError(BadRequestError):
    pass


class PaymentRequiredError(BadRequestError):
    default_status = 402


class AuthenticationError(_StatusError):
    default_status = 401


class PermissionDeniedError(_StatusError):
    default_status = 403


class NotFoundError(_ModelFirstError):
    default_status = 404


class UnprocessableEntityError(_ModelFirstError):
    default_status = 422


class RateLimitError(_StatusError):
    default_status = 429


class InternalServerError(_StatusError):
    default_status = 500


class BadGatewayError(_StatusError):
    default_status = 502


class ServiceUnavailableError(_StatusError):
    default_status = 503


class MidStreamFallbackError(ServiceUnavailableError):
    """LiteLLM's wrapper for errors after a stream started; `status_code` is the original's."""

    def __init__(
        self,
        message: str,
        model: str | None = None,
        llm_provider: str | None = None,
        original_exception: BaseException | None = None,
        response: Any = None,
        generated_content: str = "",
        is_pre_first_chunk: bool = False,
    ) -> None:
        super().__init__(message, llm_provider, model, response)
        self.original_exception = original_exception
        self.status_code = getattr(original_exception, "status_code", None) or 503
        self.generated_content = generated_content
        self.is_pre_first_chunk = is_pre_first_chunk


class StreamError(APIError):
    """Something went wrong while a stream was being decoded. Nothing already received is lost: `chunks`
    holds what the failing `feed()`/`finish()` call decoded before the error, and `partial_response` the
    response built from everything that had arrived (set by the stream wrapper; None from a bare
    StreamDecoder). `event` and `offset` say where: the event number and the byte it starts at."""

    chunks: list[Any]
    partial_response: Any
    event: int | None
    offset: int | None

    def _locate(self, chunks: list[Any] | None, event: int | None, offset: int | None) -> None:
        self.chunks = chunks if chunks is not None else []
        self.partial_response = None
        self.event = event
        self.offset = offset


class StreamDecodeError(StreamError, ValueError):
    """Malformed framing or payload: not JSON, not the dialect's shape, a field of the wrong type."""

    def __init__(
        self,
        message: str,
        *,
        event: int | None = None,
        offset: int | None = None,
        chunks: list[Any] | None = None,
        llm_provider: str | None = None,
        model: str | None = None,
    ) -> None:
        APIError.__init__(self, 500, message, llm_provider, model)
        self._locate(chunks, event, offset)


class EventTooLargeError(StreamDecodeError):
    """An event grew past `max_event_bytes` before it was complete."""


class IncompleteStreamError(StreamError, APIConnectionError):
    """The stream ended before its terminator (`[DONE]`, a finish reason, or the dialect's end event)."""

    def __init__(
        self,
        message: str,
        *,
        offset: int | None = None,
        chunks: list[Any] | None = None,
        llm_provider: str | None = None,
        model: str | None = None,
    ) -> None:
        APIError.__init__(self, 500, message, llm_provider, model)
        self._locate(chunks, None, offset)


class ProviderStreamError(StreamError):
    """The provider reported an error inside the stream, after HTTP 200. `code` and `type` are the
    provider's; `body` is the error payload as sent (parsed when it was JSON)."""

    code: Any
    type: str | None

    def __init__(
        self,
        message: str,
        *,
        status_code: int = 500,
        code: Any = None,
        type: str | None = None,
        body: Any = None,
        event: int | None = None,
        offset: int | None = None,
        chunks: list[Any] | None = None,
        llm_provider: str | None = None,
        model: str | None = None,
    ) -> None:
        APIError.__init__(self, status_code, message, llm_provider, model, body=body)
        self.code = code
        self.type = type
        self._locate(chunks, event, offset)


class StreamBadRequestError(ProviderStreamError, BadRequestError):
    pass


class StreamContextWindowExceededError(ProviderStreamError, ContextWindowExceededError):
    pass


class StreamContentPolicyViolationError(ProviderStreamError, ContentPolicyViolationError):
    pass


class StreamAuthenticationError(ProviderStreamError, AuthenticationError):
    pass


class StreamPermissionDeniedError(ProviderStreamError, PermissionDeniedError):
    pass


class StreamNotFoundError(ProviderStreamError, NotFoundError):
    pass


class StreamTimeout(ProviderStreamError, Timeout):
    pass


class StreamUnprocessableEntityError(ProviderStreamError, UnprocessableEntityError):
    pass


class StreamRateLimitError(ProviderStreamError, RateLimitError):
    pass


class StreamInternalServerError(ProviderStreamError, InternalServerError):
    pass


class StreamBadGatewayError(ProviderStreamError, BadGatewayError):
    pass


class StreamServiceUnavailableError(ProviderStreamError, ServiceUnavailableError):
    pass


class StreamAPIError(ProviderStreamError):
    """A provider error whose status has no class of its own."""


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
