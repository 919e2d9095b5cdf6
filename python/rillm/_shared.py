"""Helpers both backends' chunk objects call on their cold paths: turning opaque values into what
`model_dump()` returns, building the pydantic `Usage`/`ChoiceLogprobs` a chunk's raw JSON becomes, and
normalising constructor keywords. The Rust pyclasses import this module; the fallback calls it directly,
so these behaviours are defined once.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

# rillm.types (pydantic) is imported where a model is first made, not at import: the twin imports this module
# when `import rillm` selects it, and `import rillm` stays free of pydantic (tests/test_import.py).
if TYPE_CHECKING:
    from rillm.types import Usage


def dump_value(value: Any, exclude_none: bool) -> Any:
    """What `model_dump()` puts for a value: models are dumped, lists and dicts are copied, leaves kept."""
    dump = getattr(value, "model_dump", None)
    if dump is not None and not isinstance(value, type):
        return dump(exclude_none=exclude_none)
    if isinstance(value, (list, tuple)):
        return [dump_value(v, exclude_none) for v in value]
    if isinstance(value, dict):
        return {k: dump_value(v, exclude_none) for k, v in value.items()}
    return value


def dumps(value: Any) -> str:
    """Compact JSON of a dumped value (what `model_dump_json()` writes)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def make_usage(data: Any) -> Usage:
    from rillm.types import Usage

    return Usage.model_validate(data)


# The counts `Usage` names, and those of its two details objects (rust/decode/usage.rs::COUNTS, DETAILS).
COUNTS = ("prompt_tokens", "completion_tokens", "total_tokens")
DETAILS = {
    "prompt_tokens_details": ("cached_tokens", "audio_tokens", "text_tokens", "image_tokens"),
    "completion_tokens_details": (
        "reasoning_tokens",
        "audio_tokens",
        "accepted_prediction_tokens",
        "rejected_prediction_tokens",
        "text_tokens",
        "image_tokens",
    ),
}
I64 = range(-(2**63), 2**63)


def check_usage(data: Any) -> dict[str, Any]:
    """A provider's usage of a shape the decoders do not take as it stands (rust/decode/usage.rs): validated
    by the `Usage` model, which raises a ValueError for one it refuses, and given in the checked form, so
    that the chunk's `Usage` can be made when it is first read. Both backends call this."""
    from rillm.types import Usage

    return reasoning_apart(usage_fields(Usage.model_validate(data)))


def reasoning_apart(usage: dict[str, Any]) -> dict[str, Any]:
    """OpenAI's shape for a usage whose total says reasoning was counted apart (xAI: `total_tokens` = prompt +
    completion + `completion_tokens_details.reasoning_tokens`, where OpenAI's completion count includes the
    reasoning): a copy with `completion_tokens` raised by the reasoning tokens; the usage itself when the rule
    does not apply (a count missing, null or not an int, negative counts, no reasoning, or a total that does
    not say so). Twin: rust/decode/usage.rs::reasoning_apart (the twin's decoder calls this one too)."""
    prompt, completion, total = usage.get("prompt_tokens"), usage.get("completion_tokens"), usage.get("total_tokens")
    details = usage.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if type(details) is dict else None
    if type(prompt) is not int or type(completion) is not int or type(total) is not int or type(reasoning) is not int:
        return usage
    if prompt < 0 or completion < 0 or reasoning <= 0 or total != prompt + completion + reasoning:
        return usage
    return {**usage, "completion_tokens": completion + reasoning}


def usage_fields(value: Any) -> dict[str, Any]:
    """A usage value (a `Usage`, or what one is made from) as the checked dict its `model_dump()` is; its
    counts must fit in 64 bits, as the Rust core keeps them (a ValueError otherwise)."""
    from rillm.types import Usage

    usage = value if isinstance(value, Usage) else Usage.model_validate(value)
    fields = usage.model_dump()
    for name in COUNTS:
        _check_count(name, fields[name])
    for name, counts in DETAILS.items():
        details = fields[name]
        if details is not None:
            for count in counts:
                _check_count(f"{name}.{count}", details.get(count))
    return fields


def _check_count(name: str, value: Any) -> None:
    if value is not None and value not in I64:
        raise ValueError(f"usage `{name}` is out of range: token counts must fit in 64 bits")


def make_logprobs(data: Any) -> Any:
    """`ChoiceLogprobs` when the provider's value is one; otherwise the value as sent (a dump must never
    fail on provider data, and nothing is lost)."""
    from rillm.types import ChoiceLogprobs

    try:
        return ChoiceLogprobs.model_validate(data)
    except ValueError:
        return data


# Token counts are 64-bit signed integers. A count the provider reports must fit (the decoders refuse a larger
# one); a count rillm computes as a sum (Anthropic's and Bedrock's prompt tokens, Gemini's, a total) saturates
# at these bounds, as the Rust core's `i64::saturating_add` does (rust/decode/to_openai.rs::UsageJson).
I64_MIN = -(2**63)
I64_MAX = 2**63 - 1


def saturating_sum(*counts: int) -> int:
    """The sum of token counts, held within a signed 64-bit integer's bounds (the Rust core's rule)."""
    return min(I64_MAX, max(I64_MIN, sum(counts)))


def new_response_id() -> str:
    """A fresh response id, as LiteLLM makes for a provider that sends none."""
    return f"chatcmpl-{uuid.uuid4()}"


def prepare(kind: str, kwargs: dict[str, Any]) -> str:
    """Constructor keywords as the JSON the decoder reads, so `Delta(content="x")` and a decoded delta go
    through the same rules. A chunk gets LiteLLM's defaults: a fresh `chatcmpl-` id and the current time."""
    data = {k: dump_value(v, False) for k, v in kwargs.items()}
    if kind == "chunk":
        data.setdefault("id", new_response_id())
        data.setdefault("created", int(time.time()))
    return json.dumps(data, ensure_ascii=False)
