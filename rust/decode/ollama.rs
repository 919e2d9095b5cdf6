//! Ollama's `/api/chat` stream: one JSON object per line. Twin: `python/rillm/_fallback/decode/ollama.py`.
//!
//! `message.content` is content, except text between `<think>` and `</think>` (the tags removed, a tag
//! split across lines held back until it is whole), which is reasoning, as is `message.thinking`;
//! `message.tool_calls` arrive whole, their object arguments written as JSON, with a running index and a
//! generated id when they have none; the `done: true` line carries the finish reason (`done_reason`,
//! `tool_calls` when the stream called tools), the usage (`prompt_eval_count`, `eval_count`) and ends the
//! stream; an `error` line raises. Ollama sends no response id, so every chunk has the decoder's.

use std::borrow::Cow;

use super::fields::{objects, Obj, R};
use super::dialect::{pass, provider_error, Dialect, Step};
use super::to_openai::{Header, UsageJson};
use super::{Options, Sink};
use crate::chunk::{Arguments, Chunk, Delta, FinishReason, Json, ToolCall};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framing};
use crate::json::{trim_json_ws, utf8_lossy, Parser};

#[derive(Debug)]
pub(crate) struct OllamaDecoder {
    header: Header,
    think: ThinkTags,
    tools: i64,
}

impl Dialect for OllamaDecoder {
    const NAME: &'static str = "ollama";
    const FRAMING: Framing = Framing::Ndjson;
    const TERMINATOR: &'static str = "before its done line";
    const NEEDS_ID: bool = true;

    fn new(options: &Options) -> Self {
        OllamaDecoder {
            header: Header::new(options),
            think: ThinkTags::default(),
            tools: 0,
        }
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if trim_json_ws(&data).is_empty() {
            return Ok(Flow::Continue);
        }
        if let Some(line) = text_line(&data) {
            // Most lines of a stream; the field-by-field reading below gives the same chunk, slower.
            let chunk = self.text_line(line);
            return pass(chunk, event.pos, sink).map(|()| Flow::Continue);
        }
        self.general(&data, event.pos, sink)
    }
}

impl OllamaDecoder {
    /// A line (not blank) read field by field.
    pub(super) fn general(&mut self, data: &str, pos: Pos, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let line = Obj::parse(data).map_err(|bad| bad.at(pos, "ollama"))?;
        if line.has("error") {
            return Err(provider_error(pos, "", data));
        }
        let step = self.line(&line).map_err(|bad| bad.at(pos, "ollama"))?;
        step.emit(pos, sink)
    }

    /// A line `text_line` read: the same steps as `line` for a line that is not done and calls no tools.
    fn text_line(&mut self, line: TextLine<'_>) -> Option<Chunk> {
        if let Some(model) = line.model {
            self.header.set_model(&model);
        }
        let mut content = String::new();
        let mut reasoning = String::new();
        if let Some(thinking) = line.thinking {
            reasoning.push_str(&thinking);
        }
        self.think.feed(&line.content.unwrap_or_default(), &mut content, &mut reasoning);
        let delta = Delta {
            content: (!content.is_empty()).then_some(content),
            reasoning_content: (!reasoning.is_empty()).then_some(reasoning),
            ..Delta::default()
        };
        self.header.one(delta, None, None)
    }

    fn line(&mut self, line: &Obj<'_>) -> R<Step> {
        if let Some(model) = line.str("model")? {
            self.header.set_model(&model);
        }
        let done = line.bool("done")? == Some(true);
        let mut content = String::new();
        let mut reasoning = String::new();
        let mut delta = Delta::default();
        if let Some(message) = line.obj("message")? {
            if let Some(thinking) = message.str("thinking")? {
                reasoning.push_str(&thinking);
            }
            let text = message.str("content")?.unwrap_or_default();
            self.think.feed(&text, &mut content, &mut reasoning);
            let calls = objects(&message.list("tool_calls")?.unwrap_or_default(), "tool_calls")?;
            delta.tool_calls = self.tool_calls(&calls)?;
        }
        let mut finish = None;
        let mut usage = None;
        if done {
            self.think.flush(&mut content, &mut reasoning);
            let reason = line.str("done_reason")?.filter(|r| !r.is_empty());
            let mapped = FinishReason::map(reason.as_deref().unwrap_or("stop")).unwrap_or(FinishReason::Stop);
            finish = Some(if self.tools > 0 && mapped == FinishReason::Stop {
                FinishReason::ToolCalls
            } else {
                mapped
            });
            let prompt = line.int("prompt_eval_count")?;
            let completion = line.int("eval_count")?;
            if prompt.is_some() || completion.is_some() {
                let json = UsageJson {
                    prompt: prompt.unwrap_or(0),
                    completion: completion.unwrap_or(0),
                    ..UsageJson::default()
                };
                usage = Some(json.json());
            }
        }
        delta.content = (!content.is_empty()).then_some(content);
        delta.reasoning_content = (!reasoning.is_empty()).then_some(reasoning);
        let chunk = self.header.one(delta, finish, usage);
        Ok(if done { Step::End(chunk) } else { Step::Chunk(chunk) })
    }

