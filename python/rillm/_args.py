"""Checking `completion()`'s arguments up front, with pydantic, before anything is sent.

Errors are BadRequestError (or UnsupportedParamsError) naming the argument and what is wrong with it.
They never echo the value: a misplaced API key must not end up in a log through an error message.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, Union

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from rillm.exceptions import BadRequestError, UnsupportedParamsError

__all__ = ["OPENAI_PARAMS", "Args", "check_args", "check_messages", "select_params"]

# The OpenAI-named parameters that are translated per dialect; anything else a caller passes that is not
# one of the control arguments below goes into the request body as it is (LiteLLM's provider-specific
# parameters, e.g. `top_k=40` for Anthropic).
OPENAI_PARAMS = frozenset(
    {
        "temperature",
        "top_p",
        "max_tokens",
        "max_completion_tokens",
        "stop",
        "n",
        "seed",
        "user",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "response_format",
        "logprobs",
        "top_logprobs",
        "reasoning_effort",
        "thinking",
        "stream_options",
        "presence_penalty",
        "frequency_penalty",
    }
)

# Credentials are checked by hand (see `_secret`) so that a validation error cannot quote them.
SECRETS = ("api_key", "azure_ad_token", "aws_access_key_id", "aws_secret_access_key", "aws_session_token")

_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: Optional[bool] = None


class Args(BaseModel):
    """Every named argument of `completion()` except model and messages. Unknown names are kept in
    `model_extra` and sent in the request body."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    stream: Optional[bool] = None
    stream_options: Optional[StreamOptions] = None
    temperature: Optional[float] = Field(None, ge=0)
    top_p: Optional[float] = Field(None, ge=0, le=1)
    max_tokens: Optional[int] = Field(None, gt=0)
    max_completion_tokens: Optional[int] = Field(None, gt=0)
    stop: Optional[Union[str, list[str]]] = None
    n: Optional[int] = Field(None, ge=1)
    seed: Optional[int] = None
    user: Optional[str] = None
    tools: Optional[list[dict[str, Any]]] = None
    tool_choice: Optional[Union[Literal["auto", "none", "required"], dict[str, Any]]] = None
    parallel_tool_calls: Optional[bool] = None
    response_format: Optional[dict[str, Any]] = None
    logprobs: Optional[bool] = None
    top_logprobs: Optional[int] = Field(None, ge=0, le=20)
    reasoning_effort: Optional[str] = None
    thinking: Optional[dict[str, Any]] = None
    presence_penalty: Optional[float] = None
    frequency_penalty: Optional[float] = None
    # Where and how to send.
    api_base: Optional[str] = None
    base_url: Optional[str] = None
    api_version: Optional[str] = None
    custom_llm_provider: Optional[str] = None
    aws_region_name: Optional[str] = None
    timeout: Optional[Union[float, httpx.Timeout]] = None
    request_timeout: Optional[float] = Field(None, gt=0)
    stream_timeout: Optional[float] = Field(None, gt=0)
    # A total budget for a stream, and the longest wait between two content events (rillm._deadline).
    max_streaming_duration: Optional[float] = Field(None, gt=0)
    stream_idle_timeout: Optional[float] = Field(None, gt=0)
    extra_headers: Optional[dict[str, str]] = None
    extra_body: Optional[dict[str, Any]] = None
    drop_params: Optional[bool] = None
    # The HTTP client and its pool size for this call (see rillm._http); None: the module settings.
    transport: Optional[str] = None
    max_connections: Optional[int] = Field(None, gt=0)
    # TLS verification for this call: True, False or a CA bundle's path (rillm._http.tls); None: the settings.
    ssl_verify: Optional[Union[bool, str]] = None
    num_retries: Optional[int] = Field(None, ge=0)
    max_retries: Optional[int] = Field(None, ge=0)
    mock_response: Any = None
    # Passed to the logging callbacks as kwargs["litellm_params"]["metadata"], as LiteLLM does.
    metadata: Optional[dict[str, Any]] = None

    @field_validator("timeout", "request_timeout", mode="before")
    @classmethod
    def _timeout(cls, value: Any) -> Any:
        """LiteLLM takes a float, a numeric string or an httpx.Timeout."""
        if isinstance(value, str):
            return float(value)
        return value

    @field_validator("tools")
    @classmethod
    def _tools(cls, tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
        for i, tool in enumerate(tools or ()):
            function = tool.get("function")
            if tool.get("type", "function") != "function" or not isinstance(function, dict):
                raise ValueError(f"tools[{i}] must be {{'type': 'function', 'function': {{'name': ...}}}}")
            if not isinstance(function.get("name"), str) or not function["name"]:
                raise ValueError(f"tools[{i}].function.name must be a non-empty string")
        return tools


def check_args(kwargs: dict[str, Any]) -> tuple[Args, dict[str, str | None]]:
    """The validated arguments and, apart, the credentials (strings or None)."""
    secrets = {name: _secret(name, kwargs.pop(name, None)) for name in SECRETS}
    try:
        args = Args.model_validate(kwargs)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False, include_input=False)
        )
        raise BadRequestError(f"invalid arguments: {problems}", model=None, llm_provider=None) from None
    return args, secrets


