//! Every framing on any bytes and any split (the checks of tests/common/framing.rs, whose property test runs
//! a bounded number of generated streams in CI). The first byte picks the framing and whether
//! `max_event_bytes` is small; the next three are split points, as fractions of the rest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rillm::framing::{Framing, DEFAULT_MAX_EVENT_BYTES};

#[path = "../../tests/common/framing.rs"]
mod framing;

const FRAMINGS: [Framing; 5] = [
    Framing::Sse,
    Framing::Ndjson,
    Framing::JsonArray,
    Framing::EventStream,
    Framing::Auto,
];

fuzz_target!(|input: &[u8]| {
    let Some((&head, rest)) = input.split_first() else {
        return;
    };
    let (cuts, data) = rest.split_at(rest.len().min(3));
    let limit = if head & 0x80 == 0 {
        DEFAULT_MAX_EVENT_BYTES
    } else {
        usize::from(head & 0x3f) + 1
    };
    let points = cuts.iter().map(|&c| usize::from(c) * data.len() / 255).collect();
    framing::check(FRAMINGS[usize::from(head) % FRAMINGS.len()], limit, data, points);
});
