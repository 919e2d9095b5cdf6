"""The price table: `prices.json` beside this file, then the files named by `LITELLM_MODEL_COST_MAP` (when
it is a local path) and `RILLM_MODEL_COST_MAP`, then `register_model()` entries, merged and validated on
first use.

Entries are LiteLLM's `model_cost` dicts (spec §7.3): per-token USD in `input_cost_per_token`,
`output_cost_per_token`, `cache_read_input_token_cost`, `cache_creation_input_token_cost`,
`cache_creation_input_token_cost_above_1hr`, `output_cost_per_reasoning_token`, and prompt-length tiers in
`<rate>_above_<n>k_tokens`. Other LiteLLM fields (`mode`, `max_tokens`, `supports_*`, ...) are kept and
ignored. `rillm.cost` imports this module inside its functions, so `import rillm` neither builds these
models nor reads the file (like `providers/table.json`, which is also read on first use).
"""

import os
import re
import threading
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, NonNegativeFloat, ValidationError, field_validator, model_validator

from rillm import _json
from rillm.cost._resolve import accepts, lookup_keys, named_provider

__all__ = ["ENV", "LITELLM_ENV", "PRICES", "ModelPrice", "Tier", "registry"]

PRICES = Path(__file__).with_name("prices.json")
ENV = "RILLM_MODEL_COST_MAP"
LITELLM_ENV = "LITELLM_MODEL_COST_MAP"

# `input_cost_per_token_above_200k_tokens` and friends; service-tier variants (`..._tokens_priority`) are
# not matched and stay unused extras.
_TIER_KEY = re.compile(
    r"^(input_cost_per_token|output_cost_per_token|cache_read_input_token_cost|cache_creation_input_token_cost"
    r"|cache_creation_input_token_cost_above_1hr)_above_(\d+)(k?)_tokens$"
)
# Keys of a LiteLLM map that are not models.
_NOT_MODELS = frozenset({"sample_spec"})
# Sections whose keys are bare model names, as LiteLLM spells them (`gpt-4o`, `claude-sonnet-4-5`).
_BARE_SECTIONS = frozenset({"openai", "anthropic", "cohere"})


class Tier(BaseModel):
    """The rates of a request whose prompt (cache reads and writes included) is above `threshold` tokens.
    They replace the base rates for every token of that request, output included, as Anthropic, Google and
    OpenAI bill long prompts; a rate the tier leaves out keeps the base rate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: int
    input_cost_per_token: Optional[NonNegativeFloat] = None
    output_cost_per_token: Optional[NonNegativeFloat] = None
    cache_read_input_token_cost: Optional[NonNegativeFloat] = None
    cache_creation_input_token_cost: Optional[NonNegativeFloat] = None
    cache_creation_input_token_cost_above_1hr: Optional[NonNegativeFloat] = None


class ModelPrice(BaseModel):
    """One model's prices in LiteLLM's fields, USD per token. A rate left out falls back as documented in
    `rillm.cost`: cache reads and writes to the input rate, reasoning to the output rate."""

    model_config = ConfigDict(extra="allow", frozen=True)

    input_cost_per_token: Optional[NonNegativeFloat] = None
    output_cost_per_token: Optional[NonNegativeFloat] = None
    cache_read_input_token_cost: Optional[NonNegativeFloat] = None
    cache_creation_input_token_cost: Optional[NonNegativeFloat] = None
    cache_creation_input_token_cost_above_1hr: Optional[NonNegativeFloat] = None
    output_cost_per_reasoning_token: Optional[NonNegativeFloat] = None
    litellm_provider: Optional[str] = None
    tiers: tuple[Tier, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _collect_tiers(cls, data: Any) -> Any:
        """LiteLLM's flat `<rate>_above_<n>k_tokens` keys become `tiers`, lowest threshold first."""
        if not isinstance(data, Mapping):
            return data
        rest: dict[str, Any] = {}
        tiers: dict[int, dict[str, Any]] = {}
        for key, value in data.items():
            match = _TIER_KEY.match(key) if isinstance(key, str) else None
            if match is None:
                rest[key] = value
                continue
            threshold = int(match.group(2)) * (1000 if match.group(3) else 1)
            tiers.setdefault(threshold, {"threshold": threshold})[match.group(1)] = value
        if tiers:
            rest["tiers"] = [tiers[threshold] for threshold in sorted(tiers)]
        return rest

    @property
    def priced(self) -> bool:
        """Whether the entry has a token price at all (LiteLLM's map also lists per-image or per-second
        models, which are skipped)."""
        return self.input_cost_per_token is not None or self.output_cost_per_token is not None

    def tier_for(self, prompt_tokens: int) -> Optional[Tier]:
        """The tier of the highest threshold below `prompt_tokens`, if any."""
        found = None
        for tier in self.tiers:
            if prompt_tokens > tier.threshold:
                found = tier
        return found


