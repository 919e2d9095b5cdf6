//! AWS event-stream framing (`application/vnd.amazon.eventstream`), what Bedrock streams in. Twin:
//! `python/rillm/_fallback/framing/eventstream.py`.
//!
//! A message is a 12-byte prelude (total length and headers length, both big-endian u32, then the CRC32
//! of those 8 bytes), the headers, the payload, and the CRC32 of everything before it. A header is a
//! 1-byte name length, the name, a 1-byte value type and the value: 0/1 true/false (no bytes), 2 byte,
//! 3 short, 4 integer, 5 long, 6 byte array and 7 string (2-byte length first), 8 timestamp, 9 UUID.
//! Both CRCs are checked and every length is bounded by the message, so a corrupt or truncated frame is a
//! typed error naming its offset, never a panic or a huge allocation.
//!
//! `:message-type` picks the event: `event` (the default) dispatches the payload under its `:event-type`;
//! `exception` dispatches it under its `:exception-type`, marked as an exception; `error` dispatches a
//! `{"message": ...}` payload made from `:error-message` under its `:error-code`, also as an exception.

use super::{Event, Flow, Pending};
use crate::error::{Error, Pos};
use crate::json::push_json_string;

const PRELUDE: usize = 12;
/// Prelude plus the trailing message CRC: the smallest message there is.
const MIN_MESSAGE: usize = PRELUDE + 4;

#[derive(Debug)]
pub(super) struct EventStream {
    /// The message being assembled, when it spans feeds.
    buf: Vec<u8>,
    /// Its total length, once its prelude is in and checked.
    total: Option<usize>,
    start: u64,
    /// Stream offset of the next byte to be fed.
    pub(super) pos: u64,
    pub(super) dispatched: u64,
}

/// The headers rillm reads.
#[derive(Default)]
struct Headers<'a> {
    message_type: Option<&'a [u8]>,
    event_type: Option<&'a [u8]>,
    exception_type: Option<&'a [u8]>,
    error_code: Option<&'a [u8]>,
    error_message: Option<&'a [u8]>,
}

impl<'a> Headers<'a> {
    /// Keeps a string header's value when it is one rillm reads.
    #[inline]
    fn keep(&mut self, name: &[u8], value: &'a [u8]) {
        let slot = match name {
            b":message-type" => &mut self.message_type,
            b":event-type" => &mut self.event_type,
            b":exception-type" => &mut self.exception_type,
            b":error-code" => &mut self.error_code,
            b":error-message" => &mut self.error_message,
            _ => return,
        };
        *slot = Some(value);
    }
}

impl EventStream {
    pub(super) fn new() -> Self {
        EventStream {
            buf: Vec::new(),
            total: None,
            start: 0,
            pos: 0,
            dispatched: 0,
        }
    }

    pub(super) fn feed<F>(&mut self, data: &[u8], limit: usize, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let mut i = 0;
        while i < data.len() {
            if self.buf.is_empty() {
                // Whole messages straight from the input, without a copy.
                let rest = &data[i..];
                let offset = self.pos + i as u64;
                if rest.len() >= PRELUDE {
                    let total = self.prelude(&rest[..PRELUDE], offset, limit)?;
                    if rest.len() >= total {
                        i += total;
                        if self.dispatch(&rest[..total], offset, on_event)? == Flow::Stop {
                            self.pos += i as u64;
                            return Ok(Flow::Stop);
                        }
                        continue;
                    }
                    self.total = Some(total);
                }
                self.start = offset;
                self.buf.extend_from_slice(rest);
                break;
            }
            let want = self.total.unwrap_or(PRELUDE);
            let take = (want - self.buf.len()).min(data.len() - i);
            self.buf.extend_from_slice(&data[i..i + take]);
            i += take;
            if self.total.is_none() && self.buf.len() == PRELUDE {
                self.total = Some(self.prelude(&self.buf[..PRELUDE], self.start, limit)?);
            }
            if self.total == Some(self.buf.len()) {
                let message = std::mem::take(&mut self.buf);
                self.total = None;
                let flow = self.dispatch(&message, self.start, on_event);
                self.buf = message;
                self.buf.clear();
                if flow? == Flow::Stop {
                    self.pos += i as u64;
                    return Ok(Flow::Stop);
                }
            }
        }
        self.pos += data.len() as u64;
        Ok(Flow::Continue)
    }

    pub(super) fn pending(&self) -> Option<Pending> {
        if self.buf.is_empty() {
            return None;
        }
        let into = match self.total {
            Some(total) => format!("{} of its {total} bytes", self.buf.len()),
            None => format!("{} bytes into its {PRELUDE}-byte prelude", self.buf.len()),
        };
        Some(Pending {
            pos: self.here(self.start),
            detail: format!(
                "inside event {} starting at byte {}, {into}",
                self.dispatched, self.start
            ),
        })
    }

    fn here(&self, offset: u64) -> Pos {
        Pos {
            event: self.dispatched,
            offset,
        }
    }

    fn error(&self, offset: u64, detail: String) -> Error {
        Error::Decode {
            pos: self.here(offset),
            detail,
        }
    }

