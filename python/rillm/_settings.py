"""LiteLLM's module settings (`rillm.api_key = ...`, `rillm.num_retries = 3`, ...), read at call time.

Every setting is looked up when a call is made, never cached at import, so assigning a module attribute after
`import rillm` takes effect on the next call (LiteLLM reads some of them, such as
LITELLM_MAX_STREAMING_DURATION_SECONDS, once at import). The precedence is LiteLLM's: the call's argument,
then the module attribute, then the environment, then the default. A module attribute that is None (the
default of each) counts as not set.

Keys: the row's own attributes come first, in LiteLLM's order for that provider (`rillm.anthropic_key` before
`rillm.api_key`; `rillm.api_key` before `rillm.openai_key`), then the row's environment variables
(providers/auth.py reads those). Where LiteLLM reads a provider's environment variable before `litellm.api_key`
(Cohere, Gemini, Ollama, Hugging Face), rillm keeps the one rule: module attributes before the environment.
SigV4 rows (Bedrock) take no module key, as LiteLLM's Bedrock calls take `api_key=` only.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import httpx

from rillm.exceptions import BadRequestError

__all__ = [
    "KEY_ATTRIBUTES",
    "api_base",
    "api_key",
    "get",
    "max_streaming_duration",
    "num_retries",
    "repeated_chunk_limit",
    "seconds_setting",
    "stream_idle_timeout",
    "timeout",
]

# LiteLLM's default request timeout in seconds (COMPLETION_HTTP_FALLBACK_SECONDS).
DEFAULT_TIMEOUT = 600.0

# Provider row -> the module attributes that hold its key, in the order LiteLLM's completion() reads them
# (litellm/main.py). A row not listed takes `rillm.api_key` alone; a SigV4 row takes none.
_ROW_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("api_key", "openai_key"),
    "azure": ("api_key", "azure_key"),
    "anthropic": ("anthropic_key", "api_key"),
    "cohere": ("cohere_key", "api_key"),
    "cohere_chat": ("cohere_key", "api_key"),
    "groq": ("api_key", "groq_key"),
    "xai": ("xai_key", "api_key"),
    "openrouter": ("api_key", "openrouter_key"),
    "huggingface": ("huggingface_key", "api_key"),
    "ollama": ("ollama_key", "api_key"),
    "ollama_chat": ("ollama_key", "api_key"),
    "together_ai": ("api_key", "togetherai_api_key"),
    "ai21_chat": ("ai21_key", "api_key"),
    "baseten": ("baseten_key", "api_key"),
    "meta_llama": ("llama_api_key", "api_key"),
    "novita": ("novita_api_key", "api_key"),
    "nebius": ("nebius_key", "api_key"),
    "wandb": ("wandb_key", "api_key"),
    "cometapi": ("cometapi_key", "api_key"),
    "ovhcloud": ("ovhcloud_key", "api_key"),
    "lemonade": ("lemonade_key", "api_key"),
    "amazon_nova": ("amazon_nova_api_key", "api_key"),
    "inception": ("inception_key", "api_key"),
    "vercel_ai_gateway": ("api_key", "vercel_ai_gateway_key"),
}

# Every key attribute rillm declares (rillm/__init__.py), LiteLLM's names.
KEY_ATTRIBUTES = tuple(sorted({name for names in _ROW_KEYS.values() for name in names}))


def get(name: str, default: Any = None) -> Any:
    """The module attribute `rillm.<name>` as it is now."""
    value = getattr(sys.modules["rillm"], name, None)
    return default if value is None else value


def api_key(row_name: str, auth: str, given: str | None) -> str | None:
    """The key of a call: the argument, else the row's module attributes (None: the row's environment
    variables, read by providers/auth.py)."""
    if given or auth == "sigv4":
        return given
    for name in _ROW_KEYS.get(row_name, ("api_key",)):
        value = get(name)
        if value:
            if not isinstance(value, str):
                raise BadRequestError(f"rillm.{name} must be a string, not {type(value).__name__}", None, row_name)
            return value
    return None


def api_base(given: str | None) -> str | None:
    """`api_base=` / `base_url=`, else `rillm.api_base` (None: the row's environment variables, then its default)."""
    value = given or get("api_base")
    return value if value else None


def num_retries(num: int | None, max_retries: int | None) -> int:
    """`num_retries=`, else `max_retries=`, else `rillm.num_retries`, else 0."""
    for value in (num, max_retries):
        if value is not None:
            return value
    module = get("num_retries")
    if module is None:
        return 0
    if isinstance(module, bool) or not isinstance(module, int) or module < 0:
        raise BadRequestError(f"rillm.num_retries must be a whole number >= 0, not {module!r}", None, None)
    return int(module)


def timeout(given: float | httpx.Timeout | None, request_timeout: float | None) -> httpx.Timeout:
    """LiteLLM's order: `timeout=`, then `request_timeout=`, then `rillm.request_timeout`, then 600 s."""
    for where, value in (("timeout", given), ("request_timeout", request_timeout), ("rillm.request_timeout", None)):
        value = get("request_timeout") if value is None and where.startswith("rillm.") else value
        if isinstance(value, httpx.Timeout):
            return value
        if value is not None:
            return httpx.Timeout(_seconds(where, value))
    return httpx.Timeout(DEFAULT_TIMEOUT)


def drop_params(given: bool | None) -> bool:
    """`drop_params=`, else `rillm.drop_params`, else LITELLM_DROP_PARAMS / RILLM_DROP_PARAMS ("true")."""
    if given is not None:
        return given
    module = get("drop_params")
    if module is not None:
        return bool(module)
    env = (os.environ.get(name, "").strip().lower() for name in ("RILLM_DROP_PARAMS", "LITELLM_DROP_PARAMS"))
    return "true" in env


def seconds_setting(
    argument: str, given: float | None, attributes: tuple[str, ...], env: tuple[str, ...]
) -> float | None:
    """A duration in seconds: the argument, else the first module attribute set, else the first environment
    variable set; None when none is. Each must be a positive number: anything else is a BadRequestError naming
    where it came from."""
    if given is not None:
        return _seconds(argument, given)
    for name in attributes:
        value = get(name)
        if value is not None:
            return _seconds(f"rillm.{name}", value)
    for name in env:
        text = os.environ.get(name, "").strip()
        if text:
            return _seconds(name, text)
    return None


def max_streaming_duration(given: float | None) -> float | None:
    """The whole stream's budget: `max_streaming_duration=`, `rillm.max_streaming_duration`,
    `rillm.LITELLM_MAX_STREAMING_DURATION_SECONDS`, RILLM_MAX_STREAMING_DURATION_SECONDS,
    LITELLM_MAX_STREAMING_DURATION_SECONDS."""
    return seconds_setting(
        "max_streaming_duration",
        given,
        ("max_streaming_duration", "LITELLM_MAX_STREAMING_DURATION_SECONDS"),
        ("RILLM_MAX_STREAMING_DURATION_SECONDS", "LITELLM_MAX_STREAMING_DURATION_SECONDS"),
    )


def stream_idle_timeout(given: float | None) -> float | None:
    """The longest wait between two content events: `stream_idle_timeout=`, `rillm.stream_idle_timeout`,
    RILLM_STREAM_IDLE_TIMEOUT_SECONDS, LITELLM_STREAM_INACTIVITY_TIMEOUT_SECONDS (LiteLLM's variable)."""
    return seconds_setting(
        "stream_idle_timeout",
        given,
        ("stream_idle_timeout",),
        ("RILLM_STREAM_IDLE_TIMEOUT_SECONDS", "LITELLM_STREAM_INACTIVITY_TIMEOUT_SECONDS"),
    )


def repeated_chunk_limit() -> int | None:
    """`rillm.REPEATED_STREAMING_CHUNK_LIMIT`, else the REPEATED_STREAMING_CHUNK_LIMIT environment variable (LiteLLM's
    names); None, the default, turns the guard off (rillm._repetition). A whole number >= 1, else a
    BadRequestError naming where it came from."""
    name = "REPEATED_STREAMING_CHUNK_LIMIT"
    value, where = get(name), f"rillm.{name}"
    if value is None:
        value, where = os.environ.get(name, "").strip() or None, name
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequestError(f"{where} must be a whole number >= 1, not {value!r}", None, None)
    return int(value)


def _seconds(where: str, value: Any) -> float:
    try:
        seconds = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        shown = value if isinstance(value, (int, float, str)) else type(value).__name__
        raise BadRequestError(f"{where} must be a positive number of seconds, not {shown!r}", None, None)
    return seconds
