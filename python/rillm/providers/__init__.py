"""The provider table: which dialect, base URL, auth and capabilities each LiteLLM prefix has.

The table is data (`table.json` beside this file), validated once by the `Provider` model below; nothing
here branches on a provider's name. `resolve()` turns a LiteLLM model string into a row and the model
name the provider expects, as LiteLLM's `get_llm_provider` does (spec §7.1): a known prefix splits at the
first slash (`openrouter/anthropic/claude-x` is OpenRouter's `anthropic/claude-x`), a two-part prefix
such as `bedrock/invoke/` picks its own row, and a bare name resolves by the table's patterns (`gpt-4o`
to openai, `claude-*` to anthropic, `command-*` to cohere). The request a row makes is built in
`request.py`.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, Optional
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rillm import _json
from rillm.exceptions import BadRequestError

__all__ = ["Provider", "env_value", "get_llm_provider", "get_provider", "providers", "resolve"]

Dialect = Literal["openai", "anthropic", "cohere", "gemini", "bedrock", "bedrock_invoke", "ollama"]
Auth = Literal["bearer", "x-api-key", "api-key", "x-goog-api-key", "sigv4"]

_TABLE = Path(__file__).with_name("table.json")


class Provider(BaseModel):
    """One row of the table. `path` (and `stream_path`, when streaming has its own URL) is appended to the
    base URL; `{model}` in it is the URL-quoted model. `{region}` in `api_base` is the AWS region."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    dialect: Dialect = "openai"
    api_base: Optional[str] = None
    path: str = "/chat/completions"
    stream_path: Optional[str] = None
    auth: Auth = "bearer"
    key_required: bool = True
    api_key_env: tuple[str, ...] = ()
    # A bearer token used when there is no key (Azure's Entra ID token): `Authorization: Bearer`.
    token_env: tuple[str, ...] = ()
    api_base_env: tuple[str, ...] = ()
    api_version: Optional[str] = None
    api_version_env: tuple[str, ...] = ()
    headers: dict[str, str] = Field(default_factory=dict)
    # Capabilities: whether `stream_options` is forwarded, whether the provider streams at all, and the
    # parameters or model-name patterns for which LiteLLM fakes the stream (one whole response served as a
    # stream; spec §4).
    stream_options: bool = False
    native_streaming: bool = True
    fake_stream_params: tuple[str, ...] = ()
    fake_stream_models: tuple[str, ...] = ()
    unsupported_params: tuple[str, ...] = ()

    @property
    def decoder_dialect(self) -> str:
        """The StreamDecoder dialect of the responses: Bedrock's invoke stream arrives in event-stream frames."""
        return "bedrock" if self.dialect == "bedrock_invoke" else self.dialect

    def fakes_stream(self, model: str, params: Mapping[str, Any]) -> bool:
        """Whether a streaming call is served by one non-streaming request, as LiteLLM does (spec §4.1)."""
        if not self.native_streaming:
            return True
        if any(params.get(name) is not None for name in self.fake_stream_params):
            return True
        return any(re.search(pattern, model) for pattern in self.fake_stream_models)

    def __repr__(self) -> str:
        return f"Provider({self.name!r}, dialect={self.dialect!r})"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid")

    providers: dict[str, Provider]
    bare_models: list[tuple[str, str]]

    @model_validator(mode="before")
    @classmethod
    def _names(cls, data: Any) -> Any:
        """Rows are keyed by name in the file; each row also carries it. `_about` keys are comments."""
        data = {k: v for k, v in data.items() if not k.startswith("_")}
        data["providers"] = {name: {**row, "name": name} for name, row in data["providers"].items()}
        return data

    @model_validator(mode="after")
    def _check(self) -> _Table:
        for pattern, name in self.bare_models:
            re.compile(pattern)
            if name not in self.providers:
                raise ValueError(f"bare_models names an unknown provider {name!r}")
        return self


