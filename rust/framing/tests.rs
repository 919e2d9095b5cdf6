//! The framer's unit tests: the WHATWG rules, NDJSON, `auto`, limits. Twin: `tests/test_framing.py` and
//! `tests/test_sse_conformance.py`, which run the same rules on both backends.

use super::*;

/// (event type, data, event number, offset) of one event.
type Framed = (String, String, u64, u64);

/// Every event, plus what `finish` reports.
fn frame(framing: Framing, pieces: &[&[u8]]) -> (Vec<Framed>, Option<Pos>) {
    let mut framer = Framer::new(framing, DEFAULT_MAX_EVENT_BYTES);
    let mut out = Vec::new();
    let mut push = |ev: Event<'_>| {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        out.push((text(ev.kind), text(ev.data), ev.pos.event, ev.pos.offset));
        Ok(Flow::Continue)
    };
    for piece in pieces {
        framer.feed(piece, &mut push).unwrap();
    }
    let pending = framer.finish(&mut push).unwrap().map(|p| p.pos);
    (out, pending)
}

fn sse_data(pieces: &[&[u8]]) -> Vec<String> {
    frame(Framing::Sse, pieces).0.into_iter().map(|e| e.1).collect()
}

#[test]
fn line_endings_and_split_crlf() {
    for ending in ["\n", "\r", "\r\n"] {
        let stream = format!("data:ok{ending}{ending}");
        let bytes = stream.as_bytes();
        for cut in 0..=bytes.len() {
            assert_eq!(
                sse_data(&[&bytes[..cut], b"", &bytes[cut..]]),
                ["ok"],
                "{ending:?} cut at {cut}"
            );
        }
    }
    // CR at the end of one feed, LF at the start of the next: one line end, not an empty line.
    assert_eq!(sse_data(&[b"data: a\r", b"\ndata: b\n\n"]), ["a\nb"]);
    assert_eq!(sse_data(&[b"data: a\r", b"\r", b"data: b\n\n"]), ["a", "b"]);
}

#[test]
fn fields_per_whatwg() {
    assert_eq!(sse_data(&[b"data\ndata\n\n"]), ["\n"]);
    assert_eq!(sse_data(&[b"data:  two spaces\n\n"]), [" two spaces"]);
    assert_eq!(sse_data(&[b": comment\nevent: only\n\nid: 7\n\ndata:\n\n"]), [""]);
    assert_eq!(sse_data(&[b"data: {\ndata: \"a\": 1\ndata: }\n\n"]), ["{\n\"a\": 1\n}"]);
    let (events, _) = frame(Framing::Sse, &[b"event: error\ndata: x\n\ndata: y\n\n"]);
    assert_eq!(events[0].0, "error");
    assert_eq!(events[1].0, "");
}

