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
the kept bytes again), so `stream_chunk_builder(stream.chunks)` sees the usage.

A stream is iterated once: a new loop over a stream that has ended raises OpenAIError (LiteLLM's yields
nothing), and a stream from `acompletion()`, mocked or not, is iterated with `async for` only.

An error while reading carries `partial_response`: the `ModelResponse` built from every chunk that had
arrived (None when none had). A broken connection is an IncompleteStreamError (also an APIConnectionError)
naming how many bytes had arrived; a stall past the read timeout is a Timeout.
"""

from __future__ import annotations

import asyncio
import types
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from rillm._builder import stream_chunk_builder
from rillm._http import HttpRequest, Response, transport_error
from rillm.exceptions import APIError, IncompleteStreamError, OpenAIError, StreamError

if TYPE_CHECKING:
    from rillm._backend import ModelResponseStream

__all__ = ["CustomStreamWrapper"]


class _State:
    """What one stream's generator needs: no reference back to the wrapper.

    It keeps the body's pieces, not the chunks: bytes objects cost the garbage collector nothing, where
    20,000 retained chunks (each with its choices list) cost more than decoding them did. `chunks()`
    decodes the pieces again, with a decoder made the same way (same id, model and created), when the whole
    stream is wanted: for `stream.chunks` and for an error's partial response."""

    __slots__ = (
        "_chunks",
        "decoder",
        "ended",
        "make_decoder",
        "messages",
        "pieces",
        "request",
        "response",
        "show_empty",
    )

    def __init__(
        self,
        response: Response | None,
        make_decoder: Callable[..., Any] | None,
        request: HttpRequest | None,
        messages: list[Any] | None,
        show_empty: bool,
        chunks: list[Any] | None,
    ) -> None:
        self.response = response
        self.make_decoder = make_decoder
        # The live decoder leaves out the chunks the caller is not shown (see the module docstring).
        self.decoder = make_decoder(skip_choiceless=not show_empty) if make_decoder is not None else None
        self.request = request
        self.messages = messages
        self.show_empty = show_empty
        self.pieces: list[bytes] = []
        # The body ended and the live decoder's finish() was called (it may have raised).
        self.ended = False
        self._chunks = chunks

    def chunks(self) -> list[Any]:
        """Every chunk received so far, including what a failing feed decoded before its error."""
        if self._chunks is not None:
            return self._chunks
        if self.make_decoder is None:
            return []
        decoder, chunks = self.make_decoder(), []
        try:
            for piece in self.pieces:
                chunks += decoder.feed(piece)
            if self.ended:
                chunks += decoder.finish()
        except StreamError as exc:
            chunks += exc.chunks
        if self.ended:
            self._chunks = chunks  # the whole stream: decoding it again would give the same
        return chunks

    def failed(self, exc: APIError) -> APIError:
        """Attaches the partial response (everything decoded, including what the failing call decoded)."""
        chunks = self.chunks()
        exc.partial_response = stream_chunk_builder(chunks, self.messages) if chunks else None
        return exc

    def broken(self, exc: httpx.HTTPError) -> APIError:
        """The exception for a connection that failed while the body was being read."""
        assert self.request is not None
        received = sum(len(piece) for piece in self.pieces)
        if isinstance(exc, httpx.TimeoutException):
            return self.failed(transport_error(exc, self.request, received))
        where = self.request.url.split("?")[0]
        return self.failed(
            IncompleteStreamError(
                f"the connection to {where} broke after {received} bytes of the stream: {type(exc).__name__}: {exc}",
                offset=received,
                llm_provider=self.request.provider,
                model=self.request.model,
            )
        )


def _read(state: _State) -> Iterator[Any]:
    """Reads the response body to its end, yielding chunks; closes the response on every exit."""
    response, decoder = state.response, state.decoder
    assert response is not None and decoder is not None
    feed, pieces = decoder.feed, state.pieces
    try:
        try:
            for piece in response.iter_bytes():
                pieces.append(piece)
                yield from feed(piece)
            state.ended = True
            batch = decoder.finish()
            yield from batch
        except StreamError as exc:
            raise state.failed(exc) from None
        except httpx.HTTPError as exc:
            raise state.broken(exc) from None
    finally:
        response.close()


async def _aread(state: _State) -> AsyncIterator[Any]:
    """The async twin of `_read`; a cancelled task still closes the response."""
    response, decoder = state.response, state.decoder
    assert response is not None and decoder is not None
    feed, pieces = decoder.feed, state.pieces
    try:
        try:
            async for piece in response.aiter_bytes():
                pieces.append(piece)
                for chunk in feed(piece):
                    yield chunk
            state.ended = True
            batch = decoder.finish()
            for chunk in batch:
                yield chunk
        except StreamError as exc:
            raise state.failed(exc) from None
        except httpx.HTTPError as exc:
            raise state.broken(exc) from None
    finally:
        await response.aclose()


def _from_chunks(state: _State, chunks: list[Any]) -> Iterator[Any]:
    """A stream made in advance: a mock response or a faked stream (one non-streaming request)."""
    yield from chunks if state.show_empty else (chunk for chunk in chunks if chunk.choices)


async def _afrom_chunks(state: _State, chunks: list[Any]) -> AsyncIterator[Any]:
    for chunk in _from_chunks(state, chunks):
        yield chunk


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
    ) -> None:
        self.model = model
        self.custom_llm_provider = llm_provider
        self.is_async = is_async
        self._hidden_params: dict[str, Any] = hidden_params or {}
        self._state = _State(response, make_decoder, request, messages, include_usage, chunks)
        # The chunks of a stream made in advance (None when the stream is read from `response`).
        self._made = chunks
        self._iterator: Iterator[Any] | None = None
        self._aiterator: AsyncIterator[Any] | None = None
        self._closed = False
        # The stream had been read to its end (or had failed) when close() replaced its iterator.
        self._finished = False

    @property
    def chunks(self) -> list[Any]:
        """Every chunk received so far (decoded again from the bytes kept; see `_State`)."""
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
            iterator.close()
        elif iterator is None and self._state.response is not None and not self.is_async:
            self._state.response.close()

    def __del__(self) -> None:
        """A sync stream dropped before it was iterated releases its connection (once iterated, the
        generator's own finalizer does)."""
        state = getattr(self, "_state", None)
        if state is not None and state.response is not None and self._iterator is None and not self.is_async:
            state.response.close()

    def __enter__(self) -> CustomStreamWrapper:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- async --------------------------------------------------------------------------------------------

    def _async(self) -> AsyncIterator[ModelResponseStream]:
        if self._aiterator is None:
            if self._closed:
                self._aiterator = _afrom_chunks(self._state, [])
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
        iterator, self._aiterator = self._aiterator, _afrom_chunks(self._state, [])
        if isinstance(iterator, AsyncGenerator):
            await iterator.aclose()
        elif iterator is None and self._state.response is not None and self.is_async:
            await self._state.response.aclose()

    async def __aenter__(self) -> CustomStreamWrapper:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


async def _threaded(iterator: Iterator[Any]) -> AsyncIterator[Any]:
    """`async for` over a stream from the sync `completion()`: each blocking read runs in a worker thread,
    as LiteLLM does, so the event loop is not blocked."""
    done = object()
    while True:
        chunk = await asyncio.to_thread(next, iterator, done)
        if chunk is done:
            return
        yield chunk
