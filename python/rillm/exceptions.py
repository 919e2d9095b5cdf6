"""Exceptions raised by rillm: defined once here and raised by both backends (the Rust core raises these
same classes, so `except` clauses never depend on the backend). Which class a provider's error becomes is
decided in `rillm._error_mapping`, one table for HTTP error responses and errors inside a stream.

The names and attributes are LiteLLM's, so code written for LiteLLM catches the same things::

    OpenAIError
     └── APIError                        status_code, message, llm_provider, model, response, body
          ├── APIConnectionError              the provider could not be reached or the connection broke
          │    └── Timeout                    408 (or 504)
          ├── APIResponseValidationError
          ├── BadRequestError                 400 (413, 422 and other 4xx too, with their own status_code)
          │    ├── ContextWindowExceededError
          │    ├── ContentPolicyViolationError
          │    ├── UnsupportedParamsError
          │    └── PaymentRequiredError       402
          ├── AuthenticationError             401
          ├── PermissionDeniedError           403
          ├── NotFoundError                   404
          ├── UnprocessableEntityError        LiteLLM's 422 class; a 422 is raised as a BadRequestError
          ├── RateLimitError                  429
          ├── InternalServerError             500 (and Anthropic's 529 "overloaded", reported as 500)
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
                                              concrete class is also the class an HTTP error with
                                              the same status raises, e.g. StreamRateLimitError is a
                                              RateLimitError; StreamAPIError for other 5xx

Unlike LiteLLM's, these classes do not derive from the `openai` package's (rillm does not depend on it).
API keys never appear in messages: only what the provider said and where.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ConcurrentUseError",
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
    "StreamPaymentRequiredError",
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
    """LiteLLM's class for a 422. Like LiteLLM's own status mapping, rillm raises a 422 as a BadRequestError
    (with status_code 422, in a stream as in an HTTP response); this class is here for code that names it."""

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


class ConcurrentUseError(StreamError, RuntimeError):
    """A StreamDecoder was called from a thread while another thread was inside one of its calls: a decoder
    is not shared across threads (one per stream, used by one thread at a time). The refused call changed
    nothing: the call already under way goes on as if it had been alone, and nothing it decodes is lost."""

    def __init__(self, message: str) -> None:
        APIError.__init__(self, 500, message)
        self._locate(None, None, None)


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


class StreamPaymentRequiredError(ProviderStreamError, PaymentRequiredError):
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
    """The twin of UnprocessableEntityError, for code that names it: a 422 inside a stream is raised as a
    StreamBadRequestError, as an HTTP 422 is a BadRequestError."""


class StreamRateLimitError(ProviderStreamError, RateLimitError):
    pass


class StreamInternalServerError(ProviderStreamError, InternalServerError):
    pass


class StreamBadGatewayError(ProviderStreamError, BadGatewayError):
    pass


class StreamServiceUnavailableError(ProviderStreamError, ServiceUnavailableError):
    pass


class StreamAPIError(ProviderStreamError):
    """A provider error whose status has no class of its own (a 5xx other than 500, 502, 503 and 504): the
    twin of a plain APIError."""
