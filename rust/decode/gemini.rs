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

use super::native::{objects, provider_error, Bad, Header, Obj, UsageJson, R};
use super::raw::{push_json_string, trim_json_ws, utf8_lossy, ObjectBuilder};
use super::{Options, Sink};
use crate::chunk::{Arguments, Choice, Delta, FinishReason, Json, ToolCall};
use crate::error::Error;
use crate::framing::{Event, Flow};

#[derive(Debug)]
pub(crate) struct GeminiDecoder {
    header: Header,
    candidates: Vec<Candidate>,
    blocked: bool,
}

#[derive(Debug)]
struct Candidate {
    index: i64,
    finished: bool,
    role_sent: bool,
    tools: i64,
    /// The call whose arguments are being streamed.
    streaming: Option<ArgsWriter>,
}

impl GeminiDecoder {
    pub(crate) fn new(options: &Options) -> Self {
        let mut header = Header::new(options);
        // Each candidate gets its own role (below).
        header.mark_role_sent();
        GeminiDecoder {
            header,
            candidates: Vec::new(),
            blocked: false,
        }
    }

    pub(crate) fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if event.kind == b"error" {
            return Err(provider_error(event.pos, "error", &data));
        }
        let payload = trim_json_ws(&data);
        if payload.is_empty() || payload.starts_with("[DONE]") {
            return Ok(Flow::Continue);
        }
        let response = Obj::parse(&data).map_err(|bad| bad.at(event.pos, "gemini"))?;
        if response.has("error") {
            return Err(provider_error(event.pos, "", &data));
        }
        let chunk = self.response(&response).map_err(|bad| bad.at(event.pos, "gemini"))?;
        Header::emit(chunk, event.pos, sink)?;
        Ok(Flow::Continue)
    }

    pub(crate) fn complete(&self) -> bool {
        self.blocked || (!self.candidates.is_empty() && self.candidates.iter().all(|c| c.finished))
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
                    delta.rare_mut().provider_specific_fields = Some(super::native::single("prompt_feedback", raw));
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
        let at = self
            .candidates
            .iter()
            .position(|c| c.index == index)
            .unwrap_or_else(|| {
                self.candidates.push(Candidate {
                    index,
                    finished: false,
                    role_sent: false,
                    tools: 0,
                    streaming: None,
                });
                self.candidates.len() - 1
            });
        let mut text = String::new();
        let mut thoughts = String::new();
        let mut calls: Vec<ToolCall> = Vec::new();
        let mut signatures: Vec<&str> = Vec::new();
        let mut other_parts: Vec<&str> = Vec::new();
        let parts = match candidate.obj("content")? {
            Some(content) => content.list("parts")?.unwrap_or_default(),
            None => Vec::new(),
        };
        for raw in &parts {
            if !raw.starts_with('{') {
                return Err(Bad("`parts`: expected an array of objects".to_owned()));
            }
            let part = Obj::parse(raw)?;
            if let Some(call) = part.obj("functionCall")? {
                self.function_call(at, &call, part.get("thoughtSignature"), &mut calls)?;
            } else if let Some(piece) = part.str("text")? {
                if part.bool("thought")? == Some(true) {
                    thoughts.push_str(&piece);
                } else {
                    text.push_str(&piece);
                }
                if let Some(signature) = part.get("thoughtSignature") {
                    part.str("thoughtSignature")?;
                    signatures.push(signature);
                }
            } else {
                other_parts.push(raw);
            }
        }
        let state = &mut self.candidates[at];
        let finish = match candidate.str("finishReason")? {
            Some(reason) if !reason.is_empty() => {
                state.finished = true;
                Some(finish_reason(&reason, state.tools > 0))
            }
            _ => None,
        };
        let mut fields = ObjectBuilder::default();
        if !signatures.is_empty() {
            fields.push_named("thought_signatures", &super::native::list_of(&signatures));
        }
        if !other_parts.is_empty() {
            fields.push_named("content_parts", &super::native::list_of(&other_parts));
        }
        for (key, name) in [
            ("groundingMetadata", "grounding_metadata"),
            ("citationMetadata", "citation_metadata"),
        ] {
            if let Some(raw) = candidate.get(key) {
                fields.push_named(name, raw);
            }
        }
        if finish == Some(FinishReason::ContentFilter) {
            if let Some(raw) = candidate.get("safetyRatings") {
                fields.push_named("safety_ratings", raw);
            }
        }
        let delta = Delta {
            content: (!text.is_empty()).then_some(text),
            reasoning_content: (!thoughts.is_empty()).then_some(thoughts),
            tool_calls: (!calls.is_empty()).then_some(calls),
            rare: fields.finish().map(|psf| {
                Box::new(crate::chunk::DeltaRare {
                    provider_specific_fields: Some(psf),
                    ..Default::default()
                })
            }),
            ..Delta::default()
        };
        if finish.is_none() && !super::native::carries(&delta) {
            return Ok(None);
        }
        Ok(Some(self.choice(at, delta, finish)))
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

    /// One `functionCall` part: a whole call, the start of a streamed one, or the next piece of it (a part
    /// without a name while a call is streaming; without one streaming it says nothing).
    fn function_call(
        &mut self,
        at: usize,
        call: &Obj<'_>,
        signature: Option<&str>,
        calls: &mut Vec<ToolCall>,
    ) -> R<()> {
        let name = call.string("name")?.filter(|n| !n.is_empty());
        let will_continue = call.bool("willContinue")? == Some(true);
        let candidate_index = self.candidates[at].index;
        if name.is_none() {
            let state = &mut self.candidates[at];
            let Some(writer) = state.streaming.as_mut() else {
                return Ok(());
            };
            let mut fragment = String::new();
            for partial in objects(&call.list("partialArgs")?.unwrap_or_default(), "partialArgs")? {
                writer.apply(&partial, &mut fragment)?;
            }
            let tool = writer.tool;
            if !will_continue {
                fragment.push_str(&writer.close());
                state.streaming = None;
            }
            if !fragment.is_empty() {
                calls.push(super::native::tool_arguments(tool, fragment));
            }
            return Ok(());
        }
        if let Some(mut unfinished) = self.candidates[at].streaming.take() {
            // A new call while one was still streaming: that one is over.
            calls.push(super::native::tool_arguments(unfinished.tool, unfinished.close()));
        }
        let tool = self.candidates[at].tools;
        self.candidates[at].tools += 1;
        let id = match call.string("id")?.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None if candidate_index == 0 => self.header.tool_id(tool),
            None => self.header.tool_id(format!("{candidate_index}_{tool}")),
        };
        let args = call.raw_obj("args")?;
        let streaming = will_continue && args.is_none();
        let arguments = match args {
            Some(raw) => Arguments::Value(Json(raw.into())),
            None if streaming => Arguments::default(),
            None => Arguments::Text("{}".to_owned()),
        };
        let mut out = super::native::tool_start(tool, Some(id), name, arguments);
        if let Some(raw) = signature {
            call_signature(raw)?;
            out.extras = Some(Json(
                format!(r#"{{"provider_specific_fields":{{"thought_signature":{raw}}}}}"#).into_boxed_str(),
            ));
        }
        if streaming {
            let mut writer = ArgsWriter::new(tool);
            let mut fragment = String::new();
            for partial in objects(&call.list("partialArgs")?.unwrap_or_default(), "partialArgs")? {
                writer.apply(&partial, &mut fragment)?;
            }
            if let Arguments::Text(text) = &mut out.function.arguments {
                text.push_str(&fragment);
            }
            self.candidates[at].streaming = Some(writer);
        }
        calls.push(out);
        Ok(())
    }
}

