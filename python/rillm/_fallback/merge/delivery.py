# Twin of rust/merge/delivery.rs.
"""What happens to each decoded chunk on its way to the caller, by the decoder's options: the running merge
(`merge`), usage on the finish chunk (`usage_on_finish`), and leaving out chunks without choices
(`skip_choiceless`). The rules are documented in rust/merge/delivery.rs.
"""

from __future__ import annotations

from typing import Any

from rillm._fallback.chunk import Delta, ModelResponseStream, StreamingChoices
from rillm._fallback.merge.stream import StreamMerge
from rillm._fallback.merge.usage import UsageMerge


class Delivery:
    __slots__ = ("hold", "merge", "skip_choiceless", "usage", "usage_after")

    def __init__(self, merge: bool, usage_on_finish: bool, skip_choiceless: bool) -> None:
        self.merge = StreamMerge() if merge else None
        # Every usage report merged (kept when merging or holding).
        self.usage = UsageMerge()
        # The finish chunk held back, then the chunks that came after it adding nothing (None: no holding).
        self.hold: list[ModelResponseStream] | None = [] if usage_on_finish else None
        # Whether a chunk after the held one reported usage.
        self.usage_after = False
        self.skip_choiceless = skip_choiceless

    def passes_through(self) -> bool:
        """Whether chunks go straight through (nothing merged or held)."""
        return self.merge is None and self.hold is None

    def accept(self, chunk: ModelResponseStream, out: list[ModelResponseStream]) -> None:
        """One decoded chunk (its usage checked); what goes to the caller is appended to `out`. This runs
        for every chunk: `pass_on` and the finish-reason test are written out (a generator expression
        per chunk cost about 1 µs)."""
        raw = chunk._raw_usage
        if raw is not None:
            self.usage.add(raw)
        if self.merge is not None:
            self.merge.add(chunk)
        hold = self.hold
        choices = chunk.choices
        if hold is None:
            if choices or not self.skip_choiceless:
                out.append(chunk)
            return
        if not choices or (hold and raw is None and _carry_nothing(choices)):
            if not hold:
                if not self.skip_choiceless:
                    out.append(chunk)
                return
            self.usage_after = self.usage_after or raw is not None
            hold.append(chunk)
            return
        if hold:
            self.release(out)
        for choice in choices:
            if choice._finish_reason is not None:
                hold.append(chunk)
                return
        out.append(chunk)

    def release(self, out: list[ModelResponseStream]) -> None:
        """Hands on what is held (at the end of the stream, at an error, or at the next chunk whose choices
        carry something)."""
        hold = self.hold
        if not hold:
            return
        queue = hold[:]
        hold.clear()
        if self.usage_after:
            self.usage_after = False
            queue[0]._raw_usage = self.usage.merged()
            queue[0]._usage = None
        for chunk in queue:
            self.pass_on(chunk, out)

    def merged(self) -> dict[str, Any] | None:
        """The merge of every chunk decoded so far, when merging."""
        return None if self.merge is None else self.merge.merged(self.usage)

    def pass_on(self, chunk: ModelResponseStream, out: list[ModelResponseStream]) -> None:
        if not (self.skip_choiceless and not chunk.choices):
            out.append(chunk)


_DELTA_FIELDS = Delta._FIELDS + Delta._OPTIONAL


def _carry_nothing(choices: list[StreamingChoices]) -> bool:
    """Whether no choice adds to the message: no finish reason, an empty delta (Choice::carries_nothing)."""
    for choice in choices:
        delta = choice.delta
        if choice._finish_reason is not None or delta._extras:
            return False
        for name in _DELTA_FIELDS:
            if getattr(delta, name) is not None:
                return False
    return True
