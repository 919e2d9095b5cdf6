//! Anthropic's Messages stream (also served by Vertex AI, and wrapped by Bedrock's invoke stream).
//! Twin: `python/rillm/_fallback/decode/anthropic.py`.
//!
//! Events are dispatched on the JSON `type` (the SSE `event:` name only stands in when a payload has
//! none, so a proxy that drops `event:` lines changes nothing); `event: error` is always an error.
//! - `message_start`: the message id and served model become every chunk's; a chunk opens the message
//!   (`role`, empty content) with the usage so far.
//! - `content_block_start`: non-empty text or thinking; a `tool_use` block starts a tool call (the tool
//!   index counts tool blocks from 0); `redacted_thinking` is a thinking block; a `*_tool_result` block
//!   goes to `provider_specific_fields` (`web_search_results` or `tool_results`).
//! - `content_block_delta`: `text_delta` content; `input_json_delta` argument fragments; `thinking_delta`
//!   reasoning plus a thinking block; `signature_delta` a signed thinking block; `citations_delta`
//!   `provider_specific_fields.citation`.
//! - `content_block_stop`: a tool block that streamed no arguments gets its start `input` (when not
//!   empty) or `{}`.
//! - A `server_tool_use` block (a web search or code run Anthropic performs itself) is not a tool call the
//!   client should run: its input fragments are collected and the whole block goes to
//!   `provider_specific_fields.server_tool_use` at its stop. (LiteLLM streams it as a tool call and then
//!   finishes with `tool_calls`, which sends clients to re-run a search Anthropic already ran.)
//! - `message_delta`: the finish reason (a refusal also carries `stop_details.explanation` as the refusal
//!   text) and the usage, cumulative over `message_start`'s.
//! - `message_stop` ends the stream; `ping` and unknown types are ignored; `error` raises.
//!
//! Usage: `prompt_tokens` is input plus cache-creation plus cache-read tokens, as LiteLLM counts it;
//! `prompt_tokens_details` has `cached_tokens` (read), `cache_creation_tokens` and `text_tokens`;
//! `output_tokens_details.thinking_tokens` is `completion_tokens_details.reasoning_tokens`.

use super::fields::{is_nonempty_object, Bad, Obj, R};
use super::dialect::{pass, provider_error, Dialect, Step};
use super::to_openai::{
    nonempty, opening, provider_field, reasoning, redacted, signature, single, tool_arguments,
    tool_delta, tool_start, Header, Tools, UsageJson,
};
use super::{Options, Sink};
use crate::chunk::{Arguments, Chunk, Delta, FinishReason, Json};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framing};
use crate::json::{is_complete_json, push_json_string, trim_json_ws, utf8_lossy, ObjectBuilder, Parser};

#[derive(Debug)]
pub(crate) struct AnthropicDecoder {
    header: Header,
    /// Tool blocks by content-block index, with the `input` their start carried when it was not empty.
    tool_blocks: Vec<(i64, Option<String>)>,
    tools: Tools,
    /// Server tool blocks by content-block index.
    server_tools: Vec<ServerTool>,
    usage: Counts,
}

#[derive(Debug)]
struct ServerTool {
    index: i64,
    id: Option<String>,
    name: Option<String>,
    /// The start's `input` object.
    input: Option<String>,
    fragments: String,
}

/// The usage counts reported so far (`message_delta`'s are cumulative and may omit some).
#[derive(Debug, Default)]
struct Counts {
    input: Option<i64>,
    output: Option<i64>,
    cache_creation: Option<i64>,
    cache_read: Option<i64>,
    thinking: Option<i64>,
    server_tool_use: Option<String>,
    /// Whether any usage arrived.
    seen: bool,
}

impl Dialect for AnthropicDecoder {
    const NAME: &'static str = "anthropic";
    const FRAMING: Framing = Framing::Auto;
    const TERMINATOR: &'static str = "before message_stop";
    const NEEDS_ID: bool = true;

