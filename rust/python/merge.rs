//! Walking Python chunks into the core's `Merger`. Twin: `merge_chunks` in `python/rillm/_fallback/merge.py`.
//!
//! The chunks this backend decoded are read as Rust data, no Python objects made; anything else (a dict,
//! an object with `model_dump()`, or a chunk a caller filled with dicts) is first read with the decoder's
//! rules. Values the merge does not inspect (usage, logprobs, annotations, ...) are collected for
//! `python/rillm/_builder.py`, which finishes the response.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert;
use super::errors;
use super::lazy::Lazy;
use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};
use super::shared;
use crate::chunk::Json;
use crate::decode::{parse_piece, Piece};
use crate::merge::stream::Merged;
use crate::merge::usage::UsageMerge;
use crate::merge::{self, ChoiceMerger, Header, Merger};

/// The per-choice values handed to the builder as they are.
struct Opaque<'py> {
    index: i64,
    annotations: Option<Bound<'py, PyList>>,
    logprobs: Bound<'py, PyList>,
    provider_specific_fields: Bound<'py, PyList>,
    thinking_blocks: Bound<'py, PyList>,
    /// Tool calls' `provider_specific_fields`, by the handle the core's merge keeps with each call.
    tool_fields: Vec<Bound<'py, PyAny>>,
}

#[pyfunction]
pub(crate) fn merge_chunks<'py>(py: Python<'py>, chunks: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    match catch_unwind(AssertUnwindSafe(|| merge(py, chunks))) {
        Ok(result) => result,
        Err(_) => Err(errors::internal(py, "stream_chunk_builder")),
    }
}

fn merge<'py>(py: Python<'py>, chunks: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let mut merger = Merger::new();
    let mut opaque: Vec<Opaque<'py>> = Vec::new();
    let mut usage = UsageMerge::default();
    let mut citations = None;
    for (position, item) in chunks.try_iter()?.enumerate() {
        let item = item?;
        let chunk = if is_ours(&item) {
            item.cast_into::<PyChunk>()?
        } else {
            coerce(py, &item, position)?
        };
        let chunk = chunk.borrow();
        merger.header(
            &chunk.id,
            chunk.created,
            &chunk.model,
            chunk.system_fingerprint.as_deref(),
            chunk.service_tier.as_deref(),
        );
        merge_usage(py, &mut usage, &chunk.usage, position)?;
        if let Some(value) = chunk.citations.peek(py)? {
            citations = Some(value);
        }
        let Some(choices) = &chunk.choices else { continue };
        for choice in choices.bind(py).cast::<PyList>()?.iter() {
            let choice = choice.cast_into::<PyChoice>()?;
            let choice = choice.borrow();
            let values = opaque_for(py, &mut opaque, choice.index);
            merge_choice(py, merger.choice(choice.index), values, &choice)?;
        }
    }
    finish(py, merger.finish(), &opaque, &usage, citations)
}

/// A chunk's usage into the merge: its checked JSON as decoded, or a Python value (made on access, or set
/// by a caller) read through `rillm._shared.usage_fields`, as the twin reads it.
fn merge_usage(py: Python<'_>, merge: &mut UsageMerge, usage: &Lazy, position: usize) -> PyResult<()> {
    let result = match usage {
        Lazy::Absent => return Ok(()),
        Lazy::Raw(json) => merge.add(json.as_str()),
        Lazy::Object(object) => {
            let read = || -> PyResult<String> {
                let fields = shared::usage_fields(py)?.call1((object.bind(py),))?;
                shared::dumps(py)?.call1((fields,))?.extract()
            };
            match read() {
                Ok(text) => merge.add(&text),
                Err(e) => Err(e.value(py).to_string()),
            }
        }
    };
    result.map_err(|e| errors::api_error(py, format!("stream_chunk_builder: chunk {position}: {e}")))
}

/// The dict `merge_chunks` returns, from a decoder's running merge (`StreamDecoder.merged()`): the values
/// kept as raw JSON become Python objects here.
pub(crate) fn merged_dict<'py>(
    py: Python<'py>,
    merged: Merged<'_>,
    usage: &UsageMerge,
) -> PyResult<Bound<'py, PyDict>> {
    let loads = |json: &Json| shared::loads(py, json.as_str());
    let list = |items: &[Json]| -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        for item in items {
            out.append(loads(item)?)?;
        }
        Ok(out)
    };
    let mut opaque = Vec::with_capacity(merged.opaque.len());
    for o in merged.opaque {
        let mut values = Opaque {
            index: o.index,
            annotations: None,
            logprobs: list(&o.logprobs)?,
            provider_specific_fields: list(&o.provider_specific_fields)?,
            thinking_blocks: list(&o.thinking_blocks)?,
            tool_fields: o.tool_fields.iter().map(loads).collect::<PyResult<_>>()?,
        };
        for annotations in o.annotations.iter().flatten() {
            merge_annotations(py, &mut values, &loads(annotations)?)?;
        }
        opaque.push(values);
    }
    let citations = merged.citations.map(loads).transpose()?;
    finish(py, (merged.header, merged.choices), &opaque, usage, citations)
}

