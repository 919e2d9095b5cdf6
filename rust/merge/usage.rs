//! Merging the usage a stream reports into the stream's usage. Twin: `python/rillm/_fallback/merge/usage.py`.
//!
//! The rules (`stream_chunk_builder`'s, as `LiteLLM` reads a stream whose providers report zeros or
//! placeholders before the real counts): a count is taken from a report when it is positive or when
//! nothing was taken yet; the details objects and the provider's other keys (Groq's timings,
//! `OpenRouter`'s `cost`, ...) come from the latest report that has them (null values never count);
//! `total_tokens` is prompt + completion, or the last positive total reported when that is larger, kept
//! within 64 bits. `DeepSeek`'s `prompt_cache_hit_tokens` is read as `prompt_tokens_details.cached_tokens`
//! when that is missing, as `rillm.types.Usage` does.
//!
//! Merging a report into the merge of the reports before it changes nothing: the usage the decoder puts on
//! a finish chunk it held back (see `delivery.rs`) is this merge, and merging the stream again with it in
//! place gives the same usage.

use crate::chunk::Json;
use crate::decode::usage::{count, Fields, CACHE_HITS, COUNTS, DETAILS};
use crate::json::{push_json_string, Parser};

/// A raw JSON object's entries, by name: `(name, raw value)`.
type Entries = Vec<(String, String)>;

#[derive(Debug, Default, Clone)]
pub struct UsageMerge {
    seen: bool,
    prompt: Option<i64>,
    completion: Option<i64>,
    reported_total: i64,
    /// `prompt_tokens_details` and `completion_tokens_details`, without their null values.
    details: [Option<Entries>; 2],
    /// The other keys with a value that is not null.
    extras: Entries,
}

impl UsageMerge {
    /// Merges one report: a checked usage object (see `chunk::Usage`). An error says what was wrong, and
    /// leaves the merge as it was.
    pub fn add(&mut self, json: &str) -> Result<(), String> {
        let fields = Fields::parse(json).ok_or("the usage is not a JSON object")?;
        let read = |name: &str| match fields.get(name) {
            None => Ok(0),
            Some(raw) => count(raw)
                .map(Option::unwrap_or_default)
                .map_err(|()| format!("usage `{name}` is not an integer of 64 bits")),
        };
        let (prompt, completion, total) = (read(COUNTS[0])?, read(COUNTS[1])?, read(COUNTS[2])?);
        let mut details = [None, None];
        for (slot, (name, _)) in details.iter_mut().zip(DETAILS) {
            if let Some(raw) = fields.get(name) {
                let object = Fields::parse(raw).ok_or_else(|| format!("usage `{name}` is not an object"))?;
                *slot = Some(owned(&object));
            }
        }
        // `rillm.types.Usage._normalise`: an integer count of cache hits fills a missing `cached_tokens`.
        if let Some(hits) = fields
            .get(CACHE_HITS)
            .and_then(|raw| Parser::new(raw).int().ok().flatten())
        {
            let prompt_details = details[0].get_or_insert_with(Vec::new);
            match prompt_details.iter_mut().find(|(n, _)| n == "cached_tokens") {
                Some(slot) if slot.1 == "null" => slot.1 = hits.to_string(),
                Some(_) => {}
                None => prompt_details.push(("cached_tokens".to_owned(), hits.to_string())),
            }
        }
        self.seen = true;
        if prompt > 0 || self.prompt.is_none() {
            self.prompt = Some(prompt);
        }
        if completion > 0 || self.completion.is_none() {
            self.completion = Some(completion);
        }
        if total > 0 {
            self.reported_total = total;
        }
        for (slot, new) in self.details.iter_mut().zip(details) {
            if let Some(mut new) = new {
                new.retain(|(_, value)| value != "null");
                *slot = Some(new);
            }
        }
        let named = |name: &str| COUNTS.contains(&name) || DETAILS.iter().any(|(d, _)| *d == name);
        for (name, value) in &fields.items {
            if named(name) || *value == "null" {
                continue;
            }
            match self.extras.iter_mut().find(|(n, _)| n == name) {
                Some(slot) => (*value).clone_into(&mut slot.1),
                None => self.extras.push((name.to_string(), (*value).to_owned())),
            }
        }
        Ok(())
    }

