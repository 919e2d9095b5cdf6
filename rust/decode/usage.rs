//! A provider's usage object: whether it is what `rillm.types.Usage` accepts as it stands (`checked`, see
//! `chunk::Usage`). Twin: `python/rillm/_fallback/decode/usage.py`.

use std::borrow::Cow;

use crate::chunk::{Json, Usage};
use crate::json::{Parser, Peek, Problem};

/// The counts `rillm.types.Usage` names.
pub(crate) const COUNTS: [&str; 3] = ["prompt_tokens", "completion_tokens", "total_tokens"];
/// The details objects, and the counts each names (its other keys may hold anything).
pub(crate) const DETAILS: [(&str, &[&str]); 2] = [
    (
        "prompt_tokens_details",
        &["cached_tokens", "audio_tokens", "text_tokens", "image_tokens"],
    ),
    (
        "completion_tokens_details",
        &[
            "reasoning_tokens",
            "audio_tokens",
            "accepted_prediction_tokens",
            "rejected_prediction_tokens",
            "text_tokens",
            "image_tokens",
        ],
    ),
];
/// `DeepSeek`'s cache hits, read as `prompt_tokens_details.cached_tokens` when that is missing.
pub(crate) const CACHE_HITS: &str = "prompt_cache_hit_tokens";

/// A JSON object's fields as Python's `json.loads` makes its dict: each name once, at the place it first
/// appears, with the value it last had. Values are raw JSON text.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a> {
    pub(crate) items: Vec<(Cow<'a, str>, &'a str)>,
}

impl<'a> Fields<'a> {
    /// The fields of `raw`, or `None` when it is not a JSON object.
    pub(crate) fn parse(raw: &'a str) -> Option<Fields<'a>> {
        let mut p = Parser::new(raw);
        if p.peek().ok()? != Peek::Object {
            return None;
        }
        let mut fields = Fields::default();
        let mut key = p.first_key().ok()?;
        while let Some(k) = key {
            let value = p.any().ok()?;
            let name = match k.name() {
                Cow::Borrowed(bytes) => Cow::Borrowed(std::str::from_utf8(bytes).ok()?),
                Cow::Owned(bytes) => Cow::Owned(String::from_utf8(bytes).ok()?),
            };
            match fields.items.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => fields.items.push((name, value)),
            }
            key = p.next_key().ok()?;
        }
        Some(fields)
    }

    /// The raw value of `name`, `None` when absent or null.
    pub(crate) fn get(&self, name: &str) -> Option<&'a str> {
        self.items
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, v)| v)
            .filter(|v| *v != "null")
    }
}

/// A count: `Ok(None)` for null, `Ok(Some(n))` for an integer of 64 bits, `Err(())` for anything else.
pub(crate) fn count(raw: &str) -> Result<Option<i64>, ()> {
    let mut p = Parser::new(raw);
    let value = p.int().map_err(|_| ())?;
    p.finish().map_err(|_| ())?;
    Ok(value)
}

/// A provider's usage object (raw JSON, not null), checked.
pub(crate) fn check(raw: &str) -> Usage {
    let unchecked = || Usage {
        json: Json(raw.into()),
        checked: false,
    };
    match Fields::parse(raw) {
        Some(fields) if is_checked(&fields) => Usage {
            json: Json(reasoning_apart(raw, &fields).map_or_else(|| raw.into(), String::into_boxed_str)),
            checked: true,
        },
        _ => unchecked(),
    }
}

/// OpenAI's shape for a usage whose total says reasoning was counted apart (xAI: `total_tokens` = prompt +
/// completion + `completion_tokens_details.reasoning_tokens`, where OpenAI's completion count includes the
/// reasoning): the usage with `completion_tokens` raised by the reasoning tokens, `None` when the rule does
/// not apply (a count missing or null, negative counts, no reasoning, or a total that does not say so).
/// Twin: `python/rillm/_shared.py::reasoning_apart`.
fn reasoning_apart(raw: &str, fields: &Fields<'_>) -> Option<String> {
    let read = |fields: &Fields<'_>, name: &str| fields.get(name).and_then(|v| count(v).ok().flatten());
    let (prompt, completion, total) = (
        read(fields, "prompt_tokens")?,
        read(fields, "completion_tokens")?,
        read(fields, "total_tokens")?,
    );
    let details = Fields::parse(fields.get("completion_tokens_details")?)?;
    let reasoning = read(&details, "reasoning_tokens")?;
    if prompt < 0 || completion < 0 || reasoning <= 0 {
        return None;
    }
    // Counted apart: the total is the sum with the reasoning (in 128 bits, so no sum wraps).
    if i128::from(total) != i128::from(prompt) + i128::from(completion) + i128::from(reasoning) {
        return None;
    }
    // The raw value of `completion_tokens` (the one Python keeps, the last) is a slice of `raw`: replaced.
    let value = fields.get("completion_tokens")?;
    let start = value.as_ptr() as usize - raw.as_ptr() as usize;
    Some(format!(
        "{}{}{}",
        &raw[..start],
        completion + reasoning,
        &raw[start + value.len()..]
    ))
}

