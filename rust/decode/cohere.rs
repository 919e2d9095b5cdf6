//! Cohere's chat stream: v2 (`/v2/chat`, SSE events with a `type`) and v1's `stream-json` (NDJSON lines
//! with an `event_type`). Twin: `python/rillm/_fallback/decode/cohere.py`.
//!
//! v2: `message-start` opens the message (its `id` is every chunk's); `content-delta` text is content and
//! `thinking` reasoning; `tool-plan-delta` (the model's plan before it calls tools) is reasoning too;
//! `tool-call-start`/`-delta`/`-end` stream tool calls by their `index` (a call that streamed no arguments
//! gets `{}` at its end); `citation-start` goes to `provider_specific_fields.citations`; `message-end`
//! carries the finish reason and the usage (`tokens`, with `billed_units` kept) and ends the stream, as
//! does `[DONE]`. LiteLLM 1.109.1 parses each line of this SSE body as JSON and fails on the first.
//!
//! v1: `stream-start` (`generation_id`), `text-generation`, `tool-calls-chunk`, `tool-calls-generation`
//! (whole calls, used only when none were streamed), `citation-generation`, and `stream-end` with the
//! finish reason and `response.meta` usage.
//!
//! A finish reason of `ERROR` means the generation failed: it raises the provider's error (LiteLLM maps
//! it to `stop`, which hides the failure).

use super::fields::{child, objects, Bad, Obj, R};
use super::openai::finish_reason_error;
use super::dialect::{pass, provider_error, Dialect, Step};
use super::to_openai::{
    content, nonempty, opening, provider_field, reasoning, tool_arguments, tool_delta, tool_start,
    Header, Tools, UsageJson,
};
use super::{Options, Sink};
use crate::chunk::{Arguments, Delta, FinishReason, Json, ToolCall};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framing};
use crate::json::{trim_json_ws, utf8_lossy, Parser};

#[derive(Debug)]
pub(crate) struct CohereDecoder {
    header: Header,
    tools: Tools,
}

impl Dialect for CohereDecoder {
    const NAME: &'static str = "cohere";
    const FRAMING: Framing = Framing::Auto;
    const TERMINATOR: &'static str = "before message-end (or stream-end)";
    const NEEDS_ID: bool = true;

    fn new(options: &Options) -> Self {
        CohereDecoder {
            header: Header::new(options),
            tools: Tools::default(),
        }
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if event.kind == b"error" {
            return Err(provider_error(event.pos, "error", &data));
        }
        let payload = trim_json_ws(&data);
        if payload.is_empty() {
            return Ok(Flow::Continue);
        }
        if payload.starts_with("[DONE]") {
            return Ok(Flow::Stop);
        }
        if let Some(delta) = content_delta(&data) {
            // Most events of a v2 stream; the field-by-field reading below gives the same chunk, slower.
            let chunk = self.header.one(delta, None, None);
            return pass(chunk, event.pos, sink).map(|()| Flow::Continue);
        }
        self.general(&data, event.kind, event.pos, sink)
    }
}

impl CohereDecoder {
    /// An event (not empty, not `[DONE]`) read field by field.
    pub(super) fn general(&mut self, data: &str, name: &[u8], pos: Pos, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let step = self.step(data, name).map_err(|bad| bad.at(pos, "cohere"))?;
        step.emit(pos, sink)
    }

    fn step(&mut self, data: &str, name: &[u8]) -> R<Step> {
        let event = Obj::parse(data)?;
        if let Some(kind) = event.str("type")? {
            return self.v2(&kind, &event);
        }
        if let Some(kind) = event.str("event_type")? {
            return self.v1(&kind, &event);
        }
        if !name.is_empty() {
            return self.v2(&String::from_utf8_lossy(name), &event);
        }
        Err(Bad("expected an event with a `type` or an `event_type`".to_owned()))
    }

    fn v2(&mut self, kind: &str, event: &Obj<'_>) -> R<Step> {
        let outer = event.obj("delta")?;
        let message = child(outer.as_ref(), "message")?;
        let index = event.int("index")?;
        if kind == "message-end" {
            let Some(end) = outer else {
                let chunk = self.header.one(Delta::default(), Some(FinishReason::Stop), None);
                return Ok(Step::End(chunk));
            };
            return self.end(end.str("finish_reason")?.as_deref(), end.obj("usage")?.as_ref());
        }
        let delta = match kind {
            "tool-call-start" | "tool-call-delta" | "tool-call-end" => {
                self.v2_tool_call(kind, message.as_ref(), index)?
            }
            _ => self.v2_message(kind, event, message.as_ref())?,
        };
        Ok(Step::Chunk(delta.and_then(|delta| self.header.one(delta, None, None))))
    }

