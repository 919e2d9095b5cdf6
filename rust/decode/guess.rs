//! Keys and values guessed from the last event: a stream sends the same keys in the same order on every
//! event, and many of the same values (the model, the response id, a usage that has not changed). So a
//! one-pass reader first compares each key whole with the key at its place in the last object of its level
//! (`Keys`), which spares the scan for its closing quote and the lookup of what it is, and a value it reads
//! whole with the last value read there (`Kept`), which spares reading it again. Only a guess: what
//! differs is read as usual and becomes the next guess, so the bytes alone decide what is read. Used by
//! `gemini_text.rs` and by the `OpenAI` reader (`openai_wire.rs`, `openai_delta.rs`), which also takes
//! each key's text (for the keys it keeps as extras) and resumes an object part-way (after a head or tail
//! it compared whole). The pure-Python twin reads every event with `json.loads` and has nothing of this.

use std::borrow::Cow;

use crate::json::{Key, Parser, Result};

/// How many keys of an object are remembered: enough for any event a provider sends, few enough that an
/// object with thousands of keys costs no more than that.
const REMEMBERED: usize = 32;

/// A value read whole (its raw JSON text) and what the reader made of it: when the same bytes come again
/// at the same depth, the reader takes what it made then instead of reading them again.
#[derive(Debug, Default)]
pub(super) struct Kept<T> {
    raw: String,
    depth: usize,
    made: Option<T>,
}

impl<T> Kept<T> {
    /// What was made of the value at the cursor when it is the kept one, byte for byte (then consumed).
    #[inline]
    pub(super) fn take<'a>(&self, p: &mut Parser<'a>) -> Option<(&'a str, &T)> {
        let made = self.made.as_ref()?;
        if p.depth() != self.depth {
            return None;
        }
        p.same_value(&self.raw).map(|raw| (raw, made))
    }

    /// Keeps `raw`, a whole value the parser read at its present depth, and what was made of it. A number
    /// is not kept: where it ends depends on the bytes after it, which a comparison of its own does not see.
    pub(super) fn keep(&mut self, p: &Parser<'_>, raw: &str, made: T) {
        if raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
            self.made = None;
            return;
        }
        self.raw.clear();
        self.raw.push_str(raw);
        self.depth = p.depth();
        self.made = Some(made);
    }
}

/// The members of the last object read at one level of an event, in order: the guesses for the next
/// object's. Each is kept as its lead, the text from the brace or comma before it through its key, colon
/// and the whitespace after, with what its key is (`F`, told by the level's `classify` from the key's name)
/// and the last value read whole there. An object that ends sooner ends the guesses there: the next one
/// most likely ends there too, and its end is then found without a comparison with a member it lacks.
pub(super) struct Order<F> {
    classify: fn(&str) -> F,
    members: Vec<Member<F>>,
}

struct Member<F> {
    lead: Box<[u8]>,
    /// Where the key's raw text is in `lead` (`from..to`), when it has no escapes: a reader that wants the
    /// key takes it from there without reading it again (one with escapes is read again: `Keys::named`).
    key: Option<(usize, usize)>,
    field: F,
    value: Kept<()>,
}

impl<F> Order<F> {
    pub(super) fn new(classify: fn(&str) -> F) -> Self {
        Order {
            classify,
            members: Vec::new(),
        }
    }
}

impl<F> std::fmt::Debug for Order<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let leads: Vec<_> = self.members.iter().map(|m| String::from_utf8_lossy(&m.lead)).collect();
        f.debug_tuple("Order").field(&leads).finish()
    }
}

/// Reads the keys of one object, each guessed from the same place in `order`.
pub(super) struct Keys<'o, F> {
    order: &'o mut Order<F>,
    /// How many keys were read.
    at: usize,
    /// Whether the member at `at - 1` in `order` is the one read last (not one past `REMEMBERED`).
    placed: bool,
    /// Where the lead of the key read last began, when it is not `placed` (then only the text has it).
    start: usize,
}

// `#[inline(always)]` on the readers of a key, measured: see `key`.
#[allow(clippy::inline_always)]
impl<'o, F: Copy> Keys<'o, F> {
    #[inline]
    pub(super) fn new(order: &'o mut Order<F>) -> Self {
        Keys::resumed(order, 0)
    }

    /// Reads the keys of an object whose first `at` keys were read already (by a caller that compared
    /// their text whole with an earlier object's, as `OpenAI`'s chunk and choice heads are).
    #[inline]
    pub(super) fn resumed(order: &'o mut Order<F>, at: usize) -> Self {
        Keys {
            order,
            at,
            placed: false,
            start: 0,
        }
    }

    /// Goes on as if the first `at` keys of the object had been read (a tail compared whole).
    #[inline]
    pub(super) fn skip_to(&mut self, at: usize) {
        (self.at, self.placed) = (at, false);
    }

