"""The number rule (rust/json/mod.rs, python/rillm/_json.py), on both backends and every dialect: an integer
of more than 4300 digits, or a number with a fraction or exponent that is not finite as a double, makes its
payload invalid JSON, a StreamDecodeError at feed time naming the event and where it starts, with the chunks
before it kept; numbers inside the rule are read the same by both backends and never fail later (a dump, an
attribute read, json.dumps)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

import rillm
from rillm import _json
from rillm.exceptions import APIError, StreamDecodeError
from tests.conftest import FIXTURES, TEST_ID, Backend, decode
from tests.e2e import API_KEY, target
from tests.hardening import SAMPLES, Planted, dump_all, framing, plant
from tests.server import CONTENT_TYPES, Reply

DIGITS = "7" * 4300
# (literal, the problem when refused, else None): integers are counted by digit, the sign aside; anything
# with a fraction or exponent is a double and refused only when it is not finite.
NUMBERS = [
    (DIGITS, None),
    ("-" + DIGITS, None),
    (DIGITS + "7", "integer with more than 4300 digits"),
    ("-" + DIGITS + "7", "integer with more than 4300 digits"),
    ("1" * 20000, "integer with more than 4300 digits"),
    (DIGITS + "7.5", "number too large for a double"),
    ("1" * 308 + ".0", None),
    ("1" * 309 + ".0", None),
    ("9" * 309 + ".0", "number too large for a double"),
    (DIGITS + "7e-5000", None),
    ("0." + DIGITS, None),
    ("1e999", "number too large for a double"),
    ("-1E+309", "number too large for a double"),
    ("1.7976931348623159e308", "number too large for a double"),
    ("1.7976931348623157e308", None),
    ("1e-999", None),
    ("-0.0e99999", None),
    ("5e-324", None),
]


def _id(value: str | None) -> str:
    if value is None:
        return "ok"
    return value if len(value) < 30 else f"{value[:3]}...({len(value)}ch)"


def _decode(backend: Backend, planted: Planted | bytes, dialect: str, piece: int = 0) -> Any:
    data = planted.data if isinstance(planted, Planted) else planted
    pieces = [data[i : i + piece] for i in range(0, len(data), piece)] if piece else [data]
    return decode(backend.module, pieces, dialect)


def _chunks_before(backend: Backend, planted: Planted) -> list[Any]:
    """What feeding the bytes before the planted event yields: the chunks the error must carry."""
    options = {} if planted.dialect == "openai" else {"id": TEST_ID}
    decoder = backend.module.StreamDecoder(planted.dialect, created=1700000000, **options)
    return [c.model_dump() for c in decoder.feed(planted.before)]


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize(("literal", "problem"), NUMBERS, ids=_id)
def test_a_number_kept_raw_or_skipped_follows_the_rule(
    backend: Backend, name: str, literal: str, problem: str | None
) -> None:
    planted = plant(name, literal.encode())
    outcome = _decode(backend, planted, planted.dialect)
    if problem is None:
        reference = decode(backend.module, [(FIXTURES / name).read_bytes()], planted.dialect)
        assert outcome.error == reference.error
        assert len(dump_all(outcome.chunks)) == len(reference.chunks)
        return
    assert outcome.error is not None and outcome.error[0] == "StreamDecodeError", outcome.error
    assert problem in str(outcome.exception)
    _, event, offset = outcome.error
    events = backend.module.frame_events([planted.before], framing(name))[0]
    assert (event, offset) == (len(events), len(planted.before))
    assert [c.model_dump() for c in outcome.chunks] == _chunks_before(backend, planted)


@pytest.mark.parametrize("name", SAMPLES)
def test_both_backends_agree_on_every_number(both: tuple[Backend, Backend], name: str) -> None:
    rust, python = both
    for literal, _ in NUMBERS:
        planted = plant(name, literal.encode())
        for piece in (0, 977):
            got = _decode(rust, planted, planted.dialect, piece).comparable()
            assert got == _decode(python, planted, planted.dialect, piece).comparable(), (literal[:20], piece)


# Numbers in the fields a decoder reads itself, not only in extra keys (OpenAI's usage and logprobs are kept
# raw until read; the others are read as integers, which must also fit in 64 bits).
OPENAI_FIELDS = [
    '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":'
    '{"prompt_tokens":N,"completion_tokens":1,"total_tokens":2}}',
    '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'
    '{"content":"x"},"logprobs":{"content":[{"token":"x","logprob":N,"bytes":[120],"top_logprobs":[]}]},'
    '"finish_reason":null}]}',
    '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'
    '{"content":"x","provider_field":{"n":[N]}},"finish_reason":null}]}',
    '{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'
    '{"tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"f","arguments":"{}"},"x":N}]},'
    '"finish_reason":null}]}',
]
FIRST = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":'
    b'{"role":"assistant","content":"kept"},"finish_reason":null}]}\n\n'
)


def _integer(literal: str) -> bool:
    return not any(c in literal for c in ".eE")


# Usage counts must be integers (a float there is a shape error, not the number rule's), and integers of 64
# bits, as the core merges them (rust/decode/usage.rs): one the number rule accepts but 64 bits do not hold
# is refused at feed time too, with the usage rule's error.
OUT_OF_RANGE = "token counts must fit in 64 bits"
I64 = range(-(2**63), 2**63)
FIELD_CASES = [
    pytest.param(template, literal, problem, id=f"{n}-{_id(literal)}")
    for n, template in enumerate(OPENAI_FIELDS)
    for literal, problem in [*NUMBERS, ("-9223372036854775808", None), ("9223372036854775808", None)]
    if n > 0 or _integer(literal)
    for problem in [OUT_OF_RANGE if n == 0 and problem is None and int(literal) not in I64 else problem]
]


@pytest.mark.parametrize(("template", "literal", "problem"), FIELD_CASES)
def test_openai_fields_read_or_kept_raw(backend: Backend, template: str, literal: str, problem: str | None) -> None:
    stream = FIRST + b"data: " + template.replace("N", literal).encode() + b"\n\ndata: [DONE]\n\n"
    outcome = _decode(backend, stream, "openai")
    if problem is None:
        assert outcome.error is None
        dumps = dump_all(outcome.chunks)
        assert dumps[0]["choices"][0]["delta"]["content"] == "kept"
        # Every value reads as Python reads the literal.
        assert json.loads(literal) in _leaves(dumps[1])
    else:
        assert outcome.error == ("StreamDecodeError", 1, len(FIRST))
        assert problem in str(outcome.exception)
        assert [c.choices[0].delta.content for c in outcome.chunks] == ["kept"]


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


@pytest.mark.skipif(not hasattr(sys, "set_int_max_str_digits"), reason="no int_max_str_digits in this Python")
def test_the_rule_does_not_move_with_the_interpreters_limit(backend: Backend) -> None:
    """The limit is Python's default, fixed: lowering the interpreter's own limit neither refuses a number
    the rule accepts nor makes reading it fail (the Rust backend reads raw values when first asked)."""
    literal = "9" * 1000
    stream = FIRST.replace(b'"kept"}', b'"kept","big":' + literal.encode() + b"}") + b"data: [DONE]\n\n"
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        outcome = _decode(backend, stream, "openai")
        assert outcome.error is None
        assert outcome.chunks[0].choices[0].delta.model_dump()["big"] == 10**1000 - 1
    finally:
        sys.set_int_max_str_digits(old)


def test_loads_is_the_rule() -> None:
    for literal, problem in NUMBERS:
        if problem is None:
            assert _json.loads(f"[{literal}]") == [json.loads(literal)]
        else:
            with pytest.raises(_json.JsonError, match=problem) as caught:
                _json.loads(f'{{"a": [{literal}]}}')
            assert caught.value.pos == 7
    for constant in ("NaN", "Infinity", "-Infinity"):
        with pytest.raises(_json.JsonError, match="is not JSON"):
            _json.loads(f"[1, {constant}]")


@pytest.mark.parametrize(
    "value",
    [10**5000, -(10**4301), float("inf"), float("-inf"), float("nan")],
    ids=["big", "-big", "inf", "-inf", "nan"],
)
@pytest.mark.parametrize("where", ["usage", "extra", "created", "delta"])
def test_stream_chunk_builder_dicts_follow_the_rule(value: Any, where: str) -> None:
    """A chunk dict given to stream_chunk_builder holding a number the rule refuses is an APIError naming the
    chunk, on whichever backend is live (never the interpreter's ValueError)."""
    first: dict[str, Any] = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": []}
    chunk = {**first, "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": "stop"}]}
    if where == "usage":
        chunk["usage"] = {"prompt_tokens": value, "completion_tokens": 1, "total_tokens": 2}
    elif where == "delta":
        chunk["choices"][0]["delta"]["n"] = value
    else:
        chunk["x" if where == "extra" else "created"] = value
    with pytest.raises(APIError, match=r"chunk 1 is not a chat\.completion\.chunk"):
        rillm.stream_chunk_builder([first, chunk])


