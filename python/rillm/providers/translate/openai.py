"""OpenAI's chat completions (`POST /chat/completions`), spoken by OpenAI, Azure and every OpenAI-compatible
server (spec §5.1, §5.13): the request is the caller's own. (A `chat.completion` is read in
rillm/_response/openai.py.)"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS

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
