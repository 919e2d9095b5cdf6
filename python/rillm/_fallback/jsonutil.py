# Twin of the JSON rules in rust/json/ (mod.rs and parser.rs; raw.rs for is_complete_json).
"""JSON exactly as the Rust core reads it. The rules live in `rillm._json`, the one JSON reader of the Python
side, which both backends share (the Rust backend for the raw values its chunks materialise, the error
payloads and the response bodies); this module is the twin's name for it, and reads the decoders' events
through it with the checks that cannot apply to a short text skipped."""

from __future__ import annotations

from typing import Any

from rillm import _json
from rillm._json import MAX_DEPTH, MAX_INT_DIGITS, JsonError, is_complete_json

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "JsonError", "is_complete_json", "loads"]

# A text of at most this many characters cannot nest deeper than MAX_DEPTH (that takes more than 2 * MAX_DEPTH
# brackets); a longer one may when it has more than MAX_DEPTH of them (`_json.loads` counts them too).
_SHORT = 2 * MAX_DEPTH
_scan = _json._scan  # the C scanner of `_json`'s decoder
_loads = _json.loads


def loads(text: str | bytes | bytearray) -> Any:
    """`rillm._json.loads`: the same value or the same JsonError. An event's payload (a short str that is one
    value alone, with no `\\u` escape) is read by the C scanner straight away: its depth and surrogate checks
    cannot fail, an integer past the interpreter's digit limit makes the scanner raise (and `_json.loads`
    read it), and the calls around them measured about 1 µs a chunk."""
    if (
        type(text) is str
        and len(text) <= MAX_INT_DIGITS
        and "\\u" not in text
        and (len(text) <= _SHORT or text.count("[") + text.count("{") <= MAX_DEPTH)
    ):
        try:
            value, end = _scan(text, 0)
        except Exception:  # not JSON, NaN, a number out of range...: `_json.loads` says which, and where
            return _loads(text)
        if end == len(text):
            return value
    return _loads(text)