    /// How many keys of the object have been read.
    #[inline]
    pub(super) fn read(&self) -> usize {
        self.at
    }

    /// As `first`, with the key's text (a reader that keeps unknown keys needs it).
    #[inline(always)]
    pub(super) fn first_key<'a>(&mut self, p: &mut Parser<'a>) -> Result<Option<(Key<'a>, F)>> {
        match self.key(p, true)? {
            Some(field) => self.named(p, field).map(Some),
            None => Ok(None),
        }
    }

    /// As `next`, with the key's text.
    #[inline(always)]
    pub(super) fn next_key<'a>(&mut self, p: &mut Parser<'a>) -> Result<Option<(Key<'a>, F)>> {
        match self.key(p, false)? {
            Some(field) => self.named(p, field).map(Some),
            None => Ok(None),
        }
    }

    /// The key just read, from its lead, which ends at the cursor: its text where the member keeps it,
    /// else read again (a key with escapes, or one past `REMEMBERED`). Only the readers that want the key
    /// pay for it: `first` and `next` do not.
    #[inline(always)]
    fn named<'a>(&self, p: &Parser<'a>, field: F) -> Result<(Key<'a>, F)> {
        let lead = if self.placed {
            let member = &self.order.members[self.at - 1];
            let lead = p.since(p.pos() - member.lead.len());
            if let Some((from, to)) = member.key {
                return Ok((Key::unescaped(&lead[from..to]), field));
            }
            lead
        } else {
            p.since(self.start)
        };
        reread(lead).map(|key| (key, field))
    }

    /// What the first key of the object that must come next is; `None` when the object is empty.
    #[inline]
    pub(super) fn first(&mut self, p: &mut Parser<'_>) -> Result<Option<F>> {
        self.key(p, true)
    }

    /// What the next key of the object is; `None` at its end.
    #[inline]
    pub(super) fn next(&mut self, p: &mut Parser<'_>) -> Result<Option<F>> {
        self.key(p, false)
    }

    /// The object's opening brace (`opens`) or the comma or brace after a member, then the key and its
    /// colon, compared whole with the guess at this place first. Inlined into every reader, as are
    /// `first_key`, `next_key` and `named`: a call per key cost `OpenAI`'s text decode about 2% more
    /// instructions, and Gemini's 4% (callgrind, `benches/instructions.py`).
    #[inline(always)]
    fn key(&mut self, p: &mut Parser<'_>, opens: bool) -> Result<Option<F>> {
        let at = self.at;
        self.at += 1;
        if let Some(member) = self.order.members.get(at) {
            if p.lead_if(&member.lead, opens)? {
                self.placed = true;
                return Ok(Some(member.field));
            }
        }
        p.skip_ws();
        let start = p.pos();
        let more = if opens { p.object_start()? } else { p.object_step()? };
        if !more {
            // What a longer object had past here is no guess for this level's next object: its end is.
            self.order.members.truncate(at);
            return Ok(None);
        }
        self.read_key(p, start, at).map(Some)
    }

    /// The key after the brace or comma at `start`, read token by token; the member becomes the guess at
    /// its place.
    #[cold]
    fn read_key(&mut self, p: &mut Parser<'_>, start: usize, at: usize) -> Result<F> {
        let key = p.key()?;
        let field = match key.name() {
            Cow::Borrowed(name) => (self.order.classify)(std::str::from_utf8(name).unwrap_or_default()),
            Cow::Owned(name) => (self.order.classify)(&String::from_utf8_lossy(&name)),
        };
        p.skip_ws();
        self.start = start;
        self.placed = at <= self.order.members.len() && at < REMEMBERED;
        if self.placed {
            let lead = p.since(start);
            let from = key.raw.as_ptr() as usize - lead.as_ptr() as usize;
            let member = Member {
                lead: lead.as_bytes().into(),
                key: (!key.escaped()).then_some((from, from + key.raw.len())),
                field,
                value: Kept::default(),
            };
            if at < self.order.members.len() {
                self.order.members[at] = member;
            } else {
                self.order.members.push(member);
            }
        }
        Ok(field)
    }

    /// The value of the key just read, as raw JSON: compared whole with the last value read at its place
    /// first, and kept for the next object's when it differs.
    #[inline]
    pub(super) fn raw<'a>(&mut self, p: &mut Parser<'a>) -> Result<&'a str> {
        if !self.placed {
            return p.any();
        }
        let kept = &mut self.order.members[self.at - 1].value;
        if let Some((raw, ())) = kept.take(p) {
            return Ok(raw);
        }
        let raw = p.any()?;
        kept.keep(p, raw, ());
        Ok(raw)
    }
}

/// The key in `lead`, a member's text from the brace or comma before it through its colon, read again.
#[cold]
fn reread(lead: &str) -> Result<Key<'_>> {
    Parser::new(&lead[1..]).key()
}

#[cfg(test)]
mod tests;
