"""Usage in OpenAI's shape whatever the provider counted apart, on both backends (rust/decode/usage.rs and
rillm._shared.reasoning_apart): when a usage's total says reasoning was counted outside the completion (xAI:
total = prompt + completion + reasoning tokens), the completion count is given with the reasoning inside it,
as OpenAI counts it and LiteLLM reports it; every other usage is as the provider sent it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm._builder import build_response

from .conftest import STREAMS, Backend, decode, recording_id

XAI = sorted((STREAMS / "xai").glob("*.sse"))


def sent_usage(path: Path) -> dict[str, Any]:
    """The last usage object the recording's payloads carry, as sent."""
    usages = [
        payload["usage"]
        for line in path.read_bytes().splitlines()
        if line.startswith(b"data:") and line[5:].strip() != b"[DONE]"
        for payload in [json.loads(line[5:])]
        if payload.get("usage")
    ]
    return usages[-1]


def test_the_xai_recordings_count_reasoning_apart() -> None:
    assert XAI
    for path in XAI:
        sent = sent_usage(path)
        reasoning = sent["completion_tokens_details"]["reasoning_tokens"]
        assert reasoning > 0
        assert sent["total_tokens"] == sent["prompt_tokens"] + sent["completion_tokens"] + reasoning


@pytest.mark.parametrize("path", XAI, ids=recording_id)
def test_xai_usage_is_in_openais_shape(backend: Backend, path: Path) -> None:
    sent = sent_usage(path)
    reasoning = sent["completion_tokens_details"]["reasoning_tokens"]
    outcome = decode(backend.module, [path.read_bytes()], "openai")
    assert outcome.error is None
    usages = [c.usage for c in outcome.chunks if c.usage is not None]
    assert usages
    for usage in (usages[-1], build_response(backend.module.merge_chunks(outcome.chunks), None).usage):
        assert usage.prompt_tokens == sent["prompt_tokens"]
        assert usage.completion_tokens == sent["completion_tokens"] + reasoning
        assert usage.total_tokens == sent["total_tokens"] == usage.prompt_tokens + usage.completion_tokens
        assert usage.completion_tokens_details.reasoning_tokens == reasoning
        assert usage.prompt_tokens_details.cached_tokens == sent["prompt_tokens_details"]["cached_tokens"]


def test_the_issue_s_numbers(backend: Backend) -> None:
    """xAI's 628 = 288 prompt + 27 + 313 reasoning is OpenAI's 288 + 340, with 313 reasoning inside."""
    outcome = decode(backend.module, [(STREAMS / "xai" / "grok3mini-reasoning.sse").read_bytes()], "openai")
    usage = [c.usage for c in outcome.chunks if c.usage is not None][-1]
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (288, 340, 628)
    assert usage.completion_tokens_details.reasoning_tokens == 313


def usage_chunk(usage: dict[str, Any] | str) -> bytes:
    """A choiceless chunk carrying `usage` (raw JSON text when a string), then the terminator."""
    raw = usage if isinstance(usage, str) else json.dumps(usage)
    head = '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":'
    return f"data: {head}{raw}}}\n\ndata: [DONE]\n\n".encode()


APART = {
    "prompt_tokens": 10,
    "completion_tokens": 5,
    "total_tokens": 22,
    "completion_tokens_details": {"reasoning_tokens": 7},
}
AS_SENT = [
    {**APART, "total_tokens": 15},  # OpenAI's shape: reasoning already inside
    {**APART, "total_tokens": 29},  # a total that says nothing of the kind
    {**APART, "total_tokens": None},
    {**APART, "completion_tokens_details": None},
    {**APART, "completion_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 15},
    {**APART, "prompt_tokens": -7, "total_tokens": 5},
    {"prompt_tokens": 10, "total_tokens": 17, "completion_tokens_details": {"reasoning_tokens": 7}},
]


@pytest.mark.parametrize(
    ("sent", "completion"),
    [
        (APART, 12),
        # Counts the core cannot take as they stand go through the model first, then the same rule.
        ({**APART, "prompt_tokens": "10"}, 12),
        ({**APART, "completion_tokens_details": {"reasoning_tokens": 7, "audio_tokens": "0"}}, 12),
        *[(sent, sent.get("completion_tokens")) for sent in AS_SENT],
    ],
)
def test_the_rule_on_both_backends(both: tuple[Backend, Backend], sent: dict[str, Any], completion: Any) -> None:
    seen = []
    for backend in both:
        outcome = decode(backend.module, [usage_chunk(sent)], "openai")
        assert outcome.error is None
        usage = outcome.chunks[-1].usage
        assert usage.completion_tokens == (completion or 0)
        assert usage.total_tokens == (sent["total_tokens"] or 0) or sent["total_tokens"] is None
        seen.append((usage.model_dump(), backend.module.merge_chunks(outcome.chunks)["usage"]))
    assert seen[0] == seen[1]


def test_completion_reports_xai_usage_in_openais_shape(e2e_env: None, server: Any) -> None:
    """Through completion(stream=True): the final chunk's usage, and stream_chunk_builder's."""
    server.reply_file("xai/grok3mini-reasoning.sse")
    messages = [{"role": "user", "content": "hi"}]
    stream = rillm.completion("xai/grok-4", messages, stream=True, api_base=server.url + "/v1", api_key="sk-test")
    chunks = list(stream)
    final = [c for c in chunks if c.choices][-1]
    assert (final.usage.prompt_tokens, final.usage.completion_tokens, final.usage.total_tokens) == (288, 340, 628)
    built = rillm.stream_chunk_builder(chunks)
    assert (built.usage.completion_tokens, built.usage.completion_tokens_details.reasoning_tokens) == (340, 313)


def test_a_repeated_count_is_read_as_python_reads_it(both: tuple[Backend, Backend]) -> None:
    """The last `completion_tokens` is the one a JSON object keeps, and the one the rule raises."""
    raw = (
        '{"completion_tokens":99,"prompt_tokens":10,"total_tokens":22,'
        '"completion_tokens_details":{"reasoning_tokens":7},"completion_tokens":5}'
    )
    dumps = []
    for backend in both:
        outcome = decode(backend.module, [usage_chunk(raw)], "openai")
        usage = outcome.chunks[-1].usage
        assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (10, 12, 22)
        dumps.append(usage.model_dump())
    assert dumps[0] == dumps[1]
