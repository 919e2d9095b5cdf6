"""Token accounting: which counts of a usage are billed at which rate.

Usage is read in OpenAI's shape, the one rillm's decoders build for every dialect:
- `prompt_tokens` is the whole prompt: uncached tokens, cache reads and cache writes. Anthropic's
  `input_tokens` excludes its cache tokens, and rillm (like LiteLLM) adds them back
  (rust/decode/anthropic.rs, rust/decode/bedrock.rs), so each prompt token is billed exactly once:
  `prompt_tokens_details.cached_tokens` at the cache-read rate, `cache_creation_tokens` (or OpenAI's
  `cache_write_tokens`) at the cache-write rate (the part in `cache_creation_token_details.
  ephemeral_1h_input_tokens` at the one-hour rate), the rest at the input rate.
- `completion_tokens` includes `completion_tokens_details.reasoning_tokens` (OpenAI's shape; Gemini's
  thoughts and Anthropic's thinking are counted in it by the decoders): reasoning tokens are billed at
  the reasoning rate when the model has one, the rest at the output rate.

A prompt over a tier's threshold bills every token at that tier's rates. Rates a model leaves out fall
back: cache reads and writes to the input rate (LiteLLM charges them nothing), the one-hour write to the
five-minute one, reasoning to the output rate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rillm.cost._table import ModelPrice, Tier

__all__ = ["Counts", "costs", "counts_of"]


@dataclass(frozen=True)
class Counts:
    """The counts a bill needs. `prompt` includes `cached` and `cache_write`; `completion` includes
    `reasoning`; `cache_write_1h` is the part of `cache_write` kept for an hour."""

    prompt: int = 0
    completion: int = 0
    cached: int = 0
    cache_write: int = 0
    cache_write_1h: int = 0
    reasoning: int = 0


def counts_of(usage: Any) -> Counts:
    """The counts of a usage object (rillm's or LiteLLM's `Usage`, any object with those attributes) or
    dict. Anthropic's and DeepSeek's top-level cache fields stand in when the details are missing.
    ValueError when it has neither `prompt_tokens` nor `completion_tokens`: nothing to bill is not free."""
    if _count(usage, "prompt_tokens") is None and _count(usage, "completion_tokens") is None:
        raise ValueError(f"a usage needs prompt_tokens or completion_tokens (OpenAI's shape), not {usage!r}")
    prompt_details = _get(usage, "prompt_tokens_details")
    completion_details = _get(usage, "completion_tokens_details")
    cached = _count(prompt_details, "cached_tokens")
    if cached is None:
        cached = _count(usage, "cache_read_input_tokens") or _count(usage, "prompt_cache_hit_tokens")
    write = _count(prompt_details, "cache_creation_tokens") or _count(prompt_details, "cache_write_tokens")
    if not write:
        write = _count(usage, "cache_creation_input_tokens")
    reasoning = _count(completion_details, "reasoning_tokens")
    if reasoning is None:
        reasoning = _count(usage, "reasoning_tokens")
    return Counts(
        prompt=_count(usage, "prompt_tokens") or 0,
        completion=_count(usage, "completion_tokens") or 0,
        cached=cached or 0,
        cache_write=write or 0,
        cache_write_1h=_count(_get(prompt_details, "cache_creation_token_details"), "ephemeral_1h_input_tokens") or 0,
        reasoning=reasoning or 0,
    )


def costs(price: ModelPrice, counts: Counts) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD. Counts that contradict each other are clamped, never billed
    twice: cache reads and writes cannot exceed the prompt, reasoning cannot exceed the completion."""
    tier = price.tier_for(counts.prompt)
    input_rate = _rate(tier, price, "input_cost_per_token") or 0.0
    output_rate = _rate(tier, price, "output_cost_per_token") or 0.0
    read_rate = _rate(tier, price, "cache_read_input_token_cost")
    write_rate = _rate(tier, price, "cache_creation_input_token_cost")
    write_1h_rate = _rate(tier, price, "cache_creation_input_token_cost_above_1hr")
    write_rate = input_rate if write_rate is None else write_rate
    reasoning_rate = price.output_cost_per_reasoning_token

    prompt = max(counts.prompt, 0)
    cached = min(max(counts.cached, 0), prompt)
    write = min(max(counts.cache_write, 0), prompt - cached)
    write_1h = min(max(counts.cache_write_1h, 0), write)
    prompt_cost = (
        (prompt - cached - write) * input_rate
        + cached * (input_rate if read_rate is None else read_rate)
        + (write - write_1h) * write_rate
        + write_1h * (write_rate if write_1h_rate is None else write_1h_rate)
    )
    completion = max(counts.completion, 0)
    reasoning = min(max(counts.reasoning, 0), completion)
    completion_cost = (completion - reasoning) * output_rate + reasoning * (
        output_rate if reasoning_rate is None else reasoning_rate
    )
    return prompt_cost, completion_cost


def _rate(tier: Tier | None, price: ModelPrice, name: str) -> float | None:
    """The tier's rate when it sets one, else the model's."""
    value = getattr(tier, name) if tier is not None else None
    return value if value is not None else getattr(price, name)  # type: ignore[no-any-return]


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


def _count(obj: Any, name: str) -> int | None:
    """An integer count, or None when absent; a bool or a non-number is absent, a float is truncated."""
    value = _get(obj, name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return int(value)