#[test]
fn bom_split_and_not_a_bom() {
    assert_eq!(sse_data(&[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]), ["x"]);
    // Only one BOM is stripped; a lone 0xEF is data.
    assert_eq!(sse_data(&[b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\ndata: y\n\n"]), ["y"]);
    let (events, _) = frame(Framing::Ndjson, &[b"\xEF", b"1\n"]);
    assert_eq!(events[0].1, "\u{FFFD}1");
}

#[test]
fn offsets_and_numbers() {
    let (events, pending) = frame(
        Framing::Sse,
        &[b": hi\n\ndata: a\n\nid: 1\ndata: b\n\ndata: unfinished"],
    );
    let pos: Vec<_> = events.iter().map(|e| (e.2, e.3)).collect();
    assert_eq!(pos, [(0, 6), (1, 15)]);
    assert_eq!(pending, Some(Pos { event: 2, offset: 30 }));
}

#[test]
fn id_persists_and_nul_is_ignored() {
    let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
    framer
        .feed(
            b"id: one\ndata: a\n\nid: t\0wo\ndata: b\n\nretry: 1500\nretry: 15x\n\n",
            |_| Ok(Flow::Continue),
        )
        .unwrap();
    assert_eq!(framer.last_event_id(), b"one");
    assert_eq!(framer.retry(), Some(1500));
}

#[test]
fn the_last_event_id_changes_when_its_block_ends() {
    let body = b"id: 1\ndata: a\n\nid: 2\ndata: b\nid: 3\n";
    for end in 0..=body.len() {
        let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
        framer.feed(&body[..end], |_| Ok(Flow::Continue)).unwrap();
        let expected: &[u8] = if end >= 15 { b"1" } else { b"" };
        assert_eq!(framer.last_event_id(), expected, "{end}");
    }
    // A block without data still sets it; an empty id resets it.
    let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
    framer.feed(b"id: 7\n\n", |_| Ok(Flow::Continue)).unwrap();
    assert_eq!(framer.last_event_id(), b"7");
    framer.feed(b"id\n\n", |_| Ok(Flow::Continue)).unwrap();
    assert_eq!(framer.last_event_id(), b"");
}

#[test]
fn an_unfinished_last_line_is_discarded() {
    for tail in [&b"id: 9"[..], b"retry: 5", b"event: x", b": c"] {
        let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
        framer
            .feed(b"id: 1\nretry: 1\ndata: a\n\n", |_| Ok(Flow::Continue))
            .unwrap();
        framer.feed(tail, |_| Ok(Flow::Continue)).unwrap();
        assert_eq!(framer.finish(|_| Ok(Flow::Continue)).unwrap(), None);
        assert_eq!((framer.last_event_id(), framer.retry()), (&b"1"[..], Some(1)));
    }
    // A data line cut short is still where the stream ended inside an event.
    let (events, pending) = frame(Framing::Sse, &[b"data: a\n\nevent: e\ndata: cut"]);
    assert_eq!((events.len(), pending), (1, Some(Pos { event: 1, offset: 9 })));
}

#[test]
fn auto_reads_leading_white_space_as_sse() {
    for lead in [&b" "[..], b"\t", b"\xEF\xBB\xBF ", b"\n \t", b"\r\n "] {
        let body = [lead, b"data: x\n\ndata: y\n\n"].concat();
        let sse = frame(Framing::Sse, &[&body]);
        assert_eq!(frame(Framing::Auto, &[&body]), sse);
        assert_eq!(sse.0.iter().map(|e| e.1.as_str()).collect::<Vec<_>>(), ["y"]);
    }
    // Blank lines before the first field: the same offsets as `sse`.
    let body = b"\n\r\n \ndata: x\n\n";
    assert_eq!(frame(Framing::Auto, &[body]), frame(Framing::Sse, &[body]));
    // JSON may follow white space.
    let (events, _) = frame(Framing::Auto, &[b" \r\n\t{\"a\":1}\n"]);
    assert_eq!((events[0].1.as_str(), events[0].3), ("{\"a\":1}", 4));
    // A first line of white space past the limit is refused as SSE's.
    let mut framer = Framer::new(Framing::Auto, 8);
    assert!(framer.feed(b"          ", |_| Ok(Flow::Continue)).is_err());
}

#[test]
fn ndjson_lines() {
    let (events, pending) = frame(Framing::Ndjson, &[b"{\"a\":1}\r\n\n  \n{\"b\"", b":2}"]);
    let data: Vec<_> = events.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(data, ["{\"a\":1}", "{\"b\":2}"]);
    assert_eq!(pending, None);
}

#[test]
fn max_event_bytes_is_enforced_across_feeds() {
    let mut framer = Framer::new(Framing::Sse, 16);
    let mut ok = |_: Event<'_>| Ok(Flow::Continue);
    framer.feed(b"data: 0123456789\n\n", &mut ok).unwrap();
    framer.feed(b"data: 0123456", &mut ok).unwrap();
    let err = framer.feed(b"789abcdef", &mut ok).unwrap_err();
    assert_eq!(
        err,
        Error::EventTooLarge {
            pos: Pos { event: 1, offset: 18 },
            limit: 16
        }
    );
}

#[test]
fn one_byte_feeds_of_a_large_event_stay_linear() {
    let mut stream = b"data: ".to_vec();
    stream.extend(std::iter::repeat_n(b'x', 1 << 20));
    stream.extend_from_slice(b"\n\n");
    let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
    let mut sizes = Vec::new();
    for byte in stream.chunks(1) {
        framer
            .feed(byte, |ev| {
                sizes.push(ev.data.len());
                Ok(Flow::Continue)
            })
            .unwrap();
    }
    assert_eq!(sizes, [1 << 20]);
}

#[test]
fn stop_leaves_the_rest_unread() {
    let mut framer = Framer::new(Framing::Sse, DEFAULT_MAX_EVENT_BYTES);
    let mut seen = 0;
    let flow = framer
        .feed(b"data: [DONE]\n\ndata: later\n\n", |_| {
            seen += 1;
            Ok(Flow::Stop)
        })
        .unwrap();
    assert_eq!((flow, seen, framer.bytes_fed()), (Flow::Stop, 1, 14));
}
