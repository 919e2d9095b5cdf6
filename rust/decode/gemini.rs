//! Gemini's `streamGenerateContent` (Google AI Studio and Vertex AI): one `GenerateContentResponse` per
//! SSE event with `alt=sse`, or per element of one JSON array without it. Twin:
//! `python/rillm/_fallback/decode/gemini.py`.
//!
//! Each response is at most one chunk, with a choice for every candidate that says something:
//! - `text` parts are content, `thought: true` parts reasoning; their `thoughtSignature`s go to
//!   `provider_specific_fields.thought_signatures`; other parts (`executableCode`, `codeExecutionResult`,
//!   ...) to `provider_specific_fields.content_parts`;
//! - a `functionCall` part is a whole tool call (arguments = its `args` as JSON), with its own index even
//!   when parallel calls arrive in separate responses; its id is `functionCall.id`, else generated; a
//!   `thoughtSignature` stays with the call (`provider_specific_fields.thought_signature`), which is what a
//!   follow-up request must send back;
//! - a call streamed with `streamFunctionCallArguments` (a part with `name` and `willContinue`, then parts
//!   with `partialArgs`, then one without `willContinue`) becomes argument fragments as they arrive: each
//!   `partialArg` (`jsonPath` plus a string, number, boolean or null value; a string goes on while
//!   `willContinue`) is written as JSON text, so the fragments concatenate to the arguments object;
//! - `finishReason` maps with Gemini's table (`STOP` is `tool_calls` for a candidate that called tools);
//!   `groundingMetadata`, `citationMetadata` and, on a content-filter finish, `safetyRatings` are kept;
//! - `promptFeedback.blockReason` without candidates is a `content_filter` finish;
//! - `usageMetadata` (cumulative): prompt = prompt + tool-use-prompt tokens; completion = candidates
//!   tokens plus thoughts (unless the total shows they are already in); `thoughtsTokenCount` is
//!   `reasoning_tokens`, `cachedContentTokenCount` `cached_tokens`;
//! - an `error` object raises the provider's error. `responseId` and `modelVersion` are the chunk id and
//!   model. The stream is complete when every candidate has finished (or the prompt was blocked).

use super::fields::{objects, Bad, Obj, R};
use super::gemini_args::ArgsWriter;
use super::gemini_text::{Extras, Guesses, Parts, TextCandidate, TextResponse, COUNTS};
use super::dialect::{provider_error, Dialect, Step};
use super::to_openai::{Header, UsageJson};
use super::{Options, Sink};
use crate::chunk::{Choice, Delta, FinishReason, Json};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framing};
use crate::json::{trim_json_ws, utf8_lossy, ObjectBuilder};

#[derive(Debug)]
pub(crate) struct GeminiDecoder {
    pub(super) header: Header,
    pub(super) candidates: Vec<Candidate>,
    blocked: bool,
    /// What the one-pass reader guesses from the last response it read.
    guesses: Guesses,
    /// The usage of the last counts read in one pass (`usage_of`).
    usage: (Option<[Option<i64>; 6]>, Option<Json>),
}

#[derive(Debug)]
pub(super) struct Candidate {
    pub(super) index: i64,
    finished: bool,
    role_sent: bool,
    pub(super) tools: i64,
    /// The call whose arguments are being streamed.
    pub(super) streaming: Option<ArgsWriter>,
}

impl Dialect for GeminiDecoder {
    const NAME: &'static str = "gemini";
    const FRAMING: Framing = Framing::Auto;
    const TERMINATOR: &'static str = "before a finishReason for every candidate";
    const NEEDS_ID: bool = true;

    fn new(options: &Options) -> Self {
        let mut header = Header::new(options);
        // Each candidate gets its own role (below).
        header.mark_role_sent();
        GeminiDecoder {
            header,
            candidates: Vec::new(),
            blocked: false,
            guesses: Guesses::default(),
            usage: (None, None),
        }
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if event.kind == b"error" {
            return Err(provider_error(event.pos, "error", &data));
        }
        let payload = trim_json_ws(&data);
        if payload.is_empty() || payload.starts_with("[DONE]") {
            return Ok(Flow::Continue);
        }
        if let Some(response) = super::gemini_text::read(&data, &mut self.guesses) {
            // Most responses of a stream; the field-by-field reading below gives the same chunk, slower.
            let chunk = self.text_response(response);
            return Step::Chunk(chunk).emit(event.pos, sink);
        }
        self.general(&data, event.pos, sink)
    }

    fn complete(&self) -> bool {
        self.blocked || (!self.candidates.is_empty() && self.candidates.iter().all(|c| c.finished))
    }
}

impl GeminiDecoder {
    /// A response (not empty, not `[DONE]`) read field by field.
    pub(super) fn general(&mut self, data: &str, pos: Pos, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let response = Obj::parse(data).map_err(|bad| bad.at(pos, "gemini"))?;
        if response.has("error") {
            return Err(provider_error(pos, "", data));
        }
        let chunk = self.response(&response).map_err(|bad| bad.at(pos, "gemini"))?;
        Step::Chunk(chunk).emit(pos, sink)
    }