class _Entry(ModelPrice):
    """A bundled entry: both token prices required and no unknown field, so a typo fails the tests instead
    of a bill. `source` overrides its section's page; `cross_checked` says what confirmed the numbers when
    the provider's own page could not be read."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input_cost_per_token: NonNegativeFloat
    output_cost_per_token: NonNegativeFloat
    source: Optional[str] = None
    cross_checked: Optional[str] = None


class _Section(BaseModel):
    """One provider's prices: the public page they were read from, and when."""

    model_config = ConfigDict(extra="forbid")

    source: str
    read: date
    note: Optional[str] = None
    models: dict[str, _Entry]

    @field_validator("source")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"source must be the provider's https:// pricing page, not {value!r}")
        return value


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", title="prices.json")

    providers: dict[str, _Section]

    @model_validator(mode="before")
    @classmethod
    def _comments(cls, data: Any) -> Any:
        """`_about` keys are comments."""
        return {k: v for k, v in data.items() if not k.startswith("_")} if isinstance(data, dict) else data

    @model_validator(mode="after")
    def _keys(self) -> "_PriceFile":
        seen: dict[str, str] = {}
        for name, section in self.providers.items():
            for key in section.models:
                bare = name in _BARE_SECTIONS
                if bare == ("/" in key) or not (bare or key.lower().startswith(name + "/")):
                    spelling = "bare names" if bare else f"'{name}/<model>'"
                    raise ValueError(f"providers.{name}.models.{key}: keys of {name} are {spelling}")
                if key.lower() in seen:
                    raise ValueError(f"providers.{name}.models.{key}: also listed under {seen[key.lower()]}")
                seen[key.lower()] = name
        return self


Entries = dict[str, tuple[dict[str, Any], ModelPrice]]
Index = tuple[dict[str, tuple[str, ModelPrice]], frozenset[str]]


def _bundled() -> Entries:
    """The bundled entries as LiteLLM dicts, each with its section's `litellm_provider` and `source`."""
    data = _json.loads(PRICES.read_text(encoding="utf-8"))
    _PriceFile.model_validate(data)
    entries: Entries = {}
    for name, section in data["providers"].items():
        for key, entry in section["models"].items():
            raw = {"litellm_provider": name, "source": section["source"], **entry}
            entries[key] = (raw, ModelPrice.model_validate(raw))
    return entries


def _env_files() -> list[Path]:
    """The local files the environment names: LiteLLM's variable only when it is a path (it is normally
    the URL LiteLLM downloads its map from), then rillm's, which therefore wins."""
    files = []
    litellm = os.environ.get(LITELLM_ENV, "").strip()
    if litellm and not litellm.lower().startswith(("http://", "https://")):
        files.append(Path(litellm).expanduser())
    own = os.environ.get(ENV, "").strip()
    if own:
        files.append(Path(own).expanduser())
    return files


