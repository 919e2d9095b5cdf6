//! Lines and server-sent events (the WHATWG rules summed up in `mod.rs`), and NDJSON lines. Twin:
//! `python/rillm/_fallback/framing/sse.py`.

use memchr::{memchr, memchr2};

use super::{Event, Flow, Pending};
use crate::error::{Error, Pos};

/// The UTF-8 byte order mark, which one may lead a stream.
pub(super) const BOM: &[u8; 3] = b"\xEF\xBB\xBF";

/// Splits bytes into lines. Holds the unterminated tail of the input between feeds.
#[derive(Debug)]
pub(super) struct Lines {
    /// CR ends a line (SSE); otherwise only LF does (NDJSON, which drops a trailing CR itself).
    pub(super) cr_ends_line: bool,
    /// How many bytes of a leading BOM have matched so far; `None` once the stream start is past.
    pub(super) bom_matched: Option<usize>,
    /// The previous feed ended with CR: an LF at the start of the next feed belongs to it.
    pub(super) skip_lf: bool,
    /// Bytes of the line not yet terminated, and the stream offset where that line starts.
    pub(super) partial: Vec<u8>,
    pub(super) partial_start: u64,
    /// Stream offset of the next byte to be fed.
    pub(super) pos: u64,
}

impl Lines {
    pub(super) fn new(cr_ends_line: bool) -> Self {
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
    pub(super) fn feed<F>(&mut self, data: &[u8], mut on_line: F) -> Result<Flow, Error>
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
    pub(super) fn take_partial(&mut self) -> Option<(Vec<u8>, u64)> {
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
pub(super) struct SseState {
    pub(super) data: Vec<u8>,
    pub(super) has_data: bool,
    pub(super) event_type: Vec<u8>,
    /// Offset of the first line of the current block (lines since the last blank line).
    pub(super) block_start: Option<u64>,
    /// The `id` field's value as it arrives (WHATWG's last event ID buffer); `last_event_id` takes it when
    /// the block ends (a blank line), so an id whose block never ended is never reported.
    pub(super) id_buffer: Vec<u8>,
    pub(super) last_event_id: Vec<u8>,
    pub(super) retry: Option<u64>,
    pub(super) dispatched: u64,
}

impl SseState {
    pub(super) fn line<F>(&mut self, line: &[u8], offset: u64, limit: usize, on_event: &mut F) -> Result<Flow, Error>
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
                self.id_buffer.clear();
                self.id_buffer.extend_from_slice(value);
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
        self.last_event_id.clone_from(&self.id_buffer);
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

    /// Where the event being assembled starts, if it holds data that was never dispatched, or if `partial`
    /// (the unterminated last line, which is discarded) is a data line.
    pub(super) fn pending(&self, partial: Option<(&[u8], u64)>) -> Option<Pending> {
        let cut = partial.filter(|(line, _)| is_data_line(line)).map(|(_, offset)| offset);
        (self.has_data || cut.is_some()).then(|| {
            let pos = Pos {
                event: self.dispatched,
                offset: self.block_start.or(cut).unwrap_or_default(),
            };
            let detail = format!(
                "inside event {} starting at byte {}, before its blank line",
                pos.event, pos.offset
            );
            Pending { pos, detail }
        })
    }
}

/// Whether a line is a `data` field: `data` alone, or followed by a colon.
fn is_data_line(line: &[u8]) -> bool {
    line.strip_prefix(b"data")
        .is_some_and(|rest| rest.first().is_none_or(|&b| b == b':'))
}

/// One NDJSON line: blank lines are skipped, every other line is an event of its own. The size check
/// comes before the CR is trimmed, so it sees what the line buffer held whatever the feed boundaries.
pub(super) fn ndjson_line<F>(
    sse: &mut SseState,
    line: &[u8],
    offset: u64,
    limit: usize,
    on_event: &mut F,
) -> Result<Flow, Error>
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
    on_event(Event::data(line, pos))
}
