//! JSON-array framing: Gemini's `streamGenerateContent` without `alt=sse` answers with one JSON array of
//! response objects, written out as they are generated (`[{...}\n,\r\n{...}\n]`). Each element of the
//! array is one event. Twin: `python/rillm/_fallback/framing/json_array.py`.
//!
//! The scanner only tracks strings, escapes and nesting depth; the decoder parses each element. Every
//! byte is looked at once and an element is copied only when it spans feeds.

use super::events::describe_byte;
use super::{Event, Flow, Pending};
use crate::error::{Error, Pos};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the opening `[`.
    Open,
    /// After `[`: an element or `]`.
    First,
    /// Inside an element.
    Element,
    /// After an element: `,` or `]`.
    After,
    /// After `,`: an element.
    Comma,
    /// After the closing `]`: only whitespace may follow.
    Closed,
}

#[derive(Debug)]
pub(super) struct JsonArray {
    state: State,
    depth: u32,
    in_string: bool,
    escape: bool,
    /// The element being scanned, when it spans feeds.
    buf: Vec<u8>,
    /// Stream offset of the element being scanned.
    start: u64,
    /// Stream offset of the next byte to be fed.
    pub(super) pos: u64,
    pub(super) dispatched: u64,
}

impl JsonArray {
    pub(super) fn new(pos: u64) -> Self {
        JsonArray {
            state: State::Open,
            depth: 0,
            in_string: false,
            escape: false,
            buf: Vec::new(),
            start: 0,
            pos,
            dispatched: 0,
        }
    }

    pub(super) fn feed<F>(&mut self, data: &[u8], limit: usize, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let mut i = 0;
        while i < data.len() {
            if self.state == State::Element {
                let begin = i;
                let Some(end) = self.scan(&data[i..]).map(|k| i + k) else {
                    self.buf.extend_from_slice(&data[begin..]);
                    self.check_size(limit)?;
                    break;
                };
                i = end;
                let flow = if self.buf.is_empty() {
                    self.dispatch(&data[begin..end], limit, on_event)?
                } else {
                    self.buf.extend_from_slice(&data[begin..end]);
                    let element = std::mem::take(&mut self.buf);
                    let flow = self.dispatch(&element, limit, on_event);
                    self.buf = element;
                    self.buf.clear();
                    flow?
                };
                if flow == Flow::Stop {
                    self.pos += i as u64;
                    return Ok(Flow::Stop);
                }
                continue;
            }
            let byte = data[i];
            if !matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                self.state = match (self.state, byte) {
                    (State::Open, b'[') => State::First,
                    (State::First | State::Comma, b'{') => {
                        self.start = self.pos + i as u64;
                        self.state = State::Element;
                        continue;
                    }
                    (State::First | State::After, b']') => State::Closed,
                    (State::After, b',') => State::Comma,
                    (state, _) => return Err(self.unexpected(state, byte, self.pos + i as u64)),
                };
            }
            i += 1;
        }
        self.pos += data.len() as u64;
        Ok(Flow::Continue)
    }

    /// Where the stream stopped short, if it did.
    pub(super) fn pending(&self) -> Option<Pending> {
        match self.state {
            State::Closed => None,
            State::Element => Some(Pending {
                pos: Pos {
                    event: self.dispatched,
                    offset: self.start,
                },
                detail: format!(
                    "inside event {} starting at byte {}, before its closing brace",
                    self.dispatched, self.start
                ),
            }),
            _ => Some(Pending {
                pos: Pos {
                    event: self.dispatched,
                    offset: self.pos,
                },
                detail: "before the closing `]` of the JSON array".to_owned(),
            }),
        }
    }

    /// The length of the rest of the element in `data` (up to and including its closing brace), or
    /// `None` when it goes on past `data`.
    fn scan(&mut self, data: &[u8]) -> Option<usize> {
        for (k, &byte) in data.iter().enumerate() {
            if self.in_string {
                if self.escape {
                    self.escape = false;
                } else if byte == b'\\' {
                    self.escape = true;
                } else if byte == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match byte {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.state = State::After;
                        return Some(k + 1);
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn dispatch<F>(&mut self, element: &[u8], limit: usize, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let pos = Pos {
            event: self.dispatched,
            offset: self.start,
        };
        if element.len() > limit {
            return Err(Error::EventTooLarge { pos, limit });
        }
        self.dispatched += 1;
        on_event(Event::data(element, pos))
    }

    fn check_size(&self, limit: usize) -> Result<(), Error> {
        if self.buf.len() > limit {
            let pos = Pos {
                event: self.dispatched,
                offset: self.start,
            };
            return Err(Error::EventTooLarge { pos, limit });
        }
        Ok(())
    }

    fn unexpected(&self, state: State, byte: u8, offset: u64) -> Error {
        let expected = match state {
            State::Open => "`[`",
            State::First => "an object or `]`",
            State::After => "`,` or `]`",
            State::Comma => "an object",
            State::Element | State::Closed => "nothing",
        };
        let detail = if state == State::Closed {
            format!("{} after the end of the JSON array", describe_byte(byte))
        } else {
            format!("expected {expected} in the JSON array, found {}", describe_byte(byte))
        };
        Error::Decode {
            pos: Pos {
                event: self.dispatched,
                offset,
            },
            detail,
        }
    }
}
