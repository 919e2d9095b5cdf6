# Twin of rust/decode/usage.rs.
"""A provider's usage object: whether it is what `rillm.types.Usage` accepts as it stands ("checked": its
counts, the known counts of its details objects and a `prompt_cache_hit_tokens` that is an integer are
integers of 64 bits or null, its details objects or null). A checked usage is kept as it is and becomes a
`Usage` when first read; any other goes through the model now (`rillm._shared.check_usage`), which raises
for one it refuses.
"""

from __future__ import annotations

from typing import Any

from rillm import _shared

# The counts of `Usage` and of its details objects are rillm._shared's (COUNTS, DETAILS: rust/decode/usage.rs's).
CACHE_HITS = "prompt_cache_hit_tokens"


def _count(value: Any) -> bool:
    """Whether a count is null or an integer of 64 bits (json.loads makes `int` only of integer literals)."""
    return value is None or (type(value) is int and value in _shared.I64)


def check(value: Any) -> dict[str, Any]:
    """A provider's usage (not None) in the checked form; a ValueError for one the model refuses."""
    if type(value) is dict and is_checked(value):
        return _shared.reasoning_apart(value)
    return _shared.check_usage(value)


def is_checked(usage: dict[str, Any]) -> bool:
    """Keep in sync with rust/decode/usage.rs::is_checked."""
    for name in _shared.COUNTS:
        if not _count(usage.get(name)):
            return False
    for name, counts in _shared.DETAILS.items():
        details = usage.get(name)
        if details is None:
            continue
        if type(details) is not dict or not all(_count(details.get(count)) for count in counts):
            return False
    hits = usage.get(CACHE_HITS)
    return type(hits) is not int or hits in _shared.I64
