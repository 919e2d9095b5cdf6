"""Which price-table keys a model name is looked up under, best first.

Providers name one model many ways: dated snapshots (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`,
`claude-sonnet-4-5@20250929` on Vertex), Bedrock ids with a geography and a version
(`us.anthropic.claude-sonnet-4-5-20250929-v1:0`), Gemini's resource path (`models/gemini-2.5-flash`), LiteLLM
provider prefixes (`groq/llama-3.3-70b-versatile`, `bedrock/converse/...`) and resellers' vendor paths
(`openrouter/anthropic/claude-sonnet-4.5`). `lookup_keys()` turns one name into the list of table keys to
try; the caller takes the first one the table has. The rules, in order:

1. The name as given (an exact key always wins, so a dated snapshot priced apart, like `gpt-4o-2024-05-13`,
   or a key added with `register_model`, is found before any reduction).
2. The provider: the `provider` argument, else the name's first path segment when it is a provider prefix
   of the table. The provider's own keys (`groq/...`) are tried before the vendor's first-party keys.
3. Reductions, each applied to the result of the one before: drop a Bedrock route (`converse/`); drop
   `models/`; drop an AWS region segment
   (`us-east-1/`); drop a Bedrock version (`-v1:0`, `:0`); drop a date or `-latest` (`-2024-08-06`,
   `-20250929`, `@20250929`, `-001`); drop a Bedrock geography (`us.`, `eu.`, `apac.`, `global.`, ...);
   Claude's dotted versions become hyphens (`claude-sonnet-4.5` -> `claude-sonnet-4-5`).
4. The bare forms (OpenAI's, Anthropic's and Cohere's keys are bare), then a vendor inside the name
   (`anthropic/` at OpenRouter, `anthropic.` at Bedrock) under that vendor's prefix, then a bare name of a
   first-party family (`gemini-*`, `grok-*`, `deepseek-*`, Mistral's) under its maker's prefix, so
   `vertex_ai/gemini-2.5-flash` finds `gemini/gemini-2.5-flash`.
5. `accepts()` then keeps a maker's entry only when the call went to no known provider, to that maker, or
   to a reseller that bills at the maker's list price (`PASS_THROUGH`: OpenRouter, Azure, Bedrock, Vertex
   AI, a LiteLLM proxy). A self-hosted or third-party host (`hosted_vllm/gpt-4o`, `groq/...`) is priced by
   its own entries, or by entries that name no provider (a bare `register_model` key), never at a maker's
   list price.

Keys are compared case-insensitively (`lookup_keys` returns them lowercased). No I/O and no table here.
"""

from __future__ import annotations

import re
from collections.abc import Collection

__all__ = ["PASS_THROUGH", "PROVIDER_ALIASES", "VENDORS", "accepts", "lookup_keys", "named_provider", "provider_prefix"]

# LiteLLM provider names that price under another prefix of the table (a row of rillm's provider table,
# such as `bedrock/converse`, is reduced to its first segment before this).
PROVIDER_ALIASES = {
    "cohere_chat": "cohere",
    "text-completion-openai": "openai",
    "azure_text": "azure",
    "bedrock_converse": "bedrock",
    "gemini_chat": "gemini",
    "together": "together_ai",
    "fireworks": "fireworks_ai",
    "x-ai": "xai",
    "google": "gemini",
    "mistralai": "mistral",
}

# Vendor segments inside a reseller's model name, and the table prefix of the vendor's own API.
VENDORS = {
    "anthropic": "anthropic",
    "openai": "openai",
    "google": "gemini",
    "x-ai": "xai",
    "xai": "xai",
    "mistralai": "mistral",
    "mistral": "mistral",
    "deepseek": "deepseek",
    "cohere": "cohere",
}

# First-party families a bare name belongs to (rule 5); OpenAI's, Anthropic's and Cohere's keys are bare.
_FAMILIES = (
    (re.compile(r"^gemini-"), "gemini"),
    (re.compile(r"^grok-"), "xai"),
    (re.compile(r"^deepseek-(chat|reasoner|v\d)"), "deepseek"),
    (re.compile(r"^(mistral|magistral|ministral|codestral|devstral|pixtral|open-mistral)"), "mistral"),
)

# Providers whose table keys are bare: their prefix is dropped rather than prepended.
_BARE = frozenset({"openai", "anthropic", "cohere"})

# Resellers that bill a maker's model at the maker's list price (rule 5).
PASS_THROUGH = frozenset({"openrouter", "azure", "azure_ai", "bedrock", "vertex_ai", "vertex_ai_beta", "litellm_proxy"})