    /// A v2 event that opens the message or carries its text, plan or citations.
    fn v2_message(&mut self, kind: &str, event: &Obj<'_>, message: Option<&Obj<'_>>) -> R<Option<Delta>> {
        Ok(match kind {
            "content-delta" | "content-start" => match child(message, "content")? {
                Some(part) => text_and_thinking(&part)?,
                None => None,
            },
            "message-start" => {
                if let Some(id) = event.str("id")? {
                    self.header.set_id(&id);
                }
                Some(opening())
            }
            "tool-plan-delta" => match message {
                Some(message) => nonempty(message.str("tool_plan")?).map(|plan| reasoning(plan, false)),
                None => None,
            },
            "citation-start" => message
                .and_then(|m| m.get("citations"))
                .map(|raw| provider_field("citations", &format!("[{raw}]"))),
            _ => None,
        })
    }

    /// `tool-call-start`, `tool-call-delta` or `tool-call-end`.
    fn v2_tool_call(&mut self, kind: &str, message: Option<&Obj<'_>>, index: Option<i64>) -> R<Option<Delta>> {
        if kind == "tool-call-end" {
            let tool = self.tools.without_arguments(index.unwrap_or(0));
            return Ok(tool.map(|tool| tool_delta(tool_arguments(tool, "{}".to_owned()))));
        }
        let call = child(message, "tool_calls")?;
        let function = child(call.as_ref(), "function")?;
        if kind == "tool-call-delta" {
            let fragment = match &function {
                Some(function) => nonempty(function.str("arguments")?),
                None => None,
            };
            return Ok(fragment.map(|fragment| {
                let index = index.unwrap_or(0);
                self.tools.arguments(index);
                tool_delta(tool_arguments(index, fragment))
            }));
        }
        let index = index.unwrap_or(self.tools.count());
        self.tools.start_at(index);
        let (name, arguments) = match &function {
            Some(function) => (function.string("name")?, function.string("arguments")?),
            None => (None, None),
        };
        let arguments = arguments.unwrap_or_default();
        if !arguments.is_empty() {
            self.tools.arguments(index);
        }
        let id = match &call {
            Some(call) => call.string("id")?,
            None => None,
        };
        Ok(Some(tool_delta(tool_start(index, id, name, Arguments::Text(arguments)))))
    }

    fn v1(&mut self, kind: &str, event: &Obj<'_>) -> R<Step> {
        let delta = match kind {
            "text-generation" => nonempty(event.str("text")?).map(content),
            "stream-start" => {
                if let Some(id) = event.str("generation_id")? {
                    self.header.set_id(&id);
                }
                Some(opening())
            }
            "tool-calls-chunk" => Some(self.v1_tool_calls_chunk(event)?),
            "tool-calls-generation" if !self.tools.any() => self.v1_tool_calls(event)?,
            "citation-generation" => match event.list("citations")? {
                Some(_) => event.get("citations").map(|raw| provider_field("citations", raw)),
                None => None,
            },
            "stream-end" => {
                let response = event.obj("response")?;
                let mut reason = event.string("finish_reason")?;
                if reason.is_none() {
                    if let Some(response) = &response {
                        reason = response.string("finish_reason")?;
                    }
                }
                let meta = child(response.as_ref(), "meta")?;
                return self.end(reason.as_deref(), meta.as_ref());
            }
            _ => None,
        };
        Ok(Step::Chunk(delta.and_then(|delta| self.header.one(delta, None, None))))
    }

    /// A piece of v1's streamed tool calls: a call's name (its start) or a fragment of its parameters.
    fn v1_tool_calls_chunk(&mut self, event: &Obj<'_>) -> R<Delta> {
        let mut delta = Delta::default();
        if let Some(call) = event.obj("tool_call_delta")? {
            let index = call.int("index")?;
            if let Some(name) = nonempty(call.str("name")?) {
                let index = index.unwrap_or(self.tools.count());
                self.tools.start_at(index);
                let id = self.header.tool_id(index);
                delta.tool_calls = Some(vec![tool_start(index, Some(id), Some(name), Arguments::default())]);
            } else if let Some(fragment) = nonempty(call.str("parameters")?) {
                let index = index.unwrap_or((self.tools.count() - 1).max(0));
                self.tools.arguments(index);
                delta.tool_calls = Some(vec![tool_arguments(index, fragment)]);
            }
        }
        delta.reasoning_content = nonempty(event.str("text")?);
        Ok(delta)
    }

    /// v1's whole tool calls at once (when none were streamed).
    fn v1_tool_calls(&mut self, event: &Obj<'_>) -> R<Option<Delta>> {
        let calls = objects(&event.list("tool_calls")?.unwrap_or_default(), "tool_calls")?;
        let mut out: Vec<ToolCall> = Vec::with_capacity(calls.len());
        for call in &calls {
            let index = self.tools.count();
            self.tools.start_at(index);
            let arguments = match call.raw_obj("parameters")? {
                Some(raw) => Arguments::Value(Json(raw.into())),
                None => Arguments::Text("{}".to_owned()),
            };
            out.push(tool_start(
                index,
                Some(self.header.tool_id(index)),
                call.string("name")?,
                arguments,
            ));
        }
        Ok((!out.is_empty()).then(|| Delta {
            tool_calls: Some(out),
            ..Delta::default()
        }))
    }

