//! What the non-`OpenAI` dialects (Anthropic, Cohere, Gemini, Ollama, Bedrock) share to build
//! OpenAI-shaped chunks, besides reading fields (`fields.rs`): the stream-wide chunk header, usage and
//! thinking blocks in `OpenAI`'s shape, and tool calls. Twin: `python/rillm/_fallback/decode/to_openai.py`.
//!
//! Rules every one of these dialects follows: one event yields at most one chunk, and only when it carries
//! something (a role, text, a tool call, thinking blocks, provider fields, a finish reason or usage); the
//! first chunk of the stream carries `role: "assistant"`.

use std::borrow::Cow;

use super::Options;
use crate::chunk::{Arguments, Choice, Chunk, Delta, FinishReason, Function, Json, Shared, ToolCall, Usage};
use crate::json::{push_json_string, ObjectBuilder};

/// The stream-wide part of every chunk: id, model and time, and whether the role was sent yet.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) id: Shared,
    pub(crate) model: Shared,
    created: i64,
    role_sent: bool,
}

impl Header {
    pub(crate) fn new(options: &Options) -> Self {
        Header {
            id: options.id.as_str().into(),
            model: options.model.as_str().into(),
            created: options.created,
            role_sent: false,
        }
    }

    /// The provider's id for the response (an empty one is ignored).
    pub(crate) fn set_id(&mut self, id: &str) {
        if !id.is_empty() && *self.id != *id {
            self.id = id.into();
        }
    }

    pub(crate) fn set_model(&mut self, model: &str) {
        if !model.is_empty() && *self.model != *model {
            self.model = model.into();
        }
    }

    /// A tool-call id for a provider that sends none: `call_<stream id>_<index>`, the stream id without its
    /// `chatcmpl-` prefix (`index` is the call's index, or `<choice>_<index>` beyond the first choice).
    /// Unique per stream and the same on both backends.
    pub(crate) fn tool_id(&self, index: impl std::fmt::Display) -> String {
        let id = self.id.strip_prefix("chatcmpl-").unwrap_or(&self.id);
        format!("call_{id}_{index}")
    }

    /// A chunk of one choice (index 0), when it carries something.
    pub(crate) fn one(&mut self, delta: Delta, finish: Option<FinishReason>, usage: Option<Json>) -> Option<Chunk> {
        let choice = Choice {
            index: 0,
            delta,
            finish_reason: finish,
            logprobs: None,
            extras: None,
        };
        self.chunk(vec![choice], usage, None)
    }

    /// A chunk, when it carries something; the first one gets the role.
    pub(crate) fn chunk(&mut self, mut choices: Vec<Choice>, usage: Option<Json>, psf: Option<Json>) -> Option<Chunk> {
        if usage.is_none() && psf.is_none() && !choices.iter().any(|c| c.finish_reason.is_some() || carries(&c.delta)) {
            return None;
        }
        if !self.role_sent {
            if let Some(first) = choices.first_mut() {
                first.delta.role = Some("assistant".to_owned());
                self.role_sent = true;
            }
        }
        Some(Chunk {
            id: self.id.clone(),
            created: self.created,
            model: self.model.clone(),
            system_fingerprint: None,
            service_tier: None,
            choices,
            usage: usage.map(Usage::checked),
            citations: None,
            provider_specific_fields: psf,
            extras: None,
        })
    }

    /// Whether the role went out yet (Gemini gives each candidate its own).
    pub(crate) fn mark_role_sent(&mut self) {
        self.role_sent = true;
    }
}

/// Whether a delta says anything: a role, non-empty text, a tool call or a rare field.
pub(crate) fn carries(delta: &Delta) -> bool {
    let text = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.is_empty());
    delta.role.is_some()
        || text(&delta.content)
        || text(&delta.reasoning_content)
        || delta.tool_calls.is_some()
        || delta.rare.as_ref().is_some_and(|r| {
            text(&r.refusal)
                || r.function_call.is_some()
                || r.thinking_blocks.is_some()
                || r.provider_specific_fields.is_some()
                || r.annotations.is_some()
        })
}