_ROUTE = re.compile(r"^(?:converse|invoke)/")
_REGION_SEGMENT = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d+/")
_BEDROCK_VERSION = re.compile(r"(?:-v\d+)?:\d+$|-v\d+$")
_DATE = re.compile(r"(?:-\d{4}-\d{2}-\d{2}|-\d{8}|@\d{8}|-latest|-\d{3})$")
_GEOGRAPHY = re.compile(r"^(?:us|eu|apac|ap|au|jp|ca|global|us-gov)\.")
_VENDOR_DOT = re.compile(r"^([a-z0-9-]+)\.(?=[a-z])")
_DIGIT_DOT = re.compile(r"(?<=\d)\.(?=\d)")


def provider_prefix(provider: str | None) -> str | None:
    """The table prefix a LiteLLM provider name prices under: `bedrock/converse` -> `bedrock`."""
    if not provider:
        return None
    head = provider.lower().split("/", 1)[0]
    return PROVIDER_ALIASES.get(head, head)


def lookup_keys(model: str, provider: str | None = None, prefixes: Collection[str] = ()) -> list[str]:
    """The table keys to try for `model`, best first, lowercased. `provider` is the LiteLLM provider the
    call went to, when known; `prefixes` are the provider prefixes the table uses (a first segment that is
    one of them, or of `VENDORS`, is read as the provider)."""
    out: list[str] = []
    _collect(model.strip().lower(), provider_prefix(provider), frozenset(prefixes), out)
    return list(dict.fromkeys(out))


def named_provider(name: str, prefixes: Collection[str]) -> str | None:
    """The provider a name's first segment names, if it names one: `groq/llama-3.3-70b` -> `groq`,
    `x-ai/grok-4.5` -> `xai`; `models/gemini-2.5-flash` and `meta-llama/...` name none."""
    head, slash, _ = name.strip().lower().partition("/")
    if slash and (head in prefixes or head in VENDORS or head in PROVIDER_ALIASES or head in PASS_THROUGH):
        return PROVIDER_ALIASES.get(head, head)
    return None


def _collect(name: str, provider: str | None, prefixes: frozenset[str], out: list[str]) -> None:
    out.append(name)
    named = named_provider(name, prefixes)
    if named is not None and (provider is None or provider == named):
        provider, name = named, name.partition("/")[2]
    elif provider and name.startswith(provider + "/"):
        name = name[len(provider) + 1 :]
    forms = _forms(name)
    if provider and provider not in _BARE:
        out.extend(f"{provider}/{form}" for form in forms)
    out.extend(forms)
    for form in forms:
        _vendor_fallback(form, prefixes, out)
    for form in forms:
        out.extend(f"{maker}/{form}" for pattern, maker in _FAMILIES if "/" not in form and pattern.search(form))


def accepts(entry_provider: str | None, provider: str | None) -> bool:
    """Rule 5: whether an entry of `entry_provider` may price a call that went to `provider`."""
    provider = provider_prefix(provider)
    return (
        provider is None
        or entry_provider is None
        or provider in PASS_THROUGH
        or provider_prefix(entry_provider) == provider
    )


def _forms(name: str) -> list[str]:
    """The name and its reductions (rule 3), most specific first."""
    forms = [name]
    for reduce in (
        _drop_route,
        _drop_models,
        _drop_region,
        _drop_version,
        _drop_date,
        _drop_geography,
        _claude_hyphens,
    ):
        reduced = reduce(forms[-1])
        if reduced != forms[-1] and reduced:
            forms.append(reduced)
    return forms


def _vendor_fallback(form: str, prefixes: frozenset[str], out: list[str]) -> None:
    """Rule 4: `anthropic/claude-x` (OpenRouter) or `anthropic.claude-x` (Bedrock) -> the vendor's key."""
    head, slash, rest = form.partition("/")
    if not slash:
        match = _VENDOR_DOT.match(form)
        if match is None or match.group(1) not in VENDORS:
            return
        head, rest = match.group(1), form[match.end() :]
    if head not in VENDORS:
        return
    _collect(rest, VENDORS[head], prefixes, out)


def _drop_route(name: str) -> str:
    """LiteLLM's Bedrock routes: `bedrock/converse/<id>`, `bedrock/invoke/<id>`."""
    return _ROUTE.sub("", name, count=1)


def _drop_models(name: str) -> str:
    return name[len("models/") :] if name.startswith("models/") else name


def _drop_region(name: str) -> str:
    return _REGION_SEGMENT.sub("", name, count=1)


def _drop_version(name: str) -> str:
    return _BEDROCK_VERSION.sub("", name, count=1)


def _drop_date(name: str) -> str:
    return _DATE.sub("", name, count=1)


def _drop_geography(name: str) -> str:
    return _GEOGRAPHY.sub("", name, count=1)


def _claude_hyphens(name: str) -> str:
    """`claude-sonnet-4.5` and `claude-3.5-sonnet` (OpenRouter's spelling) -> Anthropic's hyphens."""
    return _DIGIT_DOT.sub("-", name) if "claude-" in name else name
