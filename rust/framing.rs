//! Framing: bytes in, events out. Twin: `python/rillm/_fallback/framing.py` (same names, same order).
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
//!
//! Framing works on bytes and never decodes UTF-8, so a code point split across feeds is simply carried
//! in the line buffer. Every byte is scanned once (memchr) and copied at most once into a buffer, so time
//! is linear however the input is fragmented; `max_event_bytes` bounds what one event may buffer.

mod eventstream;
mod json_array;

use memchr::{memchr, memchr2};

use crate::error::{Error, Pos};

/// 64 MiB: past this an event is an error rather than unbounded growth.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 64 * 1024 * 1024;

const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

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

/// What the consumer of an event wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// The stream's terminator was seen: stop reading.
    Stop,
}

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

/// An event the stream stopped inside of (or the JSON array it never closed): where, and what to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub pos: Pos,
    /// Completes "the stream ended ...".
    pub detail: String,
}

/// A byte as an error message shows it.
fn describe_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("'{}'", byte as char)
    } else {
        format!("byte 0x{byte:02x}")
    }
}

/// Splits bytes into lines. Holds the unterminated tail of the input between feeds.
#[derive(Debug)]
struct Lines {
    /// CR ends a line (SSE); otherwise only LF does (NDJSON, which drops a trailing CR itself).
    cr_ends_line: bool,
    /// How many bytes of a leading BOM have matched so far; `None` once the stream start is past.
    bom_matched: Option<usize>,
    /// The previous feed ended with CR: an LF at the start of the next feed belongs to it.
    skip_lf: bool,
    /// Bytes of the line not yet terminated, and the stream offset where that line starts.
    partial: Vec<u8>,
    partial_start: u64,
    /// Stream offset of the next byte to be fed.
    pos: u64,
}

impl Lines {
    fn new(cr_ends_line: bool) -> Self {
        Lines {
            cr_ends_line,
            bom_matched: Some(0),
            skip_lf: false,
            partial: Vec::new(),
            partial_start: 0,
            pos: 0,
        }
    }

    /// Calls `on_line(line, offset)` for every complete line in `data`, in order.
    fn feed<F>(&mut self, data: &[u8], mut on_line: F) -> Result<Flow, Error>
    where
        F: FnMut(&[u8], u64) -> Result<Flow, Error>,
    {
        let data = self.strip_bom(data);
        let mut i = 0;
        if self.skip_lf && !data.is_empty() {
            self.skip_lf = false;
            if data[0] == b'\n' {
                i = 1;
            }
        }
        while i < data.len() {
            let found = if self.cr_ends_line {
                memchr2(b'\n', b'\r', &data[i..])
            } else {
                memchr(b'\n', &data[i..])
            };
            let Some(k) = found else {
                if self.partial.is_empty() {
                    self.partial_start = self.pos + i as u64;
                }
                self.partial.extend_from_slice(&data[i..]);
                break;
            };
            let end = i + k;
            let flow = if self.partial.is_empty() {
                on_line(&data[i..end], self.pos + i as u64)?
            } else {
                self.partial.extend_from_slice(&data[i..end]);
                let line = std::mem::take(&mut self.partial);
                let flow = on_line(&line, self.partial_start);
                self.partial = line;
                self.partial.clear();
                flow?
            };
            i = end + 1;
            if data[end] == b'\r' {
                if i == data.len() {
                    self.skip_lf = true;
                } else if data[i] == b'\n' {
                    i += 1;
                }
            }
            if flow == Flow::Stop {
                self.pos += i as u64;
                return Ok(Flow::Stop);
            }
        }
        self.pos += data.len() as u64;
        Ok(Flow::Continue)
    }

    /// Takes the unterminated last line, if any, with its offset.
    fn take_partial(&mut self) -> Option<(Vec<u8>, u64)> {
        if self.partial.is_empty() {
            None
        } else {
            Some((std::mem::take(&mut self.partial), self.partial_start))
        }
    }