/// Non-empty text, or `None`.
pub(crate) fn nonempty(text: Option<Cow<'_, str>>) -> Option<String> {
    text.filter(|t| !t.is_empty()).map(Cow::into_owned)
}

/// A delta with just this content.
pub(crate) fn content(text: String) -> Delta {
    Delta {
        content: Some(text),
        ..Delta::default()
    }
}

/// The first delta of a stream that opens with an empty message: `{"role": "assistant", "content": ""}`
/// (a chunk of its own even when nothing else comes with it).
pub(crate) fn opening() -> Delta {
    Delta {
        role: Some("assistant".to_owned()),
        content: Some(String::new()),
        ..Delta::default()
    }
}

/// A delta with reasoning text and, for providers whose thinking is signed, its thinking block.
pub(crate) fn reasoning(text: String, block: bool) -> Delta {
    let mut delta = Delta::default();
    if block {
        delta.rare_mut().thinking_blocks = Some(thinking_block("thinking", "thinking", &text, None));
    }
    delta.reasoning_content = Some(text);
    delta
}

/// A delta with one thinking block: `{"type":"thinking","thinking":"","signature":...}` or
/// `{"type":"redacted_thinking","data":...}`.
pub(crate) fn signature(signature: &str) -> Delta {
    let mut delta = Delta::default();
    delta.rare_mut().thinking_blocks = Some(thinking_block("thinking", "thinking", "", Some(signature)));
    delta
}

pub(crate) fn redacted(data: &str) -> Delta {
    let mut delta = Delta::default();
    delta.rare_mut().thinking_blocks = Some(thinking_block("redacted_thinking", "data", data, None));
    delta
}

fn thinking_block(kind: &str, field: &str, text: &str, signature: Option<&str>) -> Json {
    Json(format!("[{}]", block_object(kind, field, text, signature)).into_boxed_str())
}

