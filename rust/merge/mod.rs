//! Merging chunks into one response: the per-chunk half of `stream_chunk_builder`.
//! Twin: `python/rillm/_fallback/merge/__init__.py`. The per-stream half (logprobs, annotations, provider
//! fields, the pydantic `ModelResponse`) is shared Python in `python/rillm/_builder.py`.
//!
//! `usage.rs` merges the usage the chunks report; `stream.rs` merges a stream's chunks as the decoder makes
//! them (for `StreamDecoder(merge=True)`), and `delivery.rs` is what happens to each decoded chunk on its
//! way to the caller (that merge, usage on the finish chunk, leaving out chunks without choices).
//!
//! Rules, per choice (choices with different indexes are never mixed):
//! - role: the first non-empty role, else `assistant`;
//! - content, refusal, reasoning: the pieces concatenated in order. `content` is `None` rather than `""`
//!   when the choice holds tool calls, a function call or a refusal; refusal and reasoning are `None` when
//!   empty;
//! - tool calls are keyed by their index. A delta whose id differs from the call already at that index
//!   starts a new call (two parallel calls sent on one index); a delta without an id continues the latest
//!   call at its index. id, type and name come from the first delta that has them (empty strings do not
//!   count); argument fragments concatenate in order, an exact resend of arguments that are already
//!   complete JSON is not appended again, and a call that got no arguments has `{}`;
//! - the finish reason is the last one reported; `stop` (or none) becomes `tool_calls` when tool calls
//!   were streamed, and none at all is `stop`.
//!
//! Response-wide: the first non-empty id, the first non-zero `created`, the first non-empty model (or the
//! first later one that differs from it: Azure's model router names itself first), the first system
//! fingerprint, the last service tier.

pub mod delivery;
pub mod stream;
pub mod usage;

use crate::chunk::FinishReason;

