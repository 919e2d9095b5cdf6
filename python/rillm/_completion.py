"""`completion()` and `acompletion()`: LiteLLM's entry points.

One call reads top to bottom: the arguments (`_args`; a `mock_response` is answered there and then, by
`_mock`), LiteLLM's module settings where an argument is missing (`_settings`: `rillm.api_key`,
`rillm.num_retries`, ...), the provider row (`providers.resolve`) and the parameters it takes, the request
(`providers.request`: URL, credentials, translated body), the transport (`_http`, with `_retry`), and then the
stream (a `CustomStreamWrapper` over the open response) or the response (the whole body mapped by
`_response`: a `ModelResponse`, or for a faked stream its chunks). Errors from the provider (an HTTP error
status) are raised here, by the call, as LiteLLM raises them for every provider it opens eagerly (spec §1.2).

The callbacks registered when the call starts (`_callbacks`) get one event: here for a response or an error
raised by the call, from the stream when it ends for a stream.
"""

from __future__ import annotations

import dataclasses
import functools
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import urlsplit

import httpx

from rillm import _backend, _http, _log, _response, _retry, _settings
from rillm._args import Args, check_args, check_messages, select_params
from rillm._callbacks import CallLog, registered
from rillm._deadline import Deadline
from rillm._http import tls
from rillm._mock import mock_completion, mock_provider
from rillm._repetition import Repetition
from rillm._shared import new_response_id
from rillm._stream import CustomStreamWrapper
from rillm.cost import cost_of_usage
from rillm.exceptions import BadRequestError
from rillm.providers import Provider, resolve, translate
from rillm.providers.request import build_request

if TYPE_CHECKING:
    from rillm.types import ModelResponse

__all__ = ["acompletion", "completion"]


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
    _log.apply_verbose()
    log = _call_log(model, messages, kwargs, is_async=False)
    try:
        args, secrets = check_args(dict(kwargs))
        messages = check_messages(messages)
        if args.mock_response is not None:
            result = mock_completion(args, model, messages, is_async=False, log=log)
            if not isinstance(result, CustomStreamWrapper):
                result = _priced(result, model, mock_provider(model))
        else:
            call = _prepare(model, messages, args, secrets, log)
            if call.live:
                response = _retry.retry(call.retries, lambda: _http.send(call.request))
                return call.wrap(response=response, is_async=False)
            body = _retry.retry(call.retries, lambda: _read_whole(call))
            result = call.finish(body, is_async=False)
    except Exception as exc:
        if log is not None:
            log.failure(exc)
        raise
    if log is not None and not isinstance(result, CustomStreamWrapper):
        log.success(result, result._hidden_params.get("response_cost"))
    return result


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
    _log.apply_verbose()
    log = _call_log(model, messages, kwargs, is_async=True)
    try:
        args, secrets = check_args(dict(kwargs))
        messages = check_messages(messages)
        if args.mock_response is not None:
            result = mock_completion(args, model, messages, is_async=True, log=log)
            if not isinstance(result, CustomStreamWrapper):
                result = _priced(result, model, mock_provider(model))
        else:
            call = _prepare(model, messages, args, secrets, log)
            if call.live:
                response = await _retry.aretry(call.retries, lambda: _http.asend(call.request))
                return call.wrap(response=response, is_async=True)
            body = await _retry.aretry(call.retries, lambda: _aread_whole(call))
            result = call.finish(body, is_async=True)
    except Exception as exc:
        if log is not None:
            await log.afailure(exc)
        raise
    if log is not None and not isinstance(result, CustomStreamWrapper):
        await log.asuccess(result, result._hidden_params.get("response_cost"))
    return result


def _call_log(model: Any, messages: Any, kwargs: dict[str, Any], *, is_async: bool) -> CallLog | None:
    """The call's logging, when callbacks are registered: the details LiteLLM's callbacks read in `kwargs`
    (never a credential)."""
    hooks = registered()
    if hooks is None:
        return None
    metadata = kwargs.get("metadata")
    call_id = str(uuid.uuid4())
    return CallLog(
        hooks,
        {
            "model": model,
            "messages": messages,
            "stream": bool(kwargs.get("stream")),
            "user": kwargs.get("user"),
            "litellm_call_id": call_id,
            "litellm_params": {"metadata": metadata if isinstance(metadata, dict) else {}, "litellm_call_id": call_id},
            "optional_params": {},
        },
        is_async=is_async,
    )


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
    log: CallLog | None
    # max_streaming_duration and stream_idle_timeout (seconds; None when not set).
    budget: float | None
    idle: float | None
    # REPEATED_STREAMING_CHUNK_LIMIT (None: the guard is off).
    repeats: int | None

    def wrap(self, *, response: Any = None, chunks: list[Any] | None = None, is_async: bool) -> CustomStreamWrapper:
        """The stream: over the open `response` (decoded as it arrives), or over `chunks` made in advance."""
        hidden: dict[str, Any] = {
            "custom_llm_provider": self.row.name,
            "api_base": self.request.url.split("?")[0],
            "model_id": None,
        }
        make_decoder = deadline = repetition = None
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
            if self.budget is not None or self.idle is not None:
                deadline = Deadline(self.budget, self.idle, provider=self.row.name, model=self.model)
            if self.repeats is not None:
                repetition = Repetition(self.repeats, provider=self.row.name, model=self.model)
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
            log=self.log,
            deadline=deadline,
            repetition=repetition,
        )

    def finish(self, body: bytes, *, is_async: bool) -> Any:
        """The response: a whole body as a ModelResponse, or for a faked stream the wrapper over its chunks."""
        if self.stream:
            chunks = _response.response_chunks(self.row.dialect, body, model=self.model)
            return self.wrap(chunks=chunks, is_async=is_async)
        response = _response.parse_response(self.row.dialect, body, model=self.model, messages=self.messages)
        return _priced(response, self.model, self.row.name)


