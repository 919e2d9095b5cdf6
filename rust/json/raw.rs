//! Helpers over raw JSON text: the decoders keep values they do not inspect as text, and these build,
//! inspect and write such text. Twin: `is_complete_json` in `python/rillm/_fallback/jsonutil.py`; the rest
//! has none, the twin working on parsed values rather than JSON text.

use std::borrow::Cow;
use std::collections::hash_map::{Entry, HashMap};
use std::fmt::Write as _;

use super::{Key, Parser, Peek, Result};
use crate::chunk::Json;

/// Builds the JSON object of a map's unknown keys, keeping their order (duplicates too: whoever parses
/// the text keeps the last value, as Python's `json` does).
#[derive(Debug, Default)]
pub(crate) struct ObjectBuilder(String);

impl ObjectBuilder {
    pub(crate) fn push(&mut self, key: &Key<'_>, value: &str) {
        self.push_raw(key.raw, value);
    }

    /// Adds a key the decoder names itself (it needs no escaping).
    pub(crate) fn push_named(&mut self, name: &'static str, value: &str) {
        self.push_raw(name, value);
    }

    /// `raw_key` is valid JSON string content, escapes and all.
    fn push_raw(&mut self, raw_key: &str, value: &str) {
        let text = &mut self.0;
        if text.is_empty() {
            // Room for exactly this entry and the closing brace (`{"` key `":` value `}`): most objects have one
            // unknown key, and a text of exactly its length becomes the boxed str without a reallocation.
            text.reserve(raw_key.len() + value.len() + 5);
            text.push('{');
        } else {
            text.push(',');
        }
        text.push('"');
        text.push_str(raw_key);
        text.push_str("\":");
        text.push_str(value);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn finish(self) -> Option<Json> {
        if self.0.is_empty() {
            None
        } else {
            let mut text = self.0;
            text.push('}');
            Some(Json(text.into_boxed_str()))
        }
    }
}

/// The input as text: borrowed when it is valid UTF-8 (the usual case), otherwise with each invalid
/// sequence replaced by U+FFFD, as the WHATWG decoding rules and Python's `errors="replace"` do.
pub(crate) fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Writes `s` as a JSON string the way Python's `json.dumps(..., ensure_ascii=False)` does.
pub(crate) fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's truthiness of a (valid) JSON value: null, false, 0, "", [] and {} are false.
pub(crate) fn is_truthy(raw: &str) -> bool {
    let mut parser = Parser::new(raw);
    match parser.peek() {
        Ok(Peek::Null | Peek::False) => false,
        Ok(Peek::String) => parser.string().is_ok_and(|s| s.is_some_and(|s| !s.is_empty())),
        Ok(Peek::Array) => parser.array_start().unwrap_or(true),
        Ok(Peek::Object) => parser.first_key().map_or(true, |k| k.is_some()),
        // A number is false when it is zero as Python's json reads it: an integer of zeros, or a double (a
        // fraction or an exponent) that rounds to 0.0, as 1e-999 does (Rust's parse rounds correctly, as
        // Python's float() does). Twin: python/rillm/_fallback/decode/openai.py (bool of the parsed value).
        Ok(Peek::Number) => parser.number_token().map_or(true, |n| {
            if n.contains(['.', 'e', 'E']) {
                n.parse::<f64>() != Ok(0.0)
            } else {
                n.bytes().any(|b| matches!(b, b'1'..=b'9'))
            }
        }),
        _ => true,
    }
}

/// Whether `text` is one complete JSON value.
pub(crate) fn is_complete_json(text: &str) -> bool {
    let mut parser = Parser::new(text);
    parser.any().is_ok() && parser.finish().is_ok()
}

/// The values of `names` in a JSON object (last occurrence wins), or `None` when `raw` is not an object.
pub(crate) fn object_fields<'a, const N: usize>(raw: &'a str, names: [&str; N]) -> Option<[Option<&'a str>; N]> {
    let mut parser = Parser::new(raw);
    let mut found = [None; N];
    let mut key = parser.first_key().ok()?;
    while let Some(k) = key {
        let value = parser.any().ok()?;
        if let Some(at) = names.iter().position(|name| name.as_bytes() == &*k.name()) {
            found[at] = Some(value);
        }
        key = parser.next_key().ok()?;
    }
    Some(found)
}

/// A JSON string value as a Rust string; `None` when `raw` is not a string.
pub(crate) fn as_string(raw: Option<&str>) -> Result<Option<String>> {
    match raw {
        Some(text) if text.starts_with('"') => Parser::new(text).string(),
        _ => Ok(None),
    }
}

