"""`completion()` and `acompletion()`: LiteLLM's entry points.

One call reads top to bottom: the arguments (`_args`; a `mock_response` is answered there and then, by
`_mock`), the provider row (`providers.resolve`) and the parameters it takes, the request
(`providers.request`: URL, credentials, translated body), the transport (`_http`, with retries), and then
the stream (a `CustomStreamWrapper` over the open response) or the response (the whole body mapped by
`_response`: a `ModelResponse`, or for a faked stream its chunks). Errors from the provider (an HTTP error
status) are raised here, by the call, as LiteLLM raises them for every provider it opens eagerly (spec §1.2).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

import httpx

from rillm import _backend, _http, _response
from rillm._args import Args, check_args, check_messages, select_params
from rillm._mock import mock_completion
from rillm._shared import new_response_id
from rillm._stream import CustomStreamWrapper
from rillm.exceptions import APIConnectionError, APIError, RateLimitError
from rillm.providers import Provider, resolve, translate
from rillm.providers.request import build_request

if TYPE_CHECKING:
    from rillm.types import ModelResponse

__all__ = ["acompletion", "completion"]

T = TypeVar("T")

# LiteLLM's default request timeout in seconds (COMPLETION_HTTP_FALLBACK_SECONDS).
DEFAULT_TIMEOUT = 600.0
# Retries (num_retries / max_retries) wait 0.5 s, 1 s, 2 s, ... at most this long between attempts.
_MAX_BACKOFF = 8.0


# What the call returns follows `stream` (LiteLLM's other parameters pass through **kwargs): True, a stream
# to iterate; False, None or absent, a response; a bool known only at run time, either.
@overload
def completion(
    model: str, messages: list[Any] | None = None, *, stream: Literal[True], **kwargs: Any
) -> CustomStreamWrapper: ...
@overload
def completion(
    model: str, messages: list[Any] | None = None, *, stream: Literal[False] | None = None, **kwargs: Any
) -> ModelResponse: ...
@overload
def completion(
    model: str, messages: list[Any] | None = None, *, stream: bool | None = None, **kwargs: Any
) -> ModelResponse | CustomStreamWrapper: ...
def completion(model: str, messages: list[Any] | None = None, **kwargs: Any) -> Any:
    """LiteLLM's `completion()`: a `ModelResponse`, or with `stream=True` a `CustomStreamWrapper` to
    iterate. Takes LiteLLM's parameters (see the README); unknown ones go to the provider as they are."""
    args, secrets = check_args(dict(kwargs))
    messages = check_messages(messages)
    if args.mock_response is not None:
        return mock_completion(args, model, is_async=False)
    call = _prepare(model, messages, args, secrets)
    if call.live:
        response = _retry(call, lambda: _http.TRANSPORT.send(call.request))
        return call.wrap(response=response, is_async=False)
    body = _retry(call, lambda: _read_whole(call))
    return call.finish(body, is_async=False)


@overload
async def acompletion(
    model: str, messages: list[Any] | None = None, *, stream: Literal[True], **kwargs: Any
) -> CustomStreamWrapper: ...
@overload
async def acompletion(
    model: str, messages: list[Any] | None = None, *, stream: Literal[False] | None = None, **kwargs: Any
) -> ModelResponse: ...
@overload
async def acompletion(
    model: str, messages: list[Any] | None = None, *, stream: bool | None = None, **kwargs: Any
) -> ModelResponse | CustomStreamWrapper: ...
async def acompletion(model: str, messages: list[Any] | None = None, **kwargs: Any) -> Any:
    """The async `completion()`: with `stream=True` the wrapper is iterated with `async for`."""
    args, secrets = check_args(dict(kwargs))
    messages = check_messages(messages)
    if args.mock_response is not None:
        return mock_completion(args, model, is_async=True)
    call = _prepare(model, messages, args, secrets)
    if call.live:
        response = await _aretry(call, lambda: _http.TRANSPORT.asend(call.request))
        return call.wrap(response=response, is_async=True)
    body = await _aretry(call, lambda: _aread_whole(call))
    return call.finish(body, is_async=True)