/// Whether the usage's counts are integers of 64 bits (or null) and its details objects (or null). Keep in
/// sync with `python/rillm/_fallback/decode/usage.py::is_checked`.
fn is_checked(fields: &Fields<'_>) -> bool {
    let counts_ok = |fields: &Fields<'_>, names: &[&str]| {
        names
            .iter()
            .all(|name| fields.get(name).is_none_or(|raw| count(raw).is_ok()))
    };
    if !counts_ok(fields, &COUNTS) {
        return false;
    }
    for (name, counts) in DETAILS {
        if let Some(raw) = fields.get(name) {
            match Fields::parse(raw) {
                Some(details) if counts_ok(&details, counts) => {}
                _ => return false,
            }
        }
    }
    // A cache-hit count that is an integer must fit (it becomes `cached_tokens`); any other value is ignored.
    fields
        .get(CACHE_HITS)
        .is_none_or(|raw| !matches!(Parser::new(raw).int(), Err(e) if e.what == Problem::IntegerOutOfRange))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_usage_is_kept_as_sent() {
        let raw = r#"{"prompt_tokens":5,"completion_tokens":null,"prompt_tokens_details":{"cached_tokens":1,"x":"y"},"cost":0.5}"#;
        let usage = check(raw);
        assert!(usage.checked);
        assert_eq!(usage.json.as_str(), raw);
    }

    #[test]
    fn other_shapes_are_left_to_the_model() {
        for raw in [
            r#"{"prompt_tokens":"5"}"#,
            r#"{"prompt_tokens":5.0}"#,
            r#"{"prompt_tokens":true}"#,
            r#"{"total_tokens":99999999999999999999}"#,
            r#"{"prompt_tokens_details":[]}"#,
            r#"{"completion_tokens_details":{"reasoning_tokens":"1"}}"#,
            r#"{"prompt_cache_hit_tokens":99999999999999999999}"#,
            "[1]",
            "5",
        ] {
            assert!(!check(raw).checked, "{raw}");
        }
        assert!(check(r#"{"prompt_cache_hit_tokens":"many"}"#).checked);
    }

    #[test]
    fn reasoning_counted_apart_is_put_in_the_completion_count() {
        let xai = r#"{"prompt_tokens":288,"completion_tokens":27,"total_tokens":628,"completion_tokens_details":{"reasoning_tokens":313},"completion_tokens":27}"#;
        let usage = check(xai);
        assert!(usage.checked);
        assert_eq!(
            usage.json.as_str(),
            r#"{"prompt_tokens":288,"completion_tokens":27,"total_tokens":628,"completion_tokens_details":{"reasoning_tokens":313},"completion_tokens":340}"#
        );
        for raw in [
            // OpenAI's own shape: the total is prompt + completion, reasoning inside.
            r#"{"prompt_tokens":288,"completion_tokens":340,"total_tokens":628,"completion_tokens_details":{"reasoning_tokens":313}}"#,
            r#"{"prompt_tokens":288,"completion_tokens":27,"total_tokens":628}"#,
            r#"{"prompt_tokens":288,"completion_tokens":27,"total_tokens":null,"completion_tokens_details":{"reasoning_tokens":313}}"#,
            r#"{"prompt_tokens":-1,"completion_tokens":27,"total_tokens":339,"completion_tokens_details":{"reasoning_tokens":313}}"#,
            r#"{"prompt_tokens":0,"completion_tokens":0,"total_tokens":0,"completion_tokens_details":{"reasoning_tokens":0}}"#,
            r#"{"prompt_tokens":9223372036854775807,"completion_tokens":1,"total_tokens":-9223372036854775807,"completion_tokens_details":{"reasoning_tokens":1}}"#,
        ] {
            assert_eq!(check(raw).json.as_str(), raw);
        }
    }

    #[test]
    fn repeated_keys_read_as_python_reads_them() {
        let fields = Fields::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        let items: Vec<_> = fields.items.iter().map(|(n, v)| (n.as_ref(), *v)).collect();
        assert_eq!(items, [("a", "3"), ("b", "2")]);
    }
}
