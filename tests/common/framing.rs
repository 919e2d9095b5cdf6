//! The framing properties, shared by the property test (`tests/framing_props.rs`) and the `cargo-fuzz` target
//! (`fuzz/fuzz_targets/framing.rs`): for any input and any split the framer does not panic and gives the same
//! events, error, end (what `finish` reports), `bytes_fed`, last event id and retry; `bytes_fed` counts every
//! byte fed while the stream goes on; events are numbered 0, 1, 2, ... and start at increasing offsets below
//! `bytes_fed`.

use rillm::error::{Error, Pos};
use rillm::framing::{Event, Flow, Framer, Framing, Pending};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Framed {
    kind: Vec<u8>,
    data: Vec<u8>,
    pos: Pos,
    exception: bool,
}

/// How a stream ended: what `finish` reported, `bytes_fed`, the last event id and the retry.
type End = (Option<Pending>, u64, Vec<u8>, Option<u64>);

/// Everything a framer gave for one stream: its events, and the error that stopped it or how it ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Outcome {
    events: Vec<Framed>,
    end: Result<End, Error>,
}

/// Frames `pieces`, checking `bytes_fed` and the events' numbers and offsets as it goes.
pub(crate) fn frame(framing: Framing, limit: usize, pieces: &[&[u8]]) -> Outcome {
    let mut framer = Framer::new(framing, limit);
    let mut events: Vec<Framed> = Vec::new();
    let mut fed = 0u64;
    let push = |ev: Event<'_>, events: &mut Vec<Framed>| {
        let this = Framed {
            kind: ev.kind.to_vec(),
            data: ev.data.to_vec(),
            pos: ev.pos,
            exception: ev.exception,
        };
        assert_eq!(
            this.pos.event,
            events.len() as u64,
            "events are numbered in order: {this:?}"
        );
        if let Some(last) = events.last() {
            assert!(
                this.pos.offset > last.pos.offset,
                "offsets increase: {last:?} then {this:?}"
            );
        }
        events.push(this);
        Ok(Flow::Continue)
    };
    for piece in pieces {
        if let Err(error) = framer.feed(piece, |ev| push(ev, &mut events)) {
            return Outcome {
                events,
                end: Err(error),
            };
        }
        fed += piece.len() as u64;
        assert_eq!(framer.bytes_fed(), fed, "bytes_fed after {} pieces", pieces.len());
        for e in &events {
            assert!(e.pos.offset < fed, "event {e:?} starts past the {fed} bytes fed");
        }
    }
    let end = framer.finish(|ev| push(ev, &mut events)).map(|pending| {
        (
            pending,
            framer.bytes_fed(),
            framer.last_event_id().to_vec(),
            framer.retry(),
        )
    });
    Outcome { events, end }
}

/// `data` cut at `points` (offsets, any order, each at most its length).
pub(crate) fn pieces(data: &[u8], mut points: Vec<usize>) -> Vec<&[u8]> {
    points.sort_unstable();
    let mut out = Vec::new();
    let mut start = 0;
    for p in points.into_iter().chain([data.len()]) {
        out.push(&data[start..p]);
        start = p;
    }
    out
}

/// Whole, cut at `points`, and one byte at a time: the same outcome.
pub(crate) fn check(framing: Framing, limit: usize, data: &[u8], points: Vec<usize>) {
    let whole = frame(framing, limit, &[data]);
    let split = pieces(data, points.clone());
    assert_eq!(frame(framing, limit, &split), whole, "{data:?} split at {points:?}");
    let bytes: Vec<&[u8]> = data.chunks(1).collect();
    assert_eq!(frame(framing, limit, &bytes), whole, "{data:?} one byte at a time");
}
