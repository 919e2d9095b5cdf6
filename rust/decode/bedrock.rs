//! Bedrock's streams, in AWS event-stream frames: `ConverseStream` events, and
//! `InvokeModelWithResponseStream` `chunk` events whose base64 `bytes` hold an Anthropic Messages event
//! (decoded by the Anthropic dialect). Twin: `python/rillm/_fallback/decode/bedrock.py`.
//!
//! Converse events, by `:event-type`: `messageStart` opens the message; `contentBlockStart` with a
//! `toolUse` starts a tool call (the index counts tool blocks from 0); `contentBlockDelta` carries `text`,
//! `toolUse.input` argument fragments, `reasoningContent` (`text` as reasoning and a thinking block,
//! `signature` as a signed block, `redactedContent` as a redacted one) and `citation`/`citationsContent`
//! (`provider_specific_fields.citation`); `contentBlockStop` gives a tool call that streamed no input
//! `{}`; `messageStop` has the finish reason; `metadata` has the usage (prompt = input + cache-read +
//! cache-write tokens) and a guardrail `trace` (chunk-level `provider_specific_fields.trace`), in a chunk
//! without choices, and ends the stream. Exception frames (`throttlingException`, `validationException`,
//! `modelStreamErrorException`, ...) raise the provider's error, named by the exception type.

use base64::Engine as _;

use super::anthropic::AnthropicDecoder;
use super::fields::{child, Bad, Obj, R};
use super::dialect::{pass, provider_error, Dialect, Step};
use super::to_openai::{
    block_object, content, nonempty, opening, single, tool_arguments, tool_delta, tool_start, Header,
    Tools, UsageJson,
};
use super::{Options, Sink};
use crate::chunk::{Arguments, Delta, FinishReason, Json};
use crate::error::Error;
use crate::framing::{Event, Flow, Framing};
use crate::json::{trim_json_ws, utf8_lossy, Parser};

#[derive(Debug)]
pub(crate) struct BedrockDecoder {
    header: Header,
    tools: Tools,
    /// The invoke stream's Anthropic events.
    invoke: AnthropicDecoder,
    stopped: bool,
}

/// Standard base64 with padding; like Python's `b64decode(validate=True)`, it ignores unused low bits.
const BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

impl Dialect for BedrockDecoder {
    const NAME: &'static str = "bedrock";
    const FRAMING: Framing = Framing::EventStream;
    const TERMINATOR: &'static str = "before messageStop (or, for an invoke stream, message_stop)";
    const NEEDS_ID: bool = true;

    fn new(options: &Options) -> Self {
        BedrockDecoder {
            header: Header::new(options),
            tools: Tools::default(),
            invoke: AnthropicDecoder::new(options),
            stopped: false,
        }
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if event.exception {
            return Err(provider_error(event.pos, &String::from_utf8_lossy(event.kind), &data));
        }
        if event.kind == b"chunk" {
            let text = invoke_payload(&data).map_err(|bad| bad.at(event.pos, "bedrock"))?;
            return self.invoke.decode_text(&text, b"", event.pos, sink);
        }
        if event.kind == b"contentBlockDelta" {
            if let Some(text) = text_delta(&data) {
                // Most events of a stream; the general path below gives the same chunk, slower.
                let chunk = (!text.is_empty()).then(|| self.header.one(content(text), None, None));
                return pass(chunk.flatten(), event.pos, sink).map(|()| Flow::Continue);
            }
        }
        if trim_json_ws(&data).is_empty() {
            return Ok(Flow::Continue);
        }
        let payload = Obj::parse(&data).map_err(|bad| bad.at(event.pos, "bedrock"))?;
        let kind = String::from_utf8_lossy(event.kind);
        let step = self
            .converse(&kind, &payload)
            .map_err(|bad| bad.at(event.pos, "bedrock"))?;
        step.emit(event.pos, sink)
    }

    /// A converse stream may end after `messageStop` when its `metadata` never comes.
    fn complete(&self) -> bool {
        self.stopped
    }
}

