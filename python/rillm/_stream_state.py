"""The state of one stream, shared by the generator that reads it (rillm._stream) and its wrapper: the
response, the live decoder, the body's pieces, and what is built from them: `stream.chunks` (the pieces
decoded again), the merge of everything decoded (the decoder's running merge), the exception for a failure
with its partial response, and the stream's one callback event (`settle`). No reference back to the wrapper,
so a dropped wrapper is collected and its generator's finalizer closes the response.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from rillm import _backend
from rillm._http import BodyError, HttpRequest, Piece, Response
from rillm._http.common import where
from rillm._live_decoder import live_decoder, replay_decoder
from rillm.exceptions import APIError, IncompleteStreamError, StreamError, Timeout

if TYPE_CHECKING:
    from rillm._deadline import Deadline
    from rillm._repetition import Repetition
    from rillm._stream_end import StreamEnd

__all__ = ["StreamState"]


class StreamState:
    """What one stream's generator needs: no reference back to the wrapper.

    It keeps the body's pieces, not the chunks: bytes objects cost the garbage collector nothing, where
    20,000 retained chunks (each with its choices list) cost more than decoding them did. `chunks()`
    decodes the pieces again, with a decoder made the same way (same id, model and created), when the list
    of chunks is asked for (`stream.chunks`). The whole response (at the end, and an error's partial response)
    comes from the decoder's running merge instead (`merged()`)."""

    __slots__ = (
        "_chunks",
        "deadline",
        "decoder",
        "end",
        "ended",
        "make_decoder",
        "merging",
        "pieces",
        "repetition",
        "request",
        "response",
        "show_empty",
    )

    def __init__(
        self,
        response: Response | None,
        make_decoder: Callable[..., Any] | None,
        request: HttpRequest | None,
        show_empty: bool,
        chunks: list[Any] | None,
        end: StreamEnd,
        deadline: Deadline | None,
        repetition: Repetition | None = None,
    ) -> None:
        self.response = response
        self.make_decoder = make_decoder
        self.decoder: Any = None
        self.merging = False
        if make_decoder is not None:
            self.decoder, self.merging = live_decoder(make_decoder, show_empty)
        self.request = request
        self.show_empty = show_empty
        self.pieces: list[Piece] = []
        # The body ended and the live decoder's finish() was called (it may have raised).
        self.ended = False
        self._chunks = chunks
        self.end = end
        self.deadline = deadline
        self.repetition = repetition

    def chunks(self) -> list[Any]:
        """Every chunk received so far, including what a failing feed decoded before its error."""
        if self._chunks is not None:
            return self._chunks
        chunks = list(self._replay())
        if self.ended:
            self._chunks = chunks  # the whole stream: decoding it again would give the same
        self.end.stamp(chunks)  # the usage (and cost) the caller's final chunk got
        return chunks

    def _replay(self) -> Iterator[Any]:
        """The kept bytes decoded again, chunk by chunk (so a merge over them holds no list of them)."""
        if self.make_decoder is None:
            return
        decoder = replay_decoder(self.make_decoder, self.merging)
        try:
            for piece in self.pieces:
                yield from decoder.feed(piece)
            if self.ended:
                yield from decoder.finish()
        except StreamError as exc:
            yield from exc.chunks

    def merged(self) -> dict[str, Any] | None:
        """`merge_chunks` of every chunk decoded so far (None when there is none): the decoder's running merge,
        or, on a backend without one, the kept bytes decoded again and merged as they come."""
        if self.merging:
            merged: dict[str, Any] = self.decoder.merged()
        else:
            merged = _backend.merge_chunks(self._chunks if self._chunks is not None else self._replay())
        return merged if merged["choices"] or merged["usage"] else None

    def failed(self, exc: APIError) -> APIError:
        """Attaches the partial response (everything decoded, including what the failing call decoded)."""
        exc.partial_response = self.end.partial(self.merged())
        return exc

    def broken(self, exc: BodyError) -> APIError:
        """The exception for a connection that failed (or a read that timed out) while the body was read: a
        deadline's Timeout when the read was cut short by one."""
        assert self.request is not None
        expired = self.deadline.expired() if self.deadline is not None else None
        if expired is not None:
            return self.failed(expired)
        received = sum(len(piece) for piece in self.pieces)
        if exc.timeout is not None:
            return self.failed(
                Timeout(
                    f"ReadTimeout: no response from {where(self.request)} within {exc.timeout} s after {received} "
                    "bytes of the response",
                    model=self.request.model,
                    llm_provider=self.request.provider,
                )
            )
        return self.failed(
            IncompleteStreamError(
                f"the connection to {where(self.request)} broke after {received} bytes of the stream: {exc}",
                offset=received,
                llm_provider=self.request.provider,
                model=self.request.model,
            )
        )

    def settle(self, outcome: BaseException | None) -> None:
        """The stream's one callback event (a stream made in advance is whole from the start)."""
        if self._chunks is not None:
            self.end.finish(self.merged(), self._chunks)
        self.end.settle(outcome, self.merged)

    async def asettle(self, outcome: BaseException | None) -> None:
        if self._chunks is not None:
            self.end.finish(self.merged(), self._chunks)
        await self.end.asettle(outcome, self.merged)
