//! A stream's chunks merged as the decoder makes them: the core's chunks, no Python objects. Twin:
//! `python/rillm/_fallback/merge/stream.py`.
//!
//! What it keeps is what `merge_chunks` (`rust/python/merge.rs`) gathers from the same chunks as Python
//! objects: the merged header and choices, and per choice the values the merge does not inspect (logprobs,
//! annotations, provider fields, thinking blocks, a tool call's own provider fields), here as the raw JSON
//! the provider sent. The usage is merged apart (`usage.rs`).

use super::{Choice, ChoiceMerger, Header, Merger};
use crate::chunk::{Arguments, Chunk, Delta, Json, ToolCall};
use crate::json::object_fields;

#[derive(Debug, Default)]
pub struct StreamMerge {
    merger: Merger,
    opaque: Vec<Opaque>,
    citations: Option<Json>,
}

/// One choice's values the merge hands on as they are, in the order they came.
#[derive(Debug, Default, Clone)]
pub struct Opaque {
    pub index: i64,
    /// `None` until a delta has annotations (then a list, each item a list of annotations or one).
    pub annotations: Option<Vec<Json>>,
    pub logprobs: Vec<Json>,
    pub provider_specific_fields: Vec<Json>,
    pub thinking_blocks: Vec<Json>,
    /// Tool calls' `provider_specific_fields`, by the handle the merge keeps with each call.
    pub tool_fields: Vec<Json>,
}

/// The merge so far: what `merge_chunks` returns, with the opaque values as raw JSON.
#[derive(Debug)]
pub struct Merged<'m> {
    pub header: Header,
    pub choices: Vec<Choice>,
    pub opaque: &'m [Opaque],
    pub citations: Option<&'m Json>,
}

impl StreamMerge {
    /// Merges one decoded chunk. Arguments sent as a JSON value are merged as their JSON text (the bindings
    /// turn them into the text Python's `json.dumps` writes first, as the chunk objects show them).
    pub fn add(&mut self, chunk: &Chunk) {
        self.merger.header(
            &chunk.id,
            chunk.created,
            &chunk.model,
            chunk.system_fingerprint.as_deref(),
            chunk.service_tier.as_deref(),
        );
        if let Some(citations) = &chunk.citations {
            self.citations = Some(citations.clone());
        }
        for choice in &chunk.choices {
            let at = if let Some(at) = self.opaque.iter().rposition(|o| o.index == choice.index) {
                at
            } else {
                self.opaque.push(Opaque {
                    index: choice.index,
                    ..Opaque::default()
                });
                self.opaque.len() - 1
            };
            let values = &mut self.opaque[at];
            let acc = self.merger.choice(choice.index);
            if let Some(reason) = choice.finish_reason {
                acc.finish_reason(reason);
            }
            if let Some(logprobs) = &choice.logprobs {
                values.logprobs.push(logprobs.clone());
            }
            merge_delta(acc, values, &choice.delta);
        }
    }

    /// The merge so far.
    #[must_use]
    pub fn merged(&self) -> Merged<'_> {
        let (header, choices) = self.merger.snapshot();
        Merged {
            header,
            choices,
            opaque: &self.opaque,
            citations: self.citations.as_ref(),
        }
    }
}

fn merge_delta(acc: &mut ChoiceMerger, values: &mut Opaque, delta: &Delta) {
    if let Some(role) = &delta.role {
        acc.role(role);
    }
    if let Some(content) = &delta.content {
        acc.content(content);
    }
    if let Some(reasoning) = &delta.reasoning_content {
        acc.reasoning(reasoning);
    }
    for call in delta.tool_calls.iter().flatten() {
        merge_tool_call(acc, values, call);
    }
    let Some(rare) = &delta.rare else { return };
    if let Some(refusal) = &rare.refusal {
        acc.refusal(refusal);
    }
    if let Some(function) = &rare.function_call {
        acc.function_call(function.name.as_deref(), arguments(&function.arguments));
    }
    if let Some(annotations) = &rare.annotations {
        values
            .annotations
            .get_or_insert_with(Vec::new)
            .push(annotations.clone());
    }
    if let Some(fields) = &rare.provider_specific_fields {
        values.provider_specific_fields.push(fields.clone());
    }
    if let Some(blocks) = &rare.thinking_blocks {
        values.thinking_blocks.push(blocks.clone());
    }
}

fn merge_tool_call(acc: &mut ChoiceMerger, values: &mut Opaque, call: &ToolCall) {
    // The call's own `provider_specific_fields` (Gemini's thought signature) is one of its extras.
    let fields = call
        .extras
        .as_ref()
        .and_then(|extras| object_fields(extras.as_str(), ["provider_specific_fields"])?[0])
        .filter(|raw| *raw != "null");
    let extra = fields.map(|raw| {
        values.tool_fields.push(Json(raw.into()));
        values.tool_fields.len() - 1
    });
    acc.tool_call(
        call.index,
        call.id.as_deref(),
        Some(call.kind()),
        call.function.name.as_deref(),
        arguments(&call.function.arguments),
        extra,
    );
}

fn arguments(arguments: &Arguments) -> &str {
    match arguments {
        Arguments::Text(text) => text,
        Arguments::Value(json) => json.as_str(),
    }
}
