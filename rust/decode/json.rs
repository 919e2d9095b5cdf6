//! A strict, allocation-free pull parser for the dialect decoders, and the few JSON helpers they share.
//!
//! Chunks are small (a few hundred bytes) and mostly short strings, so the cost is per token, not per
//! byte: keys and values are scanned in place, handed out as slices of the input, and copied only when a
//! string has escapes or a value is kept. Long strings are scanned eight bytes at a time.
//!
//! Helpers over raw JSON text are in raw.rs. It accepts exactly what Python's `json.loads` accepts with
//! NaN/Infinity refused, plus two rules the Python twin (`python/rillm/_fallback/jsonutil.py`) applies too: a lone UTF-16 surrogate escape
//! (`"\ud800"`) is an error anywhere, and so is nesting deeper than `MAX_DEPTH`.

use std::borrow::Cow;

pub(crate) type Result<T> = std::result::Result<T, JsonError>;

/// What was wrong, and at which byte of the payload. Eight bytes and `Copy`, so that the `?` on every
/// token stays cheap; the message is built only when the error is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct JsonError {
    pub(crate) what: Problem,
    pub(crate) pos: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    ExpectedValue,
    UnexpectedEnd,
    ExpectedObject,
    ExpectedKey,
    ExpectedColon,
    ExpectedCommaOrBrace,
    ExpectedArray,
    ExpectedCommaOrBracket,
    ExpectedString,
    ExpectedInteger,
    IntegerOutOfRange,
    InvalidNumber,
    ControlCharacter,
    UnterminatedString,
    InvalidEscape,
    LoneSurrogate,
    TooDeep,
    TrailingData,
    /// A field's value has the wrong shape for the dialect (the field is named by the caller).
    Shape(&'static str),
}

impl std::fmt::Display for JsonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.what {
            Problem::ExpectedValue => "expected a JSON value",
            Problem::UnexpectedEnd => "unexpected end of JSON",
            Problem::ExpectedObject => "expected an object",
            Problem::ExpectedKey => "expected a key",
            Problem::ExpectedColon => "expected ':'",
            Problem::ExpectedCommaOrBrace => "expected ',' or '}'",
            Problem::ExpectedArray => "expected an array",
            Problem::ExpectedCommaOrBracket => "expected ',' or ']'",
            Problem::ExpectedString => "expected a string",
            Problem::ExpectedInteger => "expected an integer",
            Problem::IntegerOutOfRange => "integer out of range",
            Problem::InvalidNumber => "invalid number",
            Problem::ControlCharacter => "control character in a string",
            Problem::UnterminatedString => "unterminated string",
            Problem::InvalidEscape => "invalid escape",
            Problem::LoneSurrogate => "lone surrogate in a \\u escape",
            Problem::TooDeep => "JSON nested too deeply",
            Problem::TrailingData => "unexpected data after the JSON value",
            Problem::Shape(what) => what,
        };
        write!(f, "{what} at byte {} of the payload", self.pos)
    }
}

/// Arrays and objects nested deeper than this are an error. Keep in sync with `jsonutil.MAX_DEPTH`.
pub(crate) const MAX_DEPTH: usize = 256;

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
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// How many arrays and objects enclose the cursor.
    depth: usize,
}

/// An object key: the raw text between its quotes (escapes and all), decoded only if it has escapes.
#[derive(Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) raw: &'a str,
    escaped: bool,
}

