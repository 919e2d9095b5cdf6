"""`CustomStreamWrapper`: what `completion(stream=True)` returns.

It iterates (sync or async) over the provider's chunks as the StreamDecoder makes them, and owns the HTTP
response: the response is closed when the stream ends, fails, is closed (`close()`, `aclose()`, a `with`
block), or is dropped after a `break` (the loop's iterator is a generator that holds the response but
not the wrapper, so nothing keeps it alive in a reference cycle).

Per chunk it does nothing but yield: each piece of the body is fed to the decoder once and kept (as bytes),
and the batch's chunks are yielded. Per stream, it decides whether chunks without choices are shown (the
OpenAI dialect's Azure filter results, usage and moderation chunks): only when the caller asked for
`stream_options={"include_usage": True}`, as LiteLLM does; otherwise the decoder leaves them out
(`skip_choiceless`) without making their Python objects. `stream.chunks` has them either way (it decodes
the kept bytes again).

Usage rides on the final chunk: the decoder holds back the chunk with the finish reason until the stream
ends and attaches usage sent after it; when the stream is complete (its terminator decoded, or its body
ended), before those last chunks are yielded, the whole response is built from the decoder's running merge
and its usage (and cost, with `rillm.include_cost_in_streaming_usage`) is put on them (rillm._stream_end).
So `stream_chunk_builder(collected_chunks)` sees the provider's numbers. Each stream sends one callback
event when it ends (rillm._callbacks says which ending is which), after its connection is closed.

Deadlines (rillm._deadline): `max_streaming_duration` and `stream_idle_timeout` are checked after each
piece and, through the transport, bound each blocked read. With REPEATED_STREAMING_CHUNK_LIMIT set, each
piece's chunks are also counted for a model repeating itself (rillm._repetition).

A stream is iterated once: a new loop over a stream that has ended raises OpenAIError (LiteLLM's yields
nothing), and a stream from `acompletion()`, mocked or not, is iterated with `async for` only.

An error while reading carries `partial_response`: the `ModelResponse` built from every chunk that had
arrived (None when none had). A broken connection is an IncompleteStreamError (also an APIConnectionError)
naming how many bytes had arrived; a stall past the read timeout, or a deadline, is a Timeout.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

from rillm import _settings
from rillm._http import BodyError, HttpRequest, Response
from rillm._live_decoder import last_chunks
from rillm._stream_end import StreamEnd
from rillm._stream_state import StreamState
from rillm.exceptions import APIError, OpenAIError

if TYPE_CHECKING:
    from rillm._backend import ModelResponseStream
    from rillm._callbacks import CallLog
    from rillm._deadline import Deadline
    from rillm._repetition import Repetition

__all__ = ["CustomStreamWrapper"]


def _read(state: StreamState) -> Iterator[Any]:
    """Reads the response body to its end, yielding chunks; closes the response on every exit, then sends
    the stream's one callback event."""
    response, decoder, end = state.response, state.decoder, state.end
    assert response is not None and decoder is not None
    feed, keep = decoder.feed, state.pieces.append
    hook = None  # each read's limit (rillm._http's deadline hook): what is left of the stream's deadlines
    if state.deadline is not None:
        feed, hook = state.deadline.watch(feed), state.deadline.next_read_timeout
    if state.repetition is not None:
        feed = state.repetition.watch(feed)
    outcome: BaseException | None = None
    try:
        try:
            for piece in response.iter_bytes(hook):
                keep(piece)
                batch = feed(piece)
                if decoder.done and not end.complete:  # the terminator: these are the last chunks
                    end.finish(state.merged(), last_chunks(decoder, batch))
                yield from batch
            state.ended = True
            batch = decoder.finish()
            if not end.complete:
                end.finish(state.merged(), last_chunks(decoder, batch))
            yield from batch
        except APIError as exc:  # the decoder's StreamError, a deadline's Timeout, the repetition guard's error
            raise state.failed(exc) from None
        except BodyError as exc:
            raise state.broken(exc) from None
    except GeneratorExit:
        raise
    except BaseException as exc:
        outcome = exc
        raise
    finally:
        response.close()
        state.settle(outcome)


