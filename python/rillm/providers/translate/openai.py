"""OpenAI's chat completions (`POST /chat/completions`), spoken by OpenAI, Azure and every OpenAI-compatible
server (spec §5.1, §5.13): the request is the caller's own, and a `chat.completion` replays as one
`chat.completion.chunk`."""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._common import Dialect, dumps, get_list, get_obj, has_error, objects

# Every parameter passes through: this dialect's providers read OpenAI's names themselves (the provider
# table narrows the set for a provider that refuses some).
SUPPORTED = OPENAI_PARAMS


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """The parameters as given (max_tokens and max_completion_tokens alike: the provider knows which it
    takes); `stream` only when streaming, as the OpenAI SDK sends it. The messages are sent as given: this
    dialect's servers accept more part types (audio, files) than rillm translates for the others."""
    body: dict[str, Any] = {"model": model, "messages": messages, **params}
    if stream:
        body["stream"] = True
    else:
        body.pop("stream_options", None)  # OpenAI refuses stream_options without stream
    return body


def replay(response: dict[str, Any]) -> bytes:
    """`{"object": "chat.completion", "choices": [{"message"}]}` as one chunk whose deltas are the messages
    (tool calls numbered by their position), then `[DONE]`. Everything else (id, created, model,
    system_fingerprint, service_tier, usage, logprobs, extras) is kept as it is."""
    if has_error(response) and not response.get("choices"):
        return b"data: " + dumps(response).encode() + b"\n\n"
    chunk = {**response, "object": "chat.completion.chunk"}
    chunk["choices"] = [_choice(c) for c in objects(get_list(response, "choices", ""), "choices")]
    return b"data: " + dumps(chunk).encode() + b"\n\ndata: [DONE]\n\n"


def _choice(choice: dict[str, Any]) -> dict[str, Any]:
    delta = dict(get_obj(choice, "message", "choices[]."))
    calls = get_list(delta, "tool_calls", "choices[].message.")
    if calls:
        delta["tool_calls"] = [
            {"index": position, **call} for position, call in enumerate(objects(calls, "choices[].message.tool_calls"))
        ]
    out = {k: v for k, v in choice.items() if k != "message"}
    out["delta"] = delta
    return out


DIALECT = Dialect(SUPPORTED, build, replay, "openai")
