# Twin of rust/decode/gemini_args.rs, which documents it.
"""Gemini's streamed tool arguments (`streamFunctionCallArguments`), written as JSON text as they arrive."""

from __future__ import annotations

import math
from typing import Any

from rillm import _shared
from rillm._fallback.decode.fields import Bad, get_bool, get_str


class ArgsWriter:
    """Writes a streamed call's `partialArgs` as JSON text, in the order they arrive: the containers a path
    needs are opened (and those it leaves closed), so the fragments concatenate to one JSON value."""

    __slots__ = ("open", "open_string", "root", "tool")

    def __init__(self, tool: int) -> None:
        self.tool = tool
        # The outermost container, once written: [is_array, has_members].
        self.root: list[bool] | None = None
        # The containers open below the root: (segment leading to it, [is_array, has_members]).
        self.open: list[tuple[Any, list[bool]]] = []
        # The path of a string value still being written.
        self.open_string: list[Any] | None = None

    def apply(self, partial: dict[str, Any], out: list[str]) -> None:
        path = parse_path(get_str(partial, "jsonPath") or "")
        will_continue = get_bool(partial, "willContinue") is True
        value = _partial_value(partial)
        if value is None:
            return
        if self.open_string is not None:
            open_path = self.open_string
            self.open_string = None
            if open_path == path and value[0] == "text":
                out.append(_string_body(value[1]))
                if will_continue:
                    self.open_string = open_path
                else:
                    out.append('"')
                return
            out.append('"')
        self.open_path(path, out)
        if value[0] == "text":
            out.append('"' + _string_body(value[1]))
            if will_continue:
                self.open_string = path
            else:
                out.append('"')
        else:
            out.append(value[1])

    def open_path(self, path: list[Any], out: list[str]) -> None:
        """Writes what comes before the value at `path`: the root the first time, then closes the open
        containers `path` leaves and opens those it enters, and writes the member's key or comma."""
        parent, leaf = path[:-1], path[-1]
        if self.root is None:
            array = type(path[0]) is int
            out.append("[" if array else "{")
            self.root = [array, False]
        common = 0
        for (segment, _), wanted in zip(self.open, parent):
            if segment != wanted or type(segment) is not type(wanted):
                break
            common += 1
        while len(self.open) > common:
            _, container = self.open.pop()
            out.append("]" if container[0] else "}")
        for j in range(common, len(parent)):
            self.member(out, parent[j])
            array = type(path[j + 1]) is int
            out.append("[" if array else "{")
            self.open.append((parent[j], [array, False]))
        self.member(out, leaf)

    def member(self, out: list[str], segment: Any) -> None:
        container = self.open[-1][1] if self.open else self.root
        assert container is not None
        if container[0] != (type(segment) is int):
            raise Bad("`jsonPath`: does not match the arguments written so far")
        if container[1]:
            out.append(",")
        container[1] = True
        if type(segment) is str:
            out.append(_shared.dumps(segment) + ":")

    def close(self) -> str:
        """What ends the arguments: an open string's quote and every open container (`{}` if nothing came)."""
        out = []
        if self.open_string is not None:
            self.open_string = None
            out.append('"')
        while self.open:
            _, container = self.open.pop()
            out.append("]" if container[0] else "}")
        root, self.root = self.root, None
        out.append("{}" if root is None else ("]" if root[0] else "}"))
        return "".join(out)


def _partial_value(partial: dict[str, Any]) -> tuple[str, str] | None:
    """A `partialArg`'s value as ("text", string) or ("raw", JSON text); None when it has none."""
    if partial.get("stringValue") is not None:
        return "text", get_str(partial, "stringValue")  # type: ignore[return-value]
    number = partial.get("numberValue")
    if number is not None:
        return "raw", _number_text(number)
    flag = get_bool(partial, "boolValue")
    if flag is not None:
        return "raw", "true" if flag else "false"
    if "nullValue" in partial:
        return "raw", "null"
    return None


def _number_text(value: Any) -> str:
    """A number as `json.dumps` writes it, a float too large for a double as `null`."""
    if type(value) is int:
        return str(value)
    if type(value) is float:
        return repr(value) if math.isfinite(value) else "null"
    raise Bad("`numberValue`: expected a number")


def _string_body(text: str) -> str:
    return _shared.dumps(text)[1:-1]


def parse_path(path: str) -> list[Any]:
    """A `jsonPath` below `$`: `.name`, `['name']` or `["name"]`, and `[N]` segments (names as str,
    indexes as int)."""
    bad = Bad(f"`jsonPath`: unsupported path {_debug(path)}")
    if not path.startswith("$"):
        raise bad
    rest = path[1:]
    segments: list[Any] = []
    while rest:
        if rest[0] == ".":
            after = rest[1:]
            ends = [i for i in (after.find("."), after.find("[")) if i != -1]
            end = min(ends) if ends else len(after)
            if end == 0:
                raise bad
            segments.append(after[:end])
            rest = after[end:]
        elif rest[0] == "[":
            after = rest[1:]
            if after[:1] in ("'", '"'):
                quote, body = after[0], after[1:]
                end = body.find(quote)
                if end == -1 or body[end + 1 : end + 2] != "]":
                    raise bad
                segments.append(body[:end])
                rest = body[end + 2 :]
            else:
                end = after.find("]")
                digits = after[:end] if end != -1 else ""
                if not digits or not all("0" <= c <= "9" for c in digits) or int(digits) >= 2**63:
                    raise bad
                segments.append(int(digits))
                rest = after[end + 1 :]
        else:
            raise bad
    if not segments:
        raise bad
    return segments


def _debug(text: str) -> str:
    """A string quoted as Rust's `{:?}` shows it (for the same message on both backends)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
