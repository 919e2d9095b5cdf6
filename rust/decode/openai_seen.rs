//! What the `OpenAI` reader keeps from one chunk of a stream for the next: the strings every chunk repeats,
//! and the texts a chunk began and ended with (its head up to `choices`, its tail after them), which the
//! next chunk's text is compared with instead of being parsed again when it begins or ends the same way.
//! The choice's head and tail are in `openai_keys.rs`, beside the key orders they resume. The twin has
//! none of this: Python's `json` reads every chunk whole (`python/rillm/_fallback/decode/openai_wire.py`).

use super::openai_keys::{ChoiceHead, ChunkKeys, Field};
use crate::chunk::Shared;
use crate::json::{Key, Parser, Result};

/// What is kept from the last chunk. A chunk's values are kept only once the whole chunk has been read
/// (`Strings::keep`), so that a second read of it (`read_chunk`) starts from the same slots.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) strings: Strings,
    /// The keys of the last chunk, at every level: the guesses for the next one's. (Boxed, as the head: the
    /// decoder stays small.)
    pub(crate) keys: Box<ChunkKeys>,
    pub(super) head: Box<Head>,
    pub(super) tail: Box<Tail>,
}

/// The strings a stream repeats on every chunk, shared so that it allocates each once; id and model are
/// also what a chunk that lacks its own gets.
#[derive(Debug, Default)]
pub(crate) struct Strings {
    pub(crate) id: Slot,
    pub(crate) model: Slot,
    pub(crate) fingerprint: Slot,
    pub(crate) service_tier: Slot,
}

impl Seen {
    /// Forgets every guess (the key orders, heads and tails), keeping the strings: the next chunk is read
    /// with nothing guessed, as the reading every guess must agree with (`fast_paths_tests.rs`).
    #[cfg(test)]
    pub(super) fn forget_guesses(&mut self) {
        (self.keys, self.head, self.tail) = Default::default();
    }
}

/// How the last chunk went on after its `choices`: its text from just past that list through the colon
/// (and whitespace) after the first key that was not a null `usage` (or through the chunk's closing brace,
/// when there was none), when that key has no escapes. A chunk whose text after its `choices` is the same
/// bytes reads the same up to there: its usage is null when the tail's holds a null `usage`, and it goes on
/// at that key's value (what OpenAI sends after the choices: `"usage":null,"obfuscation":` and a value
/// that changes).
#[derive(Debug, Default)]
pub(super) struct Tail {
    pub(super) text: String,
    /// The key the tail ends with: what it is, and where its raw text is in `text`.
    pub(super) key: Option<(Field, usize, usize)>,
    /// How many keys of the chunk have been read at the tail's end.
    pub(super) keys: usize,
    pub(super) usage: bool,
}

impl Tail {
    /// Keeps `text` (refilled in place, as the choice's head and tail are) and what it ends with.
    /// When `data` goes on at `at` (just past a chunk's `choices`) with this tail: the offset past it, and
    /// the key it ends with, read from `data`.
    #[inline]
    pub(super) fn resume<'a>(&self, data: &'a str, at: usize) -> Option<(usize, Option<(Key<'a>, Field)>)> {
        if self.text.is_empty() || !data.as_bytes()[at..].starts_with(self.text.as_bytes()) {
            return None;
        }
        let key = self
            .key
            .map(|(field, from, len)| (Key::unescaped(&data[at + from..at + from + len]), field));
        Some((at + self.text.len(), key))
    }

    fn keep(&mut self, text: &str, key: Option<(Field, usize, usize)>, keys: usize, usage: bool) {
        self.keys = keys;
        if self.text == text {
            return;
        }
        self.text.clear();
        self.text.push_str(text);
        (self.key, self.usage) = (key, usage);
    }
}

/// A chunk's text after its `choices` while it could be a tail (`Tail`): where it began, and whether a null
/// usage came since.
#[derive(Clone, Copy)]
pub(super) struct TailRead {
    pub(super) at: usize,
    pub(super) usage: bool,
}

