"""SSE and NDJSON framing on both backends: the WHATWG rules and the edge cases the peer suites test
(../shared/docs/peer-test-suites.md section 1), each fed whole, split at every offset and byte by byte."""

from __future__ import annotations

from typing import Any

import pytest

from rillm.exceptions import EventTooLargeError

from .conftest import Backend


def frame(backend: Backend, stream: bytes, framing: str = "sse", **kw: Any) -> tuple[Any, ...]:
    """The framing of `stream`, checked to be the same however it is split."""
    whole = backend.module.frame_events([stream], framing, **kw)
    assert backend.module.frame_events([stream[i : i + 1] for i in range(len(stream))], framing, **kw) == whole
    for cut in range(len(stream) + 1):
        assert backend.module.frame_events([stream[:cut], b"", stream[cut:]], framing, **kw) == whole, cut
    return whole


def data(backend: Backend, stream: bytes) -> list[bytes]:
    return [event[1] for event in frame(backend, stream)[0]]


@pytest.mark.parametrize("ending", [b"\n", b"\r", b"\r\n"])
def test_every_line_ending(backend: Backend, ending: bytes) -> None:
    # openai-python test_every_chunk_boundary
    assert data(backend, b"data:ok" + ending + ending) == [b"ok"]


def test_cr_then_lf_across_feeds_is_one_line_end(backend: Backend) -> None:
    # eventsource-parser issue #17, openai-node line decoder
    events = backend.module.frame_events([b"data: A\r", b"\ndata: B\r", b"\ndata: C\r\n\r\n"])[0]
    assert [e[1] for e in events] == [b"A\nB\nC"]
    assert data(backend, b"data: a\r\rdata: b\n\n") == [b"a", b"b"]


def test_mixed_endings_and_an_unterminated_tail(backend: Backend) -> None:
    # openai-python test_mixed_endings_utf8_and_eof
    word = "\u0442\u0435\u0441\u0442"  # Cyrillic, two bytes a letter
    stream = f"id:one\r\ndata:{word}\r\n\ndata:two\n\rdata:unfinished".encode()
    events, pending, last_id, _ = frame(backend, stream)
    assert [e[1] for e in events] == [word.encode(), b"two"]
    assert pending == (2, len(stream) - len(b"data:unfinished"))
    assert last_id == b"one"


def test_comments_are_ignored(backend: Backend) -> None:
    stream = b": OPENROUTER PROCESSING\n\n:\n: ping\ndata: x\n\n: \xe2\x99\xa5\n\n"
    assert data(backend, stream) == [b"x"]


def test_a_block_without_data_dispatches_nothing(backend: Backend) -> None:
    # WHATWG; openai-python dispatches these (peer-test-suites section 5), we do not
    events, pending, last_id, retry = frame(backend, b"event: ping\n\nid: 9\n\nretry: 1000\n\ndata:\n\n")
    assert [(e[0], e[1]) for e in events] == [(b"", b"")]
    assert (pending, last_id, retry) == (None, b"9", 1000)


def test_a_phantom_event_after_an_id_is_not_dispatched(backend: Backend) -> None:
    # openai-python#2722: once an id was seen, ": ping\n\n" produced an empty event
    assert data(backend, b"id: 1\ndata: a\n\n: ping\n\n: ping\n\n") == [b"a"]


def test_multi_line_data_joins_with_newlines(backend: Backend) -> None:
    # openai-python test_multiple_data_lines_with_empty_line
    stream = b'data: {\ndata: "foo":\ndata: \ndata:\ndata: true}\n\n'
    assert data(backend, stream) == [b'{\n"foo":\n\n\ntrue}']


def test_field_shapes(backend: Backend) -> None:
    # eventsource-parser data field shapes; httpx-sse two spaces keep one
    assert data(backend, b"data\ndata\n\n") == [b"\n"]
    assert data(backend, b"data:test\n\n") == [b"test"]
    assert data(backend, b"data:  third event\n\n") == [b" third event"]
    assert data(backend, b"unknown: x\ndata: y\n\n") == [b"y"]
    assert data(backend, b"Data: case matters\ndata: z\n\n") == [b"z"]


