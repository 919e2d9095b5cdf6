//! Parsing `OpenAI`'s `chat.completion.chunk` JSON in one pass over the bytes.
//!
//! Known keys are typed; every other key is kept as raw JSON in the owner's `extras`, in order. A key
//! repeated in one object keeps its last value, as Python's `json` does. Twin: the field handling in
//! `python/rillm/_fallback/decode/openai.py` (`wire_chunk`, `wire_choice`, `wire_delta`, ...).

use super::json::{as_string, JsonError, ObjectBuilder, Parser, Peek, Problem, Result};
use super::openai::{split_parts, Seen};
use crate::chunk::{Arguments, Choice, Delta, FinishReason, Function, Json, Shared, ToolCall};

/// The top-level chunk as sent. Strings the stream repeats are already shared with earlier chunks.
#[derive(Default)]
pub(crate) struct WireChunk<'a> {
    /// The chunk's own id/model when non-empty.
    pub(crate) id: Option<Shared>,
    pub(crate) model: Option<Shared>,
    pub(crate) created: Option<i64>,
    pub(crate) system_fingerprint: Option<Shared>,
    pub(crate) service_tier: Option<Shared>,
    /// `None` when the key is absent or null.
    pub(crate) choices: Option<Vec<Choice>>,
    /// The first finish reason that is `error` or `abort`: the provider says the stream failed.
    pub(crate) failed_with: Option<String>,
    pub(crate) usage: Option<&'a str>,
    pub(crate) x_groq: Option<&'a str>,
    pub(crate) citations: Option<&'a str>,
    pub(crate) provider_specific_fields: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
    pub(crate) extras: ObjectBuilder,
}

pub(crate) fn parse_chunk<'a>(data: &'a str, seen: &mut Seen) -> Result<WireChunk<'a>> {
    let mut p = Parser::new(data);
    let mut out = WireChunk::default();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        match k.field() {
            Field::Id => out.id = p.str_with(|s| seen.id(s))?.flatten(),
            Field::Model => out.model = p.str_with(|s| seen.model(s))?.flatten(),
            // Always "chat.completion.chunk" on the way out, whatever was sent (Azure sends "").
            Field::Object => drop(p.any()?),
            Field::Created => out.created = p.int()?,
            Field::SystemFingerprint => out.system_fingerprint = p.str_with(|s| seen.fingerprint(s))?,
            Field::ServiceTier => out.service_tier = p.str_with(|s| seen.service_tier(s))?,
            Field::Choices => out.choices = choices(&mut p, &mut out.failed_with)?,
            Field::Usage => out.usage = p.raw()?,
            Field::Citations => out.citations = p.raw()?,
            Field::ProviderSpecificFields => out.provider_specific_fields = p.raw()?,
            Field::Error => out.error = p.raw()?,
            field => {
                let value = p.any()?;
                if field == Field::XGroq {
                    out.x_groq = Some(value);
                }
                out.extras.push(&k, value);
            }
        }
        key = p.next_key()?;
    }
    p.finish()?;
    Ok(out)
}

/// `choices`: each choice's default index is its position in the list.
fn choices(p: &mut Parser<'_>, failed_with: &mut Option<String>) -> Result<Option<Vec<Choice>>> {
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(None);
    }
    let mut out = Vec::with_capacity(1);
    let mut more = p.array_start()?;
    while more {
        out.push(choice(p, position(out.len()), failed_with)?);
        more = p.array_step()?;
    }
    Ok(Some(out))
}

/// One choice; a finish reason of `error` or `abort` is also noted in `failed_with` (the first one wins).
pub(crate) fn choice(p: &mut Parser<'_>, position: i64, failed_with: &mut Option<String>) -> Result<Choice> {
    let mut choice = Choice {
        index: position,
        ..Choice::default()
    };
    let mut finish: Option<String> = None;
    let mut extras = ObjectBuilder::default();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        match &*k.name() {
            b"index" => {
                if let Some(index) = p.int()? {
                    choice.index = index;
                }
            }
            b"delta" => {
                choice.delta = if p.peek()? == Peek::Null {
                    p.raw().map(|_| Delta::default())?
                } else {
                    delta(p)?
                }
            }
            b"finish_reason" => finish = p.string()?,
            b"logprobs" => choice.logprobs = p.raw()?.map(json),
            // Perplexity repeats the whole message on its last chunk; the deltas already carry it.
            b"message" => drop(p.any()?),
            _ => extras.push(&k, p.any()?),
        }
        key = p.next_key()?;
    }
    choice.extras = extras.finish();
    if let Some(finish) = finish {
        if failed_with.is_none() && (finish.eq_ignore_ascii_case("error") || finish.eq_ignore_ascii_case("abort")) {
            *failed_with = Some(finish.clone());
        }
        choice.finish_reason = FinishReason::map(&finish);
    }
    Ok(choice)
}

