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


# --- auto-detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "expected"),
    [
        (b'  \r\n{"a":1}\n{"b":2}', [b'{"a":1}', b'{"b":2}']),
        (b'\xef\xbb\xbf\n[{"a":1},\n{"b":[2]}]', [b'{"a":1}', b'{"b":[2]}']),
        (b"\n\ndata: x\n\n", [b"x"]),
        (b"\xef\xbb\xbfevent: e\ndata: y\n\n", [b"y"]),
    ],
)
def test_auto_picks_the_framing_from_the_first_significant_byte(
    backend: Backend, stream: bytes, expected: list[bytes]
) -> None:
    events, pending, _, _ = frame(backend, stream, "auto")
    assert [e[1] for e in events] == expected
    assert pending is None


def test_auto_keeps_a_broken_bom_as_sse_data(backend: Backend) -> None:
    # Two BOM bytes and then something else: SSE, and the two bytes start the first line (a field name).
    events, _, _, _ = frame(backend, b"\xef\xbbdata: x\n\ndata: y\n\n", "auto")
    assert [(e[1], e[3]) for e in events] == [(b"y", 11)]


def test_auto_offsets_count_what_was_skipped(backend: Backend) -> None:
    events, _, _, _ = frame(backend, b' \n {"a":1}\n', "auto")
    assert [(e[2], e[3]) for e in events] == [(0, 3)]
    assert backend.module.frame_events([b"  \n"], "auto") == ([], None, b"", None)


# --- JSON arrays ------------------------------------------------------------------------------------------


def test_json_array_elements_and_offsets(backend: Backend) -> None:
    stream = b'[{"a":"}]\\"{"}\n,\r\n {"b":{"c":[1,{}]}}\n]\n'
    events, pending, _, _ = frame(backend, stream, "json_array")
    assert [(e[1], e[2], e[3]) for e in events] == [(b'{"a":"}]\\"{"}', 0, 1), (b'{"b":{"c":[1,{}]}}', 1, 19)]
    assert pending is None
    assert frame(backend, b"[ ]", "json_array")[0] == []


@pytest.mark.parametrize(
    ("stream", "event", "offset", "message"),
    [
        (b'[{"a":1} {"b":2}]', 1, 9, "expected `,` or `]` in the JSON array, found '{'"),
        (b'[{"a":1},]', 1, 9, "expected an object in the JSON array, found ']'"),
        (b"[1]", 0, 1, "expected an object or `]` in the JSON array, found '1'"),
        (b'[{"a":1}] x', 1, 10, "'x' after the end of the JSON array"),
        (b'{"a":1}', 0, 0, "expected `[` in the JSON array, found '{'"),
    ],
)
def test_json_array_junk_is_a_decode_error(
    backend: Backend, stream: bytes, event: int, offset: int, message: str
) -> None:
    from rillm.exceptions import StreamDecodeError

    for pieces in ([stream], [stream[i : i + 1] for i in range(len(stream))]):
        with pytest.raises(StreamDecodeError) as info:
            backend.module.frame_events(pieces, "json_array")
        assert (info.value.event, info.value.offset) == (event, offset)
        assert message in str(info.value)


def test_json_array_cut_short(backend: Backend) -> None:
    assert frame(backend, b'[{"a":1},\n{"b":', "json_array")[1] == (1, 10)
    assert frame(backend, b'[{"a":1},\n', "json_array")[1] == (1, 10)
    assert frame(backend, b"", "json_array")[1] == (0, 0)


def test_json_array_max_event_bytes(backend: Backend) -> None:
    assert len(backend.module.frame_events([b'[{"a":"0123456789"}]'], "json_array", 18)[0]) == 1
    for pieces in ([b'[{"a":1},{"a":"0123456789"}]'], [b'[{"a":1},{"a":"01234', b'56789"}]']):
        with pytest.raises(EventTooLargeError) as info:
            backend.module.frame_events(pieces, "json_array", 17)
        assert (info.value.event, info.value.offset) == (1, 9)


# --- AWS event-stream -------------------------------------------------------------------------------------


def test_eventstream_events_and_every_header_type(backend: Backend) -> None:
    from . import eventstream as es

    first = es.event("messageStart", {"role": "assistant"})
    second = es.message(es.every_header_type(), b'{"usage":{}}')
    events, pending, _, _ = frame(backend, first + second, "eventstream")
    assert events == [
        (b"messageStart", b'{"role":"assistant"}', 0, 0, False),
        (b"metadata", b'{"usage":{}}', 1, len(first), False),
    ]
    assert pending is None