    /// Checks a prelude; returns the message's total length.
    fn prelude(&self, prelude: &[u8], offset: u64, limit: usize) -> Result<usize, Error> {
        let total = be32(&prelude[0..4]) as usize;
        let headers = be32(&prelude[4..8]) as usize;
        let (sent, computed) = (be32(&prelude[8..12]), crc32fast::hash(&prelude[0..8]));
        if sent != computed {
            return Err(self.error(
                offset,
                format!("prelude CRC32 mismatch (sent {sent:#010x}, computed {computed:#010x})"),
            ));
        }
        if total < MIN_MESSAGE {
            return Err(self.error(
                offset,
                format!("message length {total} is shorter than {MIN_MESSAGE} bytes"),
            ));
        }
        if total > limit {
            return Err(Error::EventTooLarge {
                pos: self.here(offset),
                limit,
            });
        }
        if headers > total - MIN_MESSAGE {
            return Err(self.error(
                offset,
                format!("headers length {headers} does not fit in a message of {total} bytes"),
            ));
        }
        Ok(total)
    }

    /// Checks one whole message and hands its event on.
    fn dispatch<F>(&mut self, message: &[u8], offset: u64, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let body = self.check_crc(message, offset)?;
        let headers_end = PRELUDE + be32(&message[4..8]) as usize;
        let headers = parse_headers(&message[PRELUDE..headers_end])
            .map_err(|(at, what)| self.error(offset, format!("header at byte {}: {what}", PRELUDE + at)))?;
        let payload = &message[headers_end..body];
        let pos = self.here(offset);
        let message_type = headers.message_type.unwrap_or(b"event");
        let synthesized;
        let event = match message_type {
            b"event" => Event {
                kind: headers.event_type.unwrap_or_default(),
                data: payload,
                pos,
                exception: false,
            },
            b"exception" => Event {
                kind: headers.exception_type.unwrap_or_default(),
                data: payload,
                pos,
                exception: true,
            },
            b"error" => {
                synthesized = error_payload(headers.error_message.unwrap_or_default());
                Event {
                    kind: headers.error_code.unwrap_or_default(),
                    data: if payload.is_empty() {
                        synthesized.as_bytes()
                    } else {
                        payload
                    },
                    pos,
                    exception: true,
                }
            }
            other => {
                let detail = format!(
                    "unknown :message-type \"{}\"",
                    String::from_utf8_lossy(other).escape_debug()
                );
                return Err(self.error(offset, detail));
            }
        };
        self.dispatched += 1;
        on_event(event)
    }

    /// Checks a whole message's CRC32; returns where its body (prelude, headers and payload) ends.
    fn check_crc(&self, message: &[u8], offset: u64) -> Result<usize, Error> {
        let body = message.len() - 4;
        let (sent, computed) = (be32(&message[body..]), crc32fast::hash(&message[..body]));
        if sent != computed {
            return Err(self.error(
                offset,
                format!("message CRC32 mismatch (sent {sent:#010x}, computed {computed:#010x})"),
            ));
        }
        Ok(body)
    }
}

/// The payload of an error message that has none: `{"message": <its :error-message header>}`.
fn error_payload(message: &[u8]) -> String {
    let mut text = String::from("{\"message\":");
    push_json_string(&mut text, &String::from_utf8_lossy(message));
    text.push('}');
    text
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// The headers rillm reads; an error is (offset within the headers, what is wrong).
fn parse_headers(mut rest: &[u8]) -> Result<Headers<'_>, (usize, String)> {
    let total = rest.len();
    let mut out = Headers::default();
    while !rest.is_empty() {
        let at = total - rest.len();
        let take = |rest: &mut &'_ [u8], n: usize, what: &str| -> Result<(), (usize, String)> {
            if rest.len() < n {
                return Err((at, format!("{what} runs past the end of the headers")));
            }
            *rest = &rest[n..];
            Ok(())
        };
        let name_len = rest[0] as usize;
        if name_len == 0 {
            return Err((at, "empty header name".to_owned()));
        }
        take(&mut rest, 1, "the name length")?;
        let name = rest
            .get(..name_len)
            .ok_or_else(|| (at, "the name runs past the end of the headers".to_owned()))?;
        take(&mut rest, name_len, "the name")?;
        let Some(&kind) = rest.first() else {
            return Err((at, "the value type is missing".to_owned()));
        };
        take(&mut rest, 1, "the value type")?;
        let fixed = match kind {
            0 | 1 => Some(0),
            2 => Some(1),
            3 => Some(2),
            4 => Some(4),
            5 | 8 => Some(8),
            9 => Some(16),
            6 | 7 => None,
            other => return Err((at, format!("unknown value type {other}"))),
        };
        let value = if let Some(n) = fixed {
            let value = &rest[..n.min(rest.len())];
            take(&mut rest, n, "the value")?;
            value
        } else {
            let len_bytes = rest
                .get(..2)
                .ok_or_else(|| (at, "the value length runs past the end of the headers".to_owned()))?;
            let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
            take(&mut rest, 2, "the value length")?;
            let value = &rest[..len.min(rest.len())];
            take(&mut rest, len, "the value")?;
            value
        };
        if kind == 7 {
            out.keep(name, value);
        }
    }
    Ok(out)
}
