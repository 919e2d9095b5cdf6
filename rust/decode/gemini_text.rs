//! The usual Gemini response read in one pass: one candidate whose parts are text (or thoughts), its
//! finish reason, the usage counts, the model and the response id. `gemini.rs` reads every response field
//! by field, which parses each level of the response again (about 15,000 instructions a chunk of the
//! bench's Gemini workload, against some 7,000 here with the chunk made, by callgrind). This reader only
//! collects what it finds and changes nothing: on anything else (a function call, a part without text, a
//! repeated key, a value of another type, an error, a blocked prompt, several candidates, text
//! that is not JSON) it declines and `gemini.rs` reads the response, so both give the same chunk and the
//! same errors. The pure-Python twin has only the field-by-field reading:
//! `python/rillm/_fallback/decode/gemini.py`.
//!
//! Every response of a stream has the same keys in the same order and mostly the same values: each key is
//! guessed from the last response's and each value that rarely changes (the role, the model, the response
//! id, the usage) compared whole with the last one (`guess.rs`), which leaves little but the text to read.

use std::borrow::Cow;

use super::guess::{Kept, Keys, Order};
use crate::chunk::ToolCall;
use crate::json::Parser;

/// A candidate's parts, sorted.
#[derive(Default)]
pub(super) struct Parts<'a> {
    pub(super) text: String,
    pub(super) thoughts: String,
    pub(super) calls: Vec<ToolCall>,
    /// The thought signatures of text parts (raw JSON strings), and the parts that are neither text nor a
    /// function call.
    pub(super) signatures: Vec<&'a str>,
    pub(super) other: Vec<&'a str>,
}

/// A candidate's fields kept in `provider_specific_fields`, raw (`None` when absent or null).
#[derive(Default)]
pub(super) struct Extras<'a> {
    pub(super) grounding: Option<&'a str>,
    pub(super) citation: Option<&'a str>,
    pub(super) safety: Option<&'a str>,
}

/// The `usageMetadata` counts read.
pub(super) const COUNTS: [&str; 6] = [
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "thoughtsTokenCount",
    "toolUsePromptTokenCount",
    "cachedContentTokenCount",
];

/// What a response of the usual shape holds.
#[derive(Default)]
pub(super) struct TextResponse<'a> {
    pub(super) id: Option<Cow<'a, str>>,
    pub(super) model: Option<Cow<'a, str>>,
    pub(super) candidate: TextCandidate<'a>,
    /// The `usageMetadata` counts, in `gemini.rs`'s `COUNTS` order, when it was there.
    pub(super) counts: Option<[Option<i64>; 6]>,
}

/// Its one candidate.
#[derive(Default)]
pub(super) struct TextCandidate<'a> {
    pub(super) index: Option<i64>,
    pub(super) parts: Parts<'a>,
    pub(super) finish: Option<Cow<'a, str>>,
    /// `groundingMetadata`, `citationMetadata` and `safetyRatings`, raw (not null).
    pub(super) extras: Extras<'a>,
}

/// What a key is, at whichever level of a response it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Candidates,
    Usage,
    Model,
    Id,
    /// A key whose response the reader leaves to `gemini.rs` (an error, a blocked prompt, a function call).
    Declines,
    Content,
    Finish,
    Index,
    Grounding,
    Citation,
    Safety,
    Parts,
    Text,
    Thought,
    Signature,
    /// One of `COUNTS`, by its place.
    Count(u8),
    Other,
}

fn response_field(key: &str) -> Field {
    match key {
        "candidates" => Field::Candidates,
        "usageMetadata" => Field::Usage,
        "modelVersion" => Field::Model,
        "responseId" => Field::Id,
        "error" | "promptFeedback" => Field::Declines,
        _ => Field::Other,
    }
}

fn candidate_field(key: &str) -> Field {
    match key {
        "content" => Field::Content,
        "finishReason" => Field::Finish,
        "index" => Field::Index,
        "groundingMetadata" => Field::Grounding,
        "citationMetadata" => Field::Citation,
        "safetyRatings" => Field::Safety,
        _ => Field::Other,
    }
}

