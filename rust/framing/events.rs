//! What every framing hands the decoders: events, and where a stream stopped short.
//! Twin: `python/rillm/_fallback/framing/events.py`.

use crate::error::Pos;

/// One dispatched event. `kind` is the SSE `event:` field (empty when absent, always empty for NDJSON and
/// JSON arrays), or an event-stream message's event type; `exception` marks an event-stream exception or
/// error message, whose `kind` is then the exception type or error code.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    pub kind: &'a [u8],
    pub data: &'a [u8],
    pub pos: Pos,
    pub exception: bool,
}

impl<'a> Event<'a> {
    /// An event of data alone: no kind, not an exception (an NDJSON line, a JSON array's element).
    #[must_use]
    pub fn data(data: &'a [u8], pos: Pos) -> Self {
        Event {
            kind: b"",
            data,
            pos,
            exception: false,
        }
    }
}

/// What the consumer of an event wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The stream's terminator was seen: stop reading.
    Stop,
}

/// An event the stream stopped inside of (or the JSON array it never closed): where, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub pos: Pos,
    /// Completes "the stream ended ...".
    pub detail: String,
}

/// A byte as an error message shows it.
pub(super) fn describe_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}
