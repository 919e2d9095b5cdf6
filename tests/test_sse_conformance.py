"""SSE conformance, the same on both backends and on the "sse" and "auto" framings: the points of the WHATWG
interpretation rules (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation)
the web-platform-tests eventsource format cases and the peers' suites (../shared/docs/peer-test-suites.md
section 1) check. The last event ID changes when its block ends, not when its `id` line arrives; an unfinished
last line is discarded at the end of the stream; white space before the first field is part of it (` data: x`
is a field named " data"), whichever framing reads it. Twin of the Rust unit tests in rust/framing/tests.rs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import DIALECTS, Backend, decode, dialect_of, recording_id, recordings

FRAMINGS = ["sse", "auto"]


def frame(backend: Backend, stream: bytes, framing: str) -> tuple[Any, ...]:
    """The framing of `stream` whole, byte by byte and cut at every offset: always the same."""
    whole = backend.module.frame_events([stream], framing)
    assert backend.module.frame_events([stream[i : i + 1] for i in range(len(stream))], framing) == whole
    for cut in range(len(stream) + 1):
        assert backend.module.frame_events([stream[:cut], stream[cut:]], framing) == whole, cut
    return whole


def data(backend: Backend, stream: bytes, framing: str) -> list[bytes]:
    return [event[1] for event in frame(backend, stream, framing)[0]]


# --- fields (web-platform-tests eventsource format-* cases, in our own words) -------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_field_names_are_exact(backend: Backend, framing: str) -> None:
    # Only a line whose name is exactly "data" adds data: case, a NUL, a leading space or NUL, a hyphen or an
    # underscore all make another (unknown) field; every line end counts, and `data:` adds an empty line.
    stream = (
        b"data:\x00\rdata:  two\nDATA:no\r\ndata\x00:no\ndata:three\r\x00data:no\n"
        b"da-ta:no\rdata_no\ndata:four\rdata:\r\n data:no\ndata:five\n\n"
    )
    assert data(backend, stream, framing) == [b"\x00\n two\nthree\nfour\n\nfive"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_unknown_lines_and_comments_add_nothing(backend: Backend, framing: str) -> None:
    stream = b"data:first\n data\ndata\nnot-a-field:1\nplain words\n:a comment\ndata:last\n\n"
    assert data(backend, stream, framing) == [b"first\n\nlast"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_only_one_space_after_the_colon_is_dropped(backend: Backend, framing: str) -> None:
    assert data(backend, b"data:\tx\rdata: \ndata:y\n\n", framing) == [b"\tx\n\ny"]
    assert data(backend, b"data:\x00\n\n\n\n", framing) == [b"\x00"]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_an_event_without_its_blank_line_is_never_dispatched(backend: Backend, framing: str) -> None:
    events, pending, _, _ = frame(backend, b"data:1\n\ndata:2\n", framing)
    assert [e[1] for e in events] == [b"1"]
    assert pending == (1, 8)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_a_bom_in_the_middle_is_part_of_a_field_name(backend: Backend, framing: str) -> None:
    bom = b"\xef\xbb\xbf"
    assert data(backend, bom + b"data:1\n\n" + bom + b"data:2\n\ndata:3\n\n", framing) == [b"1", b"3"]


# --- the last event ID: taken when the block ends ------------------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize(
    ("stream", "last_id"),
    [
        # An id after the data of its block still belongs to that block's event.
        (b"data:1\nid:a\n\n", b"a"),
        # A block with an id and no data sets it without an event; an empty id resets it.
        (b"id: 7\n\n", b"7"),
        (b"id: 7\ndata: x\n\nid\n\n", b""),
        (b"id: 7\ndata: x\n\nid:\ndata: y\n\n", b""),
        # A NUL makes the line ignored: the id before it stays.
        (b"id: 1\ndata: x\n\nid: 2\x00\ndata: y\n\n", b"1"),
        # The block holding id 2 never ends: the stream was cut inside that event, so a client resuming
        # from the last event ID must ask again from id 1.
        (b"id: 1\ndata: a\n\nid: 2\ndata: b\n", b"1"),
        (b"id: 1\ndata: a\n\nid: 2\n", b"1"),
        (b"id: 1\ndata: a\n\ndata: b\nid: 2\n", b"1"),
        (b"id: 1\ndata: a\n\nid: 2\ndata: b\nid: 3", b"1"),
    ],
)
def test_the_last_event_id_changes_when_its_block_ends(
    backend: Backend, framing: str, stream: bytes, last_id: bytes
) -> None:
    assert frame(backend, stream, framing)[2] == last_id


def _openai_event(index: int) -> bytes:
    chunk = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "m"}
    chunk["choices"] = [{"index": 0, "delta": {"content": f"t{index}"}, "finish_reason": None}]
    return f"id: {index}\ndata: {json.dumps(chunk)}\n\n".encode()


def test_a_decoders_last_event_id_follows_the_events_it_dispatched(backend: Backend) -> None:
    # Fed a byte at a time, the decoder's last_event_id is always the id of the last event it gave a chunk
    # for, never that of an event still arriving.
    stream = b"".join(_openai_event(i) for i in range(1, 4))
    decoder = backend.module.StreamDecoder("openai", created=1)
    texts: list[str] = []
    for i in range(len(stream)):
        texts.extend(c.choices[0].delta.content for c in decoder.feed(stream[i : i + 1]))
        expected = texts[-1][1:] if texts else ""
        assert decoder.last_event_id == expected, i
    assert texts == ["t1", "t2", "t3"]


# --- the end of the stream: an unfinished last line is discarded ----------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("tail", [b"id: 9", b"retry: 5", b"event: x", b": comment", b"other: 1", b"id: 9\r"])
def test_an_unfinished_last_line_has_no_effect(backend: Backend, framing: str, tail: bytes) -> None:
    head = b"id: 1\nretry: 10\ndata: a\n\n"
    events, pending, last_id, retry = frame(backend, head + tail, framing)
    # (With its CR, "id: 9" is a whole line, of a block that never ends: no effect either.)
    assert ([e[1] for e in events], pending, last_id, retry) == ([b"a"], None, b"1", 10)


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("tail", [b"data: cut", b"data", b"data:"])
def test_a_data_line_cut_short_is_where_the_stream_ended_inside_an_event(
    backend: Backend, framing: str, tail: bytes
) -> None:
    head = b"data: a\n\n"
    events, pending, _, _ = frame(backend, head + tail, framing)
    assert ([e[1] for e in events], pending) == ([b"a"], (1, len(head)))
    # The event started at its first line, even when that line was no data line.
    events, pending, _, _ = frame(backend, head + b"event: e\n" + tail, framing)
    assert ([e[1] for e in events], pending) == ([b"a"], (1, len(head)))
    # A name that only starts with "data" is another field.
    assert frame(backend, head + b"datum: x", framing)[1] is None


# --- "auto": white space is not skipped before an SSE field ---------------------------------------------------


@pytest.mark.parametrize("lead", [b" ", b"\t", b" \t ", b"\n ", b"\r\n\t", b"\xef\xbb\xbf "])
def test_auto_frames_leading_white_space_as_sse_does(backend: Backend, lead: bytes) -> None:
    stream = lead + b"data: x\n\ndata: y\n\n"
    assert frame(backend, stream, "auto") == frame(backend, stream, "sse")
    assert data(backend, stream, "auto") == [b"y"]


def test_auto_still_skips_white_space_before_json(backend: Backend) -> None:
    events, _, _, _ = frame(backend, b' \t\r\n {"a":1}\n{"b":2}\n', "auto")
    assert [(e[1], e[3]) for e in events] == [(b'{"a":1}', 5), (b'{"b":2}', 13)]
    events, _, _, _ = frame(backend, b'\r\n [{"a":1}]', "auto")
    assert [e[1] for e in events] == [b'{"a":1}']


def test_auto_refuses_a_first_line_of_white_space_past_the_limit(backend: Backend) -> None:
    from rillm.exceptions import EventTooLargeError

    with pytest.raises(EventTooLargeError):
        backend.module.frame_events([b" " * 17], "auto", 16)
    assert backend.module.frame_events([b" " * 16 + b"\n" + b" " * 16 + b'\n{"a":1}\n'], "auto", 16)[0]


SSE_RECORDINGS = [p for p in recordings(DIALECTS) if p.suffix == ".sse"]


@pytest.mark.parametrize("path", SSE_RECORDINGS, ids=recording_id)
def test_a_leading_space_makes_the_first_field_unknown_in_every_dialect(backend: Backend, path: Any) -> None:
    # " data: ..." and "xdata: ..." are both unknown fields of the same length: every dialect must decode
    # the two alike, whatever framing it uses.
    body = path.read_bytes()
    dialect = dialect_of(path)
    for lead in (b" ", b"\t"):
        spaced = decode(backend.module, [lead + body], dialect, id="x", created=1)
        renamed = decode(backend.module, [b"x" + body], dialect, id="x", created=1)
        assert spaced.comparable() == renamed.comparable()