@dataclass
class _Call:
    """One prepared call: everything decided before the first byte is sent. `stream` is what the caller
    asked for; `live` is whether the provider streams it (False for a faked stream: one whole response)."""

    row: Provider
    model: str
    messages: list[dict[str, Any]]
    request: _http.HttpRequest
    stream: bool
    live: bool
    include_usage: bool
    retries: int

    def wrap(self, *, response: Any = None, chunks: list[Any] | None = None, is_async: bool) -> CustomStreamWrapper:
        """The stream: over the open `response` (decoded as it arrives), or over `chunks` made in advance."""
        hidden: dict[str, Any] = {
            "custom_llm_provider": self.row.name,
            "api_base": self.request.url.split("?")[0],
            "model_id": None,
        }
        make_decoder = None
        if response is not None:
            hidden["additional_headers"] = {f"llm_provider-{k}": v for k, v in response.headers.items()}
            # The same id and created for the live decoder and for re-decoding the kept bytes.
            make_decoder = functools.partial(
                _backend.StreamDecoder,
                self.row.decoder_dialect,
                model=self.model,
                id=new_response_id(),
                created=int(time.time()),
            )
        return CustomStreamWrapper(
            model=self.model,
            llm_provider=self.row.name,
            response=response,
            make_decoder=make_decoder,
            request=self.request,
            chunks=chunks,
            messages=self.messages,
            include_usage=self.include_usage,
            is_async=is_async,
            hidden_params=hidden,
        )

    def finish(self, body: bytes, *, is_async: bool) -> Any:
        """The response: a whole body as a ModelResponse, or for a faked stream the wrapper over its chunks."""
        if self.stream:
            chunks = _response.response_chunks(self.row.dialect, body, model=self.model)
            return self.wrap(chunks=chunks, is_async=is_async)
        return _response.parse_response(self.row.dialect, body, model=self.model, messages=self.messages)


def _prepare(model: str, messages: list[dict[str, Any]], args: Args, secrets: dict[str, str | None]) -> _Call:
    """The provider and the request."""
    api_base = args.api_base or args.base_url
    row, provider_model = resolve(model, args.custom_llm_provider, api_base)
    params = _params(args, row, provider_model)
    stream = bool(args.stream)
    live = stream and not row.fakes_stream(provider_model, params)
    request = build_request(
        row,
        provider_model,
        messages,
        params,
        stream=live,
        secrets=secrets,
        timeout=_timeout(args, live),
        api_base=api_base,
        api_version=args.api_version,
        aws_region_name=args.aws_region_name,
        extra_headers=args.extra_headers,
        # Unknown arguments go into the body as they are; extra_body wins over them.
        extra_body={**(args.model_extra or {}), **(args.extra_body or {})},
    )
    include_usage = bool(args.stream_options and args.stream_options.include_usage)
    retries = args.num_retries if args.num_retries is not None else args.max_retries or 0
    return _Call(row, provider_model, messages, request, stream, live, include_usage, retries)


def _params(args: Args, row: Provider, model: str) -> dict[str, Any]:
    """The OpenAI-named parameters given, checked against what the row's dialect and the row support;
    `drop_params` (the argument, else `rillm.drop_params`) leaves the others out instead of refusing them."""
    drop = args.drop_params
    if drop is None:
        drop = bool(getattr(sys.modules["rillm"], "drop_params", False))
    return select_params(
        args,
        translate.supported_params(row.dialect) - set(row.unsupported_params),
        drop=drop,
        stream_options=row.stream_options,
        provider=row.name,
        model=model,
    )


def _timeout(args: Args, live_stream: bool) -> httpx.Timeout:
    """`timeout` (seconds or an httpx.Timeout; default 600 s) bounds the connect and every read, so a
    stalled stream fails once no byte arrives for that long; `stream_timeout` replaces it for a live stream."""
    if live_stream and args.stream_timeout is not None:
        return httpx.Timeout(args.stream_timeout)
    if isinstance(args.timeout, httpx.Timeout):
        return args.timeout
    return httpx.Timeout(args.timeout if args.timeout is not None else DEFAULT_TIMEOUT)


def _read_whole(call: _Call) -> bytes:
    response = _http.TRANSPORT.send(call.request)
    try:
        body = response.read()
    except httpx.HTTPError as exc:
        raise _http.transport_error(exc, call.request, 0) from None
    finally:
        response.close()
    return body


async def _aread_whole(call: _Call) -> bytes:
    response = await _http.TRANSPORT.asend(call.request)
    try:
        body = await response.aread()
    except httpx.HTTPError as exc:
        raise _http.transport_error(exc, call.request, 0) from None
    finally:
        await response.aclose()
    return body


def _retryable(exc: APIError) -> bool:
    """Connection failures, timeouts, 429 and 5xx are worth another try; other 4xx are not."""
    return isinstance(exc, (APIConnectionError, RateLimitError)) or exc.status_code >= 500


def _retry(call: _Call, attempt: Callable[[], T]) -> T:
    for tries in range(call.retries + 1):
        try:
            return attempt()
        except APIError as exc:
            if tries == call.retries or not _retryable(exc):
                exc.num_retries = tries or None
                raise
            time.sleep(min(0.5 * 2**tries, _MAX_BACKOFF))
    raise AssertionError("unreachable")


async def _aretry(call: _Call, attempt: Callable[[], Awaitable[T]]) -> T:
    for tries in range(call.retries + 1):
        try:
            return await attempt()
        except APIError as exc:
            if tries == call.retries or not _retryable(exc):
                exc.num_retries = tries or None
                raise
            await asyncio.sleep(min(0.5 * 2**tries, _MAX_BACKOFF))
    raise AssertionError("unreachable")