def read_map(source: str) -> dict[str, Any]:
    """A LiteLLM-format map from a local JSON file or an http(s) URL (as `register_model(url)` takes)."""
    if source.lower().startswith(("http://", "https://")):
        import httpx

        data = _json.loads(httpx.get(source, timeout=30.0, follow_redirects=True).raise_for_status().content)
    else:
        data = _json.loads(Path(source).expanduser().read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"model cost map {source}: expected a JSON object of model name -> prices")
    return data


def _index(entries: Entries) -> Index:
    """Lowercased key -> (key, prices) for the entries that have a token price, and the key prefixes."""
    index = {key.lower(): (key, price) for key, (_, price) in entries.items() if price.priced}
    return index, frozenset(key.partition("/")[0] for key in index if "/" in key)


def _find(index: Index, names: Iterable[Optional[str]], provider: Optional[str]) -> Optional[tuple[str, ModelPrice]]:
    keys, prefixes = index
    for name in names:
        if not name:
            continue
        for key in lookup_keys(name, provider, prefixes):
            hit = keys.get(key)
            if hit is not None and accepts(hit[1].litellm_provider, provider or named_provider(name, prefixes)):
                return hit
    return None


def _merge(entries: Entries, mapping: Mapping[str, Any], origin: str) -> None:
    """Merge LiteLLM-format entries: a key already in the table is updated field by field (as LiteLLM's
    `register_model` does); a new key starts from the fields of the entry it resolves to today, so a dated
    or prefixed spelling keeps the prices it does not override."""
    index = _index(entries)
    keys = {key.lower(): key for key in entries}
    for key, fields in mapping.items():
        if key in _NOT_MODELS or key.startswith("_"):
            continue
        if not isinstance(fields, Mapping):
            raise ValueError(f"{origin}: entry {key!r}: expected an object of prices, not {fields!r}")
        canonical = keys.get(key.lower())
        if canonical is None:
            hit = _find(index, [key], None)
            raw = {**entries[hit[0]][0], **fields} if hit else dict(fields)
            canonical = key
        else:
            raw = {**entries[canonical][0], **fields}
        try:
            price = ModelPrice.model_validate(raw)
        except ValidationError as exc:
            raise ValueError(f"{origin}: entry {key!r}: {exc}") from exc
        entries[canonical] = (raw, price)
        keys[canonical.lower()] = canonical


class _Registry:
    """The merged table, built once under a lock on first use; `register` publishes a new copy."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: Optional[Entries] = None
        self._index: Index = ({}, frozenset())
        self._error: Optional[Exception] = None

    def find(self, names: Iterable[Optional[str]], provider: Optional[str]) -> Optional[tuple[str, ModelPrice]]:
        """The key and prices of the first name that resolves (rillm.cost._resolve), or None."""
        self._ensure()
        return _find(self._index, names, provider)

    def register(self, mapping: Mapping[str, Any], origin: str = "register_model") -> None:
        """Merge LiteLLM-format entries into the table (see `_merge`); nothing changes if one is invalid."""
        self._ensure()
        with self._lock:
            assert self._entries is not None
            entries = dict(self._entries)
            _merge(entries, mapping, origin)
            self._index = _index(entries)
            self._entries = entries

    def reset(self) -> None:
        """Forget everything: the next use reads the files and the environment again (tests use this)."""
        with self._lock:
            self._entries, self._index, self._error = None, ({}, frozenset()), None

    def _ensure(self) -> None:
        if self._entries is not None:
            return
        with self._lock:
            if self._entries is not None:
                return
            if self._error is not None:
                raise self._error
            try:
                entries = _bundled()
                for path in _env_files():
                    _merge(entries, read_map(str(path)), str(path))
            except Exception as exc:
                self._error = exc
                raise
            # The index first: a reader that sees the entries never sees the empty index.
            self._index = _index(entries)
            self._entries = entries


registry = _Registry()