fn merge_choice<'py>(
    py: Python<'py>,
    acc: &mut ChoiceMerger,
    values: &mut Opaque<'py>,
    choice: &PyChoice,
) -> PyResult<()> {
    if let Some(reason) = choice.finish_reason {
        acc.finish_reason(reason);
    }
    push(py, &choice.logprobs, &values.logprobs)?;
    let Some(delta) = &choice.delta else { return Ok(()) };
    let delta = delta.bind(py).cast::<PyDelta>()?.borrow();
    if let Some(role) = &delta.role {
        acc.role(role);
    }
    if let Some(content) = &delta.content {
        acc.content(content);
    }
    if let Some(refusal) = &delta.refusal {
        acc.refusal(refusal);
    }
    if let Some(reasoning) = &delta.reasoning_content {
        acc.reasoning(reasoning);
    }
    if let Some(calls) = &delta.tool_calls {
        merge_tool_calls(py, acc, values, calls.bind(py))?;
    }
    if let Some(function) = &delta.function_call {
        let function = function.bind(py).cast::<PyFunction>()?.borrow();
        acc.function_call(function.name.as_deref(), &function.arguments);
    }
    if let Some(annotations) = delta.annotations.peek(py)? {
        merge_annotations(py, values, &annotations)?;
    }
    push(py, &delta.provider_specific_fields, &values.provider_specific_fields)?;
    push(py, &delta.thinking_blocks, &values.thinking_blocks)
}

fn merge_tool_calls<'py>(
    py: Python<'py>,
    acc: &mut ChoiceMerger,
    values: &mut Opaque<'py>,
    calls: &Bound<'py, PyAny>,
) -> PyResult<()> {
    for call in calls.cast::<PyList>()?.iter() {
        let call = call.cast_into::<PyToolCall>()?;
        let mut call = call.borrow_mut();
        let extra = match call.extras.get(py, intern!(py, "provider_specific_fields"))? {
            Some(fields) if !fields.is_none() => {
                values.tool_fields.push(fields);
                Some(values.tool_fields.len() - 1)
            }
            _ => None,
        };
        let Some(function) = &call.function else { continue };
        let function = function.bind(py).cast::<PyFunction>()?.borrow();
        acc.tool_call(
            call.index,
            call.id.as_deref(),
            Some(call.kind.as_deref().unwrap_or("function")),
            function.name.as_deref(),
            &function.arguments,
            extra,
        );
    }
    Ok(())
}

/// A delta's annotations join the choice's list: a list's items one by one, anything else whole.
fn merge_annotations<'py>(py: Python<'py>, values: &mut Opaque<'py>, annotations: &Bound<'py, PyAny>) -> PyResult<()> {
    let list = values.annotations.get_or_insert_with(|| PyList::empty(py));
    match annotations.cast::<PyList>() {
        Ok(items) => {
            for item in items.iter() {
                list.append(item)?;
            }
            Ok(())
        }
        Err(_) => list.append(annotations),
    }
}

fn push(py: Python<'_>, lazy: &Lazy, list: &Bound<'_, PyList>) -> PyResult<()> {
    match lazy.peek(py)? {
        Some(value) => list.append(value),
        None => Ok(()),
    }
}

fn opaque_for<'a, 'py>(py: Python<'py>, opaque: &'a mut Vec<Opaque<'py>>, index: i64) -> &'a mut Opaque<'py> {
    let at = opaque.iter().rposition(|o| o.index == index).unwrap_or_else(|| {
        opaque.push(Opaque {
            index,
            annotations: None,
            logprobs: PyList::empty(py),
            provider_specific_fields: PyList::empty(py),
            thinking_blocks: PyList::empty(py),
            tool_fields: Vec::new(),
        });
        opaque.len() - 1
    });
    &mut opaque[at]
}

