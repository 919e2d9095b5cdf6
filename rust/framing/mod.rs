//! Framing: bytes in, events out. Twin: `python/rillm/_fallback/framing/__init__.py` (same names, same order).
//!
//! Server-sent events follow the WHATWG interpretation rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! one leading BOM is stripped; CR, LF and CRLF end lines (a CR at the end of one feed and an LF at the
//! start of the next are one line end); `:` lines are comments; a field without a colon has an empty value;
//! one space after the colon is dropped; `data` lines join with `\n`; `id` persists across events unless it
//! holds a NUL, and becomes the last event ID when its block ends (a blank line), data or not, never as soon as
//! its line arrives; `retry` is kept when it is all ASCII digits; a block without data dispatches nothing; an
//! unfinished last line is discarded at the end of the stream (a trailing `id: 9` or `retry: 5` without a line
//! end has no effect), though a data line cut short still reports that the stream ended inside an event.
//! NDJSON is one JSON value per LF-terminated line (a trailing CR is dropped, blank lines are skipped, and a
//! last line without a newline is accepted at `finish`). A JSON array of objects (`json_array.rs`) and AWS
//! event-stream binary frames (`eventstream.rs`) are the other two framings. `Auto` looks at the first
//! byte that is not a BOM or JSON white space: `{` is NDJSON, `[` a JSON array, anything else SSE. White space
//! before a JSON value is skipped; for SSE it is not (` data: x` is a field named " data", so no event): it is
//! read as SSE while the framing is undecided, and kept when SSE is decided, so `auto` frames an SSE stream
//! exactly as `sse` does.
//! What every framing hands on (events, and where a stream stopped short) is in `events.rs`.
//!
//! Framing works on bytes and never decodes UTF-8, so a code point split across feeds is simply carried
//! in the line buffer. Every byte is scanned once (memchr) and copied at most once into a buffer, so time
//! is linear however the input is fragmented; `max_event_bytes` bounds what one event may buffer.

mod events;
mod eventstream;
mod json_array;
mod sse;

pub use events::{Event, Flow, Pending};
use sse::{ndjson_line, Lines, SseState, BOM};

use crate::error::{Error, Pos};

/// 64 MiB: past this an event is an error rather than unbounded growth.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Sse,
    Ndjson,
    JsonArray,
    EventStream,
    /// Decided by the first significant byte: NDJSON, a JSON array or SSE.
    Auto,
}

impl Framing {
    /// The names `frame_events` takes.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Framing> {
        Some(match name {
            "sse" => Framing::Sse,
            "ndjson" => Framing::Ndjson,
            "json_array" => Framing::JsonArray,
            "eventstream" => Framing::EventStream,
            "auto" => Framing::Auto,
            _ => return None,
        })
    }
}

/// Incremental framer for one stream.
#[derive(Debug)]
pub struct Framer {
    /// `Auto` until the first significant byte decides.
    framing: Framing,
    lines: Lines,
    sse: SseState,
    array: json_array::JsonArray,
    binary: eventstream::EventStream,
    /// While `Auto` is undecided: BOM bytes matched so far (`None` once past the stream start), and bytes
    /// skipped (the white space among them is also read as SSE by `lines` and `sse`, in case SSE is decided).
    sniff_bom: Option<usize>,
    sniffed: u64,
    max_event_bytes: usize,
}

impl Framer {
    #[must_use]
    pub fn new(framing: Framing, max_event_bytes: usize) -> Self {
        let mut lines = Lines::new(matches!(framing, Framing::Sse | Framing::Auto));
        if framing == Framing::Auto {
            lines.bom_matched = None; // the sniffing strips the BOM
        }
        Framer {
            framing,
            lines,
            sse: SseState::default(),
            array: json_array::JsonArray::new(0),
            binary: eventstream::EventStream::new(),
            sniff_bom: Some(0),
            sniffed: 0,
            max_event_bytes,
        }
    }

    /// Frames `data`, calling `on_event` for each complete event until it returns `Flow::Stop`.
    pub fn feed<F>(&mut self, mut data: &[u8], mut on_event: F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        if self.framing == Framing::Auto {
            data = self.sniff(data)?;
            if self.framing == Framing::Auto {
                return Ok(Flow::Continue);
            }
        }
        let Framer {
            framing,
            lines,
            sse,
            max_event_bytes,
            ..
        } = self;
        let limit = *max_event_bytes;
        let flow = match framing {
            Framing::Sse => lines.feed(data, |line, offset| sse.line(line, offset, limit, &mut on_event))?,
            Framing::Ndjson => lines.feed(data, |line, offset| {
                ndjson_line(sse, line, offset, limit, &mut on_event)
            })?,
            Framing::JsonArray => return self.array.feed(data, limit, &mut on_event),
            Framing::EventStream => return self.binary.feed(data, limit, &mut on_event),
            Framing::Auto => unreachable!("decided above"),
        };
        if flow == Flow::Continue {
            self.check_partial()?;
        }
        Ok(flow)
    }