async def _aread(state: StreamState) -> AsyncIterator[Any]:
    """The async twin of `_read`; a cancelled task still closes the response (and its callback event is a
    caller that left)."""
    response, decoder, end = state.response, state.decoder, state.end
    assert response is not None and decoder is not None
    feed, keep = decoder.feed, state.pieces.append
    hook = None  # each read's limit (rillm._http's deadline hook): what is left of the stream's deadlines
    if state.deadline is not None:
        feed, hook = state.deadline.watch(feed), state.deadline.next_read_timeout
    if state.repetition is not None:
        feed = state.repetition.watch(feed)
    outcome: BaseException | None = None
    try:
        try:
            async for piece in response.aiter_bytes(hook):
                keep(piece)
                batch = feed(piece)
                if decoder.done and not end.complete:
                    end.finish(state.merged(), last_chunks(decoder, batch))
                for chunk in batch:
                    yield chunk
            state.ended = True
            batch = decoder.finish()
            if not end.complete:
                end.finish(state.merged(), last_chunks(decoder, batch))
            for chunk in batch:
                yield chunk
        except APIError as exc:
            raise state.failed(exc) from None
        except BodyError as exc:
            raise state.broken(exc) from None
    except GeneratorExit:
        raise
    except BaseException as exc:
        outcome = exc
        raise
    finally:
        await response.aclose()
        await state.asettle(outcome)


def _shown(state: StreamState, chunks: list[Any]) -> Iterator[Any]:
    """The chunks of a stream made in advance that it shows, each counted by the repetition guard when it is
    on (an error takes the place of the chunk that reached the limit, as in a live stream)."""
    shown = chunks if state.show_empty else [chunk for chunk in chunks if chunk.choices]
    if state.repetition is None:
        yield from shown
        return
    for chunk in shown:
        try:
            state.repetition.see(chunk)
        except APIError as exc:
            raise state.failed(exc) from None
        yield chunk


def _from_chunks(state: StreamState, chunks: list[Any]) -> Iterator[Any]:
    """A stream made in advance: a mock response or a faked stream (one non-streaming request)."""
    state.end.finish(state.merged(), chunks)
    outcome: BaseException | None = None
    try:
        yield from _shown(state, chunks)
    except GeneratorExit:
        raise
    except BaseException as exc:
        outcome = exc
        raise
    finally:
        state.settle(outcome)


async def _afrom_chunks(state: StreamState, chunks: list[Any]) -> AsyncIterator[Any]:
    state.end.finish(state.merged(), chunks)
    outcome: BaseException | None = None
    try:
        for chunk in _shown(state, chunks):
            yield chunk
    except GeneratorExit:
        raise
    except BaseException as exc:
        outcome = exc
        raise
    finally:
        await state.asettle(outcome)