fn content_field(key: &str) -> Field {
    if key == "parts" {
        Field::Parts
    } else {
        Field::Other
    }
}

fn part_field(key: &str) -> Field {
    match key {
        "text" => Field::Text,
        "thought" => Field::Thought,
        "thoughtSignature" => Field::Signature,
        "functionCall" => Field::Declines,
        _ => Field::Other,
    }
}

fn count_field(key: &str) -> Field {
    COUNTS
        .iter()
        .position(|name| *name == key)
        .map_or(Field::Other, |at| Field::Count(at as u8))
}

/// What the reader keeps from one response to the next: the keys of each level of the last one read, and
/// its `usageMetadata` with the counts read from it.
#[derive(Debug)]
pub(super) struct Guesses {
    response: Order<Field>,
    candidate: Order<Field>,
    content: Order<Field>,
    part: Order<Field>,
    usage: Order<Field>,
    counts: Kept<[Option<i64>; 6]>,
}

impl Default for Guesses {
    fn default() -> Self {
        Guesses {
            response: Order::new(response_field),
            candidate: Order::new(candidate_field),
            content: Order::new(content_field),
            part: Order::new(part_field),
            usage: Order::new(count_field),
            counts: Kept::default(),
        }
    }
}

/// Which keys of an object were read already: a repeated one makes the reader decline (the field-by-field
/// reading takes the last, as Python does).
#[derive(Default)]
struct Seen(u32);

impl Seen {
    fn first(&mut self, bit: u32) -> Option<()> {
        let mask = 1 << bit;
        if self.0 & mask != 0 {
            return None;
        }
        self.0 |= mask;
        Some(())
    }
}

/// The response in `data`, when it has the usual shape; `None` otherwise.
pub(super) fn read<'a>(data: &'a str, guesses: &mut Guesses) -> Option<TextResponse<'a>> {
    let mut p = Parser::new(data);
    let mut out = TextResponse::default();
    let mut seen = Seen::default();
    let mut keys = Keys::new(&mut guesses.response);
    let mut key = keys.first(&mut p).ok()?;
    while let Some(field) = key {
        match field {
            Field::Candidates => {
                seen.first(0)?;
                // Exactly one candidate.
                if !p.array_start().ok()? {
                    return None;
                }
                out.candidate = candidate(
                    &mut p,
                    [&mut guesses.candidate, &mut guesses.content, &mut guesses.part],
                )?;
                if p.array_step().ok()? {
                    return None;
                }
            }
            Field::Usage => {
                seen.first(1)?;
                out.counts = Some(usage(&mut p, &mut guesses.usage, &mut guesses.counts)?);
            }
            Field::Model => {
                seen.first(2)?;
                out.model = string(keys.raw(&mut p).ok()?).ok()?;
            }
            Field::Id => {
                seen.first(3)?;
                out.id = string(keys.raw(&mut p).ok()?).ok()?;
            }
            Field::Declines => return None,
            _ => {
                keys.raw(&mut p).ok()?;
            }
        }
        key = keys.next(&mut p).ok()?;
    }
    p.finish().ok()?;
    // Without candidates the prompt may have been blocked: the field-by-field reading sees to that.
    (seen.0 & 1 != 0).then_some(out)
}

/// A string or null read whole, as `Parser::cow` reads it (anything else is an error).
fn string(raw: &str) -> crate::json::Result<Option<Cow<'_, str>>> {
    if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
        if memchr::memchr(b'\\', inner.as_bytes()).is_none() {
            return Ok(Some(Cow::Borrowed(inner)));
        }
    }
    Parser::new(raw).cow()
}

