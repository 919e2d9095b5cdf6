//! Parsing OpenAI's `chat.completion.chunk` JSON in one pass over the bytes.
//!
//! Known keys are typed; every other key is kept as raw JSON in the owner's `extras`, in order (a repeated
//! one too: whoever parses the extras keeps its last value). A known key repeated in one object keeps its
//! last value, as Python's `json` does: each one's value replaces what an earlier one set (an index or a
//! content of null included). A typed read that fails sends the whole chunk to a second read of its text
//! with every repeated key collapsed as Python's `json` collapses them (the last value at the first key's
//! place: `read_chunk`), so that a repeated key whose earlier value has another type reads as on the twin.
//! Values are parsed into their
//! place (a choice straight into the chunk's list, a delta into its choice): these structs are large and
//! moving them showed in profiles. Twin: the `wire_*` functions of `python/rillm/_fallback/decode/openai.py`.

use super::openai_keys::{CallKeys, ChoiceHead, ChoiceKeys, ChunkKeys, DeltaKeys, Field, KeyOrder, Keys};
use super::openai_parts::split_parts;
use crate::chunk::{Arguments, Choice, Delta, FinishReason, Function, Json, Shared, ToolCall};
use crate::json::{as_string, collapse_repeated_keys, JsonError, Key, ObjectBuilder, Parser, Peek, Problem, Result};

/// The strings a stream repeats on every chunk, shared so that it allocates each once; id and model are
/// also what a chunk that lacks its own gets. A chunk's values are kept only once the whole chunk has been
/// read (`Seen::keep`), so that a second read of it (`read_chunk`) starts from the same slots.
#[derive(Debug, Default)]
pub(crate) struct Seen {
    pub(crate) id: Slot,
    pub(crate) model: Slot,
    pub(crate) fingerprint: Slot,
    pub(crate) service_tier: Slot,
    /// The keys of the last chunk, at every level: the guesses for the next one's. (Boxed, as the head: the
    /// decoder stays small.)
    pub(crate) keys: Box<ChunkKeys>,
    head: Box<Head>,
}

/// How the last chunk began, up to its `choices`: its text from the start through the colon after
/// `"choices"`, when every key before it was one of id, object, created, model, `system_fingerprint` and
/// `service_tier` (a stream sends those the same on every chunk), and what they read as. A chunk whose
/// text begins with the same bytes reads the same up to there, so it takes those values and is read from
/// its `choices` on: the head is compared, not parsed.
#[derive(Debug, Default)]
struct Head {
    text: Box<str>,
    /// How many keys the head holds, `choices` included.
    keys: usize,
    id: Option<Shared>,
    model: Option<Shared>,
    created: Option<i64>,
    system_fingerprint: Option<Shared>,
    service_tier: Option<Shared>,
}

impl Head {
    /// Whether `data` begins with this head: then `out` has its values.
    #[inline]
    fn starts(&self, data: &str, out: &mut WireChunk<'_>) -> bool {
        if self.text.is_empty() || !data.as_bytes().starts_with(self.text.as_bytes()) {
            return false;
        }
        out.id.clone_from(&self.id);
        out.model.clone_from(&self.model);
        out.created = self.created;
        out.system_fingerprint.clone_from(&self.system_fingerprint);
        out.service_tier.clone_from(&self.service_tier);
        true
    }

    /// Keeps `text` (a chunk's bytes through the colon after `"choices"`) and what `out` read from it, the
    /// chunk's `keys` first keys, unless it is the head already.
    fn keep(&mut self, text: &str, keys: usize, out: &WireChunk<'_>) {
        if *self.text == *text {
            return;
        }
        *self = Head {
            text: text.into(),
            keys,
            id: out.id.clone(),
            model: out.model.clone(),
            created: out.created,
            system_fingerprint: out.system_fingerprint.clone(),
            service_tier: out.service_tier.clone(),
        };
    }
}

impl Seen {
    fn keep(&mut self, chunk: &WireChunk<'_>) {
        self.id.keep(chunk.id.as_ref());
        self.model.keep(chunk.model.as_ref());
        self.fingerprint.keep(chunk.system_fingerprint.as_ref());
        self.service_tier.keep(chunk.service_tier.as_ref());
    }
}

/// The last value of one repeated string, and whether it is "plain" (no quote, backslash or control
/// character), in which case an unchanged value is recognised by comparing bytes, without a scan.
#[derive(Debug, Default)]
pub(crate) struct Slot {
    pub(crate) value: Option<Shared>,
    plain: bool,
}