pub(crate) fn delta(p: &mut Parser<'_>) -> Result<Delta> {
    let mut delta = Delta::default();
    let mut parts: Option<Vec<&str>> = None;
    let mut reasoning: Option<&str> = None;
    let mut extras = ObjectBuilder::default();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        match &*k.name() {
            b"role" => delta.role = p.string()?,
            b"content" => match p.peek()? {
                Peek::Array => parts = Some(array_items(p)?),
                _ => delta.content = p.string()?,
            },
            b"refusal" => delta.refusal = p.string()?,
            b"reasoning_content" => delta.reasoning_content = p.string()?,
            // OpenRouter, Groq and vLLM name it `reasoning`; resolved once the whole delta is read.
            b"reasoning" => reasoning = p.raw()?,
            b"tool_calls" => delta.tool_calls = tool_calls(p)?,
            b"function_call" => delta.function_call = p.object_or_null(function)?,
            b"annotations" => delta.annotations = p.raw()?.map(json),
            b"audio" => delta.audio = p.raw()?.map(json),
            b"thinking_blocks" => delta.thinking_blocks = p.raw()?.map(json),
            b"provider_specific_fields" => delta.provider_specific_fields = p.raw()?.map(json),
            _ => extras.push(&k, p.any()?),
        }
        key = p.next_key()?;
    }
    if let Some(value) = reasoning {
        // `reasoning` stands in for `reasoning_content`; when both came it is kept, last, as an extra.
        if delta.reasoning_content.is_none() {
            let expected = JsonError {
                what: Problem::Shape("expected `reasoning` to be a string"),
                pos: 0,
            };
            delta.reasoning_content = Some(as_string(Some(value))?.ok_or(expected)?);
        } else {
            extras.push_named("reasoning", value);
        }
    }
    if let Some(parts) = parts {
        split_parts(&mut delta, &parts)?;
    }
    delta.extras = extras.finish();
    Ok(delta)
}

/// `tool_calls`: each call's default index is its position in the list; an empty list is no tool calls.
fn tool_calls(p: &mut Parser<'_>) -> Result<Option<Vec<ToolCall>>> {
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(None);
    }
    let mut out = Vec::new();
    let mut more = p.array_start()?;
    while more {
        out.push(tool_call(p, position(out.len()))?);
        more = p.array_step()?;
    }
    Ok((!out.is_empty()).then_some(out))
}

pub(crate) fn tool_call(p: &mut Parser<'_>, position: i64) -> Result<ToolCall> {
    let mut call = ToolCall {
        index: position,
        id: None,
        kind: String::new(),
        function: Function::default(),
        extras: None,
    };
    let mut kind = None;
    let mut extras = ObjectBuilder::default();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        match &*k.name() {
            b"index" => {
                if let Some(index) = p.int()? {
                    call.index = index;
                }
            }
            b"id" => call.id = p.string()?,
            b"type" => kind = p.string()?,
            b"function" => call.function = p.object_or_null(function)?.unwrap_or_default(),
            _ => extras.push(&k, p.any()?),
        }
        key = p.next_key()?;
    }
    // Continuation deltas omit `type` and Mistral sends null: both mean "function", as in LiteLLM.
    call.kind = kind.unwrap_or_else(|| "function".to_owned());
    call.extras = extras.finish();
    Ok(call)
}

pub(crate) fn function(p: &mut Parser<'_>) -> Result<Function> {
    let mut function = Function::default();
    let mut extras = ObjectBuilder::default();
    let mut key = p.first_key()?;
    while let Some(k) = key {
        match &*k.name() {
            b"name" => function.name = p.string()?,
            b"arguments" => {
                function.arguments = match p.peek()? {
                    Peek::String => Arguments::Text(p.string()?.unwrap_or_default()),
                    _ => p
                        .raw()?
                        .map_or_else(Arguments::default, |raw| Arguments::Value(json(raw))),
                }
            }
            _ => extras.push(&k, p.any()?),
        }
        key = p.next_key()?;
    }
    function.extras = extras.finish();
    Ok(function)
}

