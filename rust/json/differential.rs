//! The parser checked against a reference JSON reader: what it accepts, and the value it reads, must be what
//! the reference reads, allowing for the rules `mod.rs` adds to the grammar (nesting deeper than `MAX_DEPTH`
//! is an error; so is a number the number rule refuses: an integer of more than `MAX_INT_DIGITS` digits, a
//! number with a fraction or exponent that is not finite as a double; a lone surrogate escape is one too, as
//! it is for `serde_json`). The reference is `serde_json` in
//! the property test below (a dev-dependency, with arbitrary precision so that it keeps numbers as text and
//! reads `1e400` as Python does) and in `fuzz/fuzz_targets/json.rs`, the `cargo-fuzz` target for long runs,
//! which reaches this module through the `fuzzing` feature.
//! No twin: a test. The Python side's parity with Python's json is tested through the decoders.
#![cfg_attr(not(feature = "fuzzing"), allow(unreachable_pub))]

use std::collections::BTreeMap;

use super::{Parser, Peek, Result, MAX_DEPTH, MAX_INT_DIGITS};

/// A JSON value as both readers see it: numbers as their text with the exponent spelled one way (`e`, and
/// its sign always written: `serde_json` writes `1E5` as `1e+5`), an object's keys sorted with the last of
/// duplicate keys kept (Python's dict and `serde_json`'s map both keep the last).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tree {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Tree>),
    Object(BTreeMap<String, Tree>),
}

/// The document as rillm's parser reads it, or `None` when it refuses it.
#[must_use]
pub fn parse(text: &str) -> Option<Tree> {
    let mut parser = Parser::new(text);
    let tree = value(&mut parser).ok()?;
    parser.finish().ok()?;
    Some(tree)
}

fn value(p: &mut Parser<'_>) -> Result<Tree> {
    Ok(match p.peek()? {
        Peek::Null | Peek::True | Peek::False => match p.any()? {
            "null" => Tree::Null,
            word => Tree::Bool(word == "true"),
        },
        Peek::String => Tree::String(p.string()?.unwrap_or_default()),
        Peek::Number => Tree::Number(number(p.any()?)),
        Peek::Array => {
            let mut items = Vec::new();
            let mut more = p.array_start()?;
            while more {
                items.push(value(p)?);
                more = p.array_step()?;
            }
            Tree::Array(items)
        }
        Peek::Object => {
            let mut map = BTreeMap::new();
            let mut key = p.first_key()?;
            while let Some(k) = key {
                let name = String::from_utf8_lossy(&k.name()).into_owned();
                map.insert(name, value(p)?);
                key = p.next_key()?;
            }
            Tree::Object(map)
        }
    })
}

/// A number's text with its exponent spelled `e+N` or `e-N`.
#[must_use]
pub fn number(text: &str) -> String {
    let lower = text.replace('E', "e");
    match lower.split_once('e') {
        Some((mantissa, exponent)) if !exponent.starts_with(['+', '-']) => format!("{mantissa}e+{exponent}"),
        _ => lower,
    }
}

/// Whether every number written in `text` keeps the number rule of `mod.rs`, read lexically (strings
/// skipped) so that a value a duplicate key replaces counts too: the parser refuses it where it stands.
#[must_use]
pub fn numbers_allowed(text: &str) -> bool {
    let mut in_string = false;
    let mut escaped = false;
    let mut token = String::new();
    for c in text.chars().chain([' ']) {
        if in_string {
            (in_string, escaped) = match (escaped, c) {
                (false, '\\') => (true, true),
                (false, '"') => (false, false),
                _ => (true, false),
            };
        } else if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
            token.push(c);
        } else {
            if token.starts_with(|c: char| c == '-' || c.is_ascii_digit()) && !number_allowed(&token) {
                return false;
            }
            token.clear();
            in_string = c == '"';
        }
    }
    true
}

fn number_allowed(token: &str) -> bool {
    if token.contains(['.', 'e', 'E']) {
        token.parse::<f64>().is_ok_and(f64::is_finite)
    } else {
        token.trim_start_matches('-').len() <= MAX_INT_DIGITS
    }
}

/// How deeply arrays and objects nest in `text`, read lexically (strings skipped), valid or not.
#[must_use]
pub fn nesting(text: &str) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0, false, false);
    for &b in text.as_bytes() {
        if in_string {
            (in_string, escaped) = match (escaped, b) {
                (false, b'\\') => (true, true),
                (false, b'"') => (false, false),
                _ => (true, false),
            };
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    deepest
}

/// Panics unless rillm reads `text` as `reference` does (`None`: refused), where rillm's own rules allow:
/// past `MAX_DEPTH` it must refuse whatever the reference says, and the reference is not asked (it would
/// recurse as deep as the input goes); a document with a number the rule refuses must be refused.
pub fn check(text: &str, reference: impl FnOnce(&str) -> Option<Tree>) {
    let ours = parse(text);
    if nesting(text) > MAX_DEPTH {
        assert!(ours.is_none(), "nested past {MAX_DEPTH} yet read: {text:?}");
        return;
    }
    let theirs = reference(text).filter(|_| numbers_allowed(text));
    assert_eq!(
        ours, theirs,
        "rillm (left) and the reference (right) read {text:?} differently"
    );
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