    /// Drops one leading UTF-8 BOM, which may arrive split across feeds. Matched bytes that turn out not
    /// to be a BOM are kept as the start of the first line (they hold no line end).
    fn strip_bom<'d>(&mut self, mut data: &'d [u8]) -> &'d [u8] {
        while let Some(matched) = self.bom_matched {
            let Some(&byte) = data.first() else { break };
            if byte == BOM[matched] {
                data = &data[1..];
                self.pos += 1;
                self.bom_matched = if matched + 1 == BOM.len() {
                    None
                } else {
                    Some(matched + 1)
                };
            } else {
                self.bom_matched = None;
                self.partial.extend_from_slice(&BOM[..matched]);
                self.partial_start = 0;
            }
        }
        data
    }
}

/// The fields of the SSE event being assembled, and what persists across events.
#[derive(Debug, Default)]
struct SseState {
    data: Vec<u8>,
    has_data: bool,
    event_type: Vec<u8>,
    /// Offset of the first line of the current block (lines since the last blank line).
    block_start: Option<u64>,
    last_event_id: Vec<u8>,
    retry: Option<u64>,
    dispatched: u64,
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

impl SseState {
    fn line<F>(&mut self, line: &[u8], offset: u64, limit: usize, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        if line.is_empty() {
            return self.dispatch(on_event);
        }
        let start = *self.block_start.get_or_insert(offset);
        if self.data.len() + line.len() > limit {
            return Err(Error::EventTooLarge {
                pos: Pos {
                    event: self.dispatched,
                    offset: start,
                },
                limit,
            });
        }
        if line[0] == b':' {
            return Ok(Flow::Continue);
        }
        let (field, value) = match memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &line[line.len()..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
                self.has_data = true;
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"id" if !value.contains(&0) => {
                self.last_event_id.clear();
                self.last_event_id.extend_from_slice(value);
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // A value too large for u64 is ignored, like any other unusable retry.
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()) {
                    self.retry = Some(ms);
                }
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    fn dispatch<F>(&mut self, on_event: &mut F) -> Result<Flow, Error>
    where
        F: FnMut(Event<'_>) -> Result<Flow, Error>,
    {
        let start = self.block_start.take();
        if !self.has_data {
            self.event_type.clear();
            return Ok(Flow::Continue);
        }
        let pos = Pos {
            event: self.dispatched,
            offset: start.unwrap_or_default(),
        };
        self.dispatched += 1;
        let flow = on_event(Event {
            kind: &self.event_type,
            data: &self.data,
            pos,
            exception: false,
        })?;
        self.data.clear();
        self.has_data = false;
        self.event_type.clear();
        Ok(flow)
    }

    /// Where the event being assembled starts, if it holds data that was never dispatched.
    fn pending(&self) -> Option<Pending> {
        self.has_data.then(|| {
            let pos = Pos {
                event: self.dispatched,
                offset: self.block_start.unwrap_or_default(),
            };
            let detail = format!(
                "inside event {} starting at byte {}, before its blank line",
                pos.event, pos.offset
            );
            Pending { pos, detail }
        })
    }
}

/// One NDJSON line: blank lines are skipped, every other line is an event of its own. The size check
/// comes before the CR is trimmed, so it sees what the line buffer held whatever the feed boundaries.
fn ndjson_line<F>(sse: &mut SseState, line: &[u8], offset: u64, limit: usize, on_event: &mut F) -> Result<Flow, Error>
where
    F: FnMut(Event<'_>) -> Result<Flow, Error>,
{
    let pos = Pos {
        event: sse.dispatched,
        offset,
    };
    if line.len() > limit {
        return Err(Error::EventTooLarge { pos, limit });
    }
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n')) {
        return Ok(Flow::Continue);
    }
    sse.dispatched += 1;
    on_event(Event {
        kind: b"",
        data: line,
        pos,
        exception: false,
    })
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
