"""The twin reads the commonest input on fast paths of its own (framing/sse.py `Lines.feed_sse`: a `data: `
line and the blank line right after it; jsonutil.loads: a short payload read by the C scanner alone): every
spelling of those lines and payloads, and every near miss that must take the general path, split at every
offset, gives what the Rust core gives."""

from __future__ import annotations

from typing import Any

import pytest

from ..conftest import Backend, decode

pytestmark = pytest.mark.rust

CHUNK = b'{"choices":[{"index":0,"delta":{"content":"a"}}]}'
STREAMS = {
    "lf": b"data: " + CHUNK + b"\n\ndata: [DONE]\n\n",
    "cr": b"data: " + CHUNK + b"\r\rdata: [DONE]\r\r",
    "crlf": b"data: " + CHUNK + b"\r\n\r\ndata: [DONE]\r\n\r\n",
    "crlf-then-lf": b"data: " + CHUNK + b"\r\n\ndata: [DONE]\n\r\n",
    "event-and-id-first": b"event: message\nid: 7\ndata: " + CHUNK + b"\n\nid: 8\ndata: [DONE]\n\n",
    "two-data-lines": b'data: {"choices":\ndata: []}\n\ndata: [DONE]\n\n',
    "no-space": b"data:" + CHUNK + b"\n\ndata:[DONE]\n\n",
    "two-spaces": b"data:  " + CHUNK + b"\n\ndata: [DONE]\n\n",
    "bom": b"\xef\xbb\xbfdata: " + CHUNK + b"\n\ndata: [DONE]\n\n",
    "comment-between": b"data: " + CHUNK + b"\n: ping\n\ndata: [DONE]\n\n",
    "blank-lines": b"\n\n\ndata: " + CHUNK + b"\n\n\n\ndata: [DONE]\n\n",
    "empty-data": b"data: \n\ndata: " + CHUNK + b"\n\ndata: [DONE]\n\n",
    "no-blank-line-at-end": b"data: " + CHUNK + b"\n\ndata: [DONE]\n",
    "unterminated": b"data: " + CHUNK + b"\n\ndata: " + CHUNK,
    "leading-space": b"data: " + CHUNK + b"\n\n data: [DONE]\n\n",
    "after-done": b"data: [DONE]\n\ndata: " + CHUNK + b"\n\n",
    "error-event": b"data: " + CHUNK + b'\n\nevent: error\ndata: {"error":{"message":"m"}}\n\n',
    "payload-padded": b"data:  \t" + CHUNK + b" \n\ndata: [DONE]\n\n",
    "escapes": b'data: {"choices":[{"delta":{"content":"\\u00e9\\n"}}]}\n\ndata: [DONE]\n\n',
    "lone-surrogate": b'data: {"choices":[{"delta":{"content":"\\ud800"}}]}\n\n',
    "nan": b'data: {"choices":[],"x":NaN}\n\n',
    "huge-float": b'data: {"choices":[],"x":1e999}\n\n',
    "trailing-garbage": b"data: " + CHUNK + b" x\n\n",
    "deep": b'data: {"choices":[],"x":' + b"[" * 300 + b"]" * 300 + b"}\n\n",
    "deep-in-a-string": b'data: {"choices":[],"x":"' + b"[" * 600 + b'"}\n\ndata: [DONE]\n\n',
}


def outcome(backend: Backend, pieces: list[bytes], **options: Any) -> Any:
    result = decode(backend.module, pieces, "openai", **options)
    return result.error, [chunk.model_dump() for chunk in result.chunks]


def framed(backend: Backend, pieces: list[bytes], limit: int) -> Any:
    try:
        return backend.module.frame_events(pieces, "sse", limit)
    except Exception as exc:  # the exception is what is compared
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("name", STREAMS)
def test_every_split_agrees(both: tuple[Backend, Backend], name: str) -> None:
    data = STREAMS[name]
    for cut in range(len(data) + 1):
        pieces = [data[:cut], data[cut:]]
        rust, python = (outcome(b, pieces) for b in both)
        assert rust == python, cut
        rust, python = (framed(b, pieces, 1 << 20) for b in both)
        assert rust == python, cut


@pytest.mark.parametrize("limit", [len(CHUNK) + 5, len(CHUNK) + 6, len(CHUNK) + 7])
def test_an_event_at_the_size_limit(both: tuple[Backend, Backend], limit: int) -> None:
    """The limit counts the whole line, `data: ` included, as SseState.line counts it."""
    data = STREAMS["lf"]
    for cut in (0, 3, len(CHUNK), len(CHUNK) + 6, len(CHUNK) + 7, len(data)):
        rust, python = (framed(b, [data[:cut], data[cut:]], limit) for b in both)
        assert rust == python, cut


