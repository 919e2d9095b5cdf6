//! The JSON toolkit every layer above shares: a strict, allocation-free pull parser, and helpers over raw
//! JSON text. It knows no dialect: which keys matter is the decoders' business.
//! Twin: `python/rillm/_fallback/jsonutil.py`.
//!
//! Chunks are small (a few hundred bytes) and mostly short strings, so the cost is per token, not per
//! byte: keys and values are scanned in place, handed out as slices of the input, and copied only when a
//! string has escapes or a value is kept. Long strings are scanned eight bytes at a time.
//!
//! The parser (`parser.rs`, with strings in `strings.rs` and numbers in `numbers.rs`) accepts exactly what
//! Python's `json.loads` accepts with NaN/Infinity refused, plus the rules the Python side applies to every
//! JSON text it reads (`python/rillm/_json.py`), so that a payload one backend takes the other takes too:
//!
//! - a lone UTF-16 surrogate escape (`"\ud800"`) is an error anywhere;
//! - nesting deeper than `MAX_DEPTH` arrays and objects is an error;
//! - the number rule: an integer (no fraction, no exponent) has at most `MAX_INT_DIGITS` digits, the
//!   limit Python's `int()` applies by default, so that no value is accepted here that Python would fail
//!   to read later; a number with a fraction or exponent must be finite as a double (`1e999` is refused as
//!   `Infinity` is; `1e-999` reads as 0.0). A number that breaks the rule makes the payload invalid JSON,
//!   which a decoder reports as a `StreamDecodeError` naming the event, where and why, when it is fed.
//!
//! Helpers over raw JSON text are in `raw.rs`.

#[cfg(all(test, not(feature = "fuzzing")))]
mod differential;
#[cfg(feature = "fuzzing")]
pub mod differential;
mod numbers;
mod parser;
mod raw;
mod strings;

pub(crate) use parser::{Key, Parser, Peek};
pub(crate) use raw::{
    as_string, collapse_repeated_keys, is_complete_json, is_truthy, object_fields, push_json_string, trim_json_ws,
    utf8_lossy, ObjectBuilder,
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
    IntegerTooLong,
    NumberTooLarge,
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
            Problem::IntegerTooLong => "integer with more than 4300 digits",
            Problem::NumberTooLarge => "number too large for a double",
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

/// Arrays and objects nested deeper than this are an error. Keep in sync with `_json.MAX_DEPTH`.
pub(crate) const MAX_DEPTH: usize = 256;

/// The most digits an integer may have: Python's default `int_max_str_digits` (`sys.int_info`), fixed here
/// whatever an interpreter sets. Keep in sync with `_json.MAX_INT_DIGITS` and `Problem::IntegerTooLong`.
pub(crate) const MAX_INT_DIGITS: usize = 4300;

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
            "1e-400",
            "-0.0e999",
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
            "1e400",
            "-1e309",
            "\"unterminated",
            "",
        ] {
            assert!(!accepts(bad), "{bad}");
        }
    }

    #[test]
    fn the_number_rule() {
        let digits = |n: usize| "7".repeat(n);
        let problem = |text: &str| Parser::new(text).any().err().map(|e| e.what);
        assert!(accepts(&digits(MAX_INT_DIGITS)));
        assert!(accepts(&format!("-{}", digits(MAX_INT_DIGITS))));
        assert_eq!(problem(&digits(MAX_INT_DIGITS + 1)), Some(Problem::IntegerTooLong));
        assert_eq!(
            problem(&format!("[1, -{}]", digits(5000))),
            Some(Problem::IntegerTooLong)
        );
        // As a float a long number is fine while it is finite, whatever its digits.
        assert!(accepts(&format!("{}e-5000", digits(5000))));
        assert!(accepts(&format!("0.{}", digits(5000))));
        assert!(accepts(&format!("{}.5", digits(308))));
        assert_eq!(problem(&format!("{}.5", digits(309))), Some(Problem::NumberTooLarge));
        for huge in [
            "1e309",
            "-1.8e308",
            "1E+999",
            "17976931348623159e292",
            "1e99999999999999999999",
        ] {
            assert_eq!(problem(huge), Some(Problem::NumberTooLarge), "{huge}");
        }
        for finite in ["1.7976931348623157e308", "1e-999", "0e99999", "1e0099", "5e-324"] {
            assert!(accepts(finite), "{finite}");
        }
        // The error points at the number.
        let err = Parser::new(&format!("{{\"a\": {}}}", digits(4301))).any().unwrap_err();
        assert_eq!(err.pos, 6);
    }

    #[test]
    fn depth_is_bounded() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(accepts(&ok));
        assert!(!accepts(&deep));
    }
}
