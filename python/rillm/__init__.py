"""rillm: a LiteLLM-compatible streaming client whose hot path is Rust.

`rillm.BACKEND` says whether the Rust extension or its pure-Python twin is live (`RILLM_BACKEND`).
`rillm.drop_params = True` leaves out parameters a provider does not support instead of raising, for
every call (the `drop_params=` argument does it for one).
"""

from rillm import exceptions
from rillm._backend import (
    BACKEND,
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    ModelResponseStream,
    StreamDecoder,
    StreamingChoices,
)
from rillm._builder import stream_chunk_builder
from rillm._completion import acompletion, completion
from rillm._stream import CustomStreamWrapper
from rillm._version import __version__
from rillm.cost import ModelNotMappedError, completion_cost, cost_per_token, register_model
from rillm.exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ContentPolicyViolationError,
    ContextWindowExceededError,
    EventTooLargeError,
    IncompleteStreamError,
    InternalServerError,
    MidStreamFallbackError,
    NotFoundError,
    OpenAIError,
    PaymentRequiredError,
    PermissionDeniedError,
    ProviderStreamError,
    RateLimitError,
    ServiceUnavailableError,
    StreamDecodeError,
    StreamError,
    Timeout,
    UnprocessableEntityError,
    UnsupportedParamsError,
)
from rillm.providers import get_llm_provider
from rillm.types import (
    ChatCompletionMessageToolCall,
    ChoiceLogprobs,
    Choices,
    CompletionTokensDetailsWrapper,
    FunctionCall,
    Message,
    ModelResponse,
    PromptTokensDetailsWrapper,
    Usage,
)

drop_params = False

__all__ = [
    "BACKEND",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "AuthenticationError",
    "BadGatewayError",
    "BadRequestError",
    "ChatCompletionDeltaToolCall",
    "ChatCompletionMessageToolCall",
    "ChoiceLogprobs",
    "Choices",
    "CompletionTokensDetailsWrapper",
    "ContentPolicyViolationError",
    "ContextWindowExceededError",
    "CustomStreamWrapper",
    "Delta",
    "EventTooLargeError",
    "Function",
    "FunctionCall",
    "IncompleteStreamError",
    "InternalServerError",
    "Message",
    "MidStreamFallbackError",
    "ModelNotMappedError",
    "ModelResponse",
    "ModelResponseStream",
    "NotFoundError",
    "OpenAIError",
    "PaymentRequiredError",
    "PermissionDeniedError",
    "PromptTokensDetailsWrapper",
    "ProviderStreamError",
    "RateLimitError",
    "ServiceUnavailableError",
    "StreamDecodeError",
    "StreamDecoder",
    "StreamError",
    "StreamingChoices",
    "Timeout",
    "UnprocessableEntityError",
    "UnsupportedParamsError",
    "Usage",
    "__version__",
    "acompletion",
    "completion",
    "completion_cost",
    "cost_per_token",
    "drop_params",
    "exceptions",
    "get_llm_provider",
    "register_model",
    "stream_chunk_builder",
]
