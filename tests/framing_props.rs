//! Property tests of every framing (SSE, NDJSON, JSON array, AWS event-stream, and the auto-detecting one):
//! generated streams, often broken by a few byte edits, split at random points and with now and then a small
//! `max_event_bytes`, and any bytes at all, checked by `tests/common/framing.rs` (no panic; the same events,
//! error and end however the input is split; `bytes_fed` and the events' numbers and offsets consistent).
//! 4,000 streams a framing a run; `PROPTEST_CASES=N` runs N. For hours: the `cargo-fuzz` target
//! `fuzz/fuzz_targets/framing.rs`.

#[path = "common/framing.rs"]
mod framing;

use framing::check;
use proptest::prelude::*;
use proptest::sample::Index;
use rillm::framing::{Framing, DEFAULT_MAX_EVENT_BYTES};

/// One SSE line of any field (and some that are not fields), with one of the three line ends.
fn sse() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => "data: [a-z{}\":,\\[\\] ]{0,12}",
        1 => Just("data".to_owned()),
        1 => Just("data:".to_owned()),
        1 => "event: [a-z_]{0,8}",
        1 => "id: [0-9a-z]{0,3}",
        1 => Just("id: a\0b".to_owned()),
        1 => "retry: [0-9]{1,6}x?",
        1 => ": [a-z ]{0,8}",
        3 => Just(String::new()),
        1 => "[a-z ]{1,5}(: ?[a-z]{0,5})?",
        1 => Just("\u{feff}data: x".to_owned()),
    ];
    let ending = prop_oneof![Just("\n"), Just("\r"), Just("\r\n")];
    (any::<bool>(), prop::collection::vec((line, ending), 0..30)).prop_map(|(bom, lines)| {
        let body: String = lines.into_iter().map(|(line, end)| line + end).collect();
        (if bom { format!("\u{feff}{body}") } else { body }).into_bytes()
    })
}

fn ndjson() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        4 => "\\{\"a\": ?[0-9]{1,3}(, ?\"b\": ?\"[a-z\\]\\[{}]{0,5}\")?\\}",
        1 => Just(String::new()),
        1 => "[ \t]{1,3}",
        1 => Just("[1, 2]".to_owned()),
        1 => "[a-z ]{1,8}",
    ];
    let ending = prop_oneof![4 => Just("\n"), 1 => Just("\r\n")];
    (prop::collection::vec((line, ending), 0..20), any::<bool>()).prop_map(|(lines, last_unended)| {
        let mut text: String = lines.into_iter().map(|(line, end)| line + end).collect();
        if last_unended {
            text.push_str("{\"z\":1}");
        }
        text.into_bytes()
    })
}

/// A JSON array of objects whose strings hold brackets, braces and escaped quotes, with any whitespace.
fn json_array() -> impl Strategy<Value = Vec<u8>> {
    let element = "\\{\"t\": ?\"[a-z\\]\\[{}]{0,6}(\\\\\")?\"(, ?\"n\": ?\\{\"x\": ?\\[1, ?\\{\\}\\]\\})?\\}";
    let ws = "[ \t\r\n]{0,3}";
    (ws, prop::collection::vec((element, ws, ws), 0..12), ws, any::<bool>()).prop_map(|(lead, items, tail, close)| {
        let body: Vec<String> = items.into_iter().map(|(e, a, b)| format!("{a}{e}{b}")).collect();
        let end = if close { "]" } else { "" };
        format!("{lead}[{}{end}{tail}", body.join(",")).into_bytes()
    })
}

/// An AWS event-stream message: prelude (lengths and their CRC), string headers, payload, message CRC.
fn message(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    for (name, value) in headers {
        encoded.push(name.len() as u8);
        encoded.extend_from_slice(name.as_bytes());
        encoded.push(7);
        encoded.extend_from_slice(&(value.len() as u16).to_be_bytes());
        encoded.extend_from_slice(value.as_bytes());
    }
    let total = 12 + encoded.len() + payload.len() + 4;
    let mut out = Vec::with_capacity(total);
    out.extend_from_slice(&(total as u32).to_be_bytes());
    out.extend_from_slice(&(encoded.len() as u32).to_be_bytes());
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out.extend_from_slice(&encoded);
    out.extend_from_slice(payload);
    out.extend_from_slice(&crc32fast::hash(&out).to_be_bytes());
    out
}

fn eventstream() -> impl Strategy<Value = Vec<u8>> {
    let frame =
        (0u8..4, "[a-zA-Z]{1,12}", prop::collection::vec(any::<u8>(), 0..40)).prop_map(|(kind, name, payload)| {
            match kind {
                0 => message(&[(":exception-type", &name), (":message-type", "exception")], &payload),
                1 => message(&[(":error-code", &name), (":message-type", "error")], &payload),
                2 => message(&[], &payload),
                _ => message(&[(":event-type", &name), (":message-type", "event")], &payload),
            }
        });
    prop::collection::vec(frame, 0..8).prop_map(|frames| frames.concat())
}

/// A few edits of the bytes: flip a bit, insert a byte, delete one, truncate.
fn edited(stream: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let edits = prop::collection::vec((any::<Index>(), 0u8..4, any::<u8>()), 0..3);
    (stream, prop_oneof![Just(Vec::new()), edits]).prop_map(|(mut data, edits)| {
        for (at, how, byte) in edits {
            let i = at.index(data.len() + 1);
            match how {
                0 => data.insert(i, byte),
                _ if i == data.len() => {}
                1 => data[i] ^= 1 << (byte % 8),
                2 => {
                    data.remove(i);
                }
                _ => data.truncate(i),
            }
        }
        data
    })
}

fn limit() -> impl Strategy<Value = usize> {
    prop_oneof![9 => Just(DEFAULT_MAX_EVENT_BYTES), 1 => 1usize..200]
}

/// Split points, as fractions of the stream's length.
fn cuts() -> impl Strategy<Value = Vec<Index>> {
    prop::collection::vec(any::<Index>(), 0..10)
}

fn points(data: &[u8], cuts: &[Index]) -> Vec<usize> {
    cuts.iter().map(|c| c.index(data.len() + 1)).collect()
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(4_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn sse_framing(data in edited(sse()), limit in limit(), cuts in cuts()) {
        check(Framing::Sse, limit, &data, points(&data, &cuts));
    }

    #[test]
    fn ndjson_framing(data in edited(ndjson()), limit in limit(), cuts in cuts()) {
        check(Framing::Ndjson, limit, &data, points(&data, &cuts));
    }

    #[test]
    fn json_array_framing(data in edited(json_array()), limit in limit(), cuts in cuts()) {
        check(Framing::JsonArray, limit, &data, points(&data, &cuts));
    }

    #[test]
    fn eventstream_framing(data in edited(eventstream()), limit in limit(), cuts in cuts()) {
        check(Framing::EventStream, limit, &data, points(&data, &cuts));
    }

    #[test]
    fn auto_framing(data in edited(prop_oneof![sse(), ndjson(), json_array()]), limit in limit(), cuts in cuts()) {
        check(Framing::Auto, limit, &data, points(&data, &cuts));
    }

    #[test]
    fn any_bytes_in_any_framing(data in prop::collection::vec(any::<u8>(), 0..300), which in 0usize..5, cuts in cuts()) {
        let framing = [Framing::Sse, Framing::Ndjson, Framing::JsonArray, Framing::EventStream, Framing::Auto][which];
        check(framing, DEFAULT_MAX_EVENT_BYTES, &data, points(&data, &cuts));
    }
}