    fn new(options: &Options) -> Self {
        AnthropicDecoder {
            header: Header::new(options),
            tool_blocks: Vec::new(),
            tools: Tools::default(),
            server_tools: Vec::new(),
            usage: Counts::default(),
        }
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        self.decode_text(&data, event.kind, event.pos, sink)
    }
}

impl AnthropicDecoder {
    /// One event's payload; `name` is its SSE event name.
    pub(crate) fn decode_text(
        &mut self,
        data: &str,
        name: &[u8],
        pos: Pos,
        sink: &mut Sink<'_>,
    ) -> Result<Flow, Error> {
        if name == b"error" {
            return Err(provider_error(pos, "error", data));
        }
        if let Some(text) = text_delta(data) {
            // Most events of a stream; the general path below gives the same chunk, slower.
            let chunk = (!text.is_empty()).then(|| self.header.one(super::to_openai::content(text), None, None));
            return pass(chunk.flatten(), pos, sink).map(|()| Flow::Continue);
        }
        if trim_json_ws(data).is_empty() {
            return Ok(Flow::Continue);
        }
        let step = self.step(data, name).map_err(|bad| bad.at(pos, "anthropic"))?;
        step.emit(pos, sink)
    }

    fn step(&mut self, data: &str, name: &[u8]) -> R<Step> {
        let event = Obj::parse(data)?;
        let kind = match event.str("type")? {
            Some(kind) => kind,
            None if !name.is_empty() => String::from_utf8_lossy(name),
            None => return Err(Bad("expected an event with a `type`".to_owned())),
        };
        let chunk = match &*kind {
            "content_block_delta" => self.block_delta(&event)?,
            "message_start" => self.message_start(&event)?,
            "content_block_start" => self.block_start(&event)?,
            "content_block_stop" => self.block_stop(&event)?,
            "message_delta" => self.message_delta(&event)?,
            "message_stop" => return Ok(Step::End(None)),
            "error" => return Ok(Step::failed("error", data)),
            _ => None,
        };
        Ok(Step::Chunk(chunk))
    }

    fn message_start(&mut self, event: &Obj<'_>) -> R<Option<Chunk>> {
        let mut usage = None;
        if let Some(message) = event.obj("message")? {
            if let Some(id) = message.str("id")? {
                self.header.set_id(&id);
            }
            if let Some(model) = message.str("model")? {
                self.header.set_model(&model);
            }
            if let Some(counts) = message.obj("usage")? {
                self.usage.update(&counts)?;
                usage = Some(self.usage.json());
            }
        }
        Ok(self.header.one(opening(), None, usage))
    }

    fn block_start(&mut self, event: &Obj<'_>) -> R<Option<Chunk>> {
        let index = event.int("index")?.unwrap_or(0);
        let Some(raw) = event.raw_obj("content_block")? else {
            return Err(Bad("`content_block`: expected an object".to_owned()));
        };
        let block = Obj::parse(raw)?;
        let kind = block.str("type")?.unwrap_or_default();
        let delta = match &*kind {
            "text" => nonempty(block.str("text")?).map(super::to_openai::content),
            "thinking" => nonempty(block.str("thinking")?).map(|text| reasoning(text, true)),
            "server_tool_use" => {
                self.server_tools.retain(|t| t.index != index);
                self.server_tools.push(ServerTool {
                    index,
                    id: block.string("id")?,
                    name: block.string("name")?,
                    input: block.raw_obj("input")?.map(str::to_owned),
                    fragments: String::new(),
                });
                None
            }
            "tool_use" => {
                let input = block.raw_obj("input")?.filter(|raw| is_nonempty_object(raw));
                let tool = self.tools.start(index);
                self.tool_blocks.retain(|(i, _)| *i != index);
                self.tool_blocks.push((index, input.map(str::to_owned)));
                let call = tool_start(
                    tool,
                    block.string("id")?,
                    block.string("name")?,
                    Arguments::Text(String::new()),
                );
                Some(tool_delta(call))
            }
            "redacted_thinking" => Some(redacted(&block.str("data")?.unwrap_or_default())),
            "web_search_tool_result" | "web_fetch_tool_result" => {
                Some(provider_field("web_search_results", &format!("[{raw}]")))
            }
            kind if kind.ends_with("_tool_result") => Some(provider_field("tool_results", &format!("[{raw}]"))),
            _ => None,
        };
        Ok(delta.and_then(|delta| self.header.one(delta, None, None)))
    }