impl BedrockDecoder {
    fn converse(&mut self, kind: &str, payload: &Obj<'_>) -> R<Step> {
        let index = payload.int("contentBlockIndex")?.unwrap_or(0);
        let delta = match kind {
            "contentBlockDelta" => match payload.obj("delta")? {
                Some(delta) => Some(self.block_delta(index, &delta)?),
                None => None,
            },
            "messageStart" => Some(opening()),
            "contentBlockStart" => match child(payload.obj("start")?.as_ref(), "toolUse")? {
                Some(tool_use) => {
                    let tool = self.tools.start(index);
                    let id = tool_use.string("toolUseId")?;
                    let call = tool_start(tool, id, tool_use.string("name")?, Arguments::default());
                    Some(tool_delta(call))
                }
                None => None,
            },
            "contentBlockStop" => self
                .tools
                .without_arguments(index)
                .map(|tool| tool_delta(tool_arguments(tool, "{}".to_owned()))),
            "messageStop" => {
                self.stopped = true;
                let reason = payload.str("stopReason")?;
                let finish = reason
                    .as_deref()
                    .and_then(FinishReason::map)
                    .or(Some(FinishReason::Stop));
                return Ok(Step::Chunk(self.header.one(Delta::default(), finish, None)));
            }
            "metadata" => {
                let usage = match payload.obj("usage")? {
                    Some(usage) => Some(converse_usage(&usage)?),
                    None => None,
                };
                let trace = payload.get("trace").map(|raw| single("trace", raw));
                return Ok(Step::End(self.header.chunk(Vec::new(), usage, trace)));
            }
            _ => None,
        };
        Ok(Step::Chunk(delta.and_then(|delta| self.header.one(delta, None, None))))
    }

    fn block_delta(&mut self, index: i64, delta: &Obj<'_>) -> R<Delta> {
        let mut out = match nonempty(delta.str("text")?) {
            Some(text) => content(text),
            None => Delta::default(),
        };
        if let Some(tool_use) = delta.obj("toolUse")? {
            if let Some(fragment) = nonempty(tool_use.str("input")?) {
                if let Some(tool) = self.tools.arguments(index) {
                    out.tool_calls = Some(vec![tool_arguments(tool, fragment)]);
                }
            }
        }
        if let Some(thinking) = delta.obj("reasoningContent")? {
            let mut blocks: Vec<String> = Vec::new();
            if let Some(text) = nonempty(thinking.str("text")?) {
                blocks.push(block_object("thinking", "thinking", &text, None));
                out.reasoning_content = Some(text);
            }
            if let Some(sig) = nonempty(thinking.str("signature")?) {
                blocks.push(block_object("thinking", "thinking", "", Some(&sig)));
            }
            if let Some(data) = nonempty(thinking.str("redactedContent")?) {
                blocks.push(block_object("redacted_thinking", "data", &data, None));
            }
            if !blocks.is_empty() {
                out.rare_mut().thinking_blocks = Some(Json(format!("[{}]", blocks.join(",")).into_boxed_str()));
            }
        }
        for key in ["citation", "citationsContent"] {
            if let Some(raw) = delta.get(key) {
                out.rare_mut().provider_specific_fields = Some(single("citation", raw));
            }
        }
        Ok(out)
    }
}

/// The text of the `contentBlockDelta` most of a stream is made of, `{"contentBlockIndex":N,
/// "delta":{"text":"..."}, ...}` (other top-level keys, such as the `p` padding, skipped; a repeated key's
/// last value), read in one pass without building objects. `None` for anything else, which then takes the
/// general path.
fn text_delta(data: &str) -> Option<String> {
    let mut p = Parser::new(data);
    let mut text = None;
    let mut key = p.first_key().ok()?;
    while let Some(k) = key {
        match k.raw {
            // Any integer or null: which block a text delta belongs to changes nothing.
            "contentBlockIndex" => drop(p.int().ok()?),
            "delta" => {
                let mut inner = p.first_key().ok()?;
                let mut value = None;
                while let Some(k) = inner {
                    if k.raw != "text" {
                        return None;
                    }
                    value = Some(p.cow().ok()??.into_owned());
                    inner = p.next_key().ok()?;
                }
                text = Some(value?);
            }
            raw if raw.contains('\\') => return None,
            _ => drop(p.any().ok()?),
        }
        key = p.next_key().ok()?;
    }
    p.finish().ok()?;
    text
}

/// The Anthropic event inside an invoke `chunk`: `{"bytes": base64}`.
fn invoke_payload(data: &str) -> R<String> {
    let chunk = Obj::parse(data)?;
    let encoded = chunk
        .str("bytes")?
        .ok_or_else(|| Bad("`bytes`: expected a string".to_owned()))?;
    let bytes = BASE64
        .decode(encoded.as_bytes())
        .map_err(|_| Bad("`bytes`: invalid base64".to_owned()))?;
    Ok(utf8_lossy(&bytes).into_owned())
}

fn converse_usage(usage: &Obj<'_>) -> R<Json> {
    let input = usage.int("inputTokens")?.unwrap_or(0);
    let read = usage.int("cacheReadInputTokens")?.unwrap_or(0);
    let write = usage.int("cacheWriteInputTokens")?.unwrap_or(0);
    let json = UsageJson {
        prompt: input.saturating_add(read).saturating_add(write),
        completion: usage.int("outputTokens")?.unwrap_or(0),
        prompt_details: vec![
            ("cached_tokens", read),
            ("cache_creation_tokens", write),
            ("text_tokens", input),
        ],
        ..UsageJson::default()
    };
    Ok(json.json())
}
