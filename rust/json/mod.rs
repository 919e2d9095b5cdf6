//! The JSON toolkit every layer above shares: a strict, allocation-free pull parser, and helpers over raw
//! JSON text. It knows no dialect: which keys matter is the decoders' business.
//! Twin: `python/rillm/_fallback/jsonutil.py`.
//!
//! Chunks are small (a few hundred bytes) and mostly short strings, so the cost is per token, not per
//! byte: keys and values are scanned in place, handed out as slices of the input, and copied only when a
//! string has escapes or a value is kept. Long strings are scanned eight bytes at a time.
//!
//! The parser (`parser.rs`, with strings in `strings.rs` and numbers in `numbers.rs`) accepts exactly what
//! Python's `json.loads` accepts with NaN/Infinity refused, plus two rules the Python twin applies too: a
//! lone UTF-16 surrogate escape (`"\ud800"`) is an error anywhere, and so is nesting deeper than
//! `MAX_DEPTH`. Helpers over raw JSON text are in `raw.rs`.

mod numbers;
mod parser;
mod raw;
mod strings;

pub(crate) use parser::{Key, Parser, Peek};
pub(crate) use raw::{
    as_string, is_complete_json, is_truthy, object_fields, push_json_string, trim_json_ws, utf8_lossy, ObjectBuilder,
};

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

#[cfg(test)]
mod tests {
    use super::*;

    fn accepts(text: &str) -> bool {
        is_complete_json(text)
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
}