@lru_cache(maxsize=1)
def _table() -> _Table:
    return _Table.model_validate(_json.loads(_TABLE.read_text(encoding="utf-8")))


def providers() -> dict[str, Provider]:
    """Every row, by LiteLLM prefix."""
    return dict(_table().providers)


def get_provider(name: str) -> Provider:
    """The row for a LiteLLM prefix; BadRequestError naming the known ones if there is none."""
    row = _table().providers.get(name)
    if row is None:
        known = ", ".join(sorted(_table().providers))
        raise BadRequestError(
            f"unknown provider {name!r}; rillm knows: {known}{_did_you_mean(name, '')}",
            model=None,
            llm_provider=name,
        )
    return row


def _did_you_mean(name: str, rest: str) -> str:
    """A hint for a prefix the table does not have: the closest prefixes (a typo such as `opneai`), with the
    rest of the model string after them, and the command that lists every provider."""
    close = difflib.get_close_matches(name, _table().providers, n=3, cutoff=0.6)
    suggestions = " or ".join(repr(f"{prefix}/{rest}" if rest else prefix) for prefix in close)
    hint = f"; did you mean {suggestions}?" if close else ""
    return f"{hint} (`rillm providers` lists every provider)"


def resolve(model: str, custom_llm_provider: str | None = None, api_base: str | None = None) -> tuple[Provider, str]:
    """The provider row and the provider's own model name for a LiteLLM model string (spec §7.1)."""
    if not isinstance(model, str) or not model:
        raise BadRequestError(f"model must be a non-empty string, not {model!r}", model=None, llm_provider=None)
    table = _table().providers
    if custom_llm_provider:
        row = get_provider(custom_llm_provider)
        prefix = f"{custom_llm_provider}/"
        return row, model[len(prefix) :] if model.startswith(prefix) else model
    head, slash, rest = model.partition("/")
    if slash:
        sub, slash2, rest2 = rest.partition("/")
        if slash2 and f"{head}/{sub}" in table:
            return table[f"{head}/{sub}"], rest2
        if head in table:
            return table[head], rest
    by_base = _provider_of_base(api_base)
    if by_base is not None:
        return by_base, model
    for pattern, name in _table().bare_models:
        if re.search(pattern, model):
            return table[name], model
    intro = f"LLM Provider NOT provided. Pass in the LLM provider you are trying to call. You passed model={model}"
    if slash:
        message = f"{intro}: rillm has no provider {head!r}{_did_you_mean(head, rest)}"
    else:
        message = (
            f"{intro} (no provider prefix and the name matches no known family). Prefix the model with one of "
            f"rillm's providers, e.g. openai/{model} or hosted_vllm/{model} for an OpenAI-compatible server"
        )
    raise BadRequestError(message, model=model, llm_provider=None)


def get_llm_provider(
    model: str, custom_llm_provider: str | None = None, api_base: str | None = None, api_key: str | None = None
) -> tuple[str, str, str | None, str | None]:
    """LiteLLM's `get_llm_provider`: (the provider's model name, the provider, the API key from the argument
    or the row's env vars, the base URL from the argument, the row's env vars or its default)."""
    row, name = resolve(model, custom_llm_provider, api_base)
    return (
        name,
        row.name,
        api_key or env_value(row.api_key_env),
        api_base or env_value(row.api_base_env) or row.api_base,
    )


def _provider_of_base(api_base: str | None) -> Provider | None:
    """A bare model with an `api_base` that is a known provider's default goes to that provider (spec §7.1.7)."""
    if not api_base:
        return None
    host = urlsplit(api_base).netloc
    for row in _table().providers.values():
        if row.api_base and "{" not in row.api_base and urlsplit(row.api_base).netloc == host:
            return row
    return None


def env_value(names: tuple[str, ...]) -> str | None:
    """The first of these environment variables that is set and not empty."""
    for name in names:
        value = os.environ.get(name)
        if value:
            return value
    return None
