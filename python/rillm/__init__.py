"""rillm: a LiteLLM-compatible streaming client whose hot path is Rust.

`rillm.BACKEND` says whether the Rust extension or its pure-Python twin is live (`RILLM_BACKEND`).

LiteLLM's module settings are read when a call is made (rillm._settings), so they can be set at any time
after import; an argument of the call wins over them, and they win over the environment. None means not set.
"""

from typing import TYPE_CHECKING, Any, Optional, Union

from rillm import exceptions, integrations
from rillm._backend import (
    BACKEND,
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    ModelResponseStream,
    StreamDecoder,
    StreamingChoices,
)
from rillm._version import __version__
from rillm.exceptions import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    AuthenticationError,
    BadGatewayError,
    BadRequestError,
    ConcurrentUseError,
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

if TYPE_CHECKING:
    from rillm._builder import stream_chunk_builder
    from rillm._completion import acompletion, completion
    from rillm._stream import CustomStreamWrapper
    from rillm.cost import ModelNotMappedError, completion_cost, cost_per_token, register_model
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

# Imported on first use (PEP 562), so that `import rillm` stays cheap: these modules bring pydantic (the
# models of rillm.types, the argument checks), the provider tables, the HTTP clients, and logging (rillm.cost
# logs a missing price). The exceptions, the backend's classes and the settings below are defined at import;
# tests/test_import.py lists what `import rillm` may load. The checker sees the imports above instead (no
# `__getattr__` for it, so a misspelt name stays an error in user code).
_LAZY = {
    "stream_chunk_builder": "rillm._builder",
    "acompletion": "rillm._completion",
    "completion": "rillm._completion",
    "CustomStreamWrapper": "rillm._stream",
    "ModelNotMappedError": "rillm.cost",
    "completion_cost": "rillm.cost",
    "cost_per_token": "rillm.cost",
    "register_model": "rillm.cost",
    "get_llm_provider": "rillm.providers",
    "ChatCompletionMessageToolCall": "rillm.types",
    "ChoiceLogprobs": "rillm.types",
    "Choices": "rillm.types",
    "CompletionTokensDetailsWrapper": "rillm.types",
    "FunctionCall": "rillm.types",
    "Message": "rillm.types",
    "ModelResponse": "rillm.types",
    "PromptTokensDetailsWrapper": "rillm.types",
    "Usage": "rillm.types",
}

if not TYPE_CHECKING:

    def __getattr__(name: str) -> Any:
        module = _LAZY.get(name)
        if module is None:
            raise AttributeError(f"module 'rillm' has no attribute {name!r}")
        # __import__ rather than importlib.import_module: the importlib package stays unloaded
        value = getattr(__import__(module, fromlist=[name]), name)
        globals()[name] = value  # later reads skip this function
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


# -- LiteLLM's module settings (rillm._settings reads them at call time) -------------------------------------
# Where and how: a key for every provider (or one of the provider keys below), a base URL, an API version.
api_key: Optional[str] = None
api_base: Optional[str] = None
api_version: Optional[str] = None
# Leave out parameters a provider does not take instead of raising UnsupportedParamsError (env LITELLM_DROP_PARAMS).
drop_params: Optional[bool] = None
# Retries of a failed request (rillm._retry says which errors are retried) and the request timeout in seconds.
num_retries: Optional[int] = None
request_timeout: Optional[float] = None
# The `rillm` logger at DEBUG (env LITELLM_LOG=DEBUG does the same).
set_verbose: bool = False
# usage.cost (USD) on a stream's final chunk and on its built response's usage.
include_cost_in_streaming_usage: bool = False
# A stream's total budget in seconds (env RILLM_ / LITELLM_MAX_STREAMING_DURATION_SECONDS), and the longest wait
# between two content events (env RILLM_STREAM_IDLE_TIMEOUT_SECONDS, LITELLM_STREAM_INACTIVITY_TIMEOUT_SECONDS).
max_streaming_duration: Optional[float] = None
LITELLM_MAX_STREAMING_DURATION_SECONDS: Optional[float] = None
stream_idle_timeout: Optional[float] = None
# A stream fails once the model has sent the same content this many chunks in a row (rillm._repetition; env
# REPEATED_STREAMING_CHUNK_LIMIT). None, the default, is off; LiteLLM's is 100.
REPEATED_STREAMING_CHUNK_LIMIT: Optional[int] = None
# Logging callbacks (rillm._callbacks): functions, and CustomLogger objects (rillm.integrations.custom_logger).
success_callback: list[Any] = []
failure_callback: list[Any] = []
callbacks: list[Any] = []
# A caller's own httpx.Client / httpx.AsyncClient for every request, as LiteLLM's.
client_session: Any = None
aclient_session: Any = None
# The HTTP client (None: httptools, else pycurl, else urllib3 for completion(), and httptools, else aiohttp for
# acompletion(), when installed, else httpx; or one of those names), and each provider's connection pool: see
# rillm._http.
transport: Optional[str] = None
max_connections: int = 1000
max_keepalive_connections: int = 100
# TLS, as LiteLLM's settings of the same names (rillm._http.tls; SSL_VERIFY, SSL_CERT_FILE, SSL_CERTIFICATE and
# SSL_SECURITY_LEVEL in the environment come first): verification (True, False or a CA bundle's path), a client
# certificate, and OpenSSL's cipher string.
ssl_verify: Union[bool, str] = True
ssl_certificate: Optional[str] = None
ssl_security_level: Optional[str] = None
# The provider keys LiteLLM has, each read for its provider's calls (rillm._settings._ROW_KEYS).
ai21_key: Optional[str] = None
amazon_nova_api_key: Optional[str] = None
anthropic_key: Optional[str] = None
azure_key: Optional[str] = None
baseten_key: Optional[str] = None
cohere_key: Optional[str] = None
cometapi_key: Optional[str] = None
groq_key: Optional[str] = None
huggingface_key: Optional[str] = None
inception_key: Optional[str] = None
lemonade_key: Optional[str] = None
llama_api_key: Optional[str] = None
nebius_key: Optional[str] = None
novita_api_key: Optional[str] = None
ollama_key: Optional[str] = None
openai_key: Optional[str] = None
openrouter_key: Optional[str] = None
ovhcloud_key: Optional[str] = None
togetherai_api_key: Optional[str] = None
vercel_ai_gateway_key: Optional[str] = None
wandb_key: Optional[str] = None
xai_key: Optional[str] = None

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
    "ConcurrentUseError",
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
    "integrations",
    "max_connections",
    "max_keepalive_connections",
    "register_model",
    "ssl_certificate",
    "ssl_security_level",
    "ssl_verify",
    "stream_chunk_builder",
    "transport",
]