impl Slot {
    /// The next value (a string or null), shared with the previous chunk's when equal. An empty string
    /// reads as `None` when `empty_is_none` (id and model).
    pub(crate) fn read(&self, p: &mut Parser<'_>, empty_is_none: bool) -> Result<Option<Shared>> {
        if let Some(value) = self.value.as_ref().filter(|_| self.plain) {
            if p.same_plain_string(value) {
                return Ok(Some(value.clone()));
            }
        }
        p.str_with(|s| {
            if empty_is_none && s.is_empty() {
                return None;
            }
            match &self.value {
                Some(value) if **value == *s => Some(value.clone()),
                _ => Some(s.into()),
            }
        })
        .map(Option::flatten)
    }

    /// Keeps what a chunk read (`None` leaves the slot as it was).
    #[inline]
    fn keep(&mut self, value: Option<&Shared>) {
        if let Some(value) = value {
            if !self.value.as_ref().is_some_and(|kept| Shared::ptr_eq(kept, value)) {
                self.plain = !value.bytes().any(|b| b == b'"' || b == b'\\' || b < 0x20);
                self.value = Some(value.clone());
            }
        }
    }
}

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

/// Why a chunk could not be read: `merged` when it was the second read, of the text with its repeated keys
/// collapsed (then the byte offset is in that text).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChunkError {
    pub(crate) error: JsonError,
    pub(crate) merged: bool,
}

impl std::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.merged {
            write!(
                f,
                "{} with its repeated keys merged (the last value of each)",
                self.error
            )
        } else {
            self.error.fmt(f)
        }
    }
}

/// Reads the chunk in `data`; when that fails while some object repeats a key, reads it again from the text Python's `json` would see (`collapse_repeated_keys`), kept
/// in `merged`. The first read, failed, kept nothing in `seen`.
pub(crate) fn read_chunk<'a>(
    data: &'a str,
    seen: &mut Seen,
    merged: &'a mut Option<String>,
) -> std::result::Result<WireChunk<'a>, ChunkError> {
    match parse_chunk(data, seen) {
        Ok(chunk) => Ok(chunk),
        Err(error) => {
            let Some(text) = collapse_repeated_keys(data) else {
                return Err(ChunkError { error, merged: false });
            };
            let text: &'a str = merged.insert(text);
            parse_chunk(text, seen).map_err(|error| ChunkError { error, merged: true })
        }
    }
}

fn parse_chunk<'a>(data: &'a str, seen: &mut Seen) -> Result<WireChunk<'a>> {
    let mut p = Parser::new(data);
    let mut out = WireChunk::default();
    let ChunkKeys { chunk, choices: inner } = &mut *seen.keys;
    let head = &mut seen.head;
    // Whether every key so far could be part of a head (`Head`).
    let mut in_head = true;
    let (mut keys, mut key) = if head.starts(data, &mut out) {
        p = Parser::resumed(data, head.text.len(), 1);
        in_head = false;
        let choices = Some((Key::unescaped("choices"), Field::Choices));
        (Keys::resumed(chunk, head.keys), choices)
    } else {
        let mut keys = Keys::new(chunk);
        let first = keys.first(&mut p)?;
        (keys, first)
    };
    while let Some((k, field)) = key {
        in_head &= matches!(
            field,
            Field::Id
                | Field::Model
                | Field::Object
                | Field::Created
                | Field::SystemFingerprint
                | Field::ServiceTier
                | Field::Choices
        );
        match field {
            Field::Id => out.id = seen.id.read(&mut p, true)?,
            Field::Model => out.model = seen.model.read(&mut p, true)?,
            // Always "chat.completion.chunk" on the way out, whatever was sent (Azure sends "").
            Field::Object => {
                if !p.same_plain_string("chat.completion.chunk") {
                    p.any()?;
                }
            }
            Field::Created => out.created = p.int()?,
            Field::SystemFingerprint => out.system_fingerprint = seen.fingerprint.read(&mut p, false)?,
            Field::ServiceTier => out.service_tier = seen.service_tier.read(&mut p, false)?,
            Field::Choices => {
                if in_head {
                    head.keep(&data[..p.pos()], keys.read(), &out);
                    in_head = false;
                }
                out.failed_with = None;
                out.choices = choices(&mut p, data, &mut out.failed_with, inner)?;
            }
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
        key = keys.next(&mut p)?;
    }
    p.finish()?;
    seen.keep(&out);
    Ok(out)
}

/// `choices`: each choice's default index is its position in the list. `data` is the text `p` reads.
fn choices<'a>(
    p: &mut Parser<'a>,
    data: &'a str,
    failed_with: &mut Option<String>,
    keys: &mut ChoiceKeys,
) -> Result<Option<Vec<Choice>>> {
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(None);
    }
    let mut out: Vec<Choice> = Vec::with_capacity(1);
    let mut more = p.array_start()?;
    while more {
        let position = position(out.len());
        out.push(Choice::default());
        let last = out.len() - 1;
        let start = Start::new(p, data, position, &keys.head);
        choice(p, &mut out[last], position, failed_with, keys, Some(start))?;
        more = p.array_step()?;
    }
    Ok(Some(out))
}