impl<'a> Key<'a> {
    /// Which known key this is, comparing the raw bytes (decoding only a key that has escapes).
    pub(crate) fn field(&self) -> super::openai_wire::Field {
        if self.escaped {
            super::openai_wire::field(&self.name())
        } else {
            super::openai_wire::field(self.raw.as_bytes())
        }
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

    #[inline]
    fn error<T>(&self, what: Problem) -> Result<T> {
        Err(JsonError {
            what,
            pos: u32::try_from(self.pos).unwrap_or(u32::MAX),
        })
    }

    #[inline]
    fn skip_ws(&mut self) {
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
    fn literal(&mut self, word: &[u8]) -> Result<()> {
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
        self.expect(b'{', Problem::ExpectedObject)?;
        self.enter()?;
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(None);
        }
        self.key().map(Some)
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
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                self.key().map(Some)
            }
            Some(b'}') => {
                self.pos += 1;
                self.depth -= 1;
                Ok(None)
            }
            _ => self.error(Problem::ExpectedCommaOrBrace),
        }
    }

    #[inline]
    fn key(&mut self) -> Result<Key<'a>> {
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

    /// Scans the string at the cursor: its raw contents, and its decoded form when it had escapes.
    #[inline]
    fn string_token(&mut self) -> Result<(&'a str, Option<String>)> {
        let start = self.pos + 1;
        let at = special_byte(self.bytes, start);
        match self.bytes.get(at) {
            Some(b'"') => {
                self.pos = at + 1;
                Ok((&self.text[start..at], None))
            }
            Some(b'\\') => {
                self.pos = at;
                let decoded = self.unescape(start)?;
                Ok((&self.text[start..self.pos - 1], Some(decoded)))
            }
            Some(_) => {
                self.pos = at;
                self.error(Problem::ControlCharacter)
            }
            None => {
                self.pos = at;
                self.error(Problem::UnterminatedString)
            }
        }
    }

    /// Decodes a string with escapes; the cursor is on its first backslash, `start` just after its quote.
    fn unescape(&mut self, start: usize) -> Result<String> {
        let mut out = String::with_capacity(self.pos - start + 16);
        out.push_str(&self.text[start..self.pos]);
        loop {
            let i = self.pos;
            match self.bytes.get(i) {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    let escaped = match self.bytes.get(i + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return self.error(Problem::InvalidEscape),
                    };
                    out.push(escaped);
                    self.pos += 2;
                }
                Some(&b) if b < 0x20 => return self.error(Problem::ControlCharacter),
                Some(_) => {
                    let run = self.bytes[i..]
                        .iter()
                        .position(|&b| b == b'"' || b == b'\\' || b < 0x20);
                    let end = run.map_or(self.bytes.len(), |n| i + n);
                    out.push_str(&self.text[i..end]);
                    self.pos = end;
                }
                None => return self.error(Problem::UnterminatedString),
            }
        }
    }

    /// `\uXXXX`, or a surrogate pair `\uD8XX\uDCXX`; a lone surrogate is an error.
    fn unicode_escape(&mut self) -> Result<char> {
        let high = self.hex4(self.pos + 2)?;
        self.pos += 6;
        if !(0xD800..0xE000).contains(&high) {
            return Ok(char::from_u32(high).unwrap_or('\u{FFFD}'));
        }
        if high >= 0xDC00 || self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
            return self.error(Problem::LoneSurrogate);
        }
        let low = self.hex4(self.pos + 2)?;
        if !(0xDC00..0xE000).contains(&low) {
            return self.error(Problem::LoneSurrogate);
        }
        self.pos += 6;
        Ok(char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&self, at: usize) -> Result<u32> {
        let digits = self
            .bytes
            .get(at..at + 4)
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        let Some(digits) = digits else {
            return self.error(Problem::InvalidEscape);
        };
        Ok(digits
            .iter()
            .fold(0, |n, &d| n * 16 + char::from(d).to_digit(16).unwrap_or(0)))
    }

    /// The number at the cursor, validated against JSON's grammar, as its text.
    pub(crate) fn number_token(&mut self) -> Result<&'a str> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = start + usize::from(b.get(start) == Some(&b'-'));
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i += digits(b, i),
            _ => {
                self.pos = i;
                return self.error(Problem::InvalidNumber);
            }
        }
        if b.get(i) == Some(&b'.') {
            let n = digits(b, i + 1);
            if n == 0 {
                self.pos = i + 1;
                return self.error(Problem::InvalidNumber);
            }
            i += 1 + n;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
            let n = digits(b, i);
            if n == 0 {
                self.pos = i;
                return self.error(Problem::InvalidNumber);
            }
            i += n;
        }
        self.pos = i;
        Ok(&self.text[start..i])
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

    /// Consumes the next value if it is the JSON string `"{plain}"`, spelled without escapes. `plain` must
    /// hold no quote, backslash or control character (then its raw and decoded forms are the same bytes).
    #[inline]
    pub(crate) fn same_plain_string(&mut self, plain: &str) -> bool {
        self.skip_ws();
        let start = self.pos + 1;
        let end = start + plain.len();
        let same = self.bytes.get(self.pos) == Some(&b'"')
            && self.bytes.get(start..end) == Some(plain.as_bytes())
            && self.bytes.get(end) == Some(&b'"');
        if same {
            self.pos = end + 1;
        }
        same
    }

    /// A string or null.
    #[inline]
    pub(crate) fn string(&mut self) -> Result<Option<String>> {
        self.str_with(str::to_owned)
    }

    /// A string or null: borrowed from the input when it has no escapes.
    #[inline]
    pub(crate) fn cow(&mut self) -> Result<Option<Cow<'a, str>>> {
        match self.peek()? {
            Peek::Null => self.literal(b"null").map(|()| None),
            Peek::String => {
                let (raw, decoded) = self.string_token()?;
                Ok(Some(decoded.map_or(Cow::Borrowed(raw), Cow::Owned)))
            }
            _ => self.error(Problem::ExpectedString),
        }
    }

    /// A string or null, handed to `f` while it is borrowed.
    #[inline]
    pub(crate) fn str_with<T>(&mut self, f: impl FnOnce(&str) -> T) -> Result<Option<T>> {
        match self.peek()? {
            Peek::Null => self.literal(b"null").map(|()| None),
            Peek::String => {
                let (raw, decoded) = self.string_token()?;
                Ok(Some(f(decoded.as_deref().unwrap_or(raw))))
            }
            _ => self.error(Problem::ExpectedString),
        }
    }

    /// An integer that fits in i64, or null. One pass: the digits are checked and accumulated together
    /// (negatively, so that `i64::MIN` fits); a fraction or exponent makes it a float, not an integer.
    #[inline]
    pub(crate) fn int(&mut self) -> Result<Option<i64>> {
        match self.peek()? {
            Peek::Null => return self.literal(b"null").map(|()| None),
            Peek::Number => {}
            _ => return self.error(Problem::ExpectedInteger),
        }
        let start = self.pos;
        let negative = self.bytes[start] == b'-';
        let first = start + usize::from(negative);
        let mut i = first;
        let mut n: i64 = 0;
        let mut overflow = false;
        while let Some(&d) = self.bytes.get(i) {
            if !d.is_ascii_digit() {
                break;
            }
            match n.checked_mul(10).and_then(|n| n.checked_sub(i64::from(d - b'0'))) {
                Some(next) => n = next,
                None => overflow = true,
            }
            i += 1;
        }
        if i == first || (self.bytes[first] == b'0' && i - first > 1) {
            self.pos = i.min(first + 1);
            return self.error(Problem::InvalidNumber);
        }
        if let Some(b'.' | b'e' | b'E') = self.bytes.get(i) {
            return self.error(Problem::ExpectedInteger);
        }
        let value = if negative { Some(n) } else { n.checked_neg() };
        match value.filter(|_| !overflow) {
            Some(value) => {
                self.pos = i;
                Ok(Some(value))
            }
            None => self.error(Problem::IntegerOutOfRange),
        }
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

/// The index of the first quote, backslash or control character at or after `from` (or the length).
/// Eight bytes at a time: the lowest byte the SWAR masks flag is always a true hit.
#[inline]
fn special_byte(bytes: &[u8], from: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(word) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(word).unwrap_or_default());
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let found = ((quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w))
            & HIGHS;
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let tail = bytes.get(i..).unwrap_or_default();
    i + tail
        .iter()
        .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        .unwrap_or(tail.len())
}