    fn block_delta(&mut self, event: &Obj<'_>) -> R<Option<Chunk>> {
        let index = event.int("index")?.unwrap_or(0);
        let Some(delta) = event.obj("delta")? else {
            return Ok(None);
        };
        let kind = delta.str("type")?.unwrap_or_default();
        let out = match &*kind {
            "text_delta" => nonempty(delta.str("text")?).map(super::to_openai::content),
            "input_json_delta" => match nonempty(delta.str("partial_json")?) {
                Some(fragment) if self.server_tools.iter().any(|t| t.index == index) => {
                    if let Some(tool) = self.server_tools.iter_mut().find(|t| t.index == index) {
                        tool.fragments.push_str(&fragment);
                    }
                    None
                }
                Some(fragment) if self.is_tool_block(index) => self
                    .tools
                    .arguments(index)
                    .map(|tool| tool_delta(tool_arguments(tool, fragment))),
                _ => None,
            },
            "thinking_delta" => nonempty(delta.str("thinking")?).map(|text| reasoning(text, true)),
            "signature_delta" => nonempty(delta.str("signature")?).map(|sig| signature(&sig)),
            "citations_delta" => delta.get("citation").map(|raw| provider_field("citation", raw)),
            _ => None,
        };
        Ok(out.and_then(|delta| self.header.one(delta, None, None)))
    }

    fn block_stop(&mut self, event: &Obj<'_>) -> R<Option<Chunk>> {
        let index = event.int("index")?.unwrap_or(0);
        if let Some(at) = self.server_tools.iter().position(|t| t.index == index) {
            let tool = self.server_tools.remove(at);
            let delta = provider_field("server_tool_use", &format!("[{}]", tool.json()));
            return Ok(self.header.one(delta, None, None));
        }
        let Some(at) = self.tool_blocks.iter().position(|(i, _)| *i == index) else {
            return Ok(None);
        };
        let (_, input) = self.tool_blocks.remove(at);
        let Some(tool) = self.tools.without_arguments(index) else {
            return Ok(None);
        };
        let arguments = match input {
            Some(raw) => Arguments::Value(Json(raw.into_boxed_str())),
            None => Arguments::Text("{}".to_owned()),
        };
        Ok(self
            .header
            .one(tool_delta(tool_start(tool, None, None, arguments)), None, None))
    }

    fn message_delta(&mut self, event: &Obj<'_>) -> R<Option<Chunk>> {
        let mut out = Delta::default();
        let mut finish = Some(FinishReason::Stop);
        if let Some(delta) = event.obj("delta")? {
            let stop = delta.str("stop_reason")?;
            let details = delta.raw_obj("stop_details")?;
            if let Some(stop) = stop.as_deref() {
                finish = FinishReason::map(stop).or(finish);
            }
            let stop_raw = delta.get("stop_reason").unwrap_or("null");
            let refusal = stop.as_deref() == Some("refusal");
            if let Some(details) = details {
                if refusal {
                    let explanation = Obj::parse(details)?.str("explanation")?;
                    out.rare_mut().refusal = nonempty(explanation);
                }
                let mut fields = ObjectBuilder::default();
                fields.push_named("stop_reason", stop_raw);
                fields.push_named("stop_details", details);
                out.rare_mut().provider_specific_fields = fields.finish();
            } else if refusal || stop.as_deref() == Some("pause_turn") {
                out.rare_mut().provider_specific_fields = Some(single("stop_reason", stop_raw));
            }
        }
        if let Some(counts) = event.obj("usage")? {
            self.usage.update(&counts)?;
        }
        let usage = self.usage.seen.then(|| self.usage.json());
        Ok(self.header.one(out, finish, usage))
    }

