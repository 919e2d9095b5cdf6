//! Errors of the core: plain data, no pyo3.
//!
//! `rust/python/errors.rs` maps each variant onto the classes in `python/rillm/exceptions.py`, and the
//! pure-Python twin raises those same classes (keep in sync with `python/rillm/_fallback/errors.py`).
//! Every message names where in the stream the problem is: the event number (0-based, counting only
//! dispatched events) and the byte offset at which that event starts.

use std::fmt;

/// Where an event sits in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 0-based number of the event among the events the framer dispatched.
    pub event: u64,
    /// Byte offset of the first byte of the event (its first line) from the start of the stream.
    pub offset: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The event being assembled grew past `max_event_bytes`.
    EventTooLarge { pos: Pos, limit: usize },
    /// An event's payload is not what the dialect expects: not JSON, not an object, a field of the wrong type.
    Decode { pos: Pos, detail: String },
    /// The provider reported an error inside the stream; `data` is the event's payload, parsed on the Python side.
    Provider { pos: Pos, event_type: String, data: String },
    /// The stream ended before its terminator (`[DONE]`, a finish reason, or the dialect's end event).
    Incomplete { detail: String, bytes: u64 },
    /// `feed()` or `finish()` on a decoder that already finished or failed.
    Closed { detail: &'static str },
    /// A dialect name the decoder does not know, and the names it knows.
    UnknownDialect {
        name: String,
        expected: &'static [&'static str],
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::EventTooLarge { pos, limit } => write!(
                f,
                "event {} starting at byte {} is larger than max_event_bytes ({limit} bytes)",
                pos.event, pos.offset
            ),
            Error::Decode { pos, detail } => {
                write!(f, "event {} starting at byte {}: {detail}", pos.event, pos.offset)
            }
            Error::Provider { pos, data, .. } => write!(
                f,
                "event {} starting at byte {}: the provider sent an error: {data}",
                pos.event, pos.offset
            ),
            Error::Incomplete { detail, bytes } => write!(f, "the stream ended {detail} (after {bytes} bytes)"),
            Error::Closed { detail } => f.write_str(detail),
            Error::UnknownDialect { name, expected } => {
                write!(
                    f,
                    "unknown dialect \"{name}\"; expected one of: {}",
                    expected.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for Error {}