/// One thinking block: `{"type": kind, field: text}`, with a signature when given.
pub(crate) fn block_object(kind: &str, field: &str, text: &str, signature: Option<&str>) -> String {
    let mut out = format!(r#"{{"type":"{kind}","{field}":"#);
    push_json_string(&mut out, text);
    if let Some(signature) = signature {
        out.push_str(r#","signature":"#);
        push_json_string(&mut out, signature);
    }
    out.push('}');
    out
}

/// A delta whose `provider_specific_fields` is `{name: raw}`.
pub(crate) fn provider_field(name: &'static str, raw: &str) -> Delta {
    let mut delta = Delta::default();
    delta.rare_mut().provider_specific_fields = Some(single(name, raw));
    delta
}

/// `{name: raw}`.
pub(crate) fn single(name: &'static str, raw: &str) -> Json {
    let mut fields = ObjectBuilder::default();
    fields.push_named(name, raw);
    fields.finish().unwrap_or_else(|| Json("{}".into()))
}

/// `[raw, ...]`.
pub(crate) fn list_of(items: &[&str]) -> String {
    format!("[{}]", items.join(","))
}

/// A delta with one tool call.
pub(crate) fn tool_delta(call: ToolCall) -> Delta {
    Delta {
        tool_calls: Some(vec![call]),
        ..Delta::default()
    }
}

/// The first delta of a tool call: its id and name, arguments to follow.
pub(crate) fn tool_start(index: i64, id: Option<String>, name: Option<String>, arguments: Arguments) -> ToolCall {
    ToolCall {
        index,
        id,
        kind: None,
        function: Function {
            name,
            arguments,
            extras: None,
        },
        extras: None,
    }
}

/// A fragment of a tool call's arguments.
pub(crate) fn tool_arguments(index: i64, fragment: String) -> ToolCall {
    tool_start(index, None, None, Arguments::Text(fragment))
}

/// The tool calls of a stream, by the provider's key for them (a content-block or event index): their
/// `OpenAI` index (counted from 0 in order of appearance), and whether any non-empty arguments arrived.
#[derive(Debug, Default)]
pub(crate) struct Tools {
    calls: Vec<(i64, i64, bool)>,
}

impl Tools {
    /// Registers a new call under `key`; returns its index.
    pub(crate) fn start(&mut self, key: i64) -> i64 {
        let index = self.count();
        self.calls.retain(|&(k, _, _)| k != key);
        self.calls.push((key, index, false));
        index
    }

    /// Registers a call whose key is its index (Cohere numbers its calls itself).
    pub(crate) fn start_at(&mut self, index: i64) {
        self.calls.retain(|&(k, _, _)| k != index);
        self.calls.push((index, index, false));
    }

    /// The index of the call under `key`, noting that it got arguments.
    pub(crate) fn arguments(&mut self, key: i64) -> Option<i64> {
        let call = self.calls.iter_mut().rev().find(|(k, _, _)| *k == key)?;
        call.2 = true;
        Some(call.1)
    }

    /// At the end of the call under `key`: its index when it got no arguments at all (and is then done).
    pub(crate) fn without_arguments(&mut self, key: i64) -> Option<i64> {
        let at = self.calls.iter().rposition(|(k, _, _)| *k == key)?;
        let (_, index, got) = self.calls[at];
        self.calls[at].2 = true;
        (!got).then_some(index)
    }

    pub(crate) fn any(&self) -> bool {
        !self.calls.is_empty()
    }

    pub(crate) fn count(&self) -> i64 {
        i64::try_from(self.calls.len()).unwrap_or(i64::MAX)
    }
}

/// Usage in `OpenAI`'s shape, written as JSON in a fixed key order (the Python twin builds the same dict).
/// Counts a provider reports fit in an `i64` (a larger one is a decode error); a count computed as a sum
/// saturates at `i64::MAX` / `i64::MIN` (the twin's `saturating_sum`), so both backends agree on it.
#[derive(Debug, Default)]
pub(crate) struct UsageJson {
    pub(crate) prompt: i64,
    pub(crate) completion: i64,
    /// `None`: prompt + completion.
    pub(crate) total: Option<i64>,
    pub(crate) prompt_details: Vec<(&'static str, i64)>,
    pub(crate) completion_details: Vec<(&'static str, i64)>,
    /// Extra keys with raw JSON values.
    pub(crate) extras: Vec<(&'static str, String)>,
}

impl UsageJson {
    /// The usage as JSON. Written twice, once to count its bytes and once into a string of exactly that
    /// size, with itoa rather than format!: some dialects send usage on every chunk, and a string grown or
    /// shrunk to fit costs more (a `realloc`) than the integers written again.
    pub(crate) fn json(&self) -> Json {
        let mut size = Size(0);
        self.write(&mut size);
        let mut out = String::with_capacity(size.0);
        self.write(&mut out);
        Json(out.into_boxed_str())
    }

    fn write(&self, out: &mut impl Text) {
        let total = self.total.unwrap_or(self.prompt.saturating_add(self.completion));
        let mut numbers = itoa::Buffer::new();
        out.put(r#"{"prompt_tokens":"#);
        out.put(numbers.format(self.prompt));
        out.put(r#","completion_tokens":"#);
        out.put(numbers.format(self.completion));
        out.put(r#","total_tokens":"#);
        out.put(numbers.format(total));
        for (name, details) in [
            ("prompt_tokens_details", &self.prompt_details),
            ("completion_tokens_details", &self.completion_details),
        ] {
            if details.is_empty() {
                continue;
            }
            out.put(",\"");
            out.put(name);
            out.put("\":{");
            for (i, (key, value)) in details.iter().enumerate() {
                if i > 0 {
                    out.put(",");
                }
                out.put("\"");
                out.put(key);
                out.put("\":");
                out.put(numbers.format(*value));
            }
            out.put("}");
        }
        for (key, raw) in &self.extras {
            out.put(",\"");
            out.put(key);
            out.put("\":");
            out.put(raw);
        }
        out.put("}");
    }
}

/// Where `UsageJson::write` puts its text: a string, or a count of its bytes.
trait Text {
    fn put(&mut self, text: &str);
}

impl Text for String {
    #[inline]
    fn put(&mut self, text: &str) {
        self.push_str(text);
    }
}

struct Size(usize);

impl Text for Size {
    #[inline]
    fn put(&mut self, text: &str) {
        self.0 += text.len();
    }
}