/// The candidate at the cursor, with the key orders of a candidate, its content and a part.
fn candidate<'a>(
    p: &mut Parser<'a>,
    [order, content_order, part_order]: [&mut Order<Field>; 3],
) -> Option<TextCandidate<'a>> {
    let mut out = TextCandidate::default();
    let mut seen = Seen::default();
    let mut keys = Keys::new(order);
    let mut key = keys.first(p).ok()?;
    while let Some(field) = key {
        match field {
            Field::Content => {
                seen.first(0)?;
                content(p, [&mut *content_order, &mut *part_order], &mut out.parts)?;
            }
            Field::Finish => {
                seen.first(1)?;
                out.finish = p.cow().ok()?;
            }
            Field::Index => {
                seen.first(2)?;
                out.index = p.int().ok()?;
            }
            Field::Grounding => {
                seen.first(3)?;
                out.extras.grounding = p.raw().ok()?;
            }
            Field::Citation => {
                seen.first(4)?;
                out.extras.citation = p.raw().ok()?;
            }
            Field::Safety => {
                seen.first(5)?;
                out.extras.safety = p.raw().ok()?;
            }
            _ => {
                keys.raw(p).ok()?;
            }
        }
        key = keys.next(p).ok()?;
    }
    Some(out)
}

/// A candidate's `content`: an object whose `parts` are read into `parts`.
fn content<'a>(p: &mut Parser<'a>, [order, part_order]: [&mut Order<Field>; 2], parts: &mut Parts<'a>) -> Option<()> {
    let mut seen = Seen::default();
    let mut keys = Keys::new(order);
    let mut key = keys.first(p).ok()?;
    while let Some(field) = key {
        if field == Field::Parts {
            seen.first(0)?;
            let mut more = p.array_start().ok()?;
            while more {
                part(p, part_order, parts)?;
                more = p.array_step().ok()?;
            }
        } else {
            keys.raw(p).ok()?;
        }
        key = keys.next(p).ok()?;
    }
    Some(())
}

/// One part: text or thoughts (with its signature). A part without text (a call, code, ...) declines.
fn part<'a>(p: &mut Parser<'a>, order: &mut Order<Field>, parts: &mut Parts<'a>) -> Option<()> {
    let mut seen = Seen::default();
    let mut text = None;
    let mut thought = false;
    let mut signature = None;
    let mut keys = Keys::new(order);
    let mut key = keys.first(p).ok()?;
    while let Some(field) = key {
        match field {
            Field::Text => {
                seen.first(0)?;
                text = p.cow().ok()?;
            }
            Field::Thought => {
                seen.first(1)?;
                thought = match keys.raw(p).ok()? {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
            }
            Field::Signature => {
                seen.first(2)?;
                let raw = p.any().ok()?;
                if !raw.starts_with('"') {
                    return None;
                }
                signature = Some(raw);
            }
            Field::Declines => return None,
            _ => {
                keys.raw(p).ok()?;
            }
        }
        key = keys.next(p).ok()?;
    }
    let text = text?;
    if thought {
        parts.thoughts.push_str(&text);
    } else {
        parts.text.push_str(&text);
    }
    if let Some(signature) = signature {
        parts.signatures.push(signature);
    }
    Some(())
}

/// `usageMetadata`'s counts (integers or null; its other keys are skipped): those of the last response
/// when it is the same text.
fn usage(p: &mut Parser<'_>, order: &mut Order<Field>, kept: &mut Kept<[Option<i64>; 6]>) -> Option<[Option<i64>; 6]> {
    if let Some((_, counts)) = kept.take(p) {
        return Some(*counts);
    }
    p.peek().ok()?;
    let start = p.pos();
    let mut values = [None; 6];
    let mut seen = Seen::default();
    let mut keys = Keys::new(order);
    let mut key = keys.first(p).ok()?;
    while let Some(field) = key {
        if let Field::Count(at) = field {
            seen.first(u32::from(at))?;
            values[usize::from(at)] = p.int().ok()?;
        } else {
            keys.raw(p).ok()?;
        }
        key = keys.next(p).ok()?;
    }
    kept.keep(p, p.since(start), values);
    Some(values)
}
