# Twin of rust/decode/fields.rs.
"""Reading a non-OpenAI dialect's payload field by field, with strict types: a field read has the type the
dialect expects or is absent/null, anything else fails the event with a decode error naming the field."""

from __future__ import annotations

from typing import Any

from rillm._fallback import jsonutil
from rillm._fallback.errors import ShapeError, decode_error
from rillm._fallback.framing import Event
from rillm._shared import I64


class Bad(ShapeError):
    """A payload that is JSON but not the dialect's shape, or not JSON."""


def load(event: Event, data: str, dialect: str) -> dict[str, Any]:
    """The event's payload as an object; a decode error otherwise."""
    try:
        obj = jsonutil.loads(data)
    except jsonutil.JsonError as exc:
        raise decode_error(event, f"invalid {dialect} event: {exc}") from None
    if type(obj) is not dict:
        raise decode_error(event, f"invalid {dialect} event: expected an object")
    return obj


def bad(event: Event, exc: ShapeError, dialect: str) -> Exception:
    return decode_error(event, f"invalid {dialect} event: {exc}")


def _expected(name: str, what: str) -> Bad:
    return Bad(f"`{name}`: expected {what}")


def get_str(obj: dict[str, Any], name: str) -> str | None:
    value = obj.get(name)
    if value is not None and type(value) is not str:
        raise _expected(name, "a string")
    return value


def get_int(obj: dict[str, Any], name: str) -> int | None:
    value = obj.get(name)
    if value is not None and (type(value) is not int or value not in I64):
        raise _expected(name, "an integer")
    return value


def get_bool(obj: dict[str, Any], name: str) -> bool | None:
    value = obj.get(name)
    if value is not None and type(value) is not bool:
        raise _expected(name, "a boolean")
    return value


def get_obj(obj: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = obj.get(name)
    if value is not None and type(value) is not dict:
        raise _expected(name, "an object")
    return value


def get_list(obj: dict[str, Any], name: str) -> list[Any] | None:
    value = obj.get(name)
    if value is not None and type(value) is not list:
        raise _expected(name, "an array")
    return value


def objects(items: list[Any], name: str) -> list[dict[str, Any]]:
    for item in items:
        if type(item) is not dict:
            raise _expected(name, "an array of objects")
    return items