    /// A response `gemini_text.rs` read in one pass: the same steps as `response` and `candidate`.
    fn text_response(&mut self, response: TextResponse<'_>) -> Option<crate::chunk::Chunk> {
        if let Some(id) = response.id {
            self.header.set_id(&id);
        }
        if let Some(model) = response.model {
            self.header.set_model(&model);
        }
        let TextCandidate {
            index,
            parts,
            finish,
            extras,
        } = response.candidate;
        let at = self.state_at(index.unwrap_or(0));
        let choice = self.settle(at, parts, finish.as_deref(), &extras);
        let usage = response.counts.and_then(|counts| self.usage_of(counts));
        self.header.chunk(choice.into_iter().collect(), usage, None)
    }

    /// The usage of these counts: a copy of the last one made when they are the same as the last counts
    /// (most responses of a stream repeat the last `usageMetadata`), made once they repeat.
    fn usage_of(&mut self, counts: [Option<i64>; 6]) -> Option<Json> {
        let (last, made) = &mut self.usage;
        if *last != Some(counts) {
            *last = Some(counts);
            *made = None;
            return usage_from(counts);
        }
        if made.is_none() {
            *made = usage_from(counts);
        }
        made.clone()
    }

    fn response(&mut self, response: &Obj<'_>) -> R<Option<crate::chunk::Chunk>> {
        if let Some(id) = response.str("responseId")? {
            self.header.set_id(&id);
        }
        if let Some(model) = response.str("modelVersion")? {
            self.header.set_model(&model);
        }
        let candidates = objects(&response.list("candidates")?.unwrap_or_default(), "candidates")?;
        let mut choices = Vec::with_capacity(candidates.len());
        for (position, candidate) in (0_i64..).zip(&candidates) {
            if let Some(choice) = self.candidate(candidate, position)? {
                choices.push(choice);
            }
        }
        if candidates.is_empty() {
            if let Some(feedback) = response.obj("promptFeedback")? {
                if feedback.str("blockReason")?.is_some_and(|r| !r.is_empty()) {
                    self.blocked = true;
                    let mut delta = Delta::default();
                    let raw = response.get("promptFeedback").unwrap_or("{}");
                    delta.rare_mut().provider_specific_fields = Some(super::to_openai::single("prompt_feedback", raw));
                    choices.push(self.choice(usize::MAX, delta, Some(FinishReason::ContentFilter)));
                }
            }
        }
        let usage = match response.obj("usageMetadata")? {
            Some(metadata) => usage(&metadata)?,
            None => None,
        };
        Ok(self.header.chunk(choices, usage, None))
    }

    /// One candidate's choice, when it says something.
    fn candidate(&mut self, candidate: &Obj<'_>, position: i64) -> R<Option<Choice>> {
        let index = candidate.int("index")?.unwrap_or(position);
        let at = self.state_at(index);
        let raw_parts = match candidate.obj("content")? {
            Some(content) => content.list("parts")?.unwrap_or_default(),
            None => Vec::new(),
        };
        let parts = self.parts(at, &raw_parts)?;
        let reason = candidate.str("finishReason")?;
        let extras = Extras {
            grounding: candidate.get("groundingMetadata"),
            citation: candidate.get("citationMetadata"),
            safety: candidate.get("safetyRatings"),
        };
        Ok(self.settle(at, parts, reason.as_deref(), &extras))
    }

    /// The choice of the candidate at `at`, from its sorted parts, finish reason and fields, when it says
    /// something.
    fn settle(&mut self, at: usize, parts: Parts<'_>, reason: Option<&str>, extras: &Extras<'_>) -> Option<Choice> {
        let state = &mut self.candidates[at];
        let finish = match reason {
            Some(reason) if !reason.is_empty() => {
                state.finished = true;
                Some(finish_reason(reason, state.tools > 0))
            }
            _ => None,
        };
        let fields = candidate_fields(extras, &parts, finish);
        let Parts {
            text, thoughts, calls, ..
        } = parts;
        let delta = Delta {
            content: (!text.is_empty()).then_some(text),
            reasoning_content: (!thoughts.is_empty()).then_some(thoughts),
            tool_calls: (!calls.is_empty()).then_some(calls),
            rare: fields.map(|psf| {
                Box::new(crate::chunk::DeltaRare {
                    provider_specific_fields: Some(psf),
                    ..Default::default()
                })
            }),
            ..Delta::default()
        };
        if finish.is_none() && !super::to_openai::carries(&delta) {
            return None;
        }
        Some(self.choice(at, delta, finish))
    }

    /// Where the candidate with this index is kept, added the first time it shows.
    fn state_at(&mut self, index: i64) -> usize {
        if let Some(at) = self.candidates.iter().position(|c| c.index == index) {
            return at;
        }
        self.candidates.push(Candidate {
            index,
            finished: false,
            role_sent: false,
            tools: 0,
            streaming: None,
        });
        self.candidates.len() - 1
    }

