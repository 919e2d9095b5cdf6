"""One depth limit on every JSON path (rillm._json, rust/json/mod.rs::MAX_DEPTH): JSON nested 256 deep is read,
257 deep is not JSON, and nothing nested however deep raises a RecursionError. Where a chunk is expected that
is a StreamDecodeError; where an error payload is read (an `event: error`, a Bedrock exception frame, an HTTP
error body) the payload is read as text and the provider's error is raised as it would be for any other text,
its message cut at 2000 characters and its `body` the whole text. Both backends, and through completion()."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm import _json, exceptions
from rillm._error_mapping import http_error, provider_stream_error
from rillm.cli.guess import GuessError, guess_dialect
from rillm.cost._table import read_map
from tests import eventstream
from tests.conftest import Backend, decode
from tests.e2e import API_KEY
from tests.server import Reply

LIMIT = _json.MAX_DEPTH
DEPTHS = [LIMIT, LIMIT + 1, 100_000]


def nested(depth: int, inner: str = '"deep"') -> str:
    """`depth` arrays and objects, alternating, around `inner`."""
    opening = "".join('{"a":' if i % 2 else "[" for i in range(depth))
    closing = "".join("}" if i % 2 else "]" for i in reversed(range(depth)))
    return opening + inner + closing


def error_body(depth: int) -> str:
    """An OpenAI-style error whose `detail` brings the whole payload to `depth` levels."""
    return '{"error":{"message":"overloaded","type":"server_error","detail":' + nested(depth - 2) + "}}"


FIRST = {
    "openai": b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":"kept"},"finish_reason":null}]}\n\n',
    "anthropic": b'event: message_start\ndata: {"type":"message_start","message":{"id":"m","type":"message",'
    b'"role":"assistant","model":"c","content":[],"usage":{"input_tokens":1,"output_tokens":1}}}\n\n'
    b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text",'
    b'"text":""}}\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":'
    b'{"type":"text_delta","text":"kept"}}\n\n',
    "cohere": b'event: message-start\ndata: {"id":"m","type":"message-start","delta":{"message":{"role":'
    b'"assistant"}}}\n\nevent: content-delta\ndata: {"type":"content-delta","index":0,"delta":{"message":'
    b'{"content":{"text":"kept"}}}}\n\n',
    "gemini": b'data: {"candidates":[{"content":{"parts":[{"text":"kept"}],"role":"model"},"index":0}]}\n\n',
}


def _sse(kind: str, data: str) -> bytes:
    return f"event: {kind}\ndata: {data}\n\n".encode()


@pytest.mark.parametrize("dialect", list(FIRST))
@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_an_error_event_nested_past_the_limit_is_read_as_text(backend: Backend, dialect: str, depth: int) -> None:
    payload = error_body(depth)
    outcome = decode(backend.module, [FIRST[dialect] + _sse("error", payload)], dialect)
    error = outcome.exception
    assert isinstance(error, exceptions.StreamInternalServerError), outcome.error
    assert (error.event, error.offset) == (FIRST[dialect].count(b"\n\n"), len(FIRST[dialect]))
    assert [c.choices[0].delta.content for c in outcome.chunks if c.choices and c.choices[0].delta.content] == ["kept"]
    if depth <= LIMIT:
        assert error.body == _json.loads(payload)
        assert "overloaded (an error event in event" in str(error)
    else:
        assert error.body == payload
        assert payload[:1000] in str(error) and len(str(error)) < 2200
        assert (f"... ({len(payload)} characters)" in str(error)) == (len(payload) > 2000)


@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_a_bedrock_exception_frame_nested_past_the_limit(backend: Backend, depth: int) -> None:
    payload = '{"message":"slow down","detail":' + nested(depth - 1) + "}"
    frame = eventstream.message(
        [
            eventstream.header(":message-type", eventstream.STRING, "exception"),
            eventstream.header(":exception-type", eventstream.STRING, "throttlingException"),
            eventstream.header(":content-type", eventstream.STRING, "application/json"),
        ],
        payload.encode(),
    )
    start = eventstream.event("messageStart", {"role": "assistant"})
    delta = eventstream.event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "kept"}})
    outcome = decode(backend.module, [start + delta + frame], "bedrock")
    error = outcome.exception
    assert isinstance(error, exceptions.StreamRateLimitError), outcome.error
    assert (error.event, error.offset) == (2, len(start + delta))
    assert error.body == (_json.loads(payload) if depth <= LIMIT else payload)


@pytest.mark.parametrize(
    ("dialect", "stream"),
    [
        ("openai", lambda p: FIRST["openai"] + b"data: " + p + b"\n\n"),
        ("gemini", lambda p: FIRST["gemini"] + b"data: " + p + b"\n\n"),
        ("ollama", lambda p: b'{"model":"m","message":{"role":"assistant","content":"kept"},"done":false}\n' + p),
        ("anthropic", lambda p: FIRST["anthropic"] + b"event: message_delta\ndata: " + p + b"\n\n"),
    ],
    ids=["openai", "gemini", "ollama", "anthropic"],
)
@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_an_in_band_error_nested_past_the_limit_is_a_decode_error(
    backend: Backend, dialect: str, stream: Any, depth: int
) -> None:
    """The payload itself must be read to see it is an error: past the limit it is not JSON."""
    payload = error_body(depth).encode()
    if dialect == "anthropic":
        payload = b'{"type":"error","error":' + payload[9:-1] + b"}"
    outcome = decode(backend.module, [stream(payload)], dialect)
    if depth <= LIMIT:
        assert isinstance(outcome.exception, exceptions.ProviderStreamError), outcome.error
    else:
        assert isinstance(outcome.exception, exceptions.StreamDecodeError), outcome.error
        assert "nested too deeply" in str(outcome.exception)
    assert [c.choices[0].delta.content for c in outcome.chunks if c.choices and c.choices[0].delta.content] == ["kept"]


def test_both_backends_agree_at_every_depth(both: tuple[Backend, Backend]) -> None:
    rust, python = both
    for depth in [*DEPTHS, 1, 2, LIMIT - 1, 1000]:
        for dialect, first in FIRST.items():
            for stream in (first + _sse("error", error_body(depth)), first + b"data: " + error_body(depth).encode()):
                got = [decode(b.module, [stream], dialect) for b in (rust, python)]
                assert got[0].comparable() == got[1].comparable(), (dialect, depth)
                assert [getattr(o.exception, "body", None) for o in got] == [
                    getattr(got[1].exception, "body", None)
                ] * 2


@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_the_error_mapping_reads_every_payload_under_the_limit(depth: int) -> None:
    payload = error_body(depth)
    for error in (
        http_error(429, payload.encode(), llm_provider="openai", model="m"),
        provider_stream_error(payload, "error", event=3, offset=99),
    ):
        assert isinstance(error, rillm.RateLimitError if error.status_code == 429 else rillm.InternalServerError)
        assert error.body == (_json.loads(payload) if depth <= LIMIT else payload)
        assert ("detail" in str(error)) == (depth > LIMIT)


# -- the Python layer's own parses ---------------------------------------------------------------------------


@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_loads(depth: int) -> None:
    text = nested(depth)
    if depth <= LIMIT:
        assert _json.loads(text) is not None
    else:
        with pytest.raises(_json.JsonError, match="nested too deeply"):
            _json.loads(text)


def test_rillm_replay_guesses_without_recursing() -> None:
    with pytest.raises(GuessError):
        guess_dialect(nested(100_000).replace("[", "{", 1).encode() + b"\n")
    with pytest.raises(GuessError):
        guess_dialect(b"data: " + nested(100_000).encode() + b"\n\n")


def test_a_price_map_file_nested_too_deeply(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"m": ' + nested(100_000) + "}")
    with pytest.raises(ValueError, match="nested too deeply"):
        read_map(str(path))


# -- through completion(), over a real connection -----------------------------------------------------------

pytestmark_e2e = pytest.mark.usefixtures("e2e_env")
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytestmark_e2e
@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_completion_http_error_body(server: Any, depth: int) -> None:
    payload = error_body(depth)
    server.reply(Reply(status=400, body=payload.encode(), headers={"content-type": "application/json"}))
    with pytest.raises(rillm.BadRequestError) as caught:
        rillm.completion("openai/gpt-4o", MESSAGES, api_base=server.url + "/v1", api_key=API_KEY, stream=True)
    assert caught.value.body == (_json.loads(payload) if depth <= LIMIT else payload)
    assert caught.value.status_code == 400


@pytestmark_e2e
@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_completion_error_event_keeps_the_partial_response(server: Any, depth: int) -> None:
    body = FIRST["anthropic"] + _sse("error", error_body(depth))
    server.reply(Reply(body=body, headers={"content-type": "text/event-stream"}, piece_size=1000))
    stream = rillm.completion(
        "anthropic/claude-sonnet-4-5", MESSAGES, api_base=server.url, api_key=API_KEY, stream=True
    )
    with pytest.raises(exceptions.StreamInternalServerError) as caught:
        for _ in stream:
            pass
    assert caught.value.partial_response is not None
    assert caught.value.partial_response.choices[0].message.content == "kept"


@pytestmark_e2e
@pytest.mark.parametrize("depth", DEPTHS, ids=str)
def test_completion_non_streaming_body(server: Any, depth: int) -> None:
    body = '{"id":"c","object":"chat.completion","created":1,"model":"m","x":' + nested(depth - 1) + ',"choices":[]}'
    server.reply(Reply(body=body.encode(), headers={"content-type": "application/json"}))
    call = {"api_base": server.url + "/v1", "api_key": API_KEY}
    if depth <= LIMIT:
        assert rillm.completion("openai/gpt-4o", MESSAGES, **call).id == "c"
    else:
        with pytest.raises(rillm.StreamDecodeError, match="nested too deeply"):
            rillm.completion("openai/gpt-4o", MESSAGES, **call)


@pytestmark_e2e
def test_completion_tool_arguments_nested_too_deeply(server: Any) -> None:
    """A caller's tool-call arguments are read by the same reader: a BadRequestError, before any request."""
    call = {"id": "t1", "type": "function", "function": {"name": "f", "arguments": nested(100_000)}}
    messages = [
        *MESSAGES,
        {"role": "assistant", "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "t1", "content": "x"},
    ]
    with pytest.raises(rillm.BadRequestError, match="nested too deeply"):
        rillm.completion("anthropic/claude-sonnet-4-5", messages, api_base=server.url, api_key=API_KEY)
    assert server.pending == 0