#[inline]
fn digits(bytes: &[u8], from: usize) -> usize {
    bytes
        .get(from..)
        .map_or(0, |rest| rest.iter().take_while(|b| b.is_ascii_digit()).count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(text: &str) -> bool {
        super::super::raw::is_complete_json(text)
    }

    #[test]
    fn grammar_matches_python_json() {
        for ok in [
            "0",
            "-0",
            "1.5e+10",
            "1E5",
            "-12.25E-3",
            "\"\\u00e9\\ud83d\\ude00\"",
            "[ ]",
            "{ }",
            " [1, {\"a\": null}] ",
            "1e400",
            "123456789012345678901234567890",
            "\"\u{7f}\"",
        ] {
            assert!(accepts(ok), "{ok}");
        }
        for bad in [
            "01",
            "1.",
            ".5",
            "-",
            "+1",
            "1e",
            "NaN",
            "Infinity",
            "[1,]",
            "{\"a\":1,}",
            "\"\\x\"",
            "\"a\u{1}\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "1 2",
            "{'a': 1}",
            "tru",
            "\"unterminated",
            "",
        ] {
            assert!(!accepts(bad), "{bad}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(accepts(&ok));
        assert!(!accepts(&deep));
    }

    #[test]
    fn strings_decode_with_and_without_escapes() {
        let long = "x".repeat(100);
        for (text, expected) in [
            (format!("\"{long}\""), long.clone()),
            ("\"a\\nb\\\"c\\/\\u00e9\"".to_owned(), "a\nb\"c/é".to_owned()),
            (format!("\"{long}\\t{long}\""), format!("{long}\t{long}")),
            ("\"\\ud83d\\ude00!\"".to_owned(), "😀!".to_owned()),
        ] {
            assert_eq!(Parser::new(&text).string().unwrap(), Some(expected), "{text}");
        }
    }
}