def test_eventstream_exceptions_and_errors(backend: Backend) -> None:
    from . import eventstream as es

    error = es.message(
        [
            es.header(":message-type", es.STRING, "error"),
            es.header(":error-code", es.STRING, "InternalFailure"),
            es.header(":error-message", es.STRING, 'bad "thing"'),
        ],
        b"",
    )
    stream = es.exception("throttlingException", "slow down") + error
    events = frame(backend, stream, "eventstream")[0]
    assert [(e[0], e[1], e[4]) for e in events] == [
        (b"throttlingException", b'{"message": "slow down"}', True),
        (b"InternalFailure", b'{"message":"bad \\"thing\\""}', True),
    ]


def _corrupt(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        (9, "prelude CRC32 mismatch"),
        (20, "message CRC32 mismatch"),
        (-1, "message CRC32 mismatch"),
    ],
)
def test_eventstream_crc_mismatch_names_the_frame(backend: Backend, where: int, message: str) -> None:
    from rillm.exceptions import StreamDecodeError

    from . import eventstream as es

    good = es.event("messageStart", {"role": "assistant"})
    bad = _corrupt(good, where % len(good))
    stream = good + bad
    for pieces in ([stream], [stream[i : i + 1] for i in range(len(stream))]):
        with pytest.raises(StreamDecodeError) as info:
            backend.module.frame_events(pieces, "eventstream")
        assert (info.value.event, info.value.offset) == (1, len(good))
        assert message in str(info.value)
        assert f"event 1 starting at byte {len(good)}" in str(info.value)


def _raw(total: int, headers_len: int, rest: bytes) -> bytes:
    import struct
    import zlib

    prelude = struct.pack(">II", total, headers_len)
    body = prelude + struct.pack(">I", zlib.crc32(prelude)) + rest
    return body + struct.pack(">I", zlib.crc32(body))


@pytest.mark.parametrize(
    ("frame_bytes", "message"),
    [
        (_raw(16, 1, b""), "headers length 1 does not fit in a message of 16 bytes"),
        (_raw(15, 0, b"")[:15], "message length 15 is shorter than 16 bytes"),
        (_raw(19, 3, b"\x00ab"), "header at byte 12: empty header name"),
        (_raw(19, 3, b"\x05ab"), "header at byte 12: the name runs past the end of the headers"),
        (_raw(19, 3, b"\x01aZ"), "header at byte 12: unknown value type 90"),
        (_raw(20, 4, b"\x01a\x07\x00"), "header at byte 12: the value length runs past the end of the headers"),
        (_raw(22, 6, b"\x01a\x07\x00\x09x"), "header at byte 12: the value runs past the end of the headers"),
        (_raw(18, 2, b"\x01a"), "header at byte 12: the value type is missing"),
        (_raw(31, 15, b"\x0d:message-type\x07"[:15]), "the value length runs past"),
    ],
)
def test_eventstream_malformed_frames(backend: Backend, frame_bytes: bytes, message: str) -> None:
    from rillm.exceptions import StreamDecodeError

    with pytest.raises(StreamDecodeError) as info:
        backend.module.frame_events([frame_bytes], "eventstream")
    assert (info.value.event, info.value.offset) == (0, 0)
    assert message in str(info.value)


def test_eventstream_unknown_message_type(backend: Backend) -> None:
    from rillm.exceptions import StreamDecodeError

    from . import eventstream as es

    stream = es.message([es.header(":message-type", es.STRING, "gossip")], b"{}")
    with pytest.raises(StreamDecodeError, match='unknown :message-type "gossip"'):
        backend.module.frame_events([stream], "eventstream")


def test_eventstream_truncated_and_too_large(backend: Backend) -> None:
    from . import eventstream as es

    good = es.event("messageStart", {"role": "assistant"})
    assert frame(backend, good + good[:7], "eventstream")[1] == (1, len(good))
    assert frame(backend, good + good[:30], "eventstream")[1] == (1, len(good))
    limit = len(good) - 1
    for pieces in ([good], [good[:5], good[5:]]):
        with pytest.raises(EventTooLargeError) as info:
            backend.module.frame_events(pieces, "eventstream", limit)
        assert (info.value.event, info.value.offset) == (0, 0)
