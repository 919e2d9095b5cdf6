"""The defects the generated streams found, each on the smallest input that shows it: the backends must
agree, and every failure must be a rillm exception, at feed time, at finish, when a chunk is dumped and when
the chunks are merged. The open ones (strategies/mutate.py OPEN_DEFECTS) are strict xfails: when a fix lands
the test passes, strict xfail turns that into a failure: then drop the mark here and the value from
OPEN_DEFECTS, so the generated streams carry it again. The fixed ones stay here as plain tests."""

from __future__ import annotations

from typing import Any

import pytest

from rillm.exceptions import OpenAIError

from .. import eventstream as es
from ..conftest import Backend, decode
from .strategies.mutate import HUGE

pytestmark = pytest.mark.rust


def everything(backend: Backend, data: bytes, dialect: str) -> Any:
    """What a user gets from `data`: the outcome, every chunk dumped, and the merge; any exception that is
    not rillm's is part of the answer (and fails `agree`)."""
    try:
        outcome = decode(backend.module, [data], dialect)
        dumps = [chunk.model_dump() for chunk in outcome.chunks]
        return outcome.error, dumps, backend.module.merge_chunks(outcome.chunks)
    except OpenAIError as exc:
        return "raised", type(exc).__name__
    except Exception as exc:  # a non-rillm exception is the defect
        return "not a rillm exception", type(exc).__name__, str(exc)[:200]


def agree(both: tuple[Backend, Backend], data: bytes, dialect: str) -> None:
    rust, python = (everything(b, data, dialect) for b in both)
    assert rust[0] != "not a rillm exception", rust
    assert python[0] != "not a rillm exception", python
    assert rust == python


def sse(*payloads: bytes) -> bytes:
    return b"".join(b"data: " + p + b"\n\n" for p in payloads)


N = HUGE["int5000"].encode()
BIG_INTEGERS = {
    "openai-extra-field": ("openai", sse(b'{"id":"x","choices":[],"x_extra":' + N + b"}", b"[DONE]")),
    "openai-usage": ("openai", sse(b'{"id":"x","choices":[],"usage":{"prompt_tokens":' + N + b"}}", b"[DONE]")),
    "anthropic-tool-input": (
        "anthropic",
        sse(
            b'{"type":"message_start","message":{"id":"m"}}',
            b'{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t","name":"f",'
            b'"input":{"a":' + N + b"}}}",
            b'{"type":"message_stop"}',
        ),
    ),
    "gemini-args": (
        "gemini",
        sse(b'{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":' + N + b"}}}]}}]}"),
    ),
    "ollama-count": ("ollama", b'{"model":"m","message":{"content":"hi"},"done":true,"eval_count":' + N + b"}\n"),
    "bedrock-usage": (
        "bedrock",
        es.event("messageStop", {"stopReason": "end_turn"})
        + es.event("metadata", b'{"usage":{"inputTokens":' + N + b"}}"),
    ),
}


@pytest.mark.parametrize("name", BIG_INTEGERS)
def test_an_integer_past_4300_digits(both: tuple[Backend, Backend], name: str) -> None:
    agree(both, BIG_INTEGERS[name][1], BIG_INTEGERS[name][0])


def test_token_counts_summed_past_64_bits(both: tuple[Backend, Backend]) -> None:
    big = HUGE["int63"].encode()
    line = b'{"model":"m","message":{"content":"hi"},"done":true,"prompt_eval_count":' + big
    agree(both, line + b',"eval_count":' + big + b"}\n", "ollama")


def test_an_in_band_error_that_is_a_tiny_number(both: tuple[Backend, Backend]) -> None:
    agree(both, sse(b'{"error": ' + HUGE["float_tiny"].encode() + b"}"), "openai")


DEEP = HUGE["deep5000"].encode()
DEEP_ERRORS = {
    "anthropic-event-error": ("anthropic", b'event: error\ndata: {"type":"error","error":' + DEEP + b"}\n\n"),
    "cohere-event-error": ("cohere", b'event: error\ndata: {"message":' + DEEP + b"}\n\n"),
    "openai-event-error": ("openai", b'event: error\ndata: {"error":' + DEEP + b"}\n\n"),
    "bedrock-exception-frame": (
        "bedrock",
        es.message(
            [
                es.header(":exception-type", es.STRING, "throttlingException"),
                es.header(":message-type", es.STRING, "exception"),
            ],
            b'{"message":' + DEEP + b"}",
        ),
    ),
}


@pytest.mark.parametrize("name", DEEP_ERRORS)
def test_deep_nesting_in_an_error_payload(both: tuple[Backend, Backend], name: str) -> None:
    agree(both, DEEP_ERRORS[name][1], DEEP_ERRORS[name][0])


# -- SSE conformance (the WHATWG event-stream rules), once the same on both backends but not the spec's ------

DATA = b'data: {"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}\n'
LAST = b'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'


