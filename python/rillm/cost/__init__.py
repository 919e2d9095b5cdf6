"""What a completion cost, in USD: LiteLLM's `completion_cost`, `cost_per_token` and `register_model`, over a
bundled price table.

How it is called
  The stream wrapper, once per stream after its last chunk, with the final usage::

      cost = rillm.cost.cost_of_usage(usage, model=<the model the provider returned>,
                                      requested_model=<completion()'s model argument>,
                                      provider=<the provider row's name, e.g. "bedrock/converse">)

  then stamps it where LiteLLM does (`usage.cost`, `hidden_params["response_cost"]`). `cost_of_usage` never
  raises: a model without a price gives None and a warning on the `rillm` logger (once per model name;
  later ones at debug level). Users call LiteLLM's names, which raise `ModelNotMappedError` for a model
  without a price, as LiteLLM raises its bare "This model isn't mapped yet" `Exception`.

The table
  `prices.json` beside this module: per model, USD per token in LiteLLM's fields, with the provider page
  each section was read from and when. It is read and validated by pydantic on first use, never at
  `import rillm`. Then, each merged over the one before, entry by entry: the file named by
  `LITELLM_MODEL_COST_MAP` when it is a local path (LiteLLM's own variable, normally a URL, is then
  ignored), the file named by `RILLM_MODEL_COST_MAP`, and `register_model()` calls; all in LiteLLM's
  `model_cost` format, so LiteLLM's whole `model_prices_and_context_window.json` is accepted.

Which entry prices a call (`rillm.cost._resolve`)
  The provider's returned model name first, then the requested one; each as given, then with the
  provider's prefix, then reduced (dates, Bedrock versions and geographies, `models/`, `-latest`), then,
  for first-party APIs and resellers at list price (OpenRouter, Azure, Bedrock, Vertex AI), the maker's
  own entry.

How tokens are billed (`rillm.cost._compute`)
  `prompt_tokens` includes cache reads (`prompt_tokens_details.cached_tokens`, billed at
  `cache_read_input_token_cost`) and cache writes (`cache_creation_tokens`, at
  `cache_creation_input_token_cost`); the rest at `input_cost_per_token`. `completion_tokens` includes
  `completion_tokens_details.reasoning_tokens`, billed at `output_cost_per_reasoning_token` when the model
  has one; the rest at `output_cost_per_token`. A prompt above a `*_above_<n>k_tokens` threshold bills the
  whole request at that tier's rates.

Not modelled (the bill is then the standard, per-token part only): Batch, Flex and Priority service
tiers; regional and data-residency uplifts; fees per request or per search (Perplexity's request fee,
web-search tools); audio, image and video tokens, billed at the text rates; OpenAI's 12-hour cache writes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

__all__ = ["ModelNotMappedError", "completion_cost", "cost_of_usage", "cost_per_token", "register_model"]

logger = logging.getLogger("rillm")

# Model names already warned about; bounded, so a gateway fed arbitrary names cannot grow it forever.
_WARNED: set[tuple[str | None, str | None, str | None]] = set()
_WARNED_MAX = 1024


class ModelNotMappedError(Exception):
    """No price for this model in the table. The message starts as LiteLLM's ("This model isn't mapped
    yet.") so code that matches LiteLLM's text keeps working; LiteLLM raises a bare `Exception`, which
    this subclasses. Add the model with `register_model()` or a `RILLM_MODEL_COST_MAP` file."""

    def __init__(self, model: str | None, llm_provider: str | None) -> None:
        self.model = model
        self.llm_provider = llm_provider
        super().__init__(
            f"This model isn't mapped yet. model={model}, custom_llm_provider={llm_provider}. Add it with "
            "rillm.register_model({...}) or a JSON file named by RILLM_MODEL_COST_MAP (LiteLLM's model_cost format)."
        )


def completion_cost(
    completion_response: Any = None,
    model: str | None = None,
    *,
    custom_llm_provider: str | None = None,
    usage: Any = None,
    custom_cost_per_token: Mapping[str, float] | None = None,
) -> float:
    """The cost of a completion in USD: `completion_response` is a `ModelResponse` (rillm's or LiteLLM's),
    a chunk or a dict with `model` and `usage`; `usage` (a `Usage` or a dict) prices a usage alone.
    The response's model is looked up first, then `model`. `custom_cost_per_token` ({"input_cost_per_token":
    ..., "output_cost_per_token": ...}, LiteLLM's argument) prices without the table.

    Raises `ModelNotMappedError` when no entry prices the model, and ValueError when there is no usage to
    price (LiteLLM would count tokens with a tokenizer, or bill 0; rillm has neither)."""
    if usage is None:
        usage = _get(completion_response, "usage")
    if usage is None:
        raise ValueError("completion_cost needs token usage: a response with `usage`, or usage=...")
    response_model = _get(completion_response, "model")
    provider = custom_llm_provider or _hidden_provider(completion_response)
    prompt, completion = _priced(usage, [response_model, model], provider, custom_cost_per_token)
    return prompt + completion


def cost_per_token(
    model: str = "",
    prompt_tokens: int = 0,
    completion_tokens: int = 0,
    *,
    custom_llm_provider: str | None = None,
    cache_creation_input_tokens: int | None = 0,
    cache_read_input_tokens: int | None = 0,
    usage_object: Any = None,
    custom_cost_per_token: Mapping[str, float] | None = None,
) -> tuple[float, float]:
    """(prompt cost, completion cost) in USD, as LiteLLM's `cost_per_token` returns them. `prompt_tokens`
    includes `cache_read_input_tokens` and `cache_creation_input_tokens` (as in LiteLLM's table path);
    `usage_object`, when given, replaces the counts. Raises `ModelNotMappedError` for an unknown model."""
    if usage_object is None:
        usage_object = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "prompt_tokens_details": {
                "cached_tokens": cache_read_input_tokens or 0,
                "cache_creation_tokens": cache_creation_input_tokens or 0,
            },
        }
    return _priced(usage_object, [model], custom_llm_provider, custom_cost_per_token)


def register_model(model_cost: Mapping[str, Any] | str) -> Mapping[str, Any]:
    """Add or override prices, in LiteLLM's format: {model name: {"input_cost_per_token": ...,
    "output_cost_per_token": ..., "cache_read_input_token_cost": ..., "cache_creation_input_token_cost":
    ..., "output_cost_per_reasoning_token": ..., "litellm_provider": ..., ...}}, or the path or URL of a
    JSON file of that shape. A name already in the table is updated field by field; a new name starts from
    the entry it resolves to today (so `{"azure/gpt-4o": {"input_cost_per_token": x}}` keeps gpt-4o's other
    prices). Every entry is validated first: an invalid one raises ValueError naming it, and nothing is
    registered. Returns the map, as LiteLLM does."""
    from rillm.cost._table import read_map, registry

    origin = "register_model"
    if isinstance(model_cost, str):
        origin, model_cost = model_cost, read_map(model_cost)
    registry.register(model_cost, origin)
    return model_cost


def cost_of_usage(
    usage: Any, *, model: str | None, requested_model: str | None = None, provider: str | None = None
) -> float | None:
    """The cost of a usage in USD, for the stream wrapper: None (never an exception) when there is no
    usage, no price for the model, a usage without counts, or a broken `RILLM_MODEL_COST_MAP` file; all
    but the first are logged on the `rillm` logger. `model` is the provider's returned name,
    `requested_model` the one asked for."""
    if usage is None:
        return None
    try:
        prompt, completion = _priced(usage, [model, requested_model], provider, None)
    except ModelNotMappedError:
        _log_once((model, requested_model, provider), "no price for model %r (requested %r, provider %r): cost is None")
        return None
    except Exception as exc:  # the stream must not fail for its bill: a bad table file, an odd usage
        _log_once((repr(exc), None, None), "cost not computed for model %r: %s", model, exc, level=logging.ERROR)
        return None
    return prompt + completion


def _priced(
    usage: Any, names: list[str | None], provider: str | None, custom: Mapping[str, float] | None
) -> tuple[float, float]:
    from rillm.cost._compute import costs, counts_of
    from rillm.cost._table import ModelPrice, registry

    if custom is not None:
        price = ModelPrice.model_validate(custom)
    else:
        hit = registry.find(names, provider)
        if hit is None:
            raise ModelNotMappedError(next((name for name in reversed(names) if name), None), provider)
        price = hit[1]
    return costs(price, counts_of(usage))


def _log_once(
    key: tuple[str | None, str | None, str | None], message: str, *args: Any, level: int = logging.WARNING
) -> None:
    """`message` at `level` the first time for `key`, at debug level after: one line per model, not per call."""
    first = key not in _WARNED
    if first and len(_WARNED) < _WARNED_MAX:
        _WARNED.add(key)
    logger.log(level if first else logging.DEBUG, message, *(args or key))


def _get(obj: Any, name: str) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _hidden_provider(response: Any) -> str | None:
    """The provider a LiteLLM response (or a rillm stream's hidden params) names."""
    hidden = getattr(response, "_hidden_params", None) or getattr(response, "hidden_params", None)
    provider = hidden.get("custom_llm_provider") if isinstance(hidden, Mapping) else None
    return provider if isinstance(provider, str) and provider else None