/// How deep a choice's members are in a chunk: inside the chunk, its `choices` list and the choice.
const CHOICE_DEPTH: usize = 3;

/// Where a choice of a chunk's list begins in the chunk's text, and whether it begins with the last
/// choice's head (`ChoiceHead`): then the parser has been moved past that head, into the choice, and the
/// head's values are the choice's (as the chunk's `Head` is compared, not parsed).
#[derive(Clone, Copy)]
pub(crate) struct Start<'a> {
    text: &'a str,
    at: usize,
    resumed: bool,
}

impl<'a> Start<'a> {
    fn new(p: &mut Parser<'a>, text: &'a str, position: i64, head: &ChoiceHead) -> Self {
        let bytes = text.as_bytes();
        let mut at = p.pos();
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = bytes.get(at) {
            at += 1;
        }
        let resumed = head.position == position
            && !head.text.is_empty()
            && bytes
                .get(at..)
                .is_some_and(|rest| rest.starts_with(head.text.as_bytes()));
        if resumed {
            *p = Parser::resumed(text, at + head.text.len(), CHOICE_DEPTH);
        }
        Start { text, at, resumed }
    }
}

/// One choice, into `choice`; a finish reason of `error` or `abort` is also noted in `failed_with`
/// (the first one wins). `start` is where it begins in a chunk's list (`None` for a choice read alone,
/// which neither uses nor keeps a head).
pub(crate) fn choice(
    p: &mut Parser<'_>,
    choice: &mut Choice,
    position: i64,
    failed_with: &mut Option<String>,
    keys: &mut ChoiceKeys,
    start: Option<Start<'_>>,
) -> Result<()> {
    choice.index = position;
    let mut finish: Option<String> = None;
    let mut extras = ObjectBuilder::default();
    let ChoiceKeys {
        choice: order,
        delta: inner,
        head,
    } = keys;
    let (mut keys, mut key, mut in_head) = if let Some(Start { resumed: true, .. }) = start {
        choice.index = head.index;
        let delta = Some((Key::unescaped("delta"), Field::Delta));
        (Keys::resumed(order, head.keys), delta, false)
    } else {
        let mut keys = Keys::new(order);
        let first = keys.first(p)?;
        (keys, first, start.is_some())
    };
    while let Some((k, field)) = key {
        in_head &= matches!(field, Field::Index | Field::Delta);
        match field {
            Field::Index => choice.index = p.int()?.unwrap_or(position),
            Field::Delta => {
                if let Some(start) = start.filter(|_| in_head) {
                    head.keep(&start.text[start.at..p.pos()], keys.read(), position, choice.index);
                    in_head = false;
                }
                choice.delta = Delta::default();
                if p.peek()? == Peek::Null {
                    p.raw()?;
                } else {
                    delta(p, &mut choice.delta, inner)?;
                }
            }
            Field::FinishReason => finish = p.string()?,
            Field::Logprobs => choice.logprobs = p.raw()?.map(json),
            // Perplexity repeats the whole message on its last chunk; the deltas already carry it.
            Field::Message => drop(p.any()?),
            _ => extras.push(&k, p.any()?),
        }
        key = keys.next(p)?;
    }
    choice.extras = extras.finish();
    if let Some(finish) = finish {
        if failed_with.is_none() && (finish.eq_ignore_ascii_case("error") || finish.eq_ignore_ascii_case("abort")) {
            *failed_with = Some(finish.clone());
        }
        choice.finish_reason = FinishReason::map(&finish);
    }
    Ok(())
}

/// One delta, into `delta` (which starts empty).
pub(crate) fn delta(p: &mut Parser<'_>, delta: &mut Delta, keys: &mut DeltaKeys) -> Result<()> {
    let mut parts: Option<Vec<&str>> = None;
    let mut reasoning: Option<&str> = None;
    let mut extras = ObjectBuilder::default();
    let DeltaKeys { delta: order, calls } = keys;
    let mut keys = Keys::new(order);
    let mut key = keys.first(p)?;
    while let Some((k, field)) = key {
        match field {
            Field::Content => {
                if p.peek()? == Peek::Array {
                    parts = Some(array_items(p)?);
                } else {
                    (delta.content, parts) = (p.string()?, None);
                }
            }
            Field::Role => delta.role = p.string()?,
            Field::ReasoningContent => delta.reasoning_content = p.string()?,
            // OpenRouter, Groq and vLLM name it `reasoning`; resolved once the whole delta is read.
            Field::Reasoning => reasoning = p.raw()?,
            Field::ToolCalls => delta.tool_calls = tool_calls(p, calls)?,
            field @ (Field::Refusal
            | Field::FunctionCall
            | Field::Annotations
            | Field::Audio
            | Field::ThinkingBlocks
            | Field::ProviderSpecificFields) => rare_field(p, delta, field, &mut calls.function)?,
            _ => extras.push(&k, p.any()?),
        }
        key = keys.next(p)?;
    }
    if reasoning.is_some() || parts.is_some() || !extras.is_empty() {
        resolve(delta, reasoning, parts, extras)?;
    }
    Ok(())
}