/// A `thoughtSignature` must be a string.
fn call_signature(raw: &str) -> R<()> {
    if raw.starts_with('"') {
        Ok(())
    } else {
        Err(Bad("`thoughtSignature`: expected a string".to_owned()))
    }
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
    const COUNTS: [&str; 6] = [
        "promptTokenCount",
        "candidatesTokenCount",
        "totalTokenCount",
        "thoughtsTokenCount",
        "toolUsePromptTokenCount",
        "cachedContentTokenCount",
    ];
    let mut values = [None; 6];
    for (slot, name) in values.iter_mut().zip(COUNTS) {
        *slot = metadata.int(name)?;
    }
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [prompt, candidates, total, thoughts, tool_use, cached] = values;
    let prompt = prompt.unwrap_or(0) + tool_use.unwrap_or(0);
    let candidates = candidates.unwrap_or(0);
    let mut completion = candidates;
    if let Some(thoughts) = thoughts.filter(|t| *t != 0) {
        if total != Some(prompt + candidates) {
            completion += thoughts;
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
    Ok(Some(json.json()))
}

/// Writes a streamed call's `partialArgs` as JSON text, in the order they arrive: the containers a path
/// needs are opened (and those it leaves closed), so the fragments concatenate to one JSON value.
#[derive(Debug)]
struct ArgsWriter {
    tool: i64,
    /// The outermost container, once written.
    root: Option<Container>,
    /// The containers open below the root, with the path segment that leads to each.
    open: Vec<(Segment, Container)>,
    /// The path of a string value still being written.
    open_string: Option<Vec<Segment>>,
}

#[derive(Debug, Clone, Copy)]
struct Container {
    array: bool,
    members: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(i64),
}

impl ArgsWriter {
    fn new(tool: i64) -> Self {
        ArgsWriter {
            tool,
            root: None,
            open: Vec::new(),
            open_string: None,
        }
    }

    fn apply(&mut self, partial: &Obj<'_>, out: &mut String) -> R<()> {
        let path = parse_path(&partial.str("jsonPath")?.unwrap_or_default())?;
        let will_continue = partial.bool("willContinue")? == Some(true);
        let Some(value) = partial_value(partial)? else {
            return Ok(());
        };
        if let Some(open) = self.open_string.take() {
            if open == path {
                if let Value::Text(text) = &value {
                    push_string_body(out, text);
                    if will_continue {
                        self.open_string = Some(open);
                    } else {
                        out.push('"');
                    }
                    return Ok(());
                }
            }
            out.push('"');
        }
        let (parent, leaf) = path.split_at(path.len() - 1);
        if self.root.is_none() {
            let array = matches!(path[0], Segment::Index(_));
            out.push(if array { '[' } else { '{' });
            self.root = Some(Container { array, members: false });
        }
        let common = self
            .open
            .iter()
            .zip(parent)
            .take_while(|((segment, _), wanted)| segment == *wanted)
            .count();
        while self.open.len() > common {
            if let Some((_, container)) = self.open.pop() {
                out.push(if container.array { ']' } else { '}' });
            }
        }
        for (j, segment) in parent.iter().enumerate().skip(common) {
            self.member(out, segment)?;
            let array = matches!(path[j + 1], Segment::Index(_));
            out.push(if array { '[' } else { '{' });
            self.open.push((segment.clone(), Container { array, members: false }));
        }
        self.member(out, &leaf[0])?;
        match value {
            Value::Text(text) => {
                out.push('"');
                push_string_body(out, &text);
                if will_continue {
                    self.open_string = Some(path);
                } else {
                    out.push('"');
                }
            }
            Value::Raw(raw) => out.push_str(&raw),
        }
        Ok(())
    }

    /// Starts a member of the innermost open container: a comma after an earlier one, and its key.
    fn member(&mut self, out: &mut String, segment: &Segment) -> R<()> {
        let container = match self.open.last_mut() {
            Some((_, container)) => container,
            None => self.root.as_mut().expect("the root is written first"),
        };
        if container.array != matches!(segment, Segment::Index(_)) {
            return Err(Bad("`jsonPath`: does not match the arguments written so far".to_owned()));
        }
        if std::mem::replace(&mut container.members, true) {
            out.push(',');
        }
        if let Segment::Key(key) = segment {
            push_json_string(out, key);
            out.push(':');
        }
        Ok(())
    }

    /// What ends the arguments: an open string's quote and every open container (`{}` when nothing came).
    fn close(&mut self) -> String {
        let mut out = String::new();
        if self.open_string.take().is_some() {
            out.push('"');
        }
        while let Some((_, container)) = self.open.pop() {
            out.push(if container.array { ']' } else { '}' });
        }
        match self.root.take() {
            Some(root) => out.push(if root.array { ']' } else { '}' }),
            None => out.push_str("{}"),
        }
        out
    }
}

enum Value {
    Text(String),
    /// A number, boolean or null, as JSON text.
    Raw(String),
}

/// A `partialArg`'s value; `None` when it has none.
fn partial_value(partial: &Obj<'_>) -> R<Option<Value>> {
    if partial.has("stringValue") {
        return Ok(partial.string("stringValue")?.map(Value::Text));
    }
    if let Some(raw) = partial.get("numberValue") {
        return number_text(raw).map(|text| Some(Value::Raw(text)));
    }
    if let Some(value) = partial.bool("boolValue")? {
        return Ok(Some(Value::Raw(value.to_string())));
    }
    if partial.contains("nullValue") {
        return Ok(Some(Value::Raw("null".to_owned())));
    }
    Ok(None)
}

/// A JSON number as Python's `json.dumps(json.loads(raw))` writes it, so that both backends agree: an
/// integer as it is (`-0` as `0`), a float in Python's `repr`, a float too large for a double as `null`.
fn number_text(raw: &str) -> R<String> {
    let bad = || Bad("`numberValue`: expected a number".to_owned());
    if !raw.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        return Err(bad());
    }
    if !raw.contains(['.', 'e', 'E']) {
        return Ok(if raw == "-0" { "0".to_owned() } else { raw.to_owned() });
    }
    let value: f64 = raw.parse().map_err(|_| bad())?;
    Ok(python_float_repr(value))
}

/// Python's `repr` of a float: the shortest digits that round-trip, positional from 1e-4 up to 1e16,
/// scientific (`1e+16`, `1.5e-07`) outside it; not finite becomes `null`.
fn python_float_repr(value: f64) -> String {
    if !value.is_finite() {
        return "null".to_owned();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exponent) {
        // Where the decimal point goes, counted in digits from the left (at most 16).
        let point = exponent + 1;
        if point <= 0 {
            format!("{sign}0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
        } else {
            let point = point.unsigned_abs() as usize;
            if point >= digits.len() {
                format!("{sign}{digits}{}.0", "0".repeat(point - digits.len()))
            } else {
                let (whole, fraction) = digits.split_at(point);
                format!("{sign}{whole}.{fraction}")
            }
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let mantissa = if rest.is_empty() {
            first.to_owned()
        } else {
            format!("{first}.{rest}")
        };
        let exponent_sign = if exponent < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exponent_sign}{:02}", exponent.unsigned_abs())
    }
}

/// A string's escaped body, without its quotes.
fn push_string_body(out: &mut String, text: &str) {
    let start = out.len();
    push_json_string(out, text);
    out.pop();
    out.remove(start);
}

/// A `jsonPath` below `$`: `.name`, `['name']` or `["name"]`, and `[N]` segments.
fn parse_path(path: &str) -> R<Vec<Segment>> {
    let bad = || Bad(format!("`jsonPath`: unsupported path {path:?}"));
    let mut rest = path.strip_prefix('$').ok_or_else(bad)?;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(bad());
            }
            segments.push(Segment::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let quote = after.chars().next().filter(|c| *c == '\'' || *c == '"');
            if let Some(quote) = quote {
                let body = &after[1..];
                let end = body.find(quote).ok_or_else(bad)?;
                let tail = body[end + 1..].strip_prefix(']').ok_or_else(bad)?;
                segments.push(Segment::Key(body[..end].to_owned()));
                rest = tail;
            } else {
                let end = after.find(']').ok_or_else(bad)?;
                let digits = &after[..end];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                segments.push(Segment::Index(digits.parse().map_err(|_| bad())?));
                rest = &after[end + 1..];
            }
        } else {
            return Err(bad());
        }
    }
    if segments.is_empty() {
        return Err(bad());
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        for (value, text) in [
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.0, "123.0"),
            (0.1, "0.1"),
            (-2.5, "-2.5"),
            (1.234_567_890_123_456_8e17, "1.2345678901234568e+17"),
            (9_999_999_999_999_998.0, "9999999999999998.0"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(python_float_repr(value), text);
        }
        assert_eq!(number_text("-0").unwrap(), "0");
        assert_eq!(number_text("1E2").unwrap(), "100.0");
        assert_eq!(number_text("1e400").unwrap(), "null");
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("$.a['b c'][2].d").unwrap(),
            [
                Segment::Key("a".into()),
                Segment::Key("b c".into()),
                Segment::Index(2),
                Segment::Key("d".into())
            ]
        );
        for bad in ["", "$", "a.b", "$..a", "$[x]", "$['a'", "$.a[1"] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }
}
