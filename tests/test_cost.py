"""Cost computation (rillm.cost): bills checked against arithmetic on the bundled table's own numbers, the
name-resolution rules as a table, register_model and the environment's cost maps, unknown models, the
table's validation, and that `import rillm` leaves the table alone."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm import cost
from rillm.cost import _table
from rillm.types import ModelResponse, Usage

TABLE = json.loads(_table.PRICES.read_text(encoding="utf-8"))
ENTRIES = {key: entry for section in TABLE["providers"].values() for key, entry in section["models"].items()}


def rate(key: str, field: str) -> float:
    """A per-token price as the bundled file writes it: the arithmetic below uses the table's numbers."""
    value = ENTRIES[key][field]
    assert isinstance(value, float)
    return value


@pytest.fixture(autouse=True)
def fresh_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from the bundled table alone and leaves nothing registered behind."""
    monkeypatch.delenv(_table.ENV, raising=False)
    monkeypatch.delenv(_table.LITELLM_ENV, raising=False)
    _table.registry.reset()
    cost._WARNED.clear()
    yield
    _table.registry.reset()
    cost._WARNED.clear()


def usage(prompt: int, completion: int, cached: int = 0, write: int = 0, reasoning: int = 0, **extra: Any) -> Usage:
    details: dict[str, Any] = {"cached_tokens": cached, "cache_creation_tokens": write, **extra}
    return Usage.model_validate(
        {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": details,
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    )


# -- bills ---------------------------------------------------------------------------------------------------


def test_litellm_documented_gpt_4o_example() -> None:
    # Spec §7.3: prompt 10 (4 cached), completion 20 -> 6 x 2.5e-6 + 4 x 1.25e-6 + 20 x 1e-5 = 0.00022.
    assert cost.completion_cost(usage=usage(10, 20, cached=4), model="gpt-4o") == pytest.approx(0.00022)
    assert cost.cost_per_token(model="gpt-4o", prompt_tokens=10, completion_tokens=20, cache_read_input_tokens=4) == (
        pytest.approx(2e-05),
        pytest.approx(2e-04),
    )


def test_openai_cached_cache_write_and_reasoning_tokens() -> None:
    # 10,000 prompt tokens: 4,000 read from cache, 1,000 written to it; 3,000 completion tokens, 2,000 of
    # them reasoning. GPT-6.2 Sol has no reasoning rate, so reasoning bills at the output rate.
    key = "gpt-6.2-sol"
    expected = (
        5_000 * rate(key, "input_cost_per_token")
        + 4_000 * rate(key, "cache_read_input_token_cost")
        + 1_000 * rate(key, "cache_creation_input_token_cost")
        + 3_000 * rate(key, "output_cost_per_token")
    )
    got = cost.completion_cost(
        usage=usage(10_000, 3_000, cached=4_000, reasoning=2_000, cache_write_tokens=1_000), model=key
    )
    assert got == pytest.approx(expected)
    assert expected == pytest.approx(5_000 * 2e-6 + 4_000 * 1e-7 + 1_000 * 2.5e-6 + 3_000 * 1e-5)


def test_openai_long_prompt_bills_the_whole_request_at_the_tier() -> None:
    key = "gpt-6.2-sol"
    short = usage(272_000, 1_000)
    long = usage(272_001, 1_000, cached=72_001)
    assert cost.completion_cost(usage=short, model=key) == pytest.approx(
        272_000 * rate(key, "input_cost_per_token") + 1_000 * rate(key, "output_cost_per_token")
    )
    assert cost.completion_cost(usage=long, model=key) == pytest.approx(
        200_000 * rate(key, "input_cost_per_token_above_272k_tokens")
        + 72_001 * rate(key, "cache_read_input_token_cost_above_272k_tokens")
        + 1_000 * rate(key, "output_cost_per_token_above_272k_tokens")
    )


def sse(event: str, **data: Any) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (event.encode(), json.dumps({"type": event, **data}).encode())


ANTHROPIC_USAGE = {"input_tokens": 100, "cache_creation_input_tokens": 1_000, "cache_read_input_tokens": 5_000}
ANTHROPIC_STREAM = b"".join(
    [
        sse("message_start", message={"id": "msg_1", "type": "message", "role": "assistant", "content": [],
                                      "model": "claude-sonnet-4-5-20250929",
                                      "usage": {**ANTHROPIC_USAGE, "output_tokens": 1}}),
        sse("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        sse("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hi"}),
        sse("content_block_stop", index=0),
        sse("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 200}),
        sse("message_stop"),
    ]
)  # fmt: skip


def test_anthropic_cache_read_and_write_from_the_decoder_are_billed_once() -> None:
    # The decoder counts prompt_tokens as input + cache writes + cache reads (as LiteLLM does), and the bill
    # takes each part once: 100 at the input rate, 1,000 at the write rate, 5,000 at the read rate.
    decoder = rillm.StreamDecoder("anthropic")
    response = rillm.stream_chunk_builder([*decoder.feed(ANTHROPIC_STREAM), *decoder.finish()])
    assert response is not None and response.usage is not None
    assert response.usage.prompt_tokens == 6_100
    key = "claude-sonnet-4-5"
    expected = (
        100 * rate(key, "input_cost_per_token")
        + 1_000 * rate(key, "cache_creation_input_token_cost")
        + 5_000 * rate(key, "cache_read_input_token_cost")
        + 200 * rate(key, "output_cost_per_token")
    )
    assert cost.completion_cost(response) == pytest.approx(expected)
    assert expected == pytest.approx(100 * 3e-6 + 1_000 * 3.75e-6 + 5_000 * 3e-7 + 200 * 1.5e-5)


def test_anthropic_one_hour_cache_writes() -> None:
    key = "claude-haiku-4-5"
    hour = {"cache_creation_token_details": {"ephemeral_5m_input_tokens": 600, "ephemeral_1h_input_tokens": 400}}
    got = cost.completion_cost(usage=usage(1_100, 10, write=1_000, **hour), model=key)
    assert got == pytest.approx(
        100 * rate(key, "input_cost_per_token")
        + 600 * rate(key, "cache_creation_input_token_cost")
        + 400 * rate(key, "cache_creation_input_token_cost_above_1hr")
        + 10 * rate(key, "output_cost_per_token")
    )


def test_claude_haiku_5_5_prompt_band_counts_cache_tokens() -> None:
    key = "claude-haiku-5-5"
    at_threshold = usage(100_000, 100, cached=40_000)
    above = usage(100_001, 100, cached=40_000)
    assert cost.completion_cost(usage=at_threshold, model=key) == pytest.approx(
        60_000 * rate(key, "input_cost_per_token")
        + 40_000 * rate(key, "cache_read_input_token_cost")
        + 100 * rate(key, "output_cost_per_token")
    )
    assert cost.completion_cost(usage=above, model=key) == pytest.approx(
        60_001 * rate(key, "input_cost_per_token_above_100k_tokens")
        + 40_000 * rate(key, "cache_read_input_token_cost_above_100k_tokens")
        + 100 * rate(key, "output_cost_per_token_above_100k_tokens")
    )


def test_gemini_thoughts_are_output_tokens_and_long_prompts_change_tier() -> None:
    # Gemini's decoder puts thoughts in completion_tokens and in reasoning_tokens: billed at the output rate.
    key = "gemini/gemini-2.5-pro"
    got = cost.completion_cost(usage=usage(1_000, 1_000, cached=200, reasoning=700), model="gemini/gemini-2.5-pro")
    assert got == pytest.approx(
        800 * rate(key, "input_cost_per_token")
        + 200 * rate(key, "cache_read_input_token_cost")
        + 1_000 * rate(key, "output_cost_per_token")
    )
    long = cost.completion_cost(
        usage=usage(250_000, 1_000), model="models/gemini-2.5-pro", custom_llm_provider="gemini"
    )
    assert long == pytest.approx(
        250_000 * rate(key, "input_cost_per_token_above_200k_tokens")
        + 1_000 * rate(key, "output_cost_per_token_above_200k_tokens")
    )


def test_a_reasoning_rate_bills_reasoning_tokens_apart() -> None:
    key = "perplexity/sonar-deep-research"
    got = cost.completion_cost(usage=usage(1_000, 5_000, reasoning=4_000), model=key)
    assert got == pytest.approx(
        1_000 * rate(key, "input_cost_per_token")
        + 1_000 * rate(key, "output_cost_per_token")
        + 4_000 * rate(key, "output_cost_per_reasoning_token")
    )


def test_bedrock_geographic_profiles_cost_ten_percent_more_than_global() -> None:
    u = usage(2_000, 500, cached=1_000)
    regional = cost.completion_cost(usage=u, model="bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0")
    global_ = cost.completion_cost(
        usage=u, model="global.anthropic.claude-sonnet-4-5-20250929-v1:0", custom_llm_provider="bedrock"
    )
    key = "bedrock/anthropic.claude-sonnet-4-5"
    assert regional == pytest.approx(
        1_000 * rate(key, "input_cost_per_token")
        + 1_000 * rate(key, "cache_read_input_token_cost")
        + 500 * rate(key, "output_cost_per_token")
    )
    assert regional == pytest.approx(global_ * 1.1)
    assert global_ == pytest.approx(cost.completion_cost(usage=u, model="claude-sonnet-4-5"))


def test_deepseek_cache_hits_from_its_own_usage_fields() -> None:
    # DeepSeek reports prompt_cache_hit_tokens / prompt_cache_miss_tokens; rillm's Usage reads the hits as cached.
    raw = {
        "prompt_tokens": 10_000,
        "completion_tokens": 800,
        "prompt_cache_hit_tokens": 9_000,
        "prompt_cache_miss_tokens": 1_000,
    }
    key = "deepseek/deepseek-flash"
    expected = (
        1_000 * rate(key, "input_cost_per_token")
        + 9_000 * rate(key, "cache_read_input_token_cost")
        + 800 * rate(key, "output_cost_per_token")
    )
    assert cost.completion_cost(
        {"model": "deepseek-flash", "usage": raw}, custom_llm_provider="deepseek"
    ) == pytest.approx(expected)
    assert cost.cost_of_usage(Usage.model_validate(raw), model="deepseek/deepseek-flash") == pytest.approx(expected)


def test_openrouter_names_price_at_openrouter_or_at_the_maker() -> None:
    u = usage(1_000, 100)
    listed = cost.completion_cost(usage=u, model="openrouter/anthropic/claude-sonnet-4.5")
    key = "openrouter/anthropic/claude-sonnet-4.5"
    assert listed == pytest.approx(1_000 * rate(key, "input_cost_per_token") + 100 * rate(key, "output_cost_per_token"))
    # Not listed under openrouter/: OpenRouter bills Anthropic's list price.
    maker = cost.completion_cost(usage=u, model="openrouter/anthropic/claude-haiku-4.5")
    assert maker == pytest.approx(cost.completion_cost(usage=u, model="claude-haiku-4-5"))


def test_counts_that_contradict_are_clamped_not_billed_twice() -> None:
    key = "gpt-4o"
    assert cost.completion_cost(usage=usage(100, 10, cached=500, reasoning=50), model=key) == pytest.approx(
        100 * rate(key, "cache_read_input_token_cost") + 10 * rate(key, "output_cost_per_token")
    )


def test_custom_cost_per_token_needs_no_table_entry() -> None:
    prices = {"input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
    assert cost.completion_cost(usage=usage(10, 5), model="local-llm", custom_cost_per_token=prices) == pytest.approx(
        2e-5
    )


def test_the_returned_model_is_looked_up_before_the_requested_one() -> None:
    u = usage(1_000, 100)
    # An Azure deployment name resolves nothing; the model Azure returns does.
    assert cost.cost_of_usage(u, model="gpt-4o-2024-08-06", requested_model="my-deployment", provider="azure") == (
        pytest.approx(cost.completion_cost(usage=u, model="azure/gpt-4o"))
    )
    response = ModelResponse(model="gpt-4o-mini-2024-07-18", usage=u)
    assert cost.completion_cost(response, model="gpt-4o") == pytest.approx(
        cost.completion_cost(usage=u, model="gpt-4o-mini")
    )
    assert cost.cost_of_usage(u, model=None, requested_model="gpt-4o") == pytest.approx(
        cost.completion_cost(usage=u, model="gpt-4o")
    )


# -- register_model and the environment's maps ---------------------------------------------------------------


def test_register_model_adds_and_overrides_field_by_field() -> None:
    u = usage(1_000, 100)
    new = {"my-model": {"input_cost_per_token": 1e-6, "output_cost_per_token": 3e-6, "litellm_provider": "openai"}}
    assert cost.register_model(new) is new
    assert cost.completion_cost(usage=u, model="my-model") == pytest.approx(1_000 * 1e-6 + 100 * 3e-6)
    # An existing key keeps the fields the call leaves out (LiteLLM's register_model updates in place).
    cost.register_model({"gpt-4o": {"input_cost_per_token": 1e-6}})
    assert cost.completion_cost(usage=u, model="gpt-4o") == pytest.approx(
        1_000 * 1e-6 + 100 * rate("gpt-4o", "output_cost_per_token")
    )
    # A new spelling starts from the entry it resolves to: azure/gpt-4.1 keeps gpt-4.1's output price.
    cost.register_model({"azure/gpt-4.1-2025-04-14": {"input_cost_per_token": 5e-7}})
    assert cost.completion_cost(usage=u, model="gpt-4.1-2025-04-14", custom_llm_provider="azure") == pytest.approx(
        1_000 * 5e-7 + 100 * rate("azure/gpt-4.1", "output_cost_per_token")
    )


def test_register_model_validates_every_entry_before_changing_anything() -> None:
    bad = {"fine-model": {"input_cost_per_token": 1e-6}, "bad-model": {"input_cost_per_token": "a lot"}}
    with pytest.raises(ValueError, match=r"(?s)register_model: entry 'bad-model'.*input_cost_per_token"):
        cost.register_model(bad)
    with pytest.raises(ValueError, match="entry 'neg'"):
        cost.register_model({"neg": {"input_cost_per_token": -1e-6}})
    with pytest.raises(cost.ModelNotMappedError):
        cost.completion_cost(usage=usage(1, 1), model="fine-model")


def test_register_model_reads_a_file_in_litellm_format(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    entry = {"input_cost_per_token": 2e-6, "output_cost_per_token": 4e-6, "mode": "chat", "max_tokens": 8192}
    path.write_text(json.dumps({"sample_spec": {"input_cost_per_token": "n/a"}, "hosted_vllm/mine": entry}))
    cost.register_model(str(path))
    assert cost.completion_cost(usage=usage(10, 10), model="hosted_vllm/mine") == pytest.approx(6e-5)


def write_map(path: Path, prices: dict[str, Any]) -> str:
    path.write_text(json.dumps(prices), encoding="utf-8")
    return str(path)


def test_the_environment_maps_extend_and_override_the_bundled_table(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ours = write_map(
        tmp_path / "rillm.json",
        {"gpt-4o": {"output_cost_per_token": 1e-4}, "house-model": {"input_cost_per_token": 1e-6}},
    )
    theirs = write_map(
        tmp_path / "litellm.json", {"gpt-4o": {"output_cost_per_token": 9e-4}, "other": {"input_cost_per_token": 7e-6}}
    )
    monkeypatch.setenv(_table.ENV, ours)
    monkeypatch.setenv(_table.LITELLM_ENV, theirs)
    u = usage(1_000, 10)
    # RILLM_MODEL_COST_MAP is merged last, so it wins over LITELLM_MODEL_COST_MAP; fields it leaves out stay.
    assert cost.completion_cost(usage=u, model="gpt-4o") == pytest.approx(
        1_000 * rate("gpt-4o", "input_cost_per_token") + 10 * 1e-4
    )
    assert cost.completion_cost(usage=u, model="house-model") == pytest.approx(1e-3)
    assert cost.completion_cost(usage=u, model="other") == pytest.approx(7e-3)


def test_litellm_map_as_a_url_is_left_to_litellm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        _table.LITELLM_ENV,
        "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",
    )
    assert cost.completion_cost(usage=usage(10, 20, cached=4), model="gpt-4o") == pytest.approx(0.00022)


def test_a_broken_map_file_raises_for_the_user_and_logs_for_the_stream(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(_table.ENV, write_map(tmp_path / "bad.json", {"gpt-4o": {"input_cost_per_token": [1]}}))
    with pytest.raises(ValueError, match=r"bad\.json: entry 'gpt-4o'"):
        cost.completion_cost(usage=usage(1, 1), model="gpt-4o")
    with caplog.at_level(logging.DEBUG, logger="rillm"):
        assert cost.cost_of_usage(usage(1, 1), model="gpt-4o") is None
        assert cost.cost_of_usage(usage(1, 1), model="gpt-4o") is None
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.DEBUG]
    assert "bad.json" in caplog.records[0].getMessage()


def test_the_environment_map_is_read_on_first_use_in_a_new_process(tmp_path: Path) -> None:
    path = write_map(
        tmp_path / "map.json", {"ollama/house": {"input_cost_per_token": 1e-6, "output_cost_per_token": 0}}
    )
    code = (
        "import rillm.cost as c; print(c.cost_per_token(model='ollama/house', prompt_tokens=500, completion_tokens=9))"
    )
    result = run(code, {_table.ENV: path})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(0.0005, 0.0)"


# -- unknown models --------------------------------------------------------------------------------------------


def test_an_unknown_model_costs_none_and_one_warning_from_the_stream(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="rillm"):
        for _ in range(3):
            assert cost.cost_of_usage(usage(10, 10), model="mystery-1", requested_model="hosted_vllm/mystery-1") is None
    assert [r.levelno for r in caplog.records] == [logging.WARNING, logging.DEBUG, logging.DEBUG]
    assert "mystery-1" in caplog.records[0].getMessage()
    assert cost.cost_of_usage(None, model="gpt-4o") is None
    with caplog.at_level(logging.DEBUG, logger="rillm"):
        assert cost.cost_of_usage({"input_tokens": 10}, model="gpt-4o") is None
    assert "needs prompt_tokens or completion_tokens" in caplog.records[-1].getMessage()
    assert cost.cost_of_usage({"completion_tokens": 10}, model="gpt-4o") == pytest.approx(10 * 1e-05)


def test_completion_cost_raises_like_litellm_for_an_unknown_model() -> None:
    with pytest.raises(cost.ModelNotMappedError, match=r"^This model isn't mapped yet\. model=mystery-2, ") as info:
        cost.completion_cost(ModelResponse(model="mystery-2", usage=usage(1, 1)))
    assert isinstance(info.value, Exception) and info.value.model == "mystery-2"
    with pytest.raises(cost.ModelNotMappedError, match="custom_llm_provider=groq"):
        cost.cost_per_token(model="gpt-4o", prompt_tokens=1, custom_llm_provider="groq")
    with pytest.raises(ValueError, match="needs token usage"):
        cost.completion_cost(ModelResponse(model="gpt-4o"))


# -- laziness --------------------------------------------------------------------------------------------------


def run(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1", **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_import_rillm_neither_reads_nor_validates_the_table() -> None:
    result = run(
        """
        import sys
        opened = []
        def audit(event, args):
            if event == "open" and str(args[0]).endswith("prices.json"):
                opened.append(args[0])
        sys.addaudithook(audit)
        import rillm
        print(len(opened), "rillm.cost" in sys.modules, "rillm.cost._table" in sys.modules)
        rillm.cost_per_token(model="gpt-4o", prompt_tokens=1)
        print(len(opened), "rillm.cost._table" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    # rillm.cost itself is imported on first use too (rillm.__getattr__), and its table on the first price asked
    assert result.stdout.split() == ["0", "False", "False", "1", "True"]


def test_the_public_names_are_litellms() -> None:
    for name in ("completion_cost", "cost_per_token", "register_model", "ModelNotMappedError"):
        assert getattr(rillm, name) is getattr(cost, name) and name in rillm.__all__