    /// The last event: its finish reason, and the usage (v2's `usage` or v1's `meta`).
    fn end(&mut self, reason: Option<&str>, usage: Option<&Obj<'_>>) -> R<Step> {
        if let Some(reason) = reason.filter(|r| r.eq_ignore_ascii_case("error")) {
            // The generation failed: the provider's error, in the shape an `OpenAI` stream's would have.
            return Ok(Step::Failed {
                event_type: "",
                data: finish_reason_error(reason),
            });
        }
        let finish = reason.and_then(FinishReason::map).or(Some(FinishReason::Stop));
        let usage = match usage {
            Some(usage) => Some(cohere_usage(usage)?),
            None => None,
        };
        Ok(Step::End(self.header.one(Delta::default(), finish, usage)))
    }
}

/// A v2 `content-delta` event read in one pass, `{"type":"content-delta","index":0,"delta":{"message":
/// {"content":{"text":"..."}}}}` (or `thinking`): its delta, empty when it carries no text. `None`
/// for any other event, or one that a reader taking the last of repeated keys might read otherwise (a
/// repeated or escaped key, a value of another type): `step` reads those, so both give the same chunk and
/// the same errors (about 2,000 instructions an event here against 6,500, by callgrind on the bench's
/// Cohere workload). The pure-Python twin reads field by field: `python/rillm/_fallback/decode/cohere.py`.
pub(super) fn content_delta(data: &str) -> Option<Delta> {
    let mut p = Parser::new(data);
    let (mut kind, mut delta, mut index) = (None, None, false);
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "type" if kind.is_none() => kind = Some(p.cow().ok()?.is_some_and(|kind| kind == "content-delta")),
            "index" if !index => {
                // Any integer or null: the index of a text delta changes nothing.
                p.int().ok()?;
                index = true;
            }
            "delta" if delta.is_none() => delta = Some(only(&mut p, "message", |p| only(p, "content", content_part))?),
            "type" | "index" | "delta" | "event_type" => return None,
            _ if k.escaped() => return None,
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    p.finish().ok()?;
    if kind == Some(true) {
        delta
    } else {
        None
    }
}

/// An object whose only key is `name`, its value read by `inner`.
fn only<T>(p: &mut Parser<'_>, name: &str, inner: impl FnOnce(&mut Parser<'_>) -> Option<T>) -> Option<T> {
    let key = p.first_key().ok()??;
    if key.raw != name || key.escaped() {
        return None;
    }
    let value = inner(p)?;
    p.next_key().ok()?.is_none().then_some(value)
}

/// `{"text": ...}` and/or `{"thinking": ...}` (strings or null), and nothing else: their delta (empty when
/// neither has text, which makes no chunk, as `text_and_thinking`'s `None`).
fn content_part(p: &mut Parser<'_>) -> Option<Delta> {
    let (mut text, mut thinking) = (None, None);
    let (mut text_seen, mut thinking_seen) = (false, false);
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "text" if !text_seen => {
                text = nonempty(p.cow().ok()?);
                text_seen = true;
            }
            "thinking" if !thinking_seen => {
                thinking = nonempty(p.cow().ok()?);
                thinking_seen = true;
            }
            _ => return None,
        }
        key = p.next_key().ok()?;
    }
    Some(Delta {
        content: text,
        reasoning_content: thinking,
        ..Delta::default()
    })
}

/// Content and thinking text of a v2 content part.
fn text_and_thinking(part: &Obj<'_>) -> R<Option<Delta>> {
    let text = nonempty(part.str("text")?);
    let thinking = nonempty(part.str("thinking")?);
    if text.is_none() && thinking.is_none() {
        return Ok(None);
    }
    Ok(Some(Delta {
        content: text,
        reasoning_content: thinking,
        ..Delta::default()
    }))
}

/// `tokens` (else `billed_units`) as prompt and completion tokens, `cached_tokens` as cached, and
/// `billed_units` kept.
fn cohere_usage(usage: &Obj<'_>) -> R<Json> {
    let counts = match usage.obj("tokens")? {
        Some(tokens) => Some(tokens),
        None => usage.obj("billed_units")?,
    };
    let (prompt, completion) = match &counts {
        Some(counts) => (
            counts.int("input_tokens")?.unwrap_or(0),
            counts.int("output_tokens")?.unwrap_or(0),
        ),
        None => (0, 0),
    };
    let mut json = UsageJson {
        prompt,
        completion,
        ..UsageJson::default()
    };
    if let Some(cached) = usage.int("cached_tokens")? {
        json.prompt_details.push(("cached_tokens", cached));
    }
    if let Some(raw) = usage.raw_obj("billed_units")? {
        json.extras.push(("billed_units", raw.to_owned()));
    }
    Ok(json.json())
}
