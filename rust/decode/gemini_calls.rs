//! Gemini's function calls: a whole call in one `functionCall` part, or one streamed with
//! `streamFunctionCallArguments` (its arguments written by `gemini_args.rs`), for `gemini.rs`. Twin:
//! `python/rillm/_fallback/decode/gemini.py` (`function_call`, `streamed_arguments`).

use super::fields::{objects, Bad, Obj, R};
use super::gemini::{Candidate, GeminiDecoder};
use super::gemini_args::ArgsWriter;
use crate::chunk::{Arguments, Json, ToolCall};

impl GeminiDecoder {
    /// One `functionCall` part: a whole call, the start of a streamed one, or the next piece of it (a part
    /// without a name while a call is streaming; without one streaming it says nothing).
    pub(super) fn function_call(
        &mut self,
        at: usize,
        call: &Obj<'_>,
        signature: Option<&str>,
        calls: &mut Vec<ToolCall>,
    ) -> R<()> {
        let name = call.string("name")?.filter(|n| !n.is_empty());
        let will_continue = call.bool("willContinue")? == Some(true);
        if name.is_none() {
            return streamed_arguments(&mut self.candidates[at], call, will_continue, calls);
        }
        let state = &mut self.candidates[at];
        if let Some(mut unfinished) = state.streaming.take() {
            // A new call while one was still streaming: that one is over.
            calls.push(super::to_openai::tool_arguments(unfinished.tool, unfinished.close()));
        }
        let (tool, candidate_index) = (state.tools, state.index);
        state.tools += 1;
        let id = match call.string("id")?.filter(|id| !id.is_empty()) {
            Some(id) => id,
            None if candidate_index == 0 => self.header.tool_id(tool),
            None => self.header.tool_id(format!("{candidate_index}_{tool}")),
        };
        let args = call.raw_obj("args")?;
        let streaming = will_continue && args.is_none();
        let arguments = match args {
            Some(raw) => Arguments::Value(Json(raw.into())),
            None if streaming => Arguments::default(),
            None => Arguments::Text("{}".to_owned()),
        };
        let mut out = super::to_openai::tool_start(tool, Some(id), name, arguments);
        if let Some(raw) = signature {
            call_signature(raw)?;
            out.extras = Some(Json(
                format!(r#"{{"provider_specific_fields":{{"thought_signature":{raw}}}}}"#).into_boxed_str(),
            ));
        }
        if streaming {
            let mut writer = ArgsWriter::new(tool);
            let mut fragment = String::new();
            for partial in objects(&call.list("partialArgs")?.unwrap_or_default(), "partialArgs")? {
                writer.apply(&partial, &mut fragment)?;
            }
            if let Arguments::Text(text) = &mut out.function.arguments {
                text.push_str(&fragment);
            }
            self.candidates[at].streaming = Some(writer);
        }
        calls.push(out);
        Ok(())
    }
}

/// The next piece of the call being streamed (a `functionCall` without a name).
fn streamed_arguments(state: &mut Candidate, call: &Obj<'_>, will_continue: bool, calls: &mut Vec<ToolCall>) -> R<()> {
    let Some(writer) = state.streaming.as_mut() else {
        return Ok(());
    };
    let mut fragment = String::new();
    for partial in objects(&call.list("partialArgs")?.unwrap_or_default(), "partialArgs")? {
        writer.apply(&partial, &mut fragment)?;
    }
    let tool = writer.tool;
    if !will_continue {
        fragment.push_str(&writer.close());
        state.streaming = None;
    }
    if !fragment.is_empty() {
        calls.push(super::to_openai::tool_arguments(tool, fragment));
    }
    Ok(())
}

/// A `thoughtSignature` must be a string.
fn call_signature(raw: &str) -> R<()> {
    if raw.starts_with('"') {
        Ok(())
    } else {
        Err(Bad("`thoughtSignature`: expected a string".to_owned()))
    }
}