/// `text` as Python's `json` reads it when an object repeats a key: each object keeps one entry per key,
/// the last value at the first key's place, at every depth. `None` when no object repeats a key, or when
/// `text` is not one JSON value. A decoder that reads keys in order, typed, reads this text again when its
/// first read fails: that is rare, so the usual chunk pays nothing for it. Twin: none (the twin reads every payload with Python's `json`, which does this itself).
pub(crate) fn collapse_repeated_keys(text: &str) -> Option<String> {
    let mut parser = Parser::new(text);
    let mut out = String::with_capacity(text.len());
    let mut repeated = false;
    collapse(&mut parser, &mut out, &mut repeated).ok()?;
    parser.finish().ok()?;
    repeated.then_some(out)
}

/// Writes the value at the cursor to `out` with its objects' repeated keys collapsed. The parser's depth
/// limit bounds the recursion.
fn collapse(p: &mut Parser<'_>, out: &mut String, repeated: &mut bool) -> Result<()> {
    match p.peek()? {
        Peek::Object => {
            let mut entries: Vec<(Key<'_>, String)> = Vec::new();
            let mut places: HashMap<Cow<'_, [u8]>, usize> = HashMap::new();
            let mut key = p.first_key()?;
            while let Some(k) = key {
                let mut value = String::new();
                collapse(p, &mut value, repeated)?;
                match places.entry(k.name()) {
                    Entry::Occupied(place) => {
                        *repeated = true;
                        entries[*place.get()].1 = value;
                    }
                    Entry::Vacant(place) => {
                        place.insert(entries.len());
                        entries.push((k, value));
                    }
                }
                key = p.next_key()?;
            }
            out.push('{');
            for (at, (k, value)) in entries.iter().enumerate() {
                if at > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(k.raw);
                out.push_str("\":");
                out.push_str(value);
            }
            out.push('}');
        }
        Peek::Array => {
            out.push('[');
            let mut more = p.array_start()?;
            let mut first = true;
            while more {
                if !std::mem::take(&mut first) {
                    out.push(',');
                }
                collapse(p, out, repeated)?;
                more = p.array_step()?;
            }
            out.push(']');
        }
        _ => out.push_str(p.any()?),
    }
    Ok(())
}

/// JSON's whitespace, the only padding allowed around a payload.
pub(crate) fn trim_json_ws(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_like_python_json() {
        let mut out = String::new();
        push_json_string(&mut out, "a\"b\\c\n\u{1}\u{7f}é\u{2028}");
        assert_eq!(out, "\"a\\\"b\\\\c\\n\\u0001\u{7f}é\u{2028}\"");
    }

    #[test]
    fn truthiness() {
        for (text, truthy) in [
            ("null", false),
            ("0", false),
            ("-0.0e5", false),
            ("\"\"", false),
            ("{}", false),
            ("[ ]", false),
            ("{\"message\": \"x\"}", true),
            ("1e400", true),
            ("1e-999", false),
            ("-1E-400", false),
            ("2e-324", false),
            ("3e-324", true),
            ("5e-324", true),
            ("0.000", false),
            ("0.5", true),
            ("\"x\"", true),
        ] {
            assert_eq!(is_truthy(text), truthy, "{text}");
        }
    }

    #[test]
    fn repeated_keys_collapse_as_python_reads_them() {
        let text = r#"{"a": 1, "b": [{"x": 1, "y": 2, "\u0078": {"z": 3, "z": 4}}], "a": "last"}"#;
        assert_eq!(
            collapse_repeated_keys(text).as_deref(),
            Some(r#"{"a":"last","b":[{"x":{"z":4},"y":2}]}"#)
        );
        assert_eq!(collapse_repeated_keys(r#"{"a": 1, "b": {"a": 2}}"#), None);
        assert_eq!(collapse_repeated_keys(r#"{"a": 1, "a": 2"#), None);
    }

    #[test]
    fn fields_and_escaped_keys() {
        let raw = r#"{"us\u0061ge": {"a": 1}, "x": 2, "usage": 3}"#;
        assert_eq!(object_fields(raw, ["usage", "x"]), Some([Some("3"), Some("2")]));
        assert_eq!(object_fields("[1]", ["usage"]), None);
        assert!(is_complete_json(" {\"a\": [1, 2]} "));
        assert!(!is_complete_json("{\"a\": "));
        assert!(!is_complete_json("{} {}"));
    }
}