fn finish<'py>(
    py: Python<'py>,
    (header, choices): (Header, Vec<merge::Choice>),
    opaque: &[Opaque<'py>],
    usage: &UsageMerge,
    citations: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let out = PyDict::new(py);
    out.set_item("id", header.id)?;
    out.set_item("created", header.created)?;
    out.set_item("model", header.model)?;
    out.set_item("system_fingerprint", header.system_fingerprint)?;
    out.set_item("service_tier", header.service_tier)?;
    let list = PyList::empty(py);
    for choice in choices {
        let values = opaque.iter().find(|o| o.index == choice.index);
        list.append(choice_dict(py, choice, values)?)?;
    }
    out.set_item("choices", list)?;
    let usage = usage.json().map(|json| shared::loads(py, json.as_str())).transpose()?;
    out.set_item("usage", usage)?;
    out.set_item("citations", citations)?;
    Ok(out)
}

fn choice_dict<'py>(py: Python<'py>, c: merge::Choice, values: Option<&Opaque<'py>>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("index", c.index)?;
    d.set_item("role", c.role)?;
    d.set_item("content", c.content)?;
    d.set_item("refusal", c.refusal)?;
    d.set_item("reasoning_content", c.reasoning_content)?;
    let calls = PyList::empty(py);
    for call in c.tool_calls {
        let t = PyDict::new(py);
        t.set_item("index", call.index)?;
        t.set_item("id", call.id)?;
        t.set_item("type", call.kind)?;
        t.set_item("function", function_dict(py, call.function)?)?;
        if let Some(fields) = call.extra.and_then(|at| values?.tool_fields.get(at)) {
            t.set_item("provider_specific_fields", fields)?;
        }
        calls.append(t)?;
    }
    d.set_item("tool_calls", calls)?;
    d.set_item(
        "function_call",
        c.function_call.map(|f| function_dict(py, f)).transpose()?,
    )?;
    d.set_item("finish_reason", c.finish_reason.as_str())?;
    let empty = || PyList::empty(py);
    d.set_item("annotations", values.and_then(|v| v.annotations.clone()))?;
    d.set_item("logprobs", values.map_or_else(empty, |v| v.logprobs.clone()))?;
    d.set_item(
        "provider_specific_fields",
        values.map_or_else(empty, |v| v.provider_specific_fields.clone()),
    )?;
    d.set_item(
        "thinking_blocks",
        values.map_or_else(empty, |v| v.thinking_blocks.clone()),
    )?;
    Ok(d)
}

fn function_dict(py: Python<'_>, f: merge::Function) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("name", f.name)?;
    d.set_item("arguments", f.arguments)?;
    Ok(d)
}

/// Whether `item` is this backend's chunk all the way down (a caller may have put dicts inside).
fn is_ours(item: &Bound<'_, PyAny>) -> bool {
    let py = item.py();
    let Ok(chunk) = item.cast_exact::<PyChunk>() else {
        return false;
    };
    let chunk = chunk.borrow();
    let Some(choices) = &chunk.choices else { return true };
    let Ok(choices) = choices.bind(py).cast_exact::<PyList>() else {
        return false;
    };
    choices.iter().all(|choice| {
        let Ok(choice) = choice.cast_exact::<PyChoice>() else {
            return false;
        };
        let choice = choice.borrow();
        let Some(delta) = &choice.delta else { return true };
        let Ok(delta) = delta.bind(py).cast_exact::<PyDelta>() else {
            return false;
        };
        let delta = delta.borrow();
        let is_function = |f: &Py<PyAny>| f.bind(py).is_exact_instance_of::<PyFunction>();
        let calls_ours = delta.tool_calls.as_ref().is_none_or(|calls| {
            calls.bind(py).cast_exact::<PyList>().is_ok_and(|calls| {
                calls.iter().all(|call| {
                    call.cast_exact::<PyToolCall>()
                        .is_ok_and(|call| call.borrow().function.as_ref().is_none_or(is_function))
                })
            })
        });
        calls_ours && delta.function_call.as_ref().is_none_or(is_function)
    })
}

/// A dict, or an object with `model_dump()`, read with the decoder's rules.
fn coerce<'py>(py: Python<'py>, item: &Bound<'py, PyAny>, position: usize) -> PyResult<Bound<'py, PyChunk>> {
    let read = || -> PyResult<Bound<'py, PyChunk>> {
        let data = if item.is_instance_of::<PyDict>() {
            item.clone()
        } else {
            item.call_method0("model_dump")?
        };
        let data = shared::dump_value(py)?.call1((data, false))?;
        let text: String = shared::dumps(py)?.call1((data,))?.extract()?;
        match parse_piece("chunk", &text).map_err(pyo3::exceptions::PyValueError::new_err)? {
            Piece::Chunk(chunk) => Bound::new(py, convert::chunk(py, chunk)?),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    };
    read().map_err(|e| {
        let message = format!(
            "stream_chunk_builder: chunk {position} is not a chat.completion.chunk: {}",
            e.value(py)
        );
        errors::api_error(py, message)
    })
}
