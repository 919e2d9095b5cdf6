# Twin of the JSON rules in rust/json/ (mod.rs, numbers.rs and parser.rs; raw.rs for is_complete_json).
"""JSON as rillm reads it: one reader for every JSON text parsed on the Python side, on both backends.

The pure-Python backend's decoders read chunks with it (through `_fallback/jsonutil.py`); the Rust backend's
chunk objects turn their raw JSON into Python values with it when a field is first read
(`rust/python/shared.rs`); provider error payloads and HTTP error bodies (`_error_mapping.py`), non-streaming
response bodies (`_response/`) and tool-call arguments (`providers/translate/`) go through it too. So every
path has the Rust core's grammar and limits, and the same error:

- what Python's `json.loads` accepts, with NaN, Infinity and -Infinity refused;
- a lone UTF-16 surrogate escape (`"\\ud800"`) is refused anywhere in a payload;
- arrays and objects nested deeper than `MAX_DEPTH` are refused (never a RecursionError);
- the number rule: an integer (no fraction, no exponent) has at most `MAX_INT_DIGITS` digits, Python's
  default `int_max_str_digits`, whatever `sys.set_int_max_str_digits` says (never the interpreter's
  ValueError); a number with a fraction or an exponent must be finite as a double (`1e999` is refused as
  `Infinity` is; `1e-999` reads as 0.0).

Anything refused raises `JsonError`, a ValueError naming what is wrong and at which character.
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any, NoReturn

__all__ = ["MAX_DEPTH", "MAX_INT_DIGITS", "JsonError", "is_complete_json", "loads"]

# Keep in sync with rust/json/mod.rs::MAX_DEPTH and MAX_INT_DIGITS.
MAX_DEPTH = 256
MAX_INT_DIGITS = 4300

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class JsonError(ValueError):
    """Invalid JSON; `pos` is a character offset into the payload when known."""

    def __init__(self, what: str, pos: int = 0) -> None:
        super().__init__(f"{what} at character {pos} of the payload")
        self.what = what
        self.pos = pos


class _Refused(Exception):
    """Raised from inside the decoder's hooks: what, and the token that broke the rule."""

    def __init__(self, what: str, token: str) -> None:
        super().__init__(what)
        self.what = what
        self.token = token


def _refuse_constant(name: str) -> NoReturn:
    raise _Refused(f"{name} is not JSON", name)


def _float(token: str) -> float:
    value = float(token)
    if value - value != 0.0:  # infinite: the grammar makes no NaN
        raise _Refused("number too large for a double", token)
    return value


def _int(token: str) -> int:
    if len(token) - (token[0] == "-") > MAX_INT_DIGITS:
        raise _Refused(f"integer with more than {MAX_INT_DIGITS} digits", token)
    try:
        return int(token)
    except ValueError:  # the interpreter's limit is set below Python's default: convert without it
        return int(decimal.Decimal(token))


# One decoder each, made once: json.loads() builds a new one whenever it is given an option. A text of at
# most MAX_INT_DIGITS characters cannot hold a longer integer, so only longer ones pay for the int hook.
_decoder = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_float)
_decode = _decoder.decode
_scan: Any = getattr(_decoder, "scan_once")  # noqa: B009 (an attribute typeshed does not declare)
_decode_long = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_float, parse_int=_int).decode


def loads(text: str | bytes | bytearray) -> Any:
    """Parses one JSON document under the core's rules, raising `JsonError`. Bytes are decoded as
    `json.loads` decodes them (UTF-8, or UTF-16/32 when the text says so)."""
    if not isinstance(text, str):
        try:
            text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
        except UnicodeDecodeError as exc:
            raise JsonError(f"not valid text ({exc.reason})", exc.start) from None
    value = _parse(text)
    # A value nested deeper than MAX_DEPTH has more than 2 * MAX_DEPTH brackets: shorter texts skip the counts.
    if len(text) > 2 * MAX_DEPTH and text.count("[") + text.count("{") > MAX_DEPTH and _max_depth(text) > MAX_DEPTH:
        raise JsonError("JSON nested too deeply")
    if "\\u" in text and _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise JsonError("lone surrogate in a \\u escape")
    return value


def _parse(text: str) -> Any:
    try:
        if len(text) <= MAX_INT_DIGITS:
            try:
                # The decoder's C scanner called directly when the text is one value and nothing else (as a
                # chunk's payload is): `decode()` adds two Python calls and two white-space matches around
                # it, about 1.5 µs a chunk on the pure-Python backend. Anything else takes `decode()`.
                try:
                    value, end = _scan(text, 0)
                except StopIteration:
                    end = -1
                return value if end == len(text) else _decode(text)
            except json.JSONDecodeError:
                raise
            except ValueError:  # an integer past the interpreter's own limit, set below the default
                pass
        return _decode_long(text)
    except json.JSONDecodeError as exc:
        raise JsonError(exc.msg, exc.pos) from None
    except _Refused as exc:
        raise JsonError(exc.what, max(0, text.find(exc.token))) from None
    except RecursionError:
        raise JsonError("JSON nested too deeply") from None


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
