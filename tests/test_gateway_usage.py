"""Usage and cost on a stream's final chunk, over the local server replaying every recording.

What LiteLLM's docs promise a gateway: after `for chunk in stream`, `chunk.usage` holds the provider's counts,
and `stream_chunk_builder(collected_chunks)` returns them (not an estimate), with or without
`stream_options={"include_usage": True}`. The provider's numbers come from the golden files
(tests/golden/, derived from the recordings without rillm). Costs are checked against prices copied by hand
from the bundled table (python/rillm/cost/prices.json).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import rillm
from tests.conftest import GOLDEN
from tests.e2e import API_KEY, Target, recordings, target
from tests.server import ReplayServer, Reply

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hello"}]

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


def golden_usage(recording: Path) -> dict[str, Any] | None:
    """The provider's usage for a recording that ends without an error (None for the others)."""
    golden = json.loads((GOLDEN / recording.parent.name / recording.with_suffix(".json").name).read_text())
    if golden.get("error"):
        return None
    usage: dict[str, Any] | None = golden["response"]["usage"]
    return usage


def call(server: ReplayServer, spec: Target, **kwargs: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {"api_base": server.url + spec.base, "stream": True, **kwargs}
    if spec.auth not in ("sigv4", "none"):
        arguments["api_key"] = API_KEY
    if spec.model.startswith("azure/"):
        arguments["api_version"] = "2024-10-21"
    return arguments


def counts(usage: Any) -> tuple[int, int, int]:
    return usage.prompt_tokens, usage.completion_tokens, usage.total_tokens


WITH_USAGE = [path for path in recordings() if golden_usage(path) is not None]


@pytest.mark.parametrize("include_usage", [False, True], ids=["plain", "include_usage"])
@pytest.mark.parametrize("recording", WITH_USAGE, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_final_chunk_carries_the_providers_usage(
    server: ReplayServer, recording: Path, include_usage: bool
) -> None:
    spec = target(recording)
    expected = golden_usage(recording)
    assert expected is not None
    server.reply_file(f"{recording.parent.name}/{recording.name}", piece_size=997)
    options = {"stream_options": {"include_usage": True}} if include_usage else {}
    collected = list(rillm.completion(spec.model, MESSAGES, **call(server, spec, **options)))
    want = (expected["prompt_tokens"], expected["completion_tokens"], expected["total_tokens"])
    # The last chunk with choices (the one with the finish reason) carries the usage ...
    final = [chunk for chunk in collected if chunk.choices][-1]
    assert final.usage is not None and counts(final.usage) == want
    # ... and so does the last chunk the loop saw (LiteLLM's `if chunk.usage:` after the loop).
    assert counts(collected[-1].usage) == want
    assert not getattr(final.usage, "estimated", False)
    # Choiceless chunks (the provider's usage chunk) are shown only when the caller asked for them.
    assert include_usage or all(chunk.choices for chunk in collected)
    built = rillm.stream_chunk_builder(collected, MESSAGES)
    assert built is not None and built.usage is not None and counts(built.usage) == want


def test_usage_is_asked_for_where_the_provider_takes_stream_options(server: ReplayServer) -> None:
    served = server.reply_file("openai/gpt4o-finish-length.sse")
    spec = target(Path("openai/gpt4o-finish-length.sse"))
    stream = rillm.completion(spec.model, MESSAGES, **call(server, spec))
    chunks = list(stream)
    assert served.request.json()["stream_options"] == {"include_usage": True}
    assert all(chunk.choices for chunk in chunks)  # the caller did not ask to see the usage chunk
    assert counts(chunks[-1].usage) == (79, 1, 80)


def test_a_caller_saying_no_to_include_usage_still_gets_usage_on_the_final_chunk(server: ReplayServer) -> None:
    served = server.reply_file("openai/gpt5-text-usage-moderation.sse")
    spec = target(Path("openai/gpt5-text-usage-moderation.sse"))
    options = {"stream_options": {"include_usage": False}}
    chunks = list(rillm.completion(spec.model, MESSAGES, **call(server, spec, **options)))
    assert served.request.json()["stream_options"] == {"include_usage": True}
    assert all(chunk.choices for chunk in chunks)
    assert counts(chunks[-1].usage) == (13, 11, 24)


def _no_usage_stream() -> bytes:
    frames = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi there, how are you today?"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "mistral-small-latest"}
    body = "".join(f"data: {json.dumps({**head, **frame})}\n\n" for frame in frames) + "data: [DONE]\n\n"
    return body.encode()


def test_a_stream_without_usage_gets_an_estimate_that_counts_the_prompt(server: ReplayServer) -> None:
    server.reply(Reply(body=_no_usage_stream(), headers={"content-type": "text/event-stream"}))
    spec = target(Path("mistral/text.sse"))
    chunks = list(rillm.completion(spec.model, MESSAGES, **call(server, spec)))
    usage = chunks[-1].usage
    assert usage is not None and usage.estimated is True
    # Two messages: the prompt is counted from them, not left at 0.
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    built = rillm.stream_chunk_builder(chunks)  # without messages: the final chunk's estimate is kept
    assert built is not None and built.usage is not None and counts(built.usage) == counts(usage)


def test_usage_after_filter_results_reaches_the_final_chunk(server: ReplayServer) -> None:
    """Azure's filter results (a choice with an empty delta) between the finish chunk and the usage, each
    event in its own write: the usage still rides on the final chunk."""
    head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    frames = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hi"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [{"index": 0, "delta": {}, "content_filter_results": {"hate": {"filtered": False}}}]},
        {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 1, "total_tokens": 10}},
    ]
    events = [f"data: {json.dumps({**head, **frame})}\n\n".encode() for frame in frames] + [b"data: [DONE]\n\n"]
    size = max(len(event) for event in events)  # each event padded to one piece (JSON allows the spaces)
    body = b"".join(event[:-2] + b" " * (size - len(event)) + b"\n\n" for event in events)
    server.reply(Reply(body=body, headers={"content-type": "text/event-stream"}, piece_size=size, delay=0.02))
    spec = target(Path("openai/gpt4o-finish-length.sse"))
    chunks = list(rillm.completion(spec.model, MESSAGES, **call(server, spec)))
    assert [chunk.choices[0].finish_reason for chunk in chunks] == [None, "stop", None]
    assert counts(chunks[1].usage) == (9, 1, 10) and counts(chunks[-1].usage) == (9, 1, 10)


