"""Reading the caller's OpenAI-shaped messages, checked here once so each dialect module only maps them:
roles, content parts (text and images), an assistant's tool calls, the call a tool message answers.
"""

from __future__ import annotations

import mimetypes
from typing import Any, NamedTuple

from rillm import _json
from rillm.providers.translate._invalid import Invalid, json_type, type_name

# OpenAI's roles as the translated APIs see them: `developer` is OpenAI's newer name for `system`.
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


class Part(NamedTuple):
    """One content part: `kind` "text" (value = the text) or "image" (value = the image URL); `raw` is the
    part as sent (for `cache_control`)."""

    kind: str
    value: str
    raw: dict[str, Any]
    where: str


class Call(NamedTuple):
    """One tool call of an assistant message; `arguments` is OpenAI's JSON text."""

    id: str | None
    name: str
    arguments: str
    raw: dict[str, Any]
    where: str

    def input(self) -> dict[str, Any]:
        """The arguments as an object, for the APIs that take one (Anthropic, Gemini, Bedrock, Ollama).
        Empty arguments are `{}`, as LiteLLM sends them."""
        if not self.arguments.strip():
            return {}
        try:
            value = _json.loads(self.arguments)
        except ValueError as exc:
            raise Invalid(f"{self.where}.function.arguments", f"not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise Invalid(f"{self.where}.function.arguments", f"expected a JSON object, not {json_type(value)}")
        return value


class Turn(NamedTuple):
    """One message, checked: role (`developer` read as `system`), content parts, tool calls (assistant) and
    the id of the call a tool message answers; `message` is the message as sent."""

    position: int
    role: str
    parts: list[Part]
    calls: list[Call]
    tool_call_id: str | None
    message: dict[str, Any]

    @property
    def where(self) -> str:
        return f"messages[{self.position}]"

    def text(self) -> str:
        """The content as one string, for the APIs that take only text here; parts are concatenated as
        OpenAI does."""
        for part in self.parts:
            if part.kind != "text":
                raise Invalid(part.where, f"{self.role} messages take only text here, not images")
        return "".join(part.value for part in self.parts)


def read_messages(messages: Any) -> list[Turn]:
    if not isinstance(messages, list):
        raise Invalid("messages", f"expected a list, not {type_name(messages)}")
    return [_turn(index, message) for index, message in enumerate(messages)]


def _turn(index: int, message: Any) -> Turn:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise Invalid(where, f"expected an object, not {type_name(message)}")
    sent = message.get("role")
    role = _ROLES.get(sent) if isinstance(sent, str) else None
    if role is None:
        raise Invalid(f"{where}.role", f"{sent!r} is not one of {', '.join(_ROLES)}")
    parts = _parts(where, message.get("content"))
    calls = _calls(where, message.get("tool_calls")) if role == "assistant" else []
    tool_call_id = None
    if role == "tool":
        tool_call_id = message.get("tool_call_id")
        if not isinstance(tool_call_id, str) or not tool_call_id:
            raise Invalid(f"{where}.tool_call_id", "a tool message needs the id of the tool call it answers")
    return Turn(index, role, parts, calls, tool_call_id, message)


def _parts(where: str, content: Any) -> list[Part]:
    """Content as parts. Empty text is dropped: Anthropic and Bedrock reject empty text blocks."""
    if content is None:
        return []
    if isinstance(content, str):
        return [Part("text", content, {}, f"{where}.content")] if content else []
    if not isinstance(content, list):
        raise Invalid(f"{where}.content", f"expected a string, null or a list of parts, not {type_name(content)}")
    parts = []
    for position, raw in enumerate(content):
        part = _part(f"{where}.content[{position}]", raw)
        if part.value:
            parts.append(part)
    return parts


def _part(where: str, raw: Any) -> Part:
    if not isinstance(raw, dict):
        raise Invalid(where, f"expected a content part object, not {type_name(raw)}")
    kind = raw.get("type")
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str):
            raise Invalid(f"{where}.text", f"expected a string, not {type_name(text)}")
        return Part("text", text, raw, where)
    if kind == "image_url":
        image = raw.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str) or not url:
            raise Invalid(f"{where}.image_url.url", "expected the image's URL (https: or a base64 data: URL)")
        return Part("image", url, raw, where)
    raise Invalid(f"{where}.type", f"{kind!r} parts are not translated for this API (text and image_url are)")


def _calls(where: str, tool_calls: Any) -> list[Call]:
    if tool_calls is None:
        return []
    if not isinstance(tool_calls, list):
        raise Invalid(f"{where}.tool_calls", f"expected a list, not {type_name(tool_calls)}")
    calls = []
    for position, raw in enumerate(tool_calls):
        at = f"{where}.tool_calls[{position}]"
        function = raw.get("function") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not isinstance(function, dict):
            raise Invalid(at, 'expected {"id", "type": "function", "function": {"name", "arguments"}}')
        name, arguments, id_ = function.get("name"), function.get("arguments"), raw.get("id")
        if not isinstance(name, str) or not name:
            raise Invalid(f"{at}.function.name", "expected the function's name")
        if arguments is None:
            arguments = ""
        if not isinstance(arguments, str):
            raise Invalid(f"{at}.function.arguments", f"expected JSON text, not {type_name(arguments)}")
        if id_ is not None and not isinstance(id_, str):
            raise Invalid(f"{at}.id", f"expected a string, not {type_name(id_)}")
        calls.append(Call(id_ or None, name, arguments, raw, at))
    return calls


def call_names(turns: list[Turn]) -> dict[str, str]:
    """Each tool call's function name by call id: Gemini and Ollama name the function a result answers."""
    return {call.id: call.name for turn in turns for call in turn.calls if call.id}


def merge_roles(turns: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Consecutive turns of the same role as one turn (their `key` lists joined): Anthropic, Bedrock and
    Gemini want user and assistant turns to alternate, and tool results arrive as user turns."""
    out: list[dict[str, Any]] = []
    for turn in turns:
        if out and out[-1]["role"] == turn["role"]:
            out[-1] = {**out[-1], key: out[-1][key] + turn[key]}
        else:
            out.append(turn)
    return out


class Image(NamedTuple):
    """An image part's URL: `data` (base64) and `media_type` for a data: URL; `media_type` is guessed from
    the path for another URL (None when it cannot be)."""

    url: str
    media_type: str | None
    data: str | None


def read_image(part: Part) -> Image:
    """Only base64 data: URLs carry their bytes; rillm never fetches a URL to inline it (LiteLLM does for
    the APIs that take no URLs), so those APIs reject other URLs (`inline_image`)."""
    url = part.value
    if not url.startswith("data:"):
        return Image(url, mimetypes.guess_type(url.split("?", 1)[0])[0], None)
    head, comma, data = url[5:].partition(",")
    media_type, _, encoding = head.partition(";")
    if not comma or encoding != "base64" or not media_type:
        raise Invalid(f"{part.where}.image_url.url", "a data: URL must be data:<media type>;base64,<data>")
    return Image(url, media_type, data)


def inline_image(part: Part, api: str) -> Image:
    """An image the API takes only as bytes: a base64 data: URL."""
    image = read_image(part)
    if image.data is None:
        raise Invalid(f"{part.where}.image_url.url", f"{api} takes images only as base64 data: URLs")
    return image