#[derive(Debug, Default, Clone)]
pub struct Merger {
    header: Header,
    choices: Vec<ChoiceMerger>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Header {
    pub id: String,
    pub created: i64,
    pub model: String,
    model_switched: bool,
    pub system_fingerprint: Option<String>,
    pub service_tier: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct ChoiceMerger {
    index: i64,
    role: Option<String>,
    content: String,
    refusal: String,
    reasoning: Option<String>,
    tool_calls: Vec<ToolCall>,
    function_call: Option<Function>,
    finish_reason: Option<FinishReason>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub index: i64,
    pub id: Option<String>,
    pub kind: Option<String>,
    pub function: Function,
    /// A handle the caller attached with the first delta that had one (the bindings use it for the call's
    /// `provider_specific_fields`, such as Gemini's thought signature).
    pub extra: Option<usize>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Function {
    pub name: Option<String>,
    pub arguments: String,
}

/// One merged choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub index: i64,
    pub role: String,
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub reasoning_content: Option<String>,
    pub tool_calls: Vec<ToolCall>,
    pub function_call: Option<Function>,
    pub finish_reason: FinishReason,
}

impl Merger {
    #[must_use]
    pub fn new() -> Self {
        Merger::default()
    }

    pub fn header(&mut self, id: &str, created: i64, model: &str, fingerprint: Option<&str>, tier: Option<&str>) {
        let h = &mut self.header;
        if h.id.is_empty() && !id.is_empty() {
            id.clone_into(&mut h.id);
        }
        if h.created == 0 {
            h.created = created;
        }
        if !model.is_empty() && h.model != model {
            if h.model.is_empty() {
                model.clone_into(&mut h.model);
            } else if !h.model_switched {
                model.clone_into(&mut h.model);
                h.model_switched = true;
            }
        }
        if h.system_fingerprint.is_none() {
            h.system_fingerprint = fingerprint.map(str::to_owned);
        }
        if let Some(tier) = tier {
            h.service_tier = Some(tier.to_owned());
        }
    }

    /// The accumulator of choice `index`, created on first use.
    pub fn choice(&mut self, index: i64) -> &mut ChoiceMerger {
        let at = if let Some(at) = self.choices.iter().rposition(|c| c.index == index) {
            at
        } else {
            self.choices.push(ChoiceMerger {
                index,
                ..ChoiceMerger::default()
            });
            self.choices.len() - 1
        };
        &mut self.choices[at]
    }

    /// The merged header and choices so far, the merger going on.
    #[must_use]
    pub fn snapshot(&self) -> (Header, Vec<Choice>) {
        self.clone().finish()
    }

    /// The merged header and choices, ordered by index.
    #[must_use]
    pub fn finish(self) -> (Header, Vec<Choice>) {
        let mut choices: Vec<Choice> = self.choices.into_iter().map(ChoiceMerger::finish).collect();
        choices.sort_by_key(|c| c.index);
        (self.header, choices)
    }
}

impl ChoiceMerger {
    pub fn role(&mut self, role: &str) {
        if self.role.is_none() && !role.is_empty() {
            self.role = Some(role.to_owned());
        }
    }

    pub fn content(&mut self, piece: &str) {
        self.content.push_str(piece);
    }

    pub fn refusal(&mut self, piece: &str) {
        self.refusal.push_str(piece);
    }

    pub fn reasoning(&mut self, piece: &str) {
        self.reasoning.get_or_insert_with(String::new).push_str(piece);
    }

    pub fn tool_call(
        &mut self,
        index: i64,
        id: Option<&str>,
        kind: Option<&str>,
        name: Option<&str>,
        arguments: &str,
        extra: Option<usize>,
    ) {
        let id = id.filter(|s| !s.is_empty());
        let latest = self.tool_calls.iter().rposition(|t| t.index == index);
        let at = match latest {
            Some(at) if !matches!((id, &self.tool_calls[at].id), (Some(new), Some(old)) if new != old) => at,
            _ => {
                self.tool_calls.push(ToolCall {
                    index,
                    ..ToolCall::default()
                });
                self.tool_calls.len() - 1
            }
        };
        let call = &mut self.tool_calls[at];
        fill(&mut call.id, id);
        fill(&mut call.kind, kind);
        fill(&mut call.function.name, name);
        if call.extra.is_none() {
            call.extra = extra;
        }
        append_arguments(&mut call.function.arguments, arguments);
    }

    pub fn function_call(&mut self, name: Option<&str>, arguments: &str) {
        let function = self.function_call.get_or_insert_with(Function::default);
        fill(&mut function.name, name);
        function.arguments.push_str(arguments);
    }

    pub fn finish_reason(&mut self, reason: FinishReason) {
        self.finish_reason = Some(reason);
    }

    fn finish(self) -> Choice {
        let mut tool_calls = self.tool_calls;
        // Stable: calls that share an index keep their arrival order.
        tool_calls.sort_by_key(|t| t.index);
        for call in &mut tool_calls {
            call.kind.get_or_insert_with(|| "function".to_owned());
            if call.function.arguments.is_empty() {
                call.function.arguments.push_str("{}");
            }
        }
        let refusal = (!self.refusal.is_empty()).then_some(self.refusal);
        let has_other = !tool_calls.is_empty() || self.function_call.is_some() || refusal.is_some();
        let content = (!(has_other && self.content.is_empty())).then_some(self.content);
        let finish_reason = match self.finish_reason {
            None | Some(FinishReason::Stop) if !tool_calls.is_empty() => FinishReason::ToolCalls,
            None => FinishReason::Stop,
            Some(reason) => reason,
        };
        Choice {
            index: self.index,
            role: self.role.unwrap_or_else(|| "assistant".to_owned()),
            content,
            refusal,
            reasoning_content: self.reasoning.filter(|r| !r.is_empty()),
            tool_calls,
            function_call: self.function_call,
            finish_reason,
        }
    }
}

fn fill(slot: &mut Option<String>, value: Option<&str>) {
    if slot.is_none() {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            *slot = Some(value.to_owned());
        }
    }
}

/// Appends a fragment, unless it repeats arguments that are already complete (Groq and Mistral resend
/// whole arguments). Keep in sync with `python/rillm/_fallback/merge/__init__.py::append_arguments`.
fn append_arguments(arguments: &mut String, fragment: &str) {
    if fragment.is_empty() {
        return;
    }
    if fragment == arguments && crate::json::is_complete_json(arguments) {
        return;
    }
    arguments.push_str(fragment);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merged(build: impl FnOnce(&mut ChoiceMerger)) -> Choice {
        let mut merger = Merger::new();
        build(merger.choice(0));
        merger.finish().1.remove(0)
    }

    #[test]
    fn tool_calls_by_index_with_first_id_and_name() {
        let choice = merged(|c| {
            c.tool_call(0, Some("call_a"), Some("function"), Some("get_weather"), "", None);
            c.tool_call(1, Some("call_b"), Some("function"), Some("add"), "{\"a\":", None);
            c.tool_call(0, None, None, Some(""), "{\"city\":", None);
            c.tool_call(0, Some(""), None, None, "\"Paris\"}", None);
            c.tool_call(1, None, None, None, "1}", None);
            c.finish_reason(FinishReason::Stop);
        });
        let calls: Vec<_> = choice
            .tool_calls
            .iter()
            .map(|t| {
                (
                    t.id.as_deref(),
                    t.function.name.as_deref(),
                    t.function.arguments.as_str(),
                )
            })
            .collect();
        assert_eq!(
            calls,
            [
                (Some("call_a"), Some("get_weather"), "{\"city\":\"Paris\"}"),
                (Some("call_b"), Some("add"), "{\"a\":1}")
            ]
        );
        assert_eq!(choice.finish_reason, FinishReason::ToolCalls);
        assert_eq!(choice.content, None);
    }

    #[test]
    fn resends_are_not_doubled_and_empty_arguments_are_braces() {
        let choice = merged(|c| {
            c.tool_call(0, Some("1"), None, Some("f"), "{\"x\":1}", None);
            c.tool_call(0, None, None, None, "{\"x\":1}", None);
            c.tool_call(1, Some("2"), None, Some("g"), "", None);
        });
        assert_eq!(choice.tool_calls[0].function.arguments, "{\"x\":1}");
        assert_eq!(choice.tool_calls[1].function.arguments, "{}");
        assert_eq!(choice.tool_calls[1].kind.as_deref(), Some("function"));
    }

    #[test]
    fn a_new_id_on_a_used_index_is_a_new_call() {
        let choice = merged(|c| {
            c.tool_call(0, Some("a"), None, Some("f"), "{}", None);
            c.tool_call(0, Some("b"), None, Some("g"), "{\"y\":", None);
            c.tool_call(0, None, None, None, "2}", None);
        });
        let args: Vec<_> = choice
            .tool_calls
            .iter()
            .map(|t| t.function.arguments.as_str())
            .collect();
        assert_eq!(args, ["{}", "{\"y\":2}"]);
    }

    #[test]
    fn text_and_header() {
        let mut merger = Merger::new();
        merger.header("", 0, "router", None, None);
        merger.header("chatcmpl-1", 5, "gpt-4o", Some("fp"), Some("default"));
        merger.header("chatcmpl-2", 6, "gpt-4o-mini", None, Some("flex"));
        let c = merger.choice(0);
        c.role("assistant");
        c.content("Hel");
        c.content("lo");
        let (header, choices) = merger.finish();
        assert_eq!(
            (header.id.as_str(), header.created, header.model.as_str()),
            ("chatcmpl-1", 5, "gpt-4o")
        );
        assert_eq!(header.service_tier.as_deref(), Some("flex"));
        assert_eq!(choices[0].content.as_deref(), Some("Hello"));
        assert_eq!(choices[0].finish_reason, FinishReason::Stop);
    }
}