    fn is_tool_block(&self, index: i64) -> bool {
        self.tool_blocks.iter().any(|(i, _)| *i == index)
    }
}

/// The text of the event most of a stream is made of, `{"type":"content_block_delta","index":N,
/// "delta":{"type":"text_delta","text":"..."}}` (keys in any order, a repeated key's last value), read in
/// one pass without building objects. `None` for anything else, which then takes the general path.
fn text_delta(data: &str) -> Option<String> {
    let mut p = Parser::new(data);
    let mut kind_ok = false;
    let mut text = None;
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "type" => kind_ok = p.cow().ok()?.is_some_and(|kind| kind == "content_block_delta"),
            // Any integer or null: which block a text delta belongs to changes nothing.
            "index" => drop(p.int().ok()?),
            "delta" => text = Some(delta_text(&mut p)?),
            _ => return None,
        }
        key = p.next_key().ok()?;
    }
    p.finish().ok()?;
    if kind_ok {
        text
    } else {
        None
    }
}

/// `{"type":"text_delta","text":"..."}` and nothing else: its text.
fn delta_text(p: &mut Parser<'_>) -> Option<String> {
    let mut kind_ok = false;
    let mut text = None;
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            "type" => kind_ok = p.cow().ok()?.is_some_and(|kind| kind == "text_delta"),
            "text" => text = Some(p.cow().ok()??.into_owned()),
            _ => return None,
        }
        key = p.next_key().ok()?;
    }
    if kind_ok {
        text
    } else {
        None
    }
}

impl ServerTool {
    /// The block as Anthropic's non-streaming response has it; the input is the collected fragments when
    /// they are one JSON value, else the start's input, else `{}`.
    fn json(&self) -> String {
        let mut out = String::from(r#"{"type":"server_tool_use","id":"#);
        push_optional(&mut out, self.id.as_deref());
        out.push_str(r#","name":"#);
        push_optional(&mut out, self.name.as_deref());
        out.push_str(r#","input":"#);
        if is_complete_json(&self.fragments) {
            out.push_str(&self.fragments);
        } else {
            out.push_str(self.input.as_deref().unwrap_or("{}"));
        }
        out.push('}');
        out
    }
}

fn push_optional(out: &mut String, text: Option<&str>) {
    match text {
        Some(text) => push_json_string(out, text),
        None => out.push_str("null"),
    }
}

impl Counts {
    fn update(&mut self, usage: &Obj<'_>) -> R<()> {
        self.seen = true;
        for (name, slot) in [
            ("input_tokens", &mut self.input),
            ("output_tokens", &mut self.output),
            ("cache_creation_input_tokens", &mut self.cache_creation),
            ("cache_read_input_tokens", &mut self.cache_read),
        ] {
            if let Some(count) = usage.int(name)? {
                *slot = Some(count);
            }
        }
        if let Some(details) = usage.obj("output_tokens_details")? {
            if let Some(count) = details.int("thinking_tokens")? {
                self.thinking = Some(count);
            }
        }
        if let Some(raw) = usage.raw_obj("server_tool_use")? {
            self.server_tool_use = Some(raw.to_owned());
        }
        Ok(())
    }

    fn json(&self) -> Json {
        let input = self.input.unwrap_or(0);
        let creation = self.cache_creation.unwrap_or(0);
        let read = self.cache_read.unwrap_or(0);
        let mut usage = UsageJson {
            prompt: input.saturating_add(creation).saturating_add(read),
            completion: self.output.unwrap_or(0),
            prompt_details: vec![
                ("cached_tokens", read),
                ("cache_creation_tokens", creation),
                ("text_tokens", input),
            ],
            completion_details: self.thinking.map(|n| ("reasoning_tokens", n)).into_iter().collect(),
            extras: vec![
                ("cache_creation_input_tokens", creation.to_string()),
                ("cache_read_input_tokens", read.to_string()),
            ],
            ..UsageJson::default()
        };
        if let Some(raw) = &self.server_tool_use {
            usage.extras.push(("server_tool_use", raw.clone()));
        }
        usage.json()
    }
}