    /// Skips a leading BOM and white space; at the first other byte decides the framing and returns the
    /// input from that byte on. The white space is read as SSE meanwhile (it holds no data, so it dispatches
    /// nothing), kept if SSE is decided and dropped otherwise; a first line of white space longer than
    /// `max_event_bytes` decides SSE, whose size check then refuses it. A BOM that breaks off after one or
    /// two bytes makes the stream SSE, whose line splitter keeps those bytes as the start of the first line.
    fn sniff<'d>(&mut self, data: &'d [u8]) -> Result<&'d [u8], Error> {
        let mut i = 0;
        while i < data.len() {
            let byte = data[i];
            if let Some(matched) = self.sniff_bom {
                if byte == BOM[matched] {
                    self.sniff_bom = (matched + 1 < BOM.len()).then_some(matched + 1);
                    self.sniffed += 1;
                    self.lines.pos = self.sniffed;
                    i += 1;
                    continue;
                }
                self.sniff_bom = None;
                if matched > 0 {
                    self.decide(Framing::Sse, Some(matched));
                    return Ok(&data[i..]);
                }
            }
            let run = data[i..]
                .iter()
                .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
                .count();
            if run > 0 {
                self.sniff_white_space(&data[i..i + run])?;
                i += run;
                continue;
            }
            let framing = match byte {
                b'{' => Framing::Ndjson,
                b'[' => Framing::JsonArray,
                _ => Framing::Sse,
            };
            self.decide(framing, None);
            return Ok(&data[i..]);
        }
        Ok(&[])
    }

    /// White space before the framing is decided: read as SSE lines (no event can come of it).
    fn sniff_white_space(&mut self, run: &[u8]) -> Result<(), Error> {
        let limit = self.max_event_bytes;
        let sse = &mut self.sse;
        self.lines.feed(run, |line, offset| {
            sse.line(line, offset, limit, &mut |_| Ok(Flow::Continue))
        })?;
        self.sniffed += run.len() as u64;
        if self.lines.partial.len() > limit {
            self.framing = Framing::Sse;
            self.check_partial()?;
        }
        Ok(())
    }

    /// Sets the framing. SSE keeps the lines read while sniffing; the others start afresh where it stopped.
    fn decide(&mut self, framing: Framing, bom_matched: Option<usize>) {
        self.framing = framing;
        if framing == Framing::Sse && bom_matched.is_none() {
            return;
        }
        self.lines = Lines::new(framing == Framing::Sse);
        self.lines.bom_matched = bom_matched;
        self.lines.pos = self.sniffed;
        self.sse = SseState::default();
        self.array = json_array::JsonArray::new(self.sniffed);
    }

    /// Ends the stream. NDJSON dispatches an unterminated last line; SSE discards it and never dispatches an
    /// unterminated event (WHATWG), and instead returns where that event started, for the caller to report;
    /// so do the JSON-array and event-stream framings for an element or frame cut short.
    pub fn finish<F>(&mut self, mut on_event: F) -> Result<Option<Pending>, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let limit = self.max_event_bytes;
        match self.framing {
            Framing::JsonArray => return Ok(self.array.pending()),
            Framing::EventStream => return Ok(self.binary.pending()),
            Framing::Auto => return Ok(None),
            Framing::Sse | Framing::Ndjson => {}
        }
        let sse = &mut self.sse;
        let partial = self.lines.take_partial();
        if self.framing == Framing::Sse {
            // WHATWG: an unfinished last line is discarded.
            return Ok(sse.pending(partial.as_ref().map(|(line, offset)| (line.as_slice(), *offset))));
        }
        if let Some((line, offset)) = partial {
            ndjson_line(sse, &line, offset, limit, &mut on_event)?;
        }
        Ok(None)
    }

    /// Bytes fed so far, BOM included.
    #[must_use]
    pub fn bytes_fed(&self) -> u64 {
        match self.framing {
            Framing::Sse | Framing::Ndjson => self.lines.pos,
            Framing::JsonArray => self.array.pos,
            Framing::EventStream => self.binary.pos,
            Framing::Auto => self.sniffed,
        }
    }

    /// The SSE last-event-ID buffer (persists across events).
    #[must_use]
    pub fn last_event_id(&self) -> &[u8] {
        &self.sse.last_event_id
    }

    /// The SSE reconnection time in milliseconds, if the stream set one.
    #[must_use]
    pub fn retry(&self) -> Option<u64> {
        self.sse.retry
    }

    /// Bounds what the event being assembled holds: its data plus the unterminated line.
    fn check_partial(&self) -> Result<(), Error> {
        let partial = self.lines.partial.len();
        if partial > 0 && self.sse.data.len() + partial > self.max_event_bytes {
            let offset = self.sse.block_start.unwrap_or(self.lines.partial_start);
            let pos = Pos {
                event: self.sse.dispatched,
                offset,
            };
            return Err(Error::EventTooLarge {
                pos,
                limit: self.max_event_bytes,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