    /// A message's calls, whole (Ollama does not stream them), numbered across the stream.
    fn tool_calls(&mut self, calls: &[Obj<'_>]) -> R<Option<Vec<ToolCall>>> {
        let mut out = Vec::with_capacity(calls.len());
        for call in calls {
            let function = call.obj("function")?;
            let (name, arguments) = match &function {
                Some(function) => (function.string("name")?, arguments(function)?),
                None => (None, Arguments::Text("{}".to_owned())),
            };
            let id = match call.string("id")?.filter(|id| !id.is_empty()) {
                Some(id) => id,
                None => self.header.tool_id(self.tools),
            };
            out.push(super::to_openai::tool_start(self.tools, Some(id), name, arguments));
            self.tools += 1;
        }
        Ok((!out.is_empty()).then_some(out))
    }
}

/// What a line that is not done and calls no tools holds.
pub(super) struct TextLine<'a> {
    model: Option<Cow<'a, str>>,
    content: Option<Cow<'a, str>>,
    thinking: Option<Cow<'a, str>>,
}

/// A line read in one pass when it is the usual one, `{"model":...,"created_at":...,"message":{"role":
/// "assistant","content":...},"done":false}` (with `thinking` or other keys besides); `None` for any other
/// line (done, an error, tool calls, a repeated or escaped key, a value of another type, not JSON), which
/// `line` reads, so both give the same chunk and the same errors (about 2,000 instructions a line here
/// against 6,500, by callgrind on the bench's Ollama workload). The pure-Python twin reads field by field:
/// `python/rillm/_fallback/decode/ollama.py`.
pub(super) fn text_line(data: &str) -> Option<TextLine<'_>> {
    let mut p = Parser::new(data);
    let mut line = TextLine {
        model: None,
        content: None,
        thinking: None,
    };
    let (mut model, mut message, mut done) = (false, false, false);
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "model" if !model => {
                line.model = p.cow().ok()?;
                model = true;
            }
            "message" if !message => {
                message_text(&mut p, &mut line)?;
                message = true;
            }
            // Only a line that is not done: the done line carries the finish and the usage.
            "done" if !done => {
                if p.any().ok()? != "false" {
                    return None;
                }
                done = true;
            }
            "model" | "message" | "done" | "error" => return None,
            _ if k.escaped() => return None,
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    p.finish().ok()?;
    (message && done).then_some(line)
}

/// The `message` object of a text line: its `content` and `thinking` (strings or null); no tool calls.
fn message_text<'a>(p: &mut Parser<'a>, line: &mut TextLine<'a>) -> Option<()> {
    let (mut content, mut thinking) = (false, false);
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "content" if !content => {
                line.content = p.cow().ok()?;
                content = true;
            }
            "thinking" if !thinking => {
                line.thinking = p.cow().ok()?;
                thinking = true;
            }
            "content" | "thinking" | "tool_calls" => return None,
            _ if k.escaped() => return None,
            _ => {
                p.any().ok()?;
            }
        }
        key = p.next_key().ok()?;
    }
    Some(())
}

/// A call's arguments: an object as JSON, a string as it is, none as `{}`.
fn arguments(function: &Obj<'_>) -> R<Arguments> {
    Ok(match function.get("arguments") {
        Some(raw) if raw.starts_with('"') => Arguments::Text(function.string("arguments")?.unwrap_or_default()),
        Some(_) => Arguments::Value(Json(function.raw_obj("arguments")?.unwrap_or("{}").into())),
        None => Arguments::Text("{}".to_owned()),
    })
}

/// Splits content on `<think>` ... `</think>`, holding back the start of a tag split across lines.
#[derive(Debug, Default)]
struct ThinkTags {
    inside: bool,
    held: String,
}

impl ThinkTags {
    fn feed(&mut self, text: &str, content: &mut String, reasoning: &mut String) {
        if self.held.is_empty() && memchr::memchr(b'<', text.as_bytes()).is_none() {
            // No tag starts in this text (the loop below would say so, slower): it goes where the last
            // tag left off.
            let target = if self.inside { reasoning } else { content };
            target.push_str(text);
            return;
        }
        let mut buffer = std::mem::take(&mut self.held);
        buffer.push_str(text);
        let mut rest = buffer.as_str();
        loop {
            let tag = if self.inside { "</think>" } else { "<think>" };
            let target = if self.inside { &mut *reasoning } else { &mut *content };
            if let Some(at) = rest.find(tag) {
                target.push_str(&rest[..at]);
                rest = &rest[at + tag.len()..];
                self.inside = !self.inside;
                continue;
            }
            let hold = (1..tag.len())
                .rev()
                .find(|&n| {
                    n <= rest.len() && rest.is_char_boundary(rest.len() - n) && tag.starts_with(&rest[rest.len() - n..])
                })
                .unwrap_or(0);
            target.push_str(&rest[..rest.len() - hold]);
            rest[rest.len() - hold..].clone_into(&mut self.held);
            return;
        }
    }

    /// At the end of the stream: held text is what it looked like.
    fn flush(&mut self, content: &mut String, reasoning: &mut String) {
        let held = std::mem::take(&mut self.held);
        if self.inside {
            reasoning.push_str(&held);
        } else {
            content.push_str(&held);
        }
    }
}
