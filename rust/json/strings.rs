//! Reading JSON strings: the raw token, unescaping, and the borrowed or owned forms the decoders take.
//! Twin: `loads` in `python/rillm/_fallback/jsonutil.py` (the same grammar and rules).

use std::borrow::Cow;

use super::{Parser, Peek, Problem, Result};

impl<'a> Parser<'a> {
    /// Scans the string at the cursor: its raw contents, and its decoded form when it had escapes.
    #[inline]
    pub(super) fn string_token(&mut self) -> Result<(&'a str, Option<String>)> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