impl TailRead {
    /// After the chunk's `keys`-th key `k` (`field`, its value read from `value_at` on; `null` when that
    /// value was null): the tail read so far when it goes on, else `None`, having kept the tail in `last`
    /// when it ends with this key.
    pub(super) fn after(
        self,
        last: &mut Tail,
        data: &str,
        (k, field): (&Key<'_>, Field),
        value_at: usize,
        keys: usize,
        null: bool,
    ) -> Option<Self> {
        if field == Field::Usage && null {
            return Some(TailRead { usage: true, ..self });
        }
        let text = &data[self.at..value_at];
        if let Some(from) = key_in(k, text) {
            last.keep(text, Some((field, from, k.raw.len())), keys, self.usage);
        }
        None
    }

    /// At the chunk's end (`end`, past its closing brace), after `keys` keys: the tail ends the chunk.
    pub(super) fn end(self, last: &mut Tail, data: &str, end: usize, keys: usize) {
        last.keep(&data[self.at..end], None, keys, self.usage);
    }
}

/// How the last chunk began, up to its `choices`: its text from the start through the colon after
/// `"choices"` (and the whitespace after it), when every key before it was one of id, object, created,
/// model, `system_fingerprint` and `service_tier` (a stream sends those the same on every chunk), and what
/// they read as. A chunk whose text begins with the same bytes reads the same up to there, so it takes
/// those values and is read from its `choices` on: the head is compared, not parsed.
#[derive(Debug, Default)]
pub(super) struct Head {
    pub(super) text: Box<str>,
    /// How many keys the head holds, `choices` included.
    pub(super) keys: usize,
    pub(super) id: Option<Shared>,
    pub(super) model: Option<Shared>,
    pub(super) created: Option<i64>,
    pub(super) system_fingerprint: Option<Shared>,
    pub(super) service_tier: Option<Shared>,
}

/// The last value of one repeated string, and whether it is "plain" (no quote, backslash or control
/// character), in which case an unchanged value is recognised by comparing bytes, without a scan.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) value: Option<Shared>,
    plain: bool,
}

impl Slot {
    /// The next value (a string or null), shared with the previous chunk's when equal. An empty string
    /// reads as `None` when `empty_is_none` (id and model).
    pub(crate) fn read(&self, p: &mut Parser<'_>, empty_is_none: bool) -> Result<Option<Shared>> {
        if let Some(value) = self.value.as_ref().filter(|_| self.plain) {
            if p.same_plain_string(value) {
                return Ok(Some(value.clone()));
            }
        }
        p.str_with(|s| {
            if empty_is_none && s.is_empty() {
                return None;
            }
            match &self.value {
                Some(value) if **value == *s => Some(value.clone()),
                _ => Some(s.into()),
            }
        })
        .map(Option::flatten)
    }

    /// Keeps what a chunk read (`None` leaves the slot as it was).
    #[inline]
    pub(super) fn keep(&mut self, value: Option<&Shared>) {
        if let Some(value) = value {
            if !self.value.as_ref().is_some_and(|kept| Shared::ptr_eq(kept, value)) {
                self.plain = !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
                self.value = Some(value.clone());
            }
        }
    }
}

/// Where the raw text of `k` (a key with no escapes) is in `text`, a part of the chunk it was read from.
fn key_in(k: &Key<'_>, text: &str) -> Option<usize> {
    let from = (k.raw.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    (!k.escaped() && text.get(from..from + k.raw.len()) == Some(k.raw)).then_some(from)
}

/// How deep a choice's members are in a chunk: inside the chunk, its `choices` list and the choice.
pub(super) const CHOICE_DEPTH: usize = 3;

/// Where a choice of a chunk's list begins in the chunk's text, and whether it begins with the last
/// choice's head (`ChoiceHead`): then the parser has been moved past that head, into the choice, and the
/// head's values are the choice's (as the chunk's `Head` is compared, not parsed).
#[derive(Clone, Copy)]
pub(crate) struct Start<'a> {
    pub(super) text: &'a str,
    pub(super) at: usize,
    pub(super) resumed: bool,
}

impl<'a> Start<'a> {
    pub(super) fn new(p: &mut Parser<'a>, text: &'a str, position: i64, head: &ChoiceHead) -> Self {
        let bytes = text.as_bytes();
        let mut at = p.pos();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
            at += 1;
        }
        let resumed = head.position == position
            && !head.text.is_empty()
            && bytes
                .get(at..)
                .is_some_and(|rest| rest.starts_with(head.text.as_bytes()));
        if resumed {
            *p = Parser::resumed(text, at + head.text.len(), CHOICE_DEPTH);
        }
        Start { text, at, resumed }
    }
}
