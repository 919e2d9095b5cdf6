//! Framing: bytes in, events out. Twin: `python/rillm/_fallback/framing/__init__.py` (same names, same order).
//!
//! Server-sent events follow the WHATWG interpretation rules
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation>):
//! one leading BOM is stripped; CR, LF and CRLF end lines (a CR at the end of one feed and an LF at the
//! start of the next are one line end); `:` lines are comments; a field without a colon has an empty value;
//! one space after the colon is dropped; `data` lines join with `\n`; `id` persists across events unless it
//! holds a NUL; `retry` is kept when it is all ASCII digits; a block without data dispatches nothing.
//! NDJSON is one JSON value per LF-terminated line (a trailing CR is dropped, blank lines are skipped, and a
//! last line without a newline is accepted at `finish`). A JSON array of objects (`json_array.rs`) and AWS
//! event-stream binary frames (`eventstream.rs`) are the other two framings. `Auto` looks at the first
//! byte that is not a BOM or whitespace (which it skips): `{` is NDJSON, `[` a JSON array, anything else SSE.
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
    /// skipped.
    sniff_bom: Option<usize>,
    sniffed: u64,
    max_event_bytes: usize,
}

impl Framer {
    #[must_use]
    pub fn new(framing: Framing, max_event_bytes: usize) -> Self {
        Framer {
            framing,
            lines: Lines::new(framing == Framing::Sse),
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
            data = self.sniff(data);
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

    /// Skips a leading BOM and whitespace; at the first other byte decides the framing and returns the
    /// input from that byte on. A BOM that breaks off after one or two bytes makes the stream SSE, whose
    /// line splitter keeps those bytes as the start of the first line.
    fn sniff<'d>(&mut self, data: &'d [u8]) -> &'d [u8] {
        for (i, &byte) in data.iter().enumerate() {
            if let Some(matched) = self.sniff_bom {
                if byte == BOM[matched] {
                    self.sniff_bom = (matched + 1 < BOM.len()).then_some(matched + 1);
                    self.sniffed += 1;
                    continue;
                }
                self.sniff_bom = None;
                if matched > 0 {
                    self.decide(Framing::Sse, Some(matched));
                    return &data[i..];
                }
            }
            if matches!(byte, b' ' | b'\t' | b'\r' | b'\n') {
                self.sniffed += 1;
                continue;
            }
            let framing = match byte {
                b'{' => Framing::Ndjson,
                b'[' => Framing::JsonArray,
                _ => Framing::Sse,
            };
            self.decide(framing, None);
            return &data[i..];
        }
        &[]
    }

    fn decide(&mut self, framing: Framing, bom_matched: Option<usize>) {
        self.framing = framing;
        self.lines = Lines::new(framing == Framing::Sse);
        self.lines.bom_matched = bom_matched;
        self.lines.pos = self.sniffed;
        self.array = json_array::JsonArray::new(self.sniffed);
    }

    /// Ends the stream. NDJSON dispatches an unterminated last line; SSE never dispatches an unterminated
    /// event (WHATWG) and instead returns where it started, for the caller to report; so do the JSON-array
    /// and event-stream framings for an element or frame cut short.
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
        let Some((line, offset)) = self.lines.take_partial() else {
            return Ok(sse.pending());
        };
        if self.framing == Framing::Sse {
            sse.line(&line, offset, limit, &mut |_| Ok(Flow::Continue))?;
            return Ok(sse.pending());
        }
        ndjson_line(sse, &line, offset, limit, &mut on_event)?;
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
mod tests {
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
}