def test_a_refused_number_is_a_stream_decode_error_carrying_what_came_before() -> None:
    """The exception class and its attributes, as a caller sees them."""
    stream = FIRST + b'data: {"id":"c","choices":[],"x":' + (DIGITS + "1").encode() + b"}\n\n"
    decoder = rillm.StreamDecoder("openai")
    with pytest.raises(StreamDecodeError) as caught:
        decoder.feed(stream)
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.event, error.offset) == (1, len(FIRST))
    assert "event 1 starting at byte" in str(error) and "4300 digits" in str(error)
    assert [c.choices[0].delta.content for c in error.chunks] == ["kept"]


# -- through completion(), over a real connection -----------------------------------------------------------


def _texts(chunks: list[Any]) -> tuple[str, str]:
    """The content and the reasoning the chunks spell (first choice)."""
    content = reasoning = ""
    for chunk in chunks:
        for choice in chunk.choices[:1]:
            content += choice.delta.content or ""
            reasoning += getattr(choice.delta, "reasoning_content", None) or ""
    return content, reasoning


@pytest.mark.usefixtures("e2e_env")
@pytest.mark.parametrize("name", SAMPLES)
def test_completion_keeps_what_came_before_a_refused_number(server: Any, name: str) -> None:
    planted = plant(name, (DIGITS + "1").encode())
    spec = target(FIXTURES / name)
    suffix = name[name.rindex(".") :]
    server.reply(Reply(body=planted.data, headers={"content-type": CONTENT_TYPES[suffix]}, piece_size=997))
    kwargs: dict[str, Any] = {"api_base": server.url + spec.base, "stream": True}
    if spec.auth not in ("sigv4", "none"):
        kwargs["api_key"] = API_KEY
    stream = rillm.completion(spec.model, [{"role": "user", "content": "Hello"}], **kwargs)
    with pytest.raises(StreamDecodeError, match="4300 digits") as caught:
        for _ in stream:
            pass
    options = {} if planted.dialect == "openai" else {"id": TEST_ID}
    before = rillm.StreamDecoder(planted.dialect, **options).feed(planted.before)
    content, reasoning = _texts(before)
    partial = caught.value.partial_response
    assert partial is not None
    message = partial.choices[0].message
    assert (message.content or "", getattr(message, "reasoning_content", None) or "") == (content, reasoning)
    assert content or reasoning or message.tool_calls