/// The items of the array that comes next, as raw JSON.
fn array_items<'a>(p: &mut Parser<'a>) -> Result<Vec<&'a str>> {
    let mut items = Vec::new();
    let mut more = p.array_start()?;
    while more {
        items.push(p.any()?);
        more = p.array_step()?;
    }
    Ok(items)
}

/// A list position as a default `index`.
fn position(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

fn json(raw: &str) -> Json {
    Json(raw.into())
}

impl Parser<'_> {
    /// `null`, or an object parsed by `f`.
    fn object_or_null<T>(&mut self, f: fn(&mut Self) -> Result<T>) -> Result<Option<T>> {
        if self.peek()? == Peek::Null {
            self.raw()?;
            return Ok(None);
        }
        f(self).map(Some)
    }
}

/// The keys the `OpenAI` dialect names, at every level of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Id,
    Model,
    Object,
    Created,
    SystemFingerprint,
    ServiceTier,
    Choices,
    Usage,
    Citations,
    ProviderSpecificFields,
    Error,
    XGroq,
    Index,
    Delta,
    FinishReason,
    Logprobs,
    Message,
    Role,
    Content,
    Refusal,
    ReasoningContent,
    Reasoning,
    ToolCalls,
    FunctionCall,
    Annotations,
    Audio,
    ThinkingBlocks,
    Type,
    Function,
    Name,
    Arguments,
    Other,
}

/// One comparison per key: (length, first byte, last byte) already tells the known keys apart.
pub(crate) fn field(name: &[u8]) -> Field {
    let (Some(&first), Some(&last)) = (name.first(), name.last()) else {
        return Field::Other;
    };
    let (field, text): (Field, &[u8]) = match (name.len(), first, last) {
        (2, b'i', b'd') => (Field::Id, b"id"),
        (5, b'm', b'l') => (Field::Model, b"model"),
        (6, b'o', b't') => (Field::Object, b"object"),
        (7, b'c', b'd') => (Field::Created, b"created"),
        (18, b's', b't') => (Field::SystemFingerprint, b"system_fingerprint"),
        (12, b's', b'r') => (Field::ServiceTier, b"service_tier"),
        (7, b'c', b's') => (Field::Choices, b"choices"),
        (5, b'u', b'e') => (Field::Usage, b"usage"),
        (9, b'c', b's') => (Field::Citations, b"citations"),
        (24, b'p', b's') => (Field::ProviderSpecificFields, b"provider_specific_fields"),
        (5, b'e', b'r') => (Field::Error, b"error"),
        (6, b'x', b'q') => (Field::XGroq, b"x_groq"),
        (5, b'i', b'x') => (Field::Index, b"index"),
        (5, b'd', b'a') => (Field::Delta, b"delta"),
        (13, b'f', b'n') => (Field::FinishReason, b"finish_reason"),
        (8, b'l', b's') => (Field::Logprobs, b"logprobs"),
        (7, b'm', b'e') => (Field::Message, b"message"),
        (4, b'r', b'e') => (Field::Role, b"role"),
        (7, b'c', b't') => (Field::Content, b"content"),
        (7, b'r', b'l') => (Field::Refusal, b"refusal"),
        (17, b'r', b't') => (Field::ReasoningContent, b"reasoning_content"),
        (9, b'r', b'g') => (Field::Reasoning, b"reasoning"),
        (10, b't', b's') => (Field::ToolCalls, b"tool_calls"),
        (13, b'f', b'l') => (Field::FunctionCall, b"function_call"),
        (11, b'a', b's') => (Field::Annotations, b"annotations"),
        (5, b'a', b'o') => (Field::Audio, b"audio"),
        (15, b't', b's') => (Field::ThinkingBlocks, b"thinking_blocks"),
        (4, b't', b'e') => (Field::Type, b"type"),
        (8, b'f', b'n') => (Field::Function, b"function"),
        (4, b'n', b'e') => (Field::Name, b"name"),
        (9, b'a', b's') => (Field::Arguments, b"arguments"),
        _ => return Field::Other,
    };
    if name == text {
        field
    } else {
        Field::Other
    }
}
