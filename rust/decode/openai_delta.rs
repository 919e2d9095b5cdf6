//! Parsing an `OpenAI` delta and its tool calls, each into its place (`openai_wire.rs` reads the chunk and
//! its choices). Twin: `python/rillm/_fallback/decode/openai_wire.py`.

use super::guess::{Keys, Order};
use super::openai_keys::{CallKeys, DeltaKeys, Field};
use super::openai_parts::split_parts;
use crate::chunk::{Arguments, Delta, Function, Json, ToolCall};
use crate::json::{as_string, JsonError, ObjectBuilder, Parser, Peek, Problem, Result};

/// One delta, into `delta` (which starts empty).
pub(crate) fn delta(p: &mut Parser<'_>, delta: &mut Delta, keys: &mut DeltaKeys) -> Result<()> {
    let mut parts: Option<Vec<&str>> = None;
    let mut reasoning: Option<&str> = None;
    let mut extras = ObjectBuilder::default();
    let DeltaKeys { delta: order, calls } = keys;
    let mut keys = Keys::new(order);
    let mut key = keys.first_key(p)?;
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
        key = keys.next_key(p)?;
    }
    if reasoning.is_some() || parts.is_some() || !extras.is_empty() {
        resolve(delta, reasoning, parts, extras)?;
    }
    Ok(())
}

/// A field of the delta's rare part. A null one leaves the rare part unallocated when it was.
fn rare_field(p: &mut Parser<'_>, delta: &mut Delta, field: Field, keys: &mut Order<Field>) -> Result<()> {
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
    let mut key = keys.first_key(p)?;
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
        key = keys.next_key(p)?;
    }
    call.extras = extras.finish();
    Ok(())
}

pub(crate) fn function(p: &mut Parser<'_>, order: &mut Order<Field>) -> Result<Function> {
    let mut function = Function::default();
    let mut extras = ObjectBuilder::default();
    let mut keys = Keys::new(order);
    let mut key = keys.first_key(p)?;
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
        key = keys.next_key(p)?;
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
pub(super) fn position(len: usize) -> i64 {
    i64::try_from(len).unwrap_or(i64::MAX)
}

pub(super) fn json(raw: &str) -> Json {
    Json(raw.into())
}
