"""The price table itself: which entry prices a model name (rillm.cost._resolve, as a table), the bundled
file's coverage and sources, and the errors a bad table gives."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rillm import cost
from rillm.cost import _table
from rillm.cost._resolve import lookup_keys
from tests.test_cost import TABLE, fresh_table, usage

__all__ = ["fresh_table"]  # the autouse fixture, shared with tests/test_cost.py


# -- which entry prices a name ---------------------------------------------------------------------------------

RESOLUTION = [
    ("gpt-4o-2024-08-06", None, "gpt-4o"),
    ("gpt-4o-2024-05-13", None, "gpt-4o-2024-05-13"),
    ("openai/gpt-4.1-mini-2025-04-14", None, "gpt-4.1-mini"),
    ("claude-sonnet-4-5-20250929", None, "claude-sonnet-4-5"),
    ("anthropic/claude-3-5-haiku-latest", None, "claude-3-5-haiku"),
    ("CLAUDE-HAIKU-4-5", None, "claude-haiku-4-5"),
    ("claude-sonnet-4-5@20250929", "vertex_ai", "claude-sonnet-4-5"),
    ("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", None, "bedrock/anthropic.claude-sonnet-4-5"),
    ("anthropic.claude-sonnet-4-5-20250929-v1:0", "bedrock", "bedrock/anthropic.claude-sonnet-4-5"),
    ("global.anthropic.claude-sonnet-5-5", "bedrock/converse", "bedrock/global.anthropic.claude-sonnet-5-5"),
    ("bedrock/converse/anthropic.claude-opus-4-1-20250805-v1:0", None, "claude-opus-4-1"),
    ("bedrock/us-east-1/amazon.nova-pro-v1:0", None, "bedrock/amazon.nova-pro"),
    ("models/gemini-2.5-flash", "gemini", "gemini/gemini-2.5-flash"),
    ("gemini/gemini-2.0-flash-001", None, "gemini/gemini-2.0-flash"),
    ("vertex_ai/gemini-2.5-pro", None, "gemini/gemini-2.5-pro"),
    ("openrouter/anthropic/claude-sonnet-4.5", None, "openrouter/anthropic/claude-sonnet-4.5"),
    ("anthropic/claude-haiku-4.5", "openrouter", "claude-haiku-4-5"),
    ("openrouter/google/gemini-2.5-flash", None, "gemini/gemini-2.5-flash"),
    ("openrouter/x-ai/grok-4.5", None, "xai/grok-4.5"),
    ("groq/llama-3.3-70b-versatile", None, "groq/llama-3.3-70b-versatile"),
    ("openai/gpt-oss-120b", "groq", "groq/openai/gpt-oss-120b"),
    ("azure/gpt-4o", None, "azure/gpt-4o"),
    ("gpt-4o-2024-08-06", "azure", "azure/gpt-4o"),
    ("gpt-6.2-sol", "azure", "gpt-6.2-sol"),
    ("cohere_chat/command-a-03-2025", None, "command-a-03-2025"),
    ("mistral/codestral-latest", None, "mistral/codestral-latest"),
    ("deepseek-flash", "deepseek", "deepseek/deepseek-flash"),
    ("grok-4.5", "xai", "xai/grok-4.5"),
    (
        "together_ai/meta-llama/llama-3.3-70b-instruct-turbo",
        None,
        "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo",
    ),
    ("accounts/fireworks/models/kimi-k3", "fireworks_ai", "fireworks_ai/accounts/fireworks/models/kimi-k3"),
    ("perplexity/sonar-pro", None, "perplexity/sonar-pro"),
    # A self-hosted or third-party host is priced by its own entries only, never at a maker's list price.
    ("hosted_vllm/gpt-4o", None, None),
    ("gpt-4o", "groq", None),
    ("ollama/llama3.1", None, None),
    ("openrouter/meta-llama/llama-3.3-70b-instruct:free", None, None),
    ("no-such-model", None, None),
]


@pytest.mark.parametrize(("model", "provider", "key"), RESOLUTION)
def test_resolution(model: str, provider: str | None, key: str | None) -> None:
    hit = _table.registry.find([model], provider)
    assert (hit[0] if hit else None) == key


def test_lookup_keys_order_for_a_bedrock_profile() -> None:
    assert lookup_keys("bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0", None, {"bedrock"})[:5] == [
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        "bedrock/us.anthropic.claude-sonnet-4-5-20250929",
        "bedrock/us.anthropic.claude-sonnet-4-5",
        "bedrock/anthropic.claude-sonnet-4-5",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ]


# -- the bundled table -----------------------------------------------------------------------------------------

PROVIDERS = [
    *"openai azure anthropic gemini bedrock groq mistral".split(),
    *"deepseek xai cohere openrouter perplexity together_ai fireworks_ai".split(),
]


def test_the_bundled_table_covers_the_providers_and_cites_a_page_for_each() -> None:
    sections = TABLE["providers"]
    assert set(PROVIDERS) <= set(sections)
    for name, section in sections.items():
        assert section["source"].startswith("https://") and date.fromisoformat(section["read"]), name
        for key, entry in section["models"].items():
            assert entry["input_cost_per_token"] < 1e-3 and entry["output_cost_per_token"] < 1e-3, key
    assert len(sections["openai"]["models"]) >= 20 and len(sections["anthropic"]["models"]) >= 15


def bad_table(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, section: str, key: str, entry: dict[str, Any]) -> str:
    data = json.loads(json.dumps(TABLE))
    data["providers"][section]["models"][key] = entry
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(_table, "PRICES", path)
    with pytest.raises(ValueError) as info:
        cost.completion_cost(usage=usage(1, 1), model="gpt-4o")
    return str(info.value)


@pytest.mark.parametrize(
    ("section", "key", "entry", "message"),
    [
        (
            "openai",
            "gpt-x",
            {"input_cost_per_token": "cheap", "output_cost_per_token": 1e-6},
            "providers.openai.models.gpt-x.input_cost_per_token",
        ),
        ("openai", "gpt-x", {"input_cost_per_token": 1e-6}, "providers.openai.models.gpt-x.output_cost_per_token"),
        (
            "openai",
            "gpt-x",
            {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6, "cache_read_cost": 1e-7},
            "gpt-x.cache_read_cost",
        ),
        (
            "groq",
            "gpt-x",
            {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
            "providers.groq.models.gpt-x: keys of groq are 'groq/<model>'",
        ),
        (
            "openai",
            "groq/x",
            {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
            "providers.openai.models.groq/x: keys of openai are bare names",
        ),
        (
            "azure",
            "GPT-4O",
            {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
            "azure.models.GPT-4O: keys of azure are 'azure/<model>'",
        ),
        (
            "anthropic",
            "GPT-4O",
            {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-6},
            "also listed under openai",
        ),
    ],
)
def test_a_bad_table_names_the_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, section: str, key: str, entry: dict[str, Any], message: str
) -> None:
    assert message in bad_table(monkeypatch, tmp_path, section, key, entry)


def test_the_recheck_script_compares_through_the_resolution_rules(tmp_path: Path) -> None:
    from tests import check_prices

    entries = _table._bundled()
    litellm_like = {
        "sample_spec": {"input_cost_per_token": "the price"},
        "gpt-4o-2024-08-06": {
            "input_cost_per_token": 2.5e-06,
            "output_cost_per_token": 1e-05,
            "litellm_provider": "openai",
        },
        "us.anthropic.claude-haiku-4-5-20251001-v1:0": {"input_cost_per_token": 1e-06, "litellm_provider": "bedrock"},
        "unpriced-elsewhere": {"input_cost_per_token": 1.0, "litellm_provider": "openai"},
    }
    differences, unreached = check_prices.compare(entries, litellm_like)
    # LiteLLM's regional Haiku 4.5 at the list price differs from the table's +10% geographic rate.
    assert differences == [
        "us.anthropic.claude-haiku-4-5-20251001-v1:0 -> bedrock/anthropic.claude-haiku-4-5 input_cost_per_token: "
        "ours 1.1, theirs 1 $/MTok"
    ]
    assert "gpt-4o" not in unreached and "claude-opus-5" in unreached
    path = tmp_path / "map.json"
    path.write_text(json.dumps(litellm_like), encoding="utf-8")
    assert check_prices.main([str(path)]) == 1
