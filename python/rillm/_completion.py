"""`completion()` and `acompletion()`: LiteLLM's entry points.

One call: check the arguments (`_args`), resolve the provider row (`providers`), translate the request
into the provider's dialect (`providers.translate`), add credentials (`providers.auth`), send it
(`_http`), and either wrap the open response in a `CustomStreamWrapper` or map the whole body to a
`ModelResponse` with the dialect's own stream decoder. Errors from the provider (an HTTP error status)
are raised here, by the call, as LiteLLM raises them for every provider it opens eagerly (spec §1.2).
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from rillm import _backend, _http, _response
from rillm._args import Args, check_args, check_messages, select_params
from rillm._mock import mock_error, mock_response, mock_stream
from rillm._shared import new_response_id
from rillm._stream import CustomStreamWrapper
from rillm.exceptions import APIConnectionError, APIError, RateLimitError
from rillm.providers import Provider, endpoint, resolve, translate
from rillm.providers.auth import aws_region, key_headers, sign_aws

__all__ = ["acompletion", "completion"]

T = TypeVar("T")

# LiteLLM's default request timeout in seconds (COMPLETION_HTTP_FALLBACK_SECONDS).
DEFAULT_TIMEOUT = 600.0
# Retries (num_retries / max_retries) wait 0.5 s, 1 s, 2 s, ... at most this long between attempts.
_MAX_BACKOFF = 8.0


@dataclass
class _Call:
    """One prepared call: everything decided before the first byte is sent."""

    row: Provider
    model: str
    messages: list[dict[str, Any]]
    request: _http.HttpRequest
    stream: bool
    fake: bool
    include_usage: bool
    retries: int

    def wrap(self, *, response: Any = None, chunks: list[Any] | None = None, is_async: bool) -> CustomStreamWrapper:
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
        """A whole response body: the ModelResponse, or for a faked stream the wrapper over its chunks."""
        if self.stream:
            chunks = _response.response_chunks(self.row.dialect, body, model=self.model)
            return self.wrap(chunks=chunks, is_async=is_async)
        return _response.parse_response(self.row.dialect, body, model=self.model, messages=self.messages)


def completion(model: str, messages: list[Any] | None = None, **kwargs: Any) -> Any:
    """LiteLLM's `completion()`: a `ModelResponse`, or with `stream=True` a `CustomStreamWrapper` to
    iterate. Takes LiteLLM's parameters (see the README); unknown ones go to the provider as they are."""
    prepared = _prepare(model, messages, kwargs)
    if not isinstance(prepared, _Call):
        return prepared
    if not prepared.stream or prepared.fake:
        return prepared.finish(_retry(prepared, lambda: _read_whole(prepared)), is_async=False)
    opened = _retry(prepared, lambda: _http.TRANSPORT.send(prepared.request))
    return prepared.wrap(response=opened, is_async=False)


async def acompletion(model: str, messages: list[Any] | None = None, **kwargs: Any) -> Any:
    """The async `completion()`: with `stream=True` the wrapper is iterated with `async for`."""
    prepared = _prepare(model, messages, kwargs, is_async=True)
    if not isinstance(prepared, _Call):
        return prepared
    if not prepared.stream or prepared.fake:
        return prepared.finish(await _aretry(prepared, lambda: _aread_whole(prepared)), is_async=True)
    opened = await _aretry(prepared, lambda: _http.TRANSPORT.asend(prepared.request))
    return prepared.wrap(response=opened, is_async=True)


def _prepare(model: str, messages: Any, kwargs: dict[str, Any], is_async: bool = False) -> Any:
    """The `_Call` to make, or the finished result for a mock_response."""
    args, secrets = check_args(dict(kwargs))
    messages = check_messages(messages)
    stream = bool(args.stream)
    if args.mock_response is not None:
        return _mock(args, model, stream, is_async)
    api_base = args.api_base or args.base_url
    row, provider_model = resolve(model, args.custom_llm_provider, api_base)
    drop = (
        args.drop_params if args.drop_params is not None else bool(getattr(sys.modules["rillm"], "drop_params", False))
    )
    params = select_params(
        args,
        translate.supported_params(row.dialect) - set(row.unsupported_params),
        drop=drop,
        stream_options=row.stream_options,
        provider=row.name,
        model=provider_model,
    )
    fake = stream and row.fakes_stream(provider_model, params)
    live = stream and not fake
    body = translate.build_body(row.dialect, provider_model, messages, params, stream=live)
    body.update(args.model_extra or {})
    body.update(args.extra_body or {})
    region = aws_region(args.aws_region_name) if row.auth == "sigv4" else None
    url = endpoint(row, provider_model, stream=live, api_base=api_base, api_version=args.api_version, region=region)
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        **row.headers,
        **key_headers(row, secrets["api_key"], provider_model, secrets["azure_ad_token"]),
    }
    headers.update(args.extra_headers or {})
    if row.auth == "sigv4" and "Authorization" not in headers:
        assert region is not None
        signed = sign_aws(
            url,
            headers,
            data,
            region=region,
            access_key=secrets["aws_access_key_id"],
            secret_key=secrets["aws_secret_access_key"],
            session_token=secrets["aws_session_token"],
            model=provider_model,
        )
        headers.update(signed)
    request = _http.HttpRequest(url, data, headers, _timeout(args, live), row.name, provider_model)
    include_usage = bool(args.stream_options and args.stream_options.include_usage)
    retries = args.num_retries if args.num_retries is not None else args.max_retries or 0
    return _Call(row, provider_model, messages, request, stream, fake, include_usage, retries)


def _timeout(args: Args, live_stream: bool) -> httpx.Timeout:
    """`timeout` (seconds or an httpx.Timeout; default 600 s) bounds the connect and every read, so a
    stalled stream fails once no byte arrives for that long; `stream_timeout` replaces it for a live stream."""
    if live_stream and args.stream_timeout is not None:
        return httpx.Timeout(args.stream_timeout)
    if isinstance(args.timeout, httpx.Timeout):
        return args.timeout
    return httpx.Timeout(args.timeout if args.timeout is not None else DEFAULT_TIMEOUT)


def _mock(args: Args, model: str, stream: bool, is_async: bool) -> Any:
    """`mock_response`: no network (spec §1.3, §1.9)."""
    error = mock_error(args.mock_response, model)
    if error is not None:
        raise error
    if not stream:
        return mock_response(args.mock_response, model)
    include_usage = bool(args.stream_options and args.stream_options.include_usage)
    return CustomStreamWrapper(
        model=model,
        llm_provider="openai",
        chunks=mock_stream(args.mock_response, model),
        include_usage=include_usage,
        is_async=is_async,
    )


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
