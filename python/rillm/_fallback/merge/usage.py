# Twin of rust/merge/usage.rs.
"""Merging the usage a stream reports into the stream's usage; the rules are documented in
rust/merge/usage.rs. Reports are checked usage dicts (rillm._fallback.decode.usage, or a `Usage`'s
`model_dump()`), and the merge is one too.
"""

from __future__ import annotations

from typing import Any

from rillm._shared import I64

# Keep in sync with rust/decode/usage.rs::COUNTS, DETAILS and CACHE_HITS (not imported from the decode
# package, which imports this one).
_COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")
_DETAILS = ("prompt_tokens_details", "completion_tokens_details")
_NAMED = frozenset(_COUNTS + _DETAILS)
_CACHE_HITS = "prompt_cache_hit_tokens"
_I64_MIN, _I64_MAX = I64.start, I64.stop - 1


class UsageMerge:
    __slots__ = ("completion", "details", "extras", "prompt", "reported_total", "seen")

    def __init__(self) -> None:
        self.seen = False
        self.prompt: int | None = None
        self.completion: int | None = None
        self.reported_total = 0
        # prompt_tokens_details and completion_tokens_details, without their None values.
        self.details: list[dict[str, Any] | None] = [None, None]
        # The other keys with a value that is not None.
        self.extras: dict[str, Any] = {}

    def add(self, usage: dict[str, Any]) -> None:
        """Merges one report (a checked usage dict)."""
        prompt = usage.get("prompt_tokens") or 0
        completion = usage.get("completion_tokens") or 0
        total = usage.get("total_tokens") or 0
        details = [usage.get(name) for name in _DETAILS]
        # rillm.types.Usage._normalise: an integer count of cache hits fills a missing `cached_tokens`.
        hits = usage.get(_CACHE_HITS)
        if type(hits) is int:
            prompt_details = details[0]
            if prompt_details is None:
                details[0] = {"cached_tokens": hits}
            elif prompt_details.get("cached_tokens") is None:
                details[0] = {**prompt_details, "cached_tokens": hits}
        self.seen = True
        if prompt > 0 or self.prompt is None:
            self.prompt = prompt
        if completion > 0 or self.completion is None:
            self.completion = completion
        if total > 0:
            self.reported_total = total
        for at, new in enumerate(details):
            if new is not None:
                self.details[at] = {k: v for k, v in new.items() if v is not None}
        extras = self.extras
        for name, value in usage.items():
            if value is not None and name not in _NAMED:
                extras[name] = value

    def merged(self) -> dict[str, Any] | None:
        """The merged usage (a new dict), or None when the stream reported none."""
        if not self.seen:
            return None
        prompt = self.prompt or 0
        completion = self.completion or 0
        total = min(max(prompt + completion, self.reported_total), _I64_MAX)
        out: dict[str, Any] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": max(total, _I64_MIN),
        }
        for name, details in zip(_DETAILS, self.details):
            if details is not None:
                out[name] = dict(details)
        out.update(self.extras)
        return out
