//! Two rewrites of the `OpenAI` dialect's values: Mistral's list-of-parts `content`, and a key added to
//! `provider_specific_fields`. Twin: `split_parts` and `with_field` in
//! `python/rillm/_fallback/decode/openai_parts.py`.

use crate::chunk::{Delta, Json};
use crate::json::{as_string, object_fields, JsonError, Parser};

/// Mistral sends `content` as a list of typed parts: `text` parts are content, `thinking` parts (a string
/// or a list of `text` parts) are reasoning. Any other part is kept, in order, under
/// `provider_specific_fields["content_parts"]`. An explicit `reasoning_content`/`reasoning` wins over
/// thinking parts. Keep in sync with `python/rillm/_fallback/decode/openai_parts.py::split_parts`.
pub(crate) fn split_parts(delta: &mut Delta, parts: &[&str]) -> Result<(), JsonError> {
    let mut text: Option<String> = None;
    let mut thinking: Option<String> = None;
    let mut other: Vec<&str> = Vec::new();
    for part in parts {
        match classify(part)? {
            Part::Text(t) => text.get_or_insert_with(String::new).push_str(&t),
            Part::Thinking(pieces) => thinking.get_or_insert_with(String::new).extend(pieces),
            Part::Other => other.push(part),
        }
    }
    delta.content = text;
    if delta.reasoning_content.is_none() {
        delta.reasoning_content = thinking;
    }
    if !other.is_empty() {
        let list = format!("[{}]", other.join(","));
        let rare = delta.rare_mut();
        rare.provider_specific_fields = Some(with_field(rare.provider_specific_fields.take(), "content_parts", &list));
    }
    Ok(())
}

enum Part {
    Text(String),
    Thinking(Vec<String>),
    Other,
}

/// Classifies one content part. A part that is not an object, or whose `text`/`thinking` is not the
/// expected shape, is `Other`.
fn classify(part: &str) -> Result<Part, JsonError> {
    let Some([kind, text, thinking]) = object_fields(part, ["type", "text", "thinking"]) else {
        return Ok(Part::Other);
    };
    match as_string(kind)?.as_deref() {
        Some("text") => Ok(as_string(text)?.map_or(Part::Other, Part::Text)),
        Some("thinking") => {
            if let Some(s) = as_string(thinking)? {
                return Ok(Part::Thinking(vec![s]));
            }
            let Some(list) = thinking.and_then(array_items) else {
                return Ok(Part::Other);
            };
            let mut pieces = Vec::with_capacity(list.len());
            for inner in list {
                match classify(inner)? {
                    Part::Text(t) => pieces.push(t),
                    _ => return Ok(Part::Other),
                }
            }
            Ok(Part::Thinking(pieces))
        }
        _ => Ok(Part::Other),
    }
}

/// The items of a raw JSON array, or `None` when it is not an array.
fn array_items(raw: &str) -> Option<Vec<&str>> {
    let mut parser = Parser::new(raw);
    let mut items = Vec::new();
    let mut more = parser.array_start().ok()?;
    while more {
        items.push(parser.any().ok()?);
        more = parser.array_step().ok()?;
    }
    Some(items)
}

/// `provider_specific_fields` with `name: value` added: a new object when there was none, the key
/// appended when it was an object without it, untouched otherwise.
/// Keep in sync with `python/rillm/_fallback/decode/openai_parts.py::with_field`.
pub(crate) fn with_field(existing: Option<Json>, name: &'static str, value: &str) -> Json {
    let Some(existing) = existing else {
        return Json(format!(r#"{{"{name}":{value}}}"#).into_boxed_str());
    };
    if object_fields(existing.as_str(), [name]) != Some([None]) {
        return existing;
    }
    let text = existing.as_str().trim_end();
    let body = &text[..text.len() - 1];
    let empty = body
        .trim_start()
        .strip_prefix('{')
        .is_some_and(|rest| rest.trim().is_empty());
    let separator = if empty { "" } else { "," };
    Json(format!(r#"{body}{separator}"{name}":{value}}}"#).into_boxed_str())
}
