# Twin of the JSON rules in rust/json/ (mod.rs and parser.rs; raw.rs for is_complete_json).
"""JSON exactly as the Rust core reads it.

The Rust parser accepts what Python's `json.loads` accepts with NaN and Infinity refused, plus two
rules applied here too: a lone UTF-16 surrogate escape (`"\\ud800"`) is an error anywhere in a payload,
and so is nesting deeper than `MAX_DEPTH`.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

# Keep in sync with rust/json/mod.rs::MAX_DEPTH.
MAX_DEPTH = 256

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonError(ValueError):
    """Invalid JSON; `pos` is a character offset into the payload when known."""

    def __init__(self, what: str, pos: int = 0) -> None:
        super().__init__(f"{what} at character {pos} of the payload")
        self.what = what
        self.pos = pos


def _refuse_constant(name: str) -> NoReturn:
    raise JsonError(f"{name} is not JSON")


# One decoder for every call: json.loads() builds a new one whenever it is given an option.
_decode = json.JSONDecoder(parse_constant=_refuse_constant).decode


def loads(text: str) -> Any:
    """Parses one JSON document under the core's rules, raising `JsonError`."""
    try:
        value = _decode(text)
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.pos) from None
    except RecursionError:
        raise JsonError("JSON nested too deeply") from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _max_depth(text) > MAX_DEPTH:
        raise JsonError("JSON nested too deeply")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise JsonError("lone surrogate in a \\u escape")
    return value


def _max_depth(text: str) -> int:
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def _has_surrogate(value: Any) -> bool:
    """Whether any string in `value` (keys included) holds a surrogate, i.e. came from a lone escape."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def is_complete_json(text: str) -> bool:
    """Whether `text` is one complete JSON value (twin of rust/json/raw.rs::is_complete_json)."""
    try:
        loads(text)
    except JsonError:
        return False
    return True