    /// Whether any usage was merged.
    #[must_use]
    pub fn seen(&self) -> bool {
        self.seen
    }

    /// The merged usage as a JSON object (a checked one), or `None` when the stream reported none.
    #[must_use]
    pub fn json(&self) -> Option<Json> {
        use std::fmt::Write as _;
        if !self.seen {
            return None;
        }
        let prompt = self.prompt.unwrap_or(0);
        let completion = self.completion.unwrap_or(0);
        let sum = i128::from(prompt) + i128::from(completion);
        let total = sum.max(i128::from(self.reported_total));
        let total = i64::try_from(total).unwrap_or(if total > 0 { i64::MAX } else { i64::MIN });
        let mut out = format!(r#"{{"prompt_tokens":{prompt},"completion_tokens":{completion},"total_tokens":{total}"#);
        for ((name, _), entries) in DETAILS.iter().zip(&self.details) {
            if let Some(entries) = entries {
                let _ = write!(out, r#","{name}":"#);
                push_object(&mut out, entries);
            }
        }
        for (name, value) in &self.extras {
            out.push(',');
            push_json_string(&mut out, name);
            out.push(':');
            out.push_str(value);
        }
        out.push('}');
        Some(Json(out.into_boxed_str()))
    }
}

fn owned(fields: &Fields<'_>) -> Entries {
    fields
        .items
        .iter()
        .map(|(name, value)| (name.to_string(), (*value).to_owned()))
        .collect()
}

fn push_object(out: &mut String, entries: &Entries) {
    out.push('{');
    for (i, (name, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_json_string(out, name);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
}

#[cfg(test)]
mod tests {
    use super::UsageMerge;

    fn merged(reports: &[&str]) -> String {
        let mut merge = UsageMerge::default();
        for report in reports {
            merge.add(report).unwrap();
        }
        merge.json().map(|j| j.as_str().to_owned()).unwrap_or_default()
    }

    #[test]
    fn later_positive_counts_and_details_win() {
        let out = merged(&[
            r#"{"prompt_tokens":10,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2,"audio_tokens":null},"queue_time":0.1}"#,
            r#"{"prompt_tokens":0,"completion_tokens":7,"total_tokens":0,"cost":null,"queue_time":0.2}"#,
        ]);
        assert_eq!(
            out,
            r#"{"prompt_tokens":10,"completion_tokens":7,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":2},"queue_time":0.2}"#
        );
    }

    #[test]
    fn a_larger_total_is_kept_and_cache_hits_fill_cached_tokens() {
        let out =
            merged(&[r#"{"prompt_tokens":5,"completion_tokens":5,"total_tokens":30,"prompt_cache_hit_tokens":4}"#]);
        assert_eq!(
            out,
            r#"{"prompt_tokens":5,"completion_tokens":5,"total_tokens":30,"prompt_tokens_details":{"cached_tokens":4},"prompt_cache_hit_tokens":4}"#
        );
    }

    #[test]
    fn merging_the_merge_again_changes_nothing() {
        let reports = [
            r#"{"prompt_tokens":3,"completion_tokens":0,"x":{"a":1}}"#,
            r#"{"completion_tokens":9,"total_tokens":40,"completion_tokens_details":{"reasoning_tokens":2}}"#,
        ];
        let once = merged(&reports);
        assert_eq!(merged(&[reports[0], &once, reports[1]]), once);
        assert_eq!(merged(&[&once, &once]), once);
    }

    #[test]
    fn totals_stay_within_64_bits() {
        let max = i64::MAX;
        let out = merged(&[&format!(r#"{{"prompt_tokens":{max},"completion_tokens":{max}}}"#)]);
        assert!(out.ends_with(&format!(r#""total_tokens":{max}}}"#)), "{out}");
    }

    #[test]
    fn nothing_reported_is_no_usage() {
        assert!(UsageMerge::default().json().is_none());
        assert!(UsageMerge::default().add(r#"{"prompt_tokens":"x"}"#).is_err());
    }
}
