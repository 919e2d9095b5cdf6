//! The pull parser: the cursor, whitespace, objects, arrays, and skipping a value whole. Reading strings
//! is in `strings.rs`, numbers in `numbers.rs`.
//! Twin: `loads` in `python/rillm/_fallback/jsonutil.py` (the same grammar and rules).

use std::borrow::Cow;

use super::{JsonError, Problem, Result, MAX_DEPTH};

/// What the next value is, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Peek {
    Null,
    True,
    False,
    String,
    Number,
    Array,
    Object,
}
/// A pull parser over one JSON document.
pub(crate) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) bytes: &'a [u8],
    pub(super) pos: usize,
    /// How many arrays and objects enclose the cursor.
    pub(super) depth: usize,
}

/// An object key: the raw text between its quotes (escapes and all), decoded only if it has escapes.
#[derive(Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) raw: &'a str,
    escaped: bool,
}

impl<'a> Key<'a> {
    /// Whether the key has escapes (then its raw text is not its name).
    #[inline]
    pub(crate) fn escaped(&self) -> bool {
        self.escaped
    }

    /// A key spelled without escapes: `raw` is its name.
    pub(crate) fn unescaped(raw: &'a str) -> Self {
        Key { raw, escaped: false }
    }

    pub(crate) fn name(&self) -> Cow<'a, [u8]> {
        if self.escaped {
            let quoted = format!("\"{}\"", self.raw);
            let decoded = Parser::new(&quoted).string().ok().flatten().unwrap_or_default();
            Cow::Owned(decoded.into_bytes())
        } else {
            Cow::Borrowed(self.raw.as_bytes())
        }
    }
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// A parser of `text` whose first `pos` bytes an earlier parser read (of the same bytes: a caller that
    /// compared them), which left it inside `depth` arrays and objects. `pos` must end a token.
    pub(crate) fn resumed(text: &'a str, pos: usize, depth: usize) -> Self {
        Parser {
            text,
            bytes: text.as_bytes(),
            pos,
            depth,
        }
    }

    /// The byte offset of the cursor.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// The text from byte `start` (where a token began) to the cursor.
    #[inline]
    pub(crate) fn since(&self, start: usize) -> &'a str {
        &self.text[start..self.pos]
    }

    /// How many arrays and objects enclose the cursor.
    #[inline]
    pub(crate) fn depth(&self) -> usize {
        self.depth
    }

    /// Consumes the next value when its text is `raw` byte for byte, and returns it. `raw` must be a whole
    /// value this grammar accepted at the present depth (a caller keeps it with the depth), and not a
    /// number: then the same bytes read the same way and end at the same place (a string, array, object or
    /// literal ends with its own last byte; where a number ends depends on what follows it).
    #[inline]
    pub(crate) fn same_value(&mut self, raw: &str) -> Option<&'a str> {
        self.skip_ws();
        let start = self.pos;
        if !self
            .bytes
            .get(start..start + raw.len())
            .is_some_and(|text| same(text, raw.as_bytes()))
        {
            return None;
        }
        self.pos += raw.len();
        // The same bytes as a whole `str` from a char boundary: this slice is valid, and never fails.
        self.text.get(start..self.pos)
    }

    /// Consumes `lead` when the text at the cursor (after whitespace) is `lead` byte for byte: the opening
    /// brace of an object (`opens`) or the comma after a member, then a key, its colon and whitespace, as
    /// `object_start` or `object_step`, `key` and `skip_ws` read them before (a caller keeps the text).
    /// Those are the tokens the same bytes read again, so this is that reading, in one comparison.
    #[inline]
    pub(crate) fn lead_if(&mut self, lead: &[u8], opens: bool) -> Result<bool> {
        self.skip_ws();
        let end = self.pos + lead.len();
        if !self.bytes.get(self.pos..end).is_some_and(|text| same(text, lead)) {
            return Ok(false);
        }
        if opens {
            // Where `object_start` reports an object too deep: after its brace.
            self.pos += 1;
            self.enter()?;
        }
        self.pos = end;
        Ok(true)
    }

    #[inline]
    pub(super) fn error<T>(&self, what: Problem) -> Result<T> {
        Err(JsonError {
            what,
            pos: u32::try_from(self.pos).unwrap_or(u32::MAX),
        })
    }

    #[inline]
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    #[inline]
    fn expect(&mut self, byte: u8, what: Problem) -> Result<()> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            self.error(what)
        }
    }

    #[inline]
    pub(crate) fn peek(&mut self) -> Result<Peek> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b'n') => Ok(Peek::Null),
            Some(b't') => Ok(Peek::True),
            Some(b'f') => Ok(Peek::False),
            Some(b'"') => Ok(Peek::String),
            Some(b'-' | b'0'..=b'9') => Ok(Peek::Number),
            Some(b'[') => Ok(Peek::Array),
            Some(b'{') => Ok(Peek::Object),
            Some(_) => self.error(Problem::ExpectedValue),
            None => self.error(Problem::UnexpectedEnd),
        }
    }

    /// Consumes `null` if it comes next.
    #[inline]
    fn null(&mut self) -> Result<bool> {
        if self.peek()? == Peek::Null {
            self.literal(b"null")?;
            return Ok(true);
        }
        Ok(false)
    }

    #[inline]
    pub(super) fn literal(&mut self, word: &[u8]) -> Result<()> {
        if self.bytes[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            self.error(Problem::ExpectedValue)
        }
    }

    /// The first key of the object that must come next, or `None` when it is empty.
    #[inline]
    pub(crate) fn first_key(&mut self) -> Result<Option<Key<'a>>> {
        if self.object_start()? {
            self.key().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Consumes the opening brace of the object that must come next; whether a key follows (an empty
    /// object is consumed whole). The key is then read with `key` (or compared whole with its lead: `lead_if`).
    #[inline]
    pub(crate) fn object_start(&mut self) -> Result<bool> {
        self.expect(b'{', Problem::ExpectedObject)?;
        self.enter()?;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        Ok(true)
    }

    #[inline]
    fn enter(&mut self) -> Result<()> {
        if self.depth == MAX_DEPTH {
            return self.error(Problem::TooDeep);
        }
        self.depth += 1;
        Ok(())
    }

    /// The next key of the object being read, or `None` at its end.
    #[inline]
    pub(crate) fn next_key(&mut self) -> Result<Option<Key<'a>>> {
        if self.object_step()? {
            self.key().map(Some)
        } else {
            Ok(None)
        }
    }

    /// After a member's value: whether another key follows (the comma consumed), or the object ended (its
    /// closing brace consumed).
    #[inline]
    pub(crate) fn object_step(&mut self) -> Result<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => self.error(Problem::ExpectedCommaOrBrace),
        }
    }

    /// The key at the cursor (after `object_start` or `object_step` said one follows), its colon consumed.
    #[inline]
    pub(crate) fn key(&mut self) -> Result<Key<'a>> {
        self.skip_ws();
        if self.bytes.get(self.pos) != Some(&b'"') {
            return self.error(Problem::ExpectedKey);
        }
        let (raw, decoded) = self.string_token()?;
        self.expect(b':', Problem::ExpectedColon)?;
        Ok(Key {
            raw,
            escaped: decoded.is_some(),
        })
    }

    /// Skips the value at the cursor, checking it fully.
    fn skip(&mut self) -> Result<()> {
        match self.peek()? {
            Peek::Null => self.literal(b"null"),
            Peek::True => self.literal(b"true"),
            Peek::False => self.literal(b"false"),
            Peek::String => self.string_token().map(drop),
            Peek::Number => self.number_token().map(drop),
            Peek::Array => {
                let mut more = self.array_start()?;
                while more {
                    self.skip()?;
                    more = self.array_step()?;
                }
                Ok(())
            }
            Peek::Object => {
                let mut key = self.first_key()?;
                while key.is_some() {
                    self.skip()?;
                    key = self.next_key()?;
                }
                Ok(())
            }
        }
    }

    /// The next value, skipped and returned as its raw JSON text; `None` for `null`.
    #[inline]
    pub(crate) fn raw(&mut self) -> Result<Option<&'a str>> {
        if self.null()? {
            return Ok(None);
        }
        self.any().map(Some)
    }

    /// The next value as raw JSON text, `null` included.
    #[inline]
    pub(crate) fn any(&mut self) -> Result<&'a str> {
        self.skip_ws();
        let start = self.pos;
        self.skip()?;
        Ok(&self.text[start..self.pos])
    }

    /// Consumes the opening bracket of the array that must come next; whether it has items.
    #[inline]
    pub(crate) fn array_start(&mut self) -> Result<bool> {
        self.expect(b'[', Problem::ExpectedArray)?;
        self.enter()?;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After an item: whether another follows.
    #[inline]
    pub(crate) fn array_step(&mut self) -> Result<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(false)
            }
            _ => self.error(Problem::ExpectedCommaOrBracket),
        }
    }

    /// Nothing but whitespace may follow the document.
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.skip_ws();
        if self.pos == self.bytes.len() {
            Ok(())
        } else {
            self.error(Problem::TrailingData)
        }
    }
}

/// Whether two slices of the same length hold the same bytes: for the short texts a caller guesses (keys,
/// small values), eight-byte words compared inline, where a call to `memcmp` costs more than the comparison.
#[inline]
fn same(text: &[u8], expected: &[u8]) -> bool {
    let n = expected.len();
    if text.len() != n || !(8..=32).contains(&n) {
        return text == expected;
    }
    let word = |s: &[u8]| u64::from_le_bytes(<[u8; 8]>::try_from(s).unwrap_or_default());
    text.chunks_exact(8)
        .zip(expected.chunks_exact(8))
        .all(|(a, b)| word(a) == word(b))
        && word(&text[n - 8..]) == word(&expected[n - 8..])
}