def test_bytes_fed_when_the_stream_stops_inside_a_feed(both: tuple[Backend, Backend]) -> None:
    """After `[DONE]` the rest of the feed is not read: the count stops after its blank line, whichever line
    ending it has."""
    for ending in (b"\n", b"\r", b"\r\n"):
        data = b"data: " + CHUNK + ending * 2 + b"data: [DONE]" + ending * 2 + b"data: x" + ending * 2
        fed = []
        for backend in both:
            decoder = backend.module.StreamDecoder("openai", created=1)
            decoder.feed(data)
            fed.append((decoder.done, decoder.bytes_fed))
        assert fed[0] == fed[1] == (True, len(data) - len(b"data: x") - 2 * len(ending)), ending


# The twin reads a chunk that begins as the last one did, through `"choices":`, from there on, and puts the
# head's keys before what it read (decode/openai.py `OpenAiDecoder.read`): every way a head can repeat, change,
# be refused or be followed by keys that replace its own must read as one parse of the whole chunk does.
_HEAD = '{"id":"c1","object":"chat.completion.chunk","created":5,"model":"m","system_fingerprint":"fp",'
_REST = '"choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":null}]}'
HEADS = {
    "repeated": [_HEAD + _REST % i for i in range(3)],
    "replaced-after-choices": [_HEAD + _REST % 0, _HEAD + (_REST % 1)[:-1] + ',"model":"late","id":"c2"}'],
    "repeated-in-the-head": [_HEAD + '"model":"n",' + _REST % i for i in range(3)],
    "choices-in-a-key": ['{"a\\"choices":1,"id":"c1",' + _REST % i for i in range(3)],
    "space-before-choices": [_HEAD[:-1] + ' ,\t"choices":' + _REST[10:] % i for i in range(3)],
    "choices-first": ["{" + (_REST % i)[:-1] + ',"id":"c1"}' for i in range(3)],
    "a-list-in-the-head": [_HEAD + '"extra":[1],' + _REST % i for i in range(3)],
    "escaped-head": ['{"\\u0069d":"c\\u00e9",' + _REST % i for i in range(3)],
    "head-then-bad-rest": [_HEAD + _REST % 0, _HEAD + (_REST % 1)[:-1], _HEAD + _REST % 2],
    "head-then-deep-rest": [_HEAD + _REST % 0, _HEAD + (_REST % 1)[:-1] + ',"x":' + "[" * 300 + "]" * 300 + "}"],
    "head-then-cut": [_HEAD + _REST % 0, _HEAD[:-1] + ',"choices":'],
    "extras-changing": [
        _HEAD + (_REST % 0)[:-1] + ',"a":1}',
        _HEAD + (_REST % 1)[:-1] + ',"b":2}',
        _HEAD + (_REST % 2)[:-1] + ',"a":3,"b":4}',
        _HEAD + (_REST % 3)[:-1] + ',"b":5,"a":6}',
        _HEAD + _REST % 4,
        _HEAD + (_REST % 5)[:-1] + ',"a":7}',
    ],
    "text-deltas": [_HEAD + _REST.replace('{"content":"%s"}', d) for d in ('{"content":null}', '{"role":"x"}', "{}")],
    "every-head-new": [_HEAD.replace(":5,", f":{i},") + _REST % i for i in range(12)] + [_HEAD + _REST % 0] * 2,
}


@pytest.mark.parametrize("name", HEADS)
def test_a_repeated_head_reads_as_the_whole_chunk(both: tuple[Backend, Backend], name: str) -> None:
    data = b"".join(b"data: " + chunk.encode() + b"\n\n" for chunk in HEADS[name]) + b"data: [DONE]\n\n"
    for pieces in ([data], [data[i : i + 1] for i in range(len(data))], [data[:97], data[97:]]):
        rust, python = (decode(b.module, pieces) for b in both)
        assert rust.comparable() == python.comparable()
        assert [repr(c) for c in rust.chunks] == [repr(c) for c in python.chunks]
    assert (rust.error is None) == (name not in ("head-then-bad-rest", "head-then-deep-rest", "head-then-cut"))


def test_chunks_of_one_head_share_no_list(both: tuple[Backend, Backend]) -> None:
    """A head whose values are not all immutable is not kept: each chunk has its own objects."""
    data = "".join(f"data: {chunk}\n\n" for chunk in HEADS["a-list-in-the-head"]).encode()
    for backend in both:
        first, second, third = decode(backend.module, [data]).chunks
        assert first.extra == second.extra == third.extra == [1]
        assert first.extra is not second.extra and second.extra is not third.extra