def test_event_type_and_its_reset(backend: Backend) -> None:
    events = frame(backend, b"event: error\ndata: x\n\ndata: y\n\nevent:\ndata: z\n\n")[0]
    assert [(e[0], e[1]) for e in events] == [(b"error", b"x"), (b"", b"y"), (b"", b"z")]


def test_ids_persist_and_a_nul_is_ignored(backend: Backend) -> None:
    assert frame(backend, b"id: a\ndata: 1\n\nid: b\0c\ndata: 2\n\n")[2] == b"a"
    assert frame(backend, b"id: a\ndata: 1\n\nid:\ndata: 2\n\n")[2] == b""


def test_retry_must_be_digits(backend: Backend) -> None:
    for field, expected in [(b"retry: 50x", None), (b"retry:", None), (b"retry: 2000", 2000)]:
        assert frame(backend, field + b"\ndata: x\n\n")[3] == expected
    assert frame(backend, b"retry: 99999999999999999999999\ndata: x\n\n")[3] is None


def test_one_leading_bom_is_stripped(backend: Backend) -> None:
    assert data(backend, b"\xef\xbb\xbfdata: a\n\n") == [b"a"]
    # A second BOM is part of the first line's field name, which no longer reads as "data".
    assert data(backend, b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n") == [b"b"]
    # Bytes that start like a BOM but are not one stay in the stream.
    assert frame(backend, b"\xefdata\n\n", "ndjson")[0][0][1] == b"\xefdata"


def test_utf8_split_across_feeds(backend: Backend) -> None:
    # openai-python test_multi_byte_character_multiple_chunks; U+2028 is not a line end
    word = "\u043f\u0440\u0438\u0432\u0435\u0442\u2028\u043c\u0438\u0440"  # two Cyrillic words, U+2028 between
    assert data(backend, f"data: {word}\n\n".encode()) == [word.encode()]


def test_offsets_and_event_numbers(backend: Backend) -> None:
    events, pending, _, _ = frame(backend, b": hi\n\ndata: a\n\nid: 1\ndata: b\n\ndata: cut")
    assert [(e[2], e[3]) for e in events] == [(0, 6), (1, 15)]
    assert pending == (2, 30)


def test_unterminated_lines_hold_nothing(backend: Backend) -> None:
    # openai-python test_unterminated_event: lines without a blank line never dispatch
    for line in (b":x\n", b"data:x\n", b"ignored:x\n"):
        events, pending, _, _ = backend.module.frame_events([line * 2000])
        assert events == []
        assert (pending is not None) == (line == b"data:x\n")


def test_many_events_in_one_feed(backend: Backend) -> None:
    events = backend.module.frame_events([b"data: x\n\n" * 2000])[0]
    assert len(events) == 2000


def test_a_large_event_fed_a_byte_at_a_time(backend: Backend) -> None:
    value = b"x" * (1 << 18)
    events = backend.module.frame_events([b"data: ", *[value[i : i + 1] for i in range(len(value))], b"\n\n"])[0]
    assert [len(e[1]) for e in events] == [len(value)]


def test_max_event_bytes(backend: Backend) -> None:
    ok = backend.module.frame_events([b"data: 0123456789\n\n"], "sse", 16)
    assert [e[1] for e in ok[0]] == [b"0123456789"]
    for pieces in ([b"data: 0123456789abcdef\n\n"], [b"data: 0123456", b"789abcdef"]):
        with pytest.raises(EventTooLargeError) as info:
            backend.module.frame_events([b"data: 1\n\n", *pieces], "sse", 16)
        assert (info.value.event, info.value.offset) == (1, 9)
        assert "larger than max_event_bytes (16 bytes)" in str(info.value)


def test_ndjson(backend: Backend) -> None:
    # openai-node: CRLF separators, blank lines, an unterminated last line accepted at the end
    events, pending, _, _ = frame(backend, b'{"a":1}\r\n\n  \n{"b":2}', "ndjson")
    assert [(e[1], e[2], e[3]) for e in events] == [(b'{"a":1}', 0, 0), (b'{"b":2}', 1, 13)]
    assert pending is None
    with pytest.raises(EventTooLargeError):
        backend.module.frame_events([b"0123456789012345678"], "ndjson", 16)


def test_an_unknown_framing_is_refused(backend: Backend) -> None:
    with pytest.raises(ValueError, match='unknown framing "xml"'):
        backend.module.frame_events([b""], "xml")