def _secret(name: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value or None
    raise BadRequestError(f"{name} must be a string, not {type(value).__name__}", model=None, llm_provider=None)


def check_messages(messages: Any) -> list[dict[str, Any]]:
    """OpenAI-style messages as plain dicts: each has a known role and a str, list-of-parts or None content
    (None only where OpenAI allows it: an assistant turn with tool calls). Message objects from an earlier
    response (`response.choices[0].message`) are accepted and dumped."""
    if not isinstance(messages, (list, tuple)) or not messages:
        raise BadRequestError("messages must be a non-empty list of {'role', 'content'} dicts", None, None)
    checked = []
    for i, message in enumerate(messages):
        if hasattr(message, "model_dump") and not isinstance(message, dict):
            message = message.model_dump(exclude_none=True)
        if not isinstance(message, dict):
            raise BadRequestError(f"messages[{i}] must be a dict, not {type(message).__name__}", None, None)
        role = message.get("role")
        if role not in _ROLES:
            raise BadRequestError(f"messages[{i}].role must be one of {', '.join(sorted(_ROLES))}", None, None)
        content = message.get("content")
        calls = message.get("tool_calls") or message.get("function_call")
        if content is None and not (role == "assistant" and calls):
            raise BadRequestError(f"messages[{i}] ({role}) has no content", None, None)
        if content is not None and not isinstance(content, (str, list)):
            raise BadRequestError(
                f"messages[{i}].content must be a string or a list of parts, not {type(content).__name__}", None, None
            )
        checked.append(message)
    return checked


def select_params(
    args: Args, supported: frozenset[str], *, drop: bool, stream_options: bool, provider: str, model: str
) -> dict[str, Any]:
    """The OpenAI-named parameters that were given, checked against what the provider supports: one it
    does not is an UnsupportedParamsError, or is left out when `drop_params` is on. `stream_options` is
    forwarded only to providers that take it and otherwise left out quietly, as LiteLLM does (spec §1.3)."""
    given = {name: getattr(args, name) for name in sorted(OPENAI_PARAMS) if getattr(args, name) is not None}
    if args.stream_options is not None and stream_options and args.stream:
        given["stream_options"] = args.stream_options.model_dump(exclude_none=True)
    else:
        given.pop("stream_options", None)
    unsupported = sorted(name for name in given if name not in supported)
    if unsupported and not drop:
        raise UnsupportedParamsError(
            f"{provider} does not support {', '.join(unsupported)}. Pass drop_params=True (or set "
            "rillm.drop_params = True) to leave unsupported parameters out",
            model=model,
            llm_provider=provider,
        )
    return {name: value for name, value in given.items() if name in supported}
