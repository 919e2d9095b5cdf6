"""What a request check raises, and the words its messages use for the kind of a value.

Checks name the place in the request (`messages[2].content[1]`, `tool_choice`) so a caller can find what
to fix; they raise `Invalid`, which `build_body` turns into `BadRequestError`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Invalid", "json_type", "type_name"]


class Invalid(ValueError):
    """A request the dialect cannot express: where (`messages[2].content[1]`, `tool_choice`) and why.
    `unsupported` marks a value the API has no way to say (UnsupportedParamsError, as LiteLLM raises)."""

    def __init__(self, where: str, why: str, *, unsupported: bool = False) -> None:
        super().__init__(f"{where}: {why}")
        self.unsupported = unsupported


def type_name(value: Any) -> str:
    """A Python value's type, for a message about an argument that is not what it should be."""
    return "null" if value is None else type(value).__name__


def json_type(value: Any) -> str:
    """A value parsed from JSON text, as JSON names its kind."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")