class CustomStreamWrapper:
    """A streamed completion: iterate it (`for` for `completion()`, `async for` for `acompletion()`), or use
    it as a context manager, which closes it on exit. `chunks` holds every chunk received so far (also the
    ones without choices that were not shown), for `stream_chunk_builder(stream.chunks, messages)`."""

    def __init__(
        self,
        *,
        model: str,
        llm_provider: str,
        response: Response | None = None,
        make_decoder: Callable[..., Any] | None = None,
        request: HttpRequest | None = None,
        chunks: list[Any] | None = None,
        messages: list[Any] | None = None,
        include_usage: bool = False,
        is_async: bool = False,
        hidden_params: dict[str, Any] | None = None,
        log: CallLog | None = None,
        deadline: Deadline | None = None,
        repetition: Repetition | None = None,
    ) -> None:
        self.model = model
        self.custom_llm_provider = llm_provider
        self.is_async = is_async
        self._hidden_params: dict[str, Any] = hidden_params or {}
        self._hidden_params.setdefault("response_cost", None)
        end = StreamEnd(
            model=model,
            provider=llm_provider,
            messages=messages,
            hidden=self._hidden_params,
            include_cost=bool(_settings.get("include_cost_in_streaming_usage", False)),
            log=log,
        )
        self._state = StreamState(response, make_decoder, request, include_usage, chunks, end, deadline, repetition)
        # The chunks of a stream made in advance (None when the stream is read from `response`).
        self._made = chunks
        self._iterator: Iterator[Any] | None = None
        self._aiterator: AsyncIterator[Any] | None = None
        self._closed = False
        # The stream had been read to its end (or had failed) when close() replaced its iterator.
        self._finished = False

    @property
    def chunks(self) -> list[Any]:
        """Every chunk received so far (decoded again from the bytes kept; see `StreamState`)."""
        return self._state.chunks()

    @property
    def hidden_params(self) -> dict[str, Any]:
        return self._hidden_params

    @property
    def response(self) -> Response | None:
        """The HTTP response being read (None for a mock or a faked stream)."""
        return self._state.response

    def __repr__(self) -> str:
        received = sum(len(piece) for piece in self._state.pieces)
        return f"<CustomStreamWrapper {self.custom_llm_provider}/{self.model} received={received} bytes>"

    # -- sync ---------------------------------------------------------------------------------------------

    def _sync(self) -> Iterator[ModelResponseStream]:
        if self._iterator is None:
            # One rule for every stream of acompletion(), made in advance (a mock) or read from a server.
            if self.is_async:
                raise TypeError("this stream came from acompletion(): iterate it with `async for`")
            if self._closed:
                self._iterator = iter(())
            elif self._made is not None:
                self._iterator = _from_chunks(self._state, self._made)
            else:
                self._iterator = _read(self._state)
        return self._iterator

    def _ended(self) -> bool:
        """Whether the stream was read to its end or failed: its generator has finished (a finished generator
        or async generator has no frame left), or had when close() replaced it."""
        if self._finished:
            return True
        for iterator in (self._iterator, self._aiterator):
            if isinstance(iterator, types.GeneratorType) and iterator.gi_frame is None:
                return True
            if isinstance(iterator, types.AsyncGeneratorType) and iterator.ag_frame is None:
                return True
        return False

    def _check_not_ended(self) -> None:
        """A second loop over a stream read to its end would yield nothing (LiteLLM's does): say so instead.
        An OpenAIError, not an APIError: those are the provider's, and are retried; this is the caller's."""
        if self._ended():
            raise OpenAIError(
                f"this stream ({self.custom_llm_provider}/{self.model}) has already ended (read to its end, or "
                "failed): a stream is iterated once. Keep the chunks of the first loop, or build the response "
                "from the chunks kept: rillm.stream_chunk_builder(stream.chunks, messages)"
            )

    def __iter__(self) -> Iterator[ModelResponseStream]:
        iterator = self._sync()
        self._check_not_ended()
        return iterator

    def __next__(self) -> ModelResponseStream:
        return next(self._sync())

    def close(self) -> None:
        """Stops the stream and closes its HTTP response; later iteration ends at once (or raises, if the stream
        had been read to its end). (A stream from
        `acompletion()` is closed with `aclose()`.)"""
        self._finished = self._ended()
        self._closed = True
        iterator, self._iterator = self._iterator, iter(())
        if isinstance(iterator, Generator):
            iterator.close()  # its `finally` closes the response and settles the stream
        elif iterator is None and not self.is_async:
            if self._state.response is not None:
                self._state.response.close()
            self._state.settle(None)

    def __del__(self) -> None:
        """A stream dropped before it was iterated releases its connection at once, sync or async (the
        transport's close() needs no event loop), and a sync one sends its callback event (once iterated, the
        generator's own finalizer does both)."""
        state = getattr(self, "_state", None)
        if state is None or self._iterator is not None:
            return
        if self.is_async:
            if self._aiterator is None and state.response is not None:
                state.response.close()
            return
        if state.response is not None:
            state.response.close()
        state.settle(None)

    def __enter__(self) -> CustomStreamWrapper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- async --------------------------------------------------------------------------------------------

    def _async(self) -> AsyncIterator[ModelResponseStream]:
        if self._aiterator is None:
            if self._closed:
                self._aiterator = _aempty()
            elif self._made is not None:
                self._aiterator = _afrom_chunks(self._state, self._made)
            elif not self.is_async:
                self._aiterator = _threaded(self._sync())
            else:
                self._aiterator = _aread(self._state)
        return self._aiterator

    def __aiter__(self) -> AsyncIterator[ModelResponseStream]:
        iterator = self._async()
        self._check_not_ended()
        return iterator

    async def __anext__(self) -> ModelResponseStream:
        return await self._async().__anext__()

    async def aclose(self) -> None:
        """The async `close()`."""
        if not self.is_async:
            self.close()
        self._finished = self._ended()
        self._closed = True
        iterator, self._aiterator = self._aiterator, _aempty()
        if isinstance(iterator, AsyncGenerator):
            await iterator.aclose()
        elif iterator is None and self.is_async:
            if self._state.response is not None:
                await self._state.response.aclose()
            await self._state.asettle(None)

    async def __aenter__(self) -> CustomStreamWrapper:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _aempty() -> AsyncIterator[Any]:
    return
    yield  # an async generator that yields nothing


async def _threaded(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    """`async for` over a stream from the sync `completion()`: each blocking read runs in a worker thread,
    as LiteLLM does, so the event loop is not blocked."""
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, iterator, done)
        if chunk is done:
            return
        yield chunk
