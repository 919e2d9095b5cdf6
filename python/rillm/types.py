"""The pydantic models at the edges: usage, logprobs and the final `ModelResponse` that
`stream_chunk_builder` returns. Both backends build these same classes.

Per-chunk objects are not here: they are cheap classes of the live backend (`rillm.ModelResponseStream`
and friends), never a pydantic model per chunk.
"""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

__all__ = [
    "ChatCompletionMessageToolCall",
    "ChatCompletionTokenLogprob",
    "ChoiceLogprobs",
    "Choices",
    "CompletionTokensDetailsWrapper",
    "FunctionCall",
    "Message",
    "ModelResponse",
    "PromptTokensDetailsWrapper",
    "TopLogprob",
    "Usage",
]


class _Mapping(BaseModel):
    """LiteLLM's models also read like dicts: `usage["total_tokens"]`, `.get()`, `in`."""

    model_config = ConfigDict(extra="allow")

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __contains__(self, key: str) -> bool:
        return getattr(self, key, None) is not None

    def json(self, **kwargs: Any) -> dict[str, Any]:  # type: ignore[override]
        """A dict, as LiteLLM's `.json()` returns (not a string)."""
        return self.model_dump(**kwargs)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class PromptTokensDetailsWrapper(_Mapping):
    cached_tokens: Optional[int] = None
    audio_tokens: Optional[int] = None
    text_tokens: Optional[int] = None
    image_tokens: Optional[int] = None


class CompletionTokensDetailsWrapper(_Mapping):
    reasoning_tokens: Optional[int] = None
    audio_tokens: Optional[int] = None
    accepted_prediction_tokens: Optional[int] = None
    rejected_prediction_tokens: Optional[int] = None
    text_tokens: Optional[int] = None
    image_tokens: Optional[int] = None


class Usage(_Mapping):
    """Token counts. Provider extras (Groq's timings, OpenRouter's `cost`, ...) are kept as attributes.
    DeepSeek's `prompt_cache_hit_tokens` is read as `prompt_tokens_details.cached_tokens`. A usage that
    the provider never reported but `stream_chunk_builder` estimated has `estimated=True`."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: Optional[PromptTokensDetailsWrapper] = None
    completion_tokens_details: Optional[CompletionTokensDetailsWrapper] = None

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = {k: v for k, v in data.items() if not (v is None and k in _COUNTS)}
        hit = data.get("prompt_cache_hit_tokens")
        if isinstance(hit, int) and not isinstance(hit, bool):
            details = data.get("prompt_tokens_details")
            if details is None:
                data["prompt_tokens_details"] = {"cached_tokens": hit}
            elif isinstance(details, dict) and details.get("cached_tokens") is None:
                data["prompt_tokens_details"] = {**details, "cached_tokens": hit}
        return data


_COUNTS = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})


class TopLogprob(_Mapping):
    token: str
    logprob: float
    bytes: Optional[list[int]] = None


class ChatCompletionTokenLogprob(_Mapping):
    token: str
    logprob: float
    bytes: Optional[list[int]] = None
    top_logprobs: list[TopLogprob] = Field(default_factory=list)

    @field_validator("top_logprobs", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value


class ChoiceLogprobs(_Mapping):
    content: Optional[list[ChatCompletionTokenLogprob]] = None
    refusal: Optional[list[ChatCompletionTokenLogprob]] = None


class FunctionCall(_Mapping):
    name: Optional[str] = None
    arguments: str = ""


class ChatCompletionMessageToolCall(_Mapping):
    id: Optional[str] = None
    type: str = "function"
    function: FunctionCall


class Message(_Mapping):
    content: Optional[str] = None
    role: str = "assistant"
    tool_calls: Optional[list[ChatCompletionMessageToolCall]] = None
    function_call: Optional[FunctionCall] = None
    refusal: Optional[str] = None
    reasoning_content: Optional[str] = None
    thinking_blocks: Optional[list[Any]] = None
    annotations: Optional[list[Any]] = None
    provider_specific_fields: Optional[dict[str, Any]] = None


class Choices(_Mapping):
    finish_reason: str = "stop"
    index: int = 0
    message: Message = Field(default_factory=Message)
    logprobs: Optional[ChoiceLogprobs] = None


class ModelResponse(_Mapping):
    """A whole chat completion, as `stream_chunk_builder` (or a non-streaming call) returns it."""

    id: str = ""
    created: int = 0
    model: str = ""
    object: str = "chat.completion"
    system_fingerprint: Optional[str] = None
    choices: list[Choices] = Field(default_factory=list)
    usage: Optional[Usage] = None
    service_tier: Optional[str] = None
    citations: Optional[Any] = None
    # LiteLLM's hidden parameters, never dumped: `response_cost` (USD, None for a model without a price).
    _hidden_params: dict[str, Any] = PrivateAttr(default_factory=dict)
