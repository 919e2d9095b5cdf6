"""OpenAI-dialect SSE streams, well-formed and not: chunks with well-typed fields (most of a stream, so
that decoding goes deep) or wild ones (where the backends must agree on what fails), `[DONE]`, raw text,
lone surrogates, deep nesting and error payloads, framed with every line ending, sometimes truncated or
corrupted, and cut into pieces."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from .values import json_value, text


def _delta(string: Any, integer: Any, anything: Any) -> Any:
    """A choice's delta: role, content (text or parts), refusal, reasoning, tool calls, provider fields."""
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
    return st.fixed_dictionaries(
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


def chunk_strategy(string: Any, integer: Any, anything: Any) -> Any:
    """Chunks whose fields are drawn from `string`, `integer` and `anything`."""
    delta = _delta(string, integer, anything)
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