def _priced(response: ModelResponse, requested_model: str, provider: str) -> ModelResponse:
    """The response with its cost in `_hidden_params["response_cost"]`, as LiteLLM's (None: no price)."""
    model = response.model or None
    cost = cost_of_usage(response.usage, model=model, requested_model=requested_model, provider=provider)
    response._hidden_params["response_cost"] = cost
    return response


def _prepare(
    model: str, messages: list[dict[str, Any]], args: Args, secrets: dict[str, str | None], log: CallLog | None
) -> _Call:
    """The provider and the request."""
    api_base = _settings.api_base(args.api_base or args.base_url)
    row, provider_model = resolve(model, args.custom_llm_provider, api_base)
    params = _params(args, row, provider_model)
    stream = bool(args.stream)
    live = stream and not row.fakes_stream(provider_model, params)
    if stream and not live:
        _log.logger.debug("%s/%s: the stream is faked (one whole response, as LiteLLM does)", row.name, provider_model)
    if live and row.stream_options:
        # Ask for the provider's own count, so usage is real, not estimated; the usage chunk it adds is shown
        # only when the caller asked for it (spec §3.6).
        params["stream_options"] = {**(params.get("stream_options") or {}), "include_usage": True}
    secrets = {**secrets, "api_key": _settings.api_key(row.name, row.auth, secrets.get("api_key"))}
    request = build_request(
        row,
        provider_model,
        messages,
        params,
        stream=live,
        secrets=secrets,
        timeout=_timeout(args, live),
        api_base=api_base,
        api_version=args.api_version or _settings.get("api_version"),
        aws_region_name=args.aws_region_name,
        extra_headers=args.extra_headers,
        # Unknown arguments go into the body as they are; extra_body wins over them.
        extra_body={**(args.model_extra or {}), **(args.extra_body or {})},
    )
    _check_url(request, row)
    request = dataclasses.replace(
        request, transport=args.transport, max_connections=args.max_connections, tls=tls.from_settings(args.ssl_verify)
    )
    include_usage = bool(args.stream_options and args.stream_options.include_usage)
    retries = _settings.num_retries(args.num_retries, args.max_retries)
    if log is not None:
        log.update(model=provider_model, custom_llm_provider=row.name, optional_params=params)
        log.details["litellm_params"].update(custom_llm_provider=row.name, api_base=request.url.split("?")[0])
    budget = _settings.max_streaming_duration(args.max_streaming_duration)
    idle = _settings.stream_idle_timeout(args.stream_idle_timeout)
    repeats = _settings.repeated_chunk_limit()
    return _Call(
        row, provider_model, messages, request, stream, live, include_usage, retries, log, budget, idle, repeats
    )


def _params(args: Args, row: Provider, model: str) -> dict[str, Any]:
    """The OpenAI-named parameters given, checked against what the row's dialect and the row support;
    `drop_params` (the argument, else `rillm.drop_params`, else LITELLM_DROP_PARAMS) leaves the others out
    instead of refusing them."""
    return select_params(
        args,
        translate.supported_params(row.dialect) - set(row.unsupported_params),
        drop=_settings.drop_params(args.drop_params),
        stream_options=row.stream_options,
        provider=row.name,
        model=model,
    )


def _timeout(args: Args, live_stream: bool) -> httpx.Timeout:
    """`timeout` (seconds or an httpx.Timeout), else `request_timeout`, else `rillm.request_timeout`, else
    600 s, bounds the connect and every read, so a stalled stream fails once no byte arrives for that long;
    `stream_timeout` replaces it for a live stream."""
    if live_stream and args.stream_timeout is not None:
        return httpx.Timeout(args.stream_timeout)
    return _settings.timeout(args.timeout, args.request_timeout)


def _check_url(request: _http.HttpRequest, row: Provider) -> None:
    """A URL no request can go to is a configuration error, raised before sending and never retried."""
    where = request.url.split("?")[0]
    try:
        parts = urlsplit(where)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and (parts.port or 0) >= 0
        httpx.URL(request.url)
        where = where.replace(f"{parts.username}:{parts.password}@", "").replace(f"{parts.username}@", "")
    except (ValueError, httpx.InvalidURL):
        valid, where = False, "(unparseable)"
    if not valid:
        raise BadRequestError(
            f"invalid URL for {row.name}: {where!r} (check api_base and the {row.name} base-URL variables)",
            model=request.model,
            llm_provider=row.name,
        )


def _read_whole(call: _Call) -> bytes:
    response = _http.send(call.request)
    try:
        body = response.read()
    except _http.BodyError as exc:
        raise _http.read_failed(exc, call.request) from None
    finally:
        response.close()
    return body


async def _aread_whole(call: _Call) -> bytes:
    response = await _http.asend(call.request)
    try:
        body = await response.aread()
    except _http.BodyError as exc:
        raise _http.read_failed(exc, call.request) from None
    finally:
        await response.aclose()
    return body