def test_last_event_id_changes_when_the_event_is_dispatched(backend: Backend) -> None:
    """A client resuming after a cut mid-event must ask again from the last id dispatched, not skip the
    event whose id line had arrived."""
    decoder = backend.module.StreamDecoder("openai")
    decoder.feed(b"id: 7\n" + DATA)
    assert decoder.last_event_id == ""
    decoder.feed(b"\n")
    assert decoder.last_event_id == "7"
    _, _, last_id, _ = backend.module.frame_events([b"id: 7\n" + DATA], "sse")
    assert last_id == b""


@pytest.mark.parametrize("line", [b"id: 9", b"retry: 5"])
def test_an_unfinished_last_line_is_discarded(backend: Backend, line: bytes) -> None:
    """The spec discards a line without its line end at the end of the stream."""
    decoder = backend.module.StreamDecoder("openai")
    decoder.feed(DATA + b"\n" + LAST + line)
    decoder.finish()
    assert (decoder.last_event_id, decoder.retry) == ("", None)
    _, _, last_id, retry = backend.module.frame_events([DATA + b"\n" + line], "sse")
    assert (last_id, retry) == (b"", None)


@pytest.mark.parametrize("space", [b" ", b"\t"])
def test_a_field_name_with_a_leading_space_is_not_data(backend: Backend, space: bytes) -> None:
    """` data: x` is the unknown field " data", as the "sse" framing reads it: no event, whatever the framing."""
    for framing in ("sse", "auto"):
        events, _, _, _ = backend.module.frame_events([space + DATA + b"\n"], framing)
        assert events == [], framing


# -- found by the long adversarial run (RILLM_ADVERSARIAL=long, openai recordings, seed 3877) ----------------


def _chunk(fields: bytes) -> bytes:
    return sse(b'{"id":"x",' + fields + b"}", b"[DONE]")


def _choice(fields: bytes) -> bytes:
    return _chunk(b'"choices":[{' + fields + b"}]")


DUPLICATE_KEYS = {
    "system_fingerprint": _chunk(b'"system_fingerprint":1,"system_fingerprint":"fp","choices":[]'),
    "model": _chunk(b'"model":1,"model":"m","choices":[]'),
    "choices": _chunk(b'"choices":1,"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}]'),
    "delta.content": _choice(b'"index":0,"delta":{"content":1,"content":"a"},"finish_reason":"stop"'),
    "escaped key": _chunk(b'"model":1,"mod\\u0065l":"m","choices":[]'),
    "created": _chunk(b'"created":"x","created":5,"choices":[]'),
    "usage": _chunk(b'"choices":[],"usage":1,"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}'),
    "index then null": _choice(b'"index":3,"index":null,"delta":{"content":"a"},"finish_reason":"stop"'),
    "finish_reason": _choice(b'"index":0,"finish_reason":1,"finish_reason":"stop","delta":{}'),
    "error finish, then none": _chunk(
        b'"choices":[{"index":0,"delta":{},"finish_reason":"error"}],"choices":[{"index":0,"delta":{"content":"a"}}]'
    ),
    "content parts, then text": _choice(b'"index":0,"delta":{"content":[{"type":"text","text":"x"}],"content":"a"}'),
    "tool call": _choice(
        b'"index":0,"delta":{"tool_calls":[{"index":0,"id":1,"id":"c","function":{"name":[],"name":"f",'
        b'"arguments":"{}"},"type":"function","x":1,"x":2}]},"finish_reason":"tool_calls"'
    ),
    "extras keep the first place": _choice(
        b'"index":0,"z":1,"delta":{"a":1,"b":2,"a":3},"z":{},"finish_reason":"stop"'
    ),
    "an empty id after one": _chunk(b'"id":"y","id":"","choices":[]'),
    "the last value wrong too": _chunk(b'"model":"m","model":1,"choices":[]'),
    "nested, last wrong": _choice(b'"index":0,"delta":{"content":"a","content":{}},"finish_reason":"stop"'),
}


@pytest.mark.parametrize("name", DUPLICATE_KEYS)
def test_a_repeated_key_reads_as_python_json_reads_it(both: tuple[Backend, Backend], name: str) -> None:
    """Python's json keeps a repeated key's last value at the first key's place: so do both backends, whatever
    the type of the earlier values, and both fail alike when the last one is wrong."""
    agree(both, DUPLICATE_KEYS[name], "openai")


def test_a_repeated_id_whose_last_value_is_empty_keeps_the_stream_s_id(both: tuple[Backend, Backend]) -> None:
    """An id repeated with an empty last value leaves the stream's id as the chunk before set it."""
    data = sse(b'{"id":"first","choices":[]}', b'{"id":"second","id":"","choices":[]}', b'{"choices":[]}', b"[DONE]")
    agree(both, data, "openai")
    ids = [c.id for c in decode(both[0].module, [data], "openai").chunks]
    assert ids == ["first", "first", "first"]
