//! The usual Gemini response read in one pass: one candidate whose parts are text (or thoughts), its
//! finish reason, the usage counts, the model and the response id. `gemini.rs` reads every response field
//! by field, which parses each level of the response again (about 15,000 instructions a chunk of the
//! bench's Gemini workload, against some 7,000 here with the chunk made, by callgrind). This reader only
//! collects what it finds and changes nothing: on anything else (a function call, a part without text, a
//! repeated or escaped key, a value of another type, an error, a blocked prompt, several candidates, text
//! that is not JSON) it declines and `gemini.rs` reads the response, so both give the same chunk and the
//! same errors. The pure-Python twin has only the field-by-field reading:
//! `python/rillm/_fallback/decode/gemini.py`.

use std::borrow::Cow;

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
pub(super) fn read(data: &str) -> Option<TextResponse<'_>> {
    let mut p = Parser::new(data);
    let mut out = TextResponse::default();
    let mut seen = Seen::default();
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        if k.escaped() {
            return None;
        }
        match k.raw {
            "candidates" => {
                seen.first(0)?;
                // Exactly one candidate.
                if !p.array_start().ok()? {
                    return None;
                }
                out.candidate = candidate(&mut p)?;
                if p.array_step().ok()? {
                    return None;
                }
            }
            "usageMetadata" => {
                seen.first(1)?;
                out.counts = Some(counts(&mut p)?);
            }
            "modelVersion" => {
                seen.first(2)?;
                out.model = p.cow().ok()?;
            }
            "responseId" => {
                seen.first(3)?;
                out.id = p.cow().ok()?;
            }
            "error" | "promptFeedback" => return None,
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    p.finish().ok()?;
    // Without candidates the prompt may have been blocked: the field-by-field reading sees to that.
    (seen.0 & 1 != 0).then_some(out)
}

fn candidate<'a>(p: &mut Parser<'a>) -> Option<TextCandidate<'a>> {
    let mut out = TextCandidate::default();
    let mut seen = Seen::default();
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        if k.escaped() {
            return None;
        }
        match k.raw {
            "content" => {
                seen.first(0)?;
                content(p, &mut out.parts)?;
            }
            "finishReason" => {
                seen.first(1)?;
                out.finish = p.cow().ok()?;
            }
            "index" => {
                seen.first(2)?;
                out.index = p.int().ok()?;
            }
            "groundingMetadata" => {
                seen.first(3)?;
                out.extras.grounding = p.raw().ok()?;
            }
            "citationMetadata" => {
                seen.first(4)?;
                out.extras.citation = p.raw().ok()?;
            }
            "safetyRatings" => {
                seen.first(5)?;
                out.extras.safety = p.raw().ok()?;
            }
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    Some(out)
}

/// A candidate's `content`: an object whose `parts` are read into `parts`.
fn content<'a>(p: &mut Parser<'a>, parts: &mut Parts<'a>) -> Option<()> {
    let mut seen = Seen::default();
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        if k.escaped() {
            return None;
        }
        if k.raw == "parts" {
            seen.first(0)?;
            let mut more = p.array_start().ok()?;
            while more {
                part(p, parts)?;
                more = p.array_step().ok()?;
            }
        } else {
            p.any().ok()?;
        }
        key = p.next_key().ok()?;
    }
    Some(())
}

/// One part: text or thoughts (with its signature). A part without text (a call, code, ...) declines.
fn part<'a>(p: &mut Parser<'a>, parts: &mut Parts<'a>) -> Option<()> {
    let mut seen = Seen::default();
    let mut text = None;
    let mut thought = false;
    let mut signature = None;
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        if k.escaped() {
            return None;
        }
        match k.raw {
            "text" => {
                seen.first(0)?;
                text = p.cow().ok()?;
            }
            "thought" => {
                seen.first(1)?;
                thought = match p.any().ok()? {
                    "true" => true,
                    "false" => false,
                    _ => return None,
                };
            }
            "thoughtSignature" => {
                seen.first(2)?;
                let raw = p.any().ok()?;
                if !raw.starts_with('"') {
                    return None;
                }
                signature = Some(raw);
            }
            "functionCall" => return None,
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
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

/// `usageMetadata`'s counts (integers or null); its other keys are skipped.
fn counts(p: &mut Parser<'_>) -> Option<[Option<i64>; 6]> {
    let mut values = [None; 6];
    let mut seen = Seen::default();
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        if k.escaped() {
            return None;
        }
        match COUNTS.iter().position(|name| *name == k.raw) {
            Some(at) => {
                seen.first(at as u32)?;
                values[at] = p.int().ok()?;
            }
            None => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    Some(values)
}
