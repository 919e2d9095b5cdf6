# Twin of rust/merge/stream.rs.
"""A stream's chunks merged as the decoder makes them, for `StreamDecoder(merge=True)`: the per-chunk steps
of `merge_chunks`, fed with each decoded chunk. The usage is merged apart (usage.py).

The values the merge hands on as they are (logprobs, provider fields, ...) are the chunk's own objects, as
`merge_chunks` would collect them; the Rust core keeps them as the provider's JSON and makes new objects
for each `merged()`. So a change a caller makes to such an object after it was decoded may show in this
backend's merge and not in Rust's: the merge is of the chunks as decoded.
"""

from __future__ import annotations

from typing import Any

from rillm._fallback.chunk import ModelResponseStream
from rillm._fallback.merge import Merger, merge_choice, merged_dict
from rillm._fallback.merge.usage import UsageMerge


class StreamMerge:
    __slots__ = ("citations", "merger")

    def __init__(self) -> None:
        self.merger = Merger()
        self.citations: Any = None

    def add(self, chunk: ModelResponseStream) -> None:
        """Merges one decoded chunk."""
        merger = self.merger
        merger.header(chunk.id, chunk.created, chunk.model, chunk.system_fingerprint, chunk.service_tier)
        if chunk.citations is not None:
            self.citations = chunk.citations
        mergers = merger.choices
        for choice in chunk.choices:
            # `merger.choice()` written out for the usual case, a choice already seen.
            acc = mergers.get(choice.index)
            merge_choice(merger.choice(choice.index) if acc is None else acc, choice)

    def merged(self, usage: UsageMerge) -> dict[str, Any]:
        """The merge so far, as `merge_chunks` returns it."""
        return merged_dict(self.merger, usage, self.citations)
