"""The live decoder of a stream, with the two options the stream wrapper relies on:

- `merge=True`: the decoder keeps a running merge of every chunk it decodes (also those it leaves out), and
  `merged()` returns, at any time (also after an error), what `merge_chunks(all chunks so far)` would;
- `usage_on_finish=True`: the chunk that carries a finish reason is held back until the stream ends (its
  terminator, or `finish()`), and usage the provider sends after it is attached to it; the usage chunk itself
  still follows it (and is left out with `skip_choiceless`). So the last chunks of a stream all come in its
  last batch, which the wrapper completes before yielding it.

`live_decoder()` asks the backend for both. A backend without them gets `_Recent` around a plain decoder: no
merge (the wrapper decodes the kept bytes again instead) and no holding; it remembers the last batch that
had chunks, so the wrapper can put the usage on the last chunks the caller saw, in place, when the stream
ends (they were yielded without it). Per piece, not per chunk.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["last_chunks", "live_decoder", "replay_decoder"]


def live_decoder(make_decoder: Callable[..., Any], show_empty: bool) -> tuple[Any, bool]:
    """(the decoder, whether it keeps a running merge). It leaves out chunks without choices unless
    `show_empty` (the caller asked for `include_usage`)."""
    try:
        return make_decoder(skip_choiceless=not show_empty, merge=True, usage_on_finish=True), True
    except TypeError:
        return _Recent(make_decoder(skip_choiceless=not show_empty)), False


def replay_decoder(make_decoder: Callable[..., Any], merging: bool) -> Any:
    """A decoder that decodes the kept bytes again into the chunks the caller saw (and the ones it left out)."""
    return make_decoder(usage_on_finish=True) if merging else make_decoder()


def last_chunks(decoder: Any, batch: list[Any]) -> list[Any]:
    """The chunks that end the stream: its last batch and, on a decoder that does not hold the finish chunk
    back, the batch that had chunks before it (already yielded)."""
    if not isinstance(decoder, _Recent):
        return batch
    return decoder.before + batch if batch and batch is decoder.recent else decoder.recent + batch


class _Recent:
    """A plain decoder that remembers its last two batches that had chunks."""

    __slots__ = ("_decoder", "before", "recent")

    def __init__(self, decoder: Any) -> None:
        self._decoder = decoder
        self.before: list[Any] = []
        self.recent: list[Any] = []

    @property
    def done(self) -> bool:
        return bool(self._decoder.done)

    @property
    def bytes_fed(self) -> int:
        return int(self._decoder.bytes_fed)

    def feed(self, data: Any) -> list[Any]:
        batch: list[Any] = self._decoder.feed(data)
        if batch:
            self.before, self.recent = self.recent, batch
        return batch

    def finish(self) -> list[Any]:
        batch: list[Any] = self._decoder.finish()
        return batch