# -- cost -------------------------------------------------------------------------------------------------

# (recording, USD by hand from prices.json and the golden usage).
COSTS = [
    # gpt-4o-2024-08-06 -> gpt-4o: 364 prompt at 2.5e-06, 40 completion at 1e-05.
    ("openai/gpt4o-parallel-tools-usage.sse", 364 * 2.5e-06 + 40 * 1e-05),
    # gpt-5-2025-08-07 -> gpt-5: 190 prompt at 1.25e-06, 379 completion (320 of them reasoning) at 1e-05.
    ("openai/gpt5-multi-tool.sse", 190 * 1.25e-06 + 379 * 1e-05),
    # Azure's gpt-5-mini at OpenAI's list price: 176 at 2.5e-07, 192 at 2e-06.
    ("openai/azure-gpt5mini-text.sse", 176 * 2.5e-07 + 192 * 2e-06),
    # claude-haiku-4-5-20251001 -> claude-haiku-4-5: 543 at 1e-06, 40 at 5e-06.
    ("anthropic/tool-use.sse", 543 * 1e-06 + 40 * 5e-06),
]


@pytest.fixture
def with_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "include_cost_in_streaming_usage", True)


@pytest.mark.usefixtures("with_cost")
@pytest.mark.parametrize(("name", "usd"), COSTS, ids=[name for name, _ in COSTS])
def test_include_cost_in_streaming_usage_puts_the_cost_on_the_final_chunk(
    server: ReplayServer, name: str, usd: float
) -> None:
    server.reply_file(name)
    spec = target(Path(name))
    stream = rillm.completion(spec.model, MESSAGES, **call(server, spec))
    chunks = list(stream)
    assert chunks[-1].usage.cost == pytest.approx(usd, rel=1e-9)
    assert stream.hidden_params["response_cost"] == pytest.approx(usd, rel=1e-9)
    built = rillm.stream_chunk_builder(chunks, MESSAGES)
    assert built is not None and built.usage.cost == pytest.approx(usd, rel=1e-9)


def test_without_the_setting_the_usage_has_no_cost_but_the_stream_knows_it(server: ReplayServer) -> None:
    name, usd = COSTS[0]
    server.reply_file(name)
    spec = target(Path(name))
    stream = rillm.completion(spec.model, MESSAGES, **call(server, spec))
    chunks = list(stream)
    assert "cost" not in chunks[-1].usage.model_dump()
    assert stream.hidden_params["response_cost"] == pytest.approx(usd, rel=1e-9)


@pytest.mark.usefixtures("with_cost")
def test_include_usage_shows_the_usage_chunk_with_the_cost(server: ReplayServer) -> None:
    """LiteLLM's own test of the setting: the first chunk with usage has its cost."""
    name, usd = COSTS[0]
    server.reply_file(name)
    spec = target(Path(name))
    stream = rillm.completion(spec.model, MESSAGES, **call(server, spec, stream_options={"include_usage": True}))
    first = next(chunk.usage for chunk in stream if chunk.usage is not None)
    assert first.cost == pytest.approx(usd, rel=1e-9)
    stream.close()


@pytest.mark.usefixtures("with_cost")
def test_an_unknown_model_costs_none_with_one_log_line(
    server: ReplayServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rillm.cost, "_WARNED", set())  # forget the models other tests already missed
    caplog.set_level(logging.DEBUG, logger="rillm")
    name = "zai/glm-reasoning-content.sse"
    spec = target(Path(name))
    for _ in range(2):
        server.reply_file(name)
        stream = rillm.completion(spec.model, MESSAGES, **call(server, spec))
        chunks = list(stream)
        assert stream.hidden_params["response_cost"] is None
        assert chunks[-1].usage is not None and "cost" not in chunks[-1].usage.model_dump()
    misses = [r for r in caplog.records if "no price for model" in r.getMessage()]
    assert [r.levelno for r in misses] == [logging.WARNING, logging.DEBUG]  # one warning, then quiet


def test_a_response_has_its_cost_in_hidden_params(server: ReplayServer) -> None:
    body = {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }
    server.reply(Reply(body=json.dumps(body).encode(), headers={"content-type": "application/json"}))
    response = rillm.completion("openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY)
    assert response._hidden_params["response_cost"] == pytest.approx(10 * 2.5e-06 + 20 * 1e-05, rel=1e-9)