    /// Sorts a candidate's parts: text, thoughts, function calls, and every other part.
    fn parts<'a>(&mut self, at: usize, raw_parts: &[&'a str]) -> R<Parts<'a>> {
        let mut out = Parts::default();
        for raw in raw_parts {
            if !raw.starts_with('{') {
                return Err(Bad("`parts`: expected an array of objects".to_owned()));
            }
            let part = Obj::parse(raw)?;
            if let Some(call) = part.obj("functionCall")? {
                self.function_call(at, &call, part.get("thoughtSignature"), &mut out.calls)?;
            } else if let Some(piece) = part.str("text")? {
                if part.bool("thought")? == Some(true) {
                    out.thoughts.push_str(&piece);
                } else {
                    out.text.push_str(&piece);
                }
                if let Some(signature) = part.get("thoughtSignature") {
                    part.str("thoughtSignature")?;
                    out.signatures.push(signature);
                }
            } else {
                out.other.push(raw);
            }
        }
        Ok(out)
    }

    /// A choice for the candidate at `at` (out of range: a blocked prompt's, index 0), with the role the
    /// first time.
    fn choice(&mut self, at: usize, mut delta: Delta, finish: Option<FinishReason>) -> Choice {
        let index = self.candidates.get(at).map_or(0, |c| c.index);
        let first = match self.candidates.get_mut(at) {
            Some(candidate) => !std::mem::replace(&mut candidate.role_sent, true),
            None => true,
        };
        if first {
            delta.role = Some("assistant".to_owned());
        }
        Choice {
            index,
            delta,
            finish_reason: finish,
            logprobs: None,
            extras: None,
        }
    }
}

/// The candidate's `provider_specific_fields`: signatures, other parts, grounding and citations, and the
/// safety ratings of a filtered one.
fn candidate_fields(extras: &Extras<'_>, parts: &Parts<'_>, finish: Option<FinishReason>) -> Option<Json> {
    let mut fields = ObjectBuilder::default();
    if !parts.signatures.is_empty() {
        fields.push_named("thought_signatures", &super::to_openai::list_of(&parts.signatures));
    }
    if !parts.other.is_empty() {
        fields.push_named("content_parts", &super::to_openai::list_of(&parts.other));
    }
    for (raw, name) in [
        (extras.grounding, "grounding_metadata"),
        (extras.citation, "citation_metadata"),
    ] {
        if let Some(raw) = raw {
            fields.push_named(name, raw);
        }
    }
    if finish == Some(FinishReason::ContentFilter) {
        if let Some(raw) = extras.safety {
            fields.push_named("safety_ratings", raw);
        }
    }
    fields.finish()
}

/// Gemini's finish reasons (LiteLLM's table): a content filter for the safety family, `length` for
/// `MAX_TOKENS`, otherwise `stop` (or `tool_calls` when the candidate called tools).
fn finish_reason(reason: &str, called_tools: bool) -> FinishReason {
    const FILTERED: &[&str] = &[
        "SAFETY",
        "RECITATION",
        "LANGUAGE",
        "OTHER",
        "BLOCKLIST",
        "PROHIBITED_CONTENT",
        "SPII",
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "NO_IMAGE",
        "IMAGE_RECITATION",
        "IMAGE_OTHER",
        "ESCALATION",
    ];
    if reason.eq_ignore_ascii_case("MAX_TOKENS") || reason.eq_ignore_ascii_case("CONTINUATION") {
        FinishReason::Length
    } else if FILTERED.iter().any(|f| f.eq_ignore_ascii_case(reason)) {
        FinishReason::ContentFilter
    } else if called_tools {
        FinishReason::ToolCalls
    } else {
        FinishReason::Stop
    }
}

fn usage(metadata: &Obj<'_>) -> R<Option<Json>> {
    let mut values = [None; 6];
    for (slot, name) in values.iter_mut().zip(COUNTS) {
        *slot = metadata.int(name)?;
    }
    Ok(usage_from(values))
}

/// The usage in `OpenAI`'s shape from the counts (`COUNTS`' order), `None` when there are none.
fn usage_from(values: [Option<i64>; 6]) -> Option<Json> {
    if values.iter().all(Option::is_none) {
        return None;
    }
    let [prompt, candidates, total, thoughts, tool_use, cached] = values;
    let prompt = prompt.unwrap_or(0).saturating_add(tool_use.unwrap_or(0));
    let candidates = candidates.unwrap_or(0);
    let mut completion = candidates;
    if let Some(thoughts) = thoughts.filter(|t| *t != 0) {
        if total != Some(prompt.saturating_add(candidates)) {
            completion = completion.saturating_add(thoughts);
        }
    }
    let mut json = UsageJson {
        prompt,
        completion,
        total: total.filter(|t| *t != 0),
        ..UsageJson::default()
    };
    if let Some(cached) = cached {
        json.prompt_details.push(("cached_tokens", cached));
    }
    if let Some(thoughts) = thoughts {
        json.completion_details.push(("reasoning_tokens", thoughts));
    }
    Some(json.json())
}
