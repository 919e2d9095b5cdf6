"""Token counts at the edges of 64 bits, on both backends (rust/decode/to_openai.rs::UsageJson,
rillm._shared.saturating_sum): a count a dialect reads itself must fit in a signed 64-bit integer (a larger
one is a StreamDecodeError), and a count rillm computes as a sum (Anthropic's and Bedrock's prompt tokens,
Gemini's prompt and completion, every total it fills in, stream_chunk_builder's total) saturates at
2**63 - 1 and -2**63 instead of wrapping."""

from __future__ import annotations

import json
from typing import Any

import pytest

import rillm
from tests import eventstream
from tests.conftest import Backend, decode

MAX = 2**63 - 1
MIN = -(2**63)
# Sums near and past both bounds, and ordinary ones.
TRIPLES = [
    (1, 2, 3),
    (0, 0, 0),
    (MAX - 5, 3, 2),
    (MAX, 1, 0),
    (MAX, MAX, MAX),
    (MIN, -1, 0),
    (MIN, MIN, MIN),
    (MAX, MIN, 7),
    (-5, MAX, 6),
]


def saturating(*counts: int) -> int:
    """The rule, written out independently of rillm."""
    return min(MAX, max(MIN, sum(counts)))


def anthropic(a: int, b: int, c: int) -> tuple[bytes, dict[str, int]]:
    start = {
        "type": "message_start",
        "message": {
            "id": "m",
            "type": "message",
            "role": "assistant",
            "model": "c",
            "content": [],
            "usage": {"input_tokens": a, "cache_creation_input_tokens": b, "cache_read_input_tokens": c},
        },
    }
    delta = {"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}
    events = [("message_start", start), ("message_delta", delta), ("message_stop", {"type": "message_stop"})]
    stream = b"".join(f"event: {k}\ndata: {json.dumps(v)}\n\n".encode() for k, v in events)
    prompt = saturating(a, b, c)
    return stream, {"prompt_tokens": prompt, "completion_tokens": 9, "total_tokens": saturating(prompt, 9)}


def bedrock(a: int, b: int, c: int) -> tuple[bytes, dict[str, int]]:
    usage = {"inputTokens": a, "cacheReadInputTokens": b, "cacheWriteInputTokens": c, "outputTokens": 9}
    stream = b"".join(
        [
            eventstream.event("messageStart", {"role": "assistant"}),
            eventstream.event("messageStop", {"stopReason": "end_turn"}),
            eventstream.event("metadata", {"usage": usage, "metrics": {"latencyMs": 1}}),
        ]
    )
    prompt = saturating(a, b, c)
    return stream, {"prompt_tokens": prompt, "completion_tokens": 9, "total_tokens": saturating(prompt, 9)}


def gemini(a: int, b: int, c: int) -> tuple[bytes, dict[str, int]]:
    """prompt = prompt + tool-use prompt tokens; completion = candidates + thoughts unless the total already
    holds them (rust/decode/gemini.rs)."""
    metadata = {"promptTokenCount": a, "toolUsePromptTokenCount": b, "candidatesTokenCount": c, "thoughtsTokenCount": 5}
    body = {"candidates": [{"content": {"parts": [{"text": "x"}], "role": "model"}, "finishReason": "STOP"}]}
    stream = f"data: {json.dumps({**body, 'usageMetadata': metadata})}\n\n".encode()
    prompt = saturating(a, b)
    completion = saturating(c, 5)
    return stream, {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": saturating(prompt, completion),
    }


def ollama(a: int, b: int, _: int) -> tuple[bytes, dict[str, int]]:
    line = {"model": "m", "message": {"role": "assistant", "content": "x"}, "done": True, "done_reason": "stop"}
    stream = json.dumps({**line, "prompt_eval_count": a, "eval_count": b}).encode() + b"\n"
    return stream, {"prompt_tokens": a, "completion_tokens": b, "total_tokens": saturating(a, b)}


def cohere(a: int, b: int, _: int) -> tuple[bytes, dict[str, int]]:
    end = {
        "type": "message-end",
        "delta": {"finish_reason": "COMPLETE", "usage": {"tokens": {"input_tokens": a, "output_tokens": b}}},
    }
    start = {"id": "m", "type": "message-start", "delta": {"message": {"role": "assistant"}}}
    stream = b"".join(f"event: {v['type']}\ndata: {json.dumps(v)}\n\n".encode() for v in (start, end))
    return stream, {"prompt_tokens": a, "completion_tokens": b, "total_tokens": saturating(a, b)}


STREAMS = {"anthropic": anthropic, "bedrock": bedrock, "gemini": gemini, "ollama": ollama, "cohere": cohere}


def _usage(outcome: Any) -> dict[str, int]:
    assert outcome.error is None, outcome.error
    usage = [c.usage for c in outcome.chunks if getattr(c, "usage", None) is not None][-1]
    return {k: getattr(usage, k) for k in ("prompt_tokens", "completion_tokens", "total_tokens")}


@pytest.mark.parametrize("dialect", list(STREAMS))
@pytest.mark.parametrize("counts", TRIPLES, ids=str)
def test_sums_saturate(backend: Backend, dialect: str, counts: tuple[int, int, int]) -> None:
    stream, expected = STREAMS[dialect](*counts)
    assert _usage(decode(backend.module, [stream], dialect)) == expected


@pytest.mark.parametrize("dialect", list(STREAMS))
@pytest.mark.parametrize("count", [MAX + 1, MIN - 1, 10**30], ids=str)
def test_a_count_past_64_bits_is_a_decode_error(backend: Backend, dialect: str, count: int) -> None:
    stream, _ = STREAMS[dialect](count, 0, 0)
    outcome = decode(backend.module, [stream], dialect)
    assert outcome.error is not None and outcome.error[0] == "StreamDecodeError", outcome.error


def test_both_backends_agree(both: tuple[Backend, Backend]) -> None:
    rust, python = both
    for dialect, make in STREAMS.items():
        for counts in TRIPLES:
            stream, _ = make(*counts)
            outcomes = [decode(b.module, [stream], dialect) for b in (rust, python)]
            assert outcomes[0].comparable() == outcomes[1].comparable(), (dialect, counts)


def usage_chunks(prompt: int, completion: int) -> list[dict[str, Any]]:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": 0}
    first = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    return [
        {**first, "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}]},
        {**first, "choices": [], "usage": usage},
    ]


@pytest.mark.parametrize(("prompt", "completion"), [(MAX, MAX), (MAX, 1), (MIN, -1)], ids=str)
def test_stream_chunk_builder_total_saturates(prompt: int, completion: int) -> None:
    """OpenAI's usage is kept as sent; the total the builder computes is held within 64 bits."""
    response = rillm.stream_chunk_builder(usage_chunks(prompt, completion))
    assert response is not None
    assert (response.usage.prompt_tokens, response.usage.completion_tokens) == (prompt, completion)
    assert response.usage.total_tokens == max(saturating(prompt, completion), 0)


def test_stream_chunk_builder_refuses_a_count_past_64_bits() -> None:
    """The usage rule holds token counts in 64 bits (rust/decode/usage.rs), in the builder as at feed time."""
    with pytest.raises(rillm.APIError, match=r"chunk 1 .*`prompt_tokens`.*must fit in 64 bits"):
        rillm.stream_chunk_builder(usage_chunks(2**70, 5))