/// A field of the delta's rare part. A null one leaves the rare part unallocated when it was.
fn rare_field(p: &mut Parser<'_>, delta: &mut Delta, field: Field, keys: &mut KeyOrder) -> Result<()> {
    match field {
        Field::Refusal => {
            if let Some(refusal) = p.string()? {
                delta.rare_mut().refusal = Some(refusal);
            } else if let Some(rare) = &mut delta.rare {
                rare.refusal = None;
            }
        }
        Field::FunctionCall => {
            let function = if p.peek()? == Peek::Null {
                p.raw().map(|_| None)?
            } else {
                Some(function(p, keys)?)
            };
            if function.is_some() || delta.rare.is_some() {
                delta.rare_mut().function_call = function;
            }
        }
        _ => {
            let value = p.raw()?.map(json);
            if value.is_some() || delta.rare.is_some() {
                let rare = delta.rare_mut();
                let slot = match field {
                    Field::Annotations => &mut rare.annotations,
                    Field::Audio => &mut rare.audio,
                    Field::ThinkingBlocks => &mut rare.thinking_blocks,
                    _ => &mut rare.provider_specific_fields,
                };
                *slot = value;
            }
        }
    }
    Ok(())
}

/// What a delta's keys leave to be settled once all are read: `reasoning`, list-of-parts `content`, and
/// the unknown keys.
fn resolve(
    delta: &mut Delta,
    reasoning: Option<&str>,
    parts: Option<Vec<&str>>,
    mut extras: ObjectBuilder,
) -> Result<()> {
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
        split_parts(delta, &parts)?;
    }
    if let Some(extras) = extras.finish() {
        delta.rare_mut().extras = Some(extras);
    }
    Ok(())
}

/// `tool_calls`: each call's default index is its position in the list; an empty list is no tool calls.
fn tool_calls(p: &mut Parser<'_>, keys: &mut CallKeys) -> Result<Option<Vec<ToolCall>>> {
    if p.peek()? == Peek::Null {
        p.raw()?;
        return Ok(None);
    }
    let mut out: Vec<ToolCall> = Vec::new();
    let mut more = p.array_start()?;
    while more {
        let position = position(out.len());
        out.push(ToolCall::default());
        let last = out.len() - 1;
        tool_call(p, &mut out[last], position, keys)?;
        more = p.array_step()?;
    }
    Ok((!out.is_empty()).then_some(out))
}

/// One tool call, into `call` (which starts empty).
pub(crate) fn tool_call(p: &mut Parser<'_>, call: &mut ToolCall, position: i64, keys: &mut CallKeys) -> Result<()> {
    call.index = position;
    let mut extras = ObjectBuilder::default();
    let CallKeys {
        call: order,
        function: inner,
    } = keys;
    let mut keys = Keys::new(order);
    let mut key = keys.first(p)?;
    while let Some((k, field)) = key {
        match field {
            Field::Index => call.index = p.int()?.unwrap_or(position),
            Field::Id => call.id = p.string()?,
            Field::Type => call.kind = p.string()?.filter(|kind| kind != "function"),
            Field::Function => {
                call.function = if p.peek()? == Peek::Null {
                    p.raw().map(|_| Function::default())?
                } else {
                    function(p, inner)?
                };
            }
            _ => extras.push(&k, p.any()?),
        }
        key = keys.next(p)?;
    }
    call.extras = extras.finish();
    Ok(())
}

pub(crate) fn function(p: &mut Parser<'_>, order: &mut KeyOrder) -> Result<Function> {
    let mut function = Function::default();
    let mut extras = ObjectBuilder::default();
    let mut keys = Keys::new(order);
    let mut key = keys.first(p)?;
    while let Some((k, field)) = key {
        match field {
            Field::Name => function.name = p.string()?,
            Field::Arguments => {
                function.arguments = match p.peek()? {
                    Peek::String => Arguments::Text(p.string()?.unwrap_or_default()),
                    _ => p
                        .raw()?
                        .map_or_else(Arguments::default, |raw| Arguments::Value(json(raw))),
                }
            }
            _ => extras.push(&k, p.any()?),
        }
        key = keys.next(p)?;
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
