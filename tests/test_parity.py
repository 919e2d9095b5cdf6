"""Differential tests: generated streams and chunkings, well-formed and not, must give the same result on
the Rust backend and on its pure-Python twin: the same chunks, the same exception class and position,
the same reprs and the same merge."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import Backend, decode

pytestmark = pytest.mark.rust

settings.register_profile("rillm", deadline=None, suppress_health_check=[HealthCheck.too_slow], max_examples=250)
settings.load_profile("rillm")

# Strings that exercise escaping: quotes, backslashes, control characters, non-ASCII, astral characters.
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["", "\u2028", 'q"uote', "back\\slash", "tab\tnew\nline", "\x00\x1f", "\U0001f600", "é"]
)
json_leaf = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | text
json_value = st.recursive(
    json_leaf, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3), max_leaves=8
)


def chunk_strategy(string: Any, integer: Any, anything: Any) -> Any:
    """Chunks whose fields are drawn from `string`, `integer` and `anything`: well-typed chunks (most of
    the stream, so that decoding goes deep) or wild ones (where the backends must agree on what fails)."""
    function = st.fixed_dictionaries(
        {}, optional={"name": string, "arguments": st.one_of(text, st.none(), anything), "extra": json_value}
    )
    tool_call = st.fixed_dictionaries(
        {},
        optional={
            "index": integer,
            "id": string,
            "type": st.one_of(st.just("function"), string),
            "function": st.one_of(function, st.none()),
            "custom": json_value,
        },
    )
    thinking_parts = st.lists(st.fixed_dictionaries({"type": st.just("text"), "text": text}), max_size=2)
    content_part = st.one_of(
        st.fixed_dictionaries({"type": st.just("text"), "text": string}),
        st.fixed_dictionaries({"type": st.just("thinking"), "thinking": st.one_of(text, thinking_parts, anything)}),
        json_value,
    )
    delta = st.fixed_dictionaries(
        {},
        optional={
            "role": st.one_of(st.just("assistant"), string),
            "content": st.one_of(text, text, st.none(), st.lists(content_part, max_size=3), anything),
            "refusal": string,
            "reasoning_content": string,
            "reasoning": string,
            "tool_calls": st.one_of(st.lists(tool_call, max_size=2), st.none()),
            "function_call": st.one_of(function, st.none()),
            "annotations": json_value,
            "provider_specific_fields": st.one_of(st.dictionaries(text, json_value, max_size=2), json_value),
            "channel": json_value,
        },
    )
    reasons = ["stop", "length", "tool_calls", "end_turn", "MAX_TOKENS", "", "abort"]
    finish = st.one_of(*[st.none()] * 6, st.sampled_from(reasons[:-1]), st.sampled_from(reasons), string)
    choice = st.fixed_dictionaries(
        {},
        optional={
            "index": integer,
            "delta": st.one_of(delta, delta, st.none()),
            "finish_reason": finish,
            "logprobs": st.one_of(st.none(), st.none(), json_value),
            "message": json_value,
            "content_filter_results": json_value,
        },
    )
    counts = {"prompt_tokens": st.integers(0, 99), "completion_tokens": st.integers(0, 99)}
    usage = st.one_of(
        st.none(),
        st.fixed_dictionaries(counts, optional={"prompt_cache_hit_tokens": st.integers(0, 9), "cost": json_value}),
        anything,
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "id": string,
            "object": json_value,
            "created": integer,
            "model": string,
            "system_fingerprint": string,
            "service_tier": st.one_of(st.sampled_from(["default", "on_demand"]), string),
            "choices": st.one_of(st.lists(choice, min_size=1, max_size=2), st.none(), anything),
            "usage": usage,
            "x_groq": st.one_of(st.fixed_dictionaries({"usage": usage}), json_value),
            "citations": json_value,
            "obfuscation": text,
        },
    )


chunk = chunk_strategy(st.one_of(st.none(), text), st.one_of(st.none(), st.integers(-3, 5)), st.nothing())
wild_chunk = chunk_strategy(
    st.one_of(st.none(), text, json_value),
    st.one_of(st.none(), st.integers(-3, 5), st.integers(-(2**64), 2**64), json_value),
    json_value,
)


@st.composite
def payload(draw: st.DrawFn) -> str:
    kinds = ["chunk"] * 30 + ["indented"] * 3 + ["wild"] * 2 + ["done", "raw", "surrogate", "deep", "error"]
    kind = draw(st.sampled_from(kinds))
    if kind == "error":
        return json.dumps({"error": draw(json_value), "choices": draw(st.one_of(st.none(), st.just([])))})
    if kind == "wild":
        return json.dumps(draw(wild_chunk))
    if kind == "done":
        return "[DONE]"
    if kind == "raw":
        return draw(st.text(max_size=20))
    if kind == "surrogate":
        return json.dumps({"choices": [{"delta": {"content": "x"}}], "k": "a"})[:-1] + ', "s": "\\ud83d"}'
    if kind == "deep":
        depth = draw(st.sampled_from([250, 256, 257, 300]))
        return '{"x": ' + "[" * depth + "]" * depth + "}"
    value = draw(chunk)
    if kind == "indented":
        return json.dumps(value, indent=1)  # several data: lines, joined back with "\n"
    return json.dumps(value, ensure_ascii=draw(st.booleans()))


@st.composite
def stream(draw: st.DrawFn) -> bytes:
    ending = draw(st.sampled_from(["\n", "\r", "\r\n"]))
    parts = ["\ufeff"] if draw(st.booleans()) else []
    for _ in range(draw(st.integers(0, 2)) * draw(st.integers(1, 5))):
        extra = draw(st.sampled_from([""] * 12 + [": keepalive" + ending, "id: 7" + ending, "event: error" + ending]))
        lines = [f"data: {line}" for line in draw(payload()).split("\n")]
        parts.append(extra + ending.join(lines) + ending + ending)
    data = "".join(parts).encode("utf-8", "surrogatepass")
    if data and draw(st.integers(0, 9)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # truncation
    if data and draw(st.integers(0, 9)) == 0:
        at = draw(st.integers(0, len(data) - 1))
        data = data[:at] + b"\xff" + data[at + 1 :]  # invalid UTF-8
    return data


@st.composite
def chunked(draw: st.DrawFn) -> list[bytes]:
    data = draw(stream())
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=8)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


def outcomes(both: tuple[Backend, Backend], pieces: list[bytes], **options: Any) -> tuple[Any, Any]:
    rust, python = both
    return decode(rust.module, pieces, **options), decode(python.module, pieces, **options)


@given(pieces=chunked())
def test_generated_streams_decode_the_same(both: tuple[Backend, Backend], pieces: list[bytes]) -> None:
    r, p = outcomes(both, pieces)
    assert r.comparable() == p.comparable()
    assert [repr(c) for c in r.chunks] == [repr(c) for c in p.chunks]
    if r.exception is not None:
        assert str(r.exception).split(": invalid chunk")[0] == str(p.exception).split(": invalid chunk")[0]


@given(pieces=chunked(), limit=st.integers(1, 400))
def test_max_event_bytes_is_enforced_the_same(both: tuple[Backend, Backend], pieces: list[bytes], limit: int) -> None:
    r, p = outcomes(both, pieces, max_event_bytes=limit)
    assert r.comparable() == p.comparable()


@given(data=stream(), pieces=st.data())
def test_splitting_never_changes_the_result(both: tuple[Backend, Backend], data: bytes, pieces: st.DataObject) -> None:
    rust, _ = both
    whole = decode(rust.module, [data]).comparable()
    cuts = sorted(pieces.draw(st.lists(st.integers(0, len(data)), max_size=6)))
    split = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]
    assert decode(rust.module, split).comparable() == whole


@given(chunks=st.lists(st.one_of(chunk, chunk, chunk, wild_chunk), max_size=6))
def test_merging_dicts_gives_the_same_response(both: tuple[Backend, Backend], chunks: list[Any]) -> None:
    rust, python = both
    results = []
    for backend in (rust, python):
        try:
            results.append(("ok", backend.module.merge_chunks(chunks)))
        except Exception as exc:  # the class must match; messages may word a JSON error differently
            results.append(("error", type(exc).__name__))
    assert results[0] == results[1]
