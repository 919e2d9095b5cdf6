"""`mock_response` (spec §1.3, §1.9): a response made without a network, answered before any provider is
resolved.

A streamed mock is turned into OpenAI chunk events and decoded by the live backend's StreamDecoder, so its
chunks are the same objects, with the same rules, as a real stream's. (Fake streams, one real request
served as a stream, are `rillm._response.response_chunks`.)
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from rillm import _backend, _response, _settings
from rillm._args import Args
from rillm._repetition import Repetition
from rillm._shared import new_response_id
from rillm._stream import CustomStreamWrapper
from rillm.exceptions import APIError, BadRequestError, ContextWindowExceededError, InternalServerError, RateLimitError
from rillm.providers import resolve
from rillm.types import Choices, Message, ModelResponse, Usage

if TYPE_CHECKING:
    from rillm._callbacks import CallLog

__all__ = ["mock_completion", "mock_error", "mock_provider", "mock_response", "mock_stream"]

# LiteLLM's test hooks: these strings as mock_response raise the error at call time.
_MOCK_ERRORS: dict[str, Any] = {
    "RateLimitError": RateLimitError,
    "ContextWindowExceededError": ContextWindowExceededError,
    "InternalServerError": InternalServerError,
}
# LiteLLM's token counts for a mock that is not streamed.
_MOCK_PROMPT_TOKENS, _MOCK_COMPLETION_TOKENS = 10, 20


def mock_completion(args: Args, model: str, messages: list[Any], *, is_async: bool, log: CallLog | None = None) -> Any:
    """What `completion()` returns for `mock_response`: the error it names raised, a ModelResponse, or
    with `stream=True` a stream of its chunks (which sends its callback event to `log` when it ends; its
    usage, estimated, counts the prompt from `messages`)."""
    error = mock_error(args.mock_response, model)
    if error is not None:
        raise error
    if not args.stream:
        return mock_response(args.mock_response, model)
    limit = _settings.repeated_chunk_limit()
    provider = mock_provider(model)
    return CustomStreamWrapper(
        model=model,
        llm_provider=provider,
        chunks=mock_stream(args.mock_response, model),
        messages=messages,
        include_usage=bool(args.stream_options and args.stream_options.include_usage),
        is_async=is_async,
        log=log,
        repetition=None if limit is None else Repetition(limit, provider=provider, model=model),
    )


def mock_provider(model: str) -> str:
    """The provider a mock is priced as: the one the model string names (`anthropic/claude-...`, a bare
    `claude-...`), as LiteLLM resolves the model before it answers a mock; else "openai", LiteLLM's mock
    stream's provider. A mock never fails for its model."""
    try:
        return resolve(model)[0].name
    except BadRequestError:
        return "openai"


def mock_error(value: Any, model: str) -> BaseException | None:
    """The exception a mock_response asks for: an exception instance, or "litellm.RateLimitError" and
    friends (also spelled "rillm.")."""
    if isinstance(value, BaseException):
        return value
    if isinstance(value, str):
        prefix, _, name = value.partition(".")
        cls = _MOCK_ERRORS.get(name) if prefix in ("litellm", "rillm") else None
        if cls is not None:
            error: APIError = cls(f"mock_response={value}", llm_provider="openai", model=model)
            return error
    return None


def mock_response(value: Any, model: str) -> ModelResponse:
    """A non-streamed mock: the text as the message, LiteLLM's 10/20 token counts."""
    if isinstance(value, ModelResponse):
        return value
    usage = Usage(
        prompt_tokens=_MOCK_PROMPT_TOKENS,
        completion_tokens=_MOCK_COMPLETION_TOKENS,
        total_tokens=_MOCK_PROMPT_TOKENS + _MOCK_COMPLETION_TOKENS,
    )
    return ModelResponse(
        id=new_response_id(),
        created=int(time.time()),
        model=model,
        choices=[Choices(finish_reason="stop", index=0, message=Message(content=str(value)))],
        usage=usage,
    )


def mock_stream(value: Any, model: str) -> list[Any]:
    """A streamed mock: the text in 3-character pieces, the role on the first, then a `stop` chunk, as
    LiteLLM's mock streams do. A ModelResponse is streamed whole."""
    if isinstance(value, ModelResponse):
        whole = json.dumps(value.model_dump(exclude_none=True)).encode()
        return _response.response_chunks("openai", whole, model=value.model or model)
    text = str(value)
    head = {"id": new_response_id(), "object": "chat.completion.chunk", "created": int(time.time()), "model": model}
    events = [
        {
            **head,
            "choices": [{"index": 0, "delta": {"content": text[i : i + 3], **({} if i else {"role": "assistant"})}}],
        }
        for i in range(0, len(text), 3)
    ] or [{**head, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}]
    events.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    return _decode(events, model)


def _decode(events: list[dict[str, Any]], model: str) -> list[Any]:
    body = b"".join(b"data: " + json.dumps(event).encode() + b"\n\n" for event in events) + b"data: [DONE]\n\n"
    decoder = _backend.StreamDecoder("openai", model=model)
    return [*decoder.feed(body), *decoder.finish()]
