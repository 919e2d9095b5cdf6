//! The core's decoded chunks as the Python chunk classes. Twin: the constructors `new_function`,
//! `new_tool_call`, `new_delta`, `new_choice` and `new_chunk` in `python/rillm/_fallback/chunk.py`.

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::lazy::{Extras, Lazy};
use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};
use super::shared;
use crate::chunk::{Arguments, Choice, Chunk, Delta, Function, Json, ToolCall, Usage};

/// What may fail in turning a decoded chunk into Python objects, done first (the decoder does it before
/// the chunk is merged or held): its usage checked (`checked_usage`), and arguments sent as a JSON value
/// written as the text the chunk objects show.
pub(crate) fn prepare(py: Python<'_>, mut c: Chunk) -> PyResult<Chunk> {
    if let Some(usage) = c.usage.take() {
        c.usage = Some(Usage::checked(checked_usage(py, usage)?));
    }
    for choice in &mut c.choices {
        for call in choice.delta.tool_calls.iter_mut().flatten() {
            arguments_text(py, &mut call.function.arguments)?;
        }
        if let Some(function) = choice.delta.rare.as_mut().and_then(|r| r.function_call.as_mut()) {
            arguments_text(py, &mut function.arguments)?;
        }
    }
    Ok(c)
}

/// A usage the core could not check goes through the pydantic `Usage` (`rillm._shared.check_usage`), which
/// raises for one it refuses and otherwise gives the checked form, so that a malformed usage fails the event
/// that carried it, and `chunk.usage` can be made when first read.
pub(crate) fn checked_usage(py: Python<'_>, usage: Usage) -> PyResult<Json> {
    if usage.checked {
        return Ok(usage.json);
    }
    let checked = shared::check_usage(py)?.call1((shared::loads(py, usage.json.as_str())?,))?;
    let text: String = shared::dumps(py)?.call1((checked,))?.extract()?;
    Ok(Json(text.into_boxed_str()))
}

fn arguments_text(py: Python<'_>, arguments: &mut Arguments) -> PyResult<()> {
    if let Arguments::Value(json) = arguments {
        *arguments = Arguments::Text(dumped(py, json)?);
    }
    Ok(())
}

/// `json.dumps` of the value, as the fallback writes arguments sent as an object.
fn dumped(py: Python<'_>, json: &Json) -> PyResult<String> {
    shared::dumps(py)?
        .call1((shared::loads(py, json.as_str())?,))?
        .extract()
}

/// A decoded chunk as Python objects. Its usage stays JSON until it is first read (`PyChunk::usage`).
pub(crate) fn chunk(py: Python<'_>, c: Chunk) -> PyResult<PyChunk> {
    let n = c.choices.len();
    let mut made = c.choices.into_iter().map(|ch| Bound::new(py, choice(py, ch)?));
    let choices = match (n, made.next()) {
        // The usual chunk: its list made from an array, with no vector allocated for it.
        (1, Some(only)) => PyList::new(py, [only?])?,
        (_, first) => PyList::new(py, first.into_iter().chain(made).collect::<PyResult<Vec<_>>>()?)?,
    };
    let usage = match c.usage {
        Some(usage) => Lazy::Raw(checked_usage(py, usage)?),
        None => Lazy::Absent,
    };
    Ok(PyChunk {
        id: c.id,
        created: c.created,
        model: c.model,
        object: None,
        system_fingerprint: c.system_fingerprint,
        service_tier: c.service_tier,
        choices: Some(choices.into_any().unbind()),
        usage,
        citations: Lazy::from_json(c.citations),
        provider_specific_fields: Lazy::from_json(c.provider_specific_fields),
        extras: Extras::from_json(c.extras),
    })
}

pub(crate) fn choice(py: Python<'_>, c: Choice) -> PyResult<PyChoice> {
    Ok(PyChoice {
        index: c.index,
        delta: Some(Bound::new(py, delta(py, c.delta)?)?.into_any().unbind()),
        finish_reason: c.finish_reason,
        logprobs: Lazy::from_json(c.logprobs),
        extras: Extras::from_json(c.extras),
    })
}

pub(crate) fn delta(py: Python<'_>, d: Delta) -> PyResult<PyDelta> {
    let rare = d.rare.map(|rare| *rare).unwrap_or_default();
    let tool_calls = match d.tool_calls {
        Some(calls) => {
            let calls = calls
                .into_iter()
                .map(|t| Bound::new(py, tool_call(py, t)?))
                .collect::<PyResult<Vec<_>>>()?;
            Some(PyList::new(py, calls)?.into_any().unbind())
        }
        None => None,
    };
    let function_call = match rare.function_call {
        Some(f) => Some(Bound::new(py, function(py, f)?)?.into_any().unbind()),
        None => None,
    };
    Ok(PyDelta {
        content: d.content,
        role: d.role,
        refusal: rare.refusal,
        reasoning_content: d.reasoning_content,
        tool_calls,
        function_call,
        thinking_blocks: Lazy::from_json(rare.thinking_blocks),
        annotations: Lazy::from_json(rare.annotations),
        audio: Lazy::from_json(rare.audio),
        provider_specific_fields: Lazy::from_json(rare.provider_specific_fields),
        extras: Extras::from_json(rare.extras),
    })
}

pub(crate) fn tool_call(py: Python<'_>, t: ToolCall) -> PyResult<PyToolCall> {
    Ok(PyToolCall {
        index: t.index,
        id: t.id,
        kind: t.kind,
        function: Some(Bound::new(py, function(py, t.function)?)?.into_any().unbind()),
        extras: Extras::from_json(t.extras),
    })
}

/// Arguments sent as a JSON object become the string `json.dumps` makes of it, as in the fallback.
pub(crate) fn function(py: Python<'_>, f: Function) -> PyResult<PyFunction> {
    let arguments = match f.arguments {
        Arguments::Text(text) => text,
        Arguments::Value(json) => dumped(py, &json)?,
    };
    Ok(PyFunction {
        name: f.name,
        arguments,
        extras: Extras::from_json(f.extras),
    })
}
