"""Reading a non-streaming response body and writing the stream bytes it becomes: what every dialect's
`as_stream()` shares.

A body that is JSON but not the shape a dialect's `as_stream()` walks raises `BadBody`, which
`response_chunks` turns into a StreamDecodeError naming the field.
"""

from __future__ import annotations

from typing import Any

from rillm._shared import dumps

__all__ = ["BadBody", "dumps", "get_list", "get_obj", "has_error", "objects", "sse"]


class BadBody(ValueError):
    """A non-streaming response body that is JSON but not the shape its dialect's `as_stream()` walks."""


def sse(event: dict[str, Any], name: str = "") -> bytes:
    """One server-sent event: `event: <name>` when given, and the JSON as its data."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {dumps(event)}\n\n".encode()


def has_error(body: dict[str, Any]) -> bool:
    """A body that reports an error (with HTTP 200): written as the dialect's error event, so the decoder
    raises the provider's error."""
    return bool(body.get("error")) or body.get("type") == "error"


def get_list(obj: dict[str, Any], name: str, where: str) -> list[Any]:
    """A field `as_stream()` iterates: absent or null is empty, another type is a bad body."""
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadBody(f"`{where}{name}`: expected an array, not {_json_type(value)}")
    return value


def get_obj(obj: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadBody(f"`{where}{name}`: expected an object, not {_json_type(value)}")
    return value


def objects(items: list[Any], where: str) -> list[dict[str, Any]]:
    for item in items:
        if not isinstance(item, dict):
            raise BadBody(f"`{where}`: expected an array of objects, found {_json_type(item)}")
    return items


def _json_type(value: Any) -> str:
    """A JSON value's kind as the messages name it (the request checks in providers/translate say the same)."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
