//! A decoded chunk in `OpenAI`'s shape: what every dialect produces. Plain data, no pyo3.
//!
//! Python sees these through the pyclasses in `rust/python/objects.rs`; the pure-Python twin is
//! `python/rillm/_fallback/chunk.py`. Values the hot path never inspects (usage, logprobs, annotations,
//! unknown keys, ...) stay as raw JSON text and become Python objects only when Python asks for them.

use std::sync::Arc;

/// A string shared by every chunk of a stream (id, model, fingerprint): one allocation per stream.
pub type Shared = Arc<str>;

/// JSON text known to be valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Json(pub Box<str>);

impl Json {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub id: Shared,
    pub created: i64,
    pub model: Shared,
    pub system_fingerprint: Option<Shared>,
    pub service_tier: Option<Shared>,
    pub choices: Vec<Choice>,
    pub usage: Option<Usage>,
    pub citations: Option<Json>,
    pub provider_specific_fields: Option<Json>,
    /// A JSON object of the keys the chunk type does not name (`obfuscation`, `x_groq`, ...), in order.
    pub extras: Option<Json>,
}

/// A chunk's usage in `OpenAI`'s shape, as JSON text.
///
/// `checked`: the text is what `rillm.types.Usage` accepts as it stands, so that the Python object can be
/// made when it is first read, never failing then: an object whose counts (`prompt_tokens`,
/// `completion_tokens`, `total_tokens`, the known keys of the two details objects, and DeepSeek's
/// `prompt_cache_hit_tokens`) are integers of 64 bits or null, and whose details are objects or null (see
/// `decode/usage.rs`). The usage the dialects build themselves is checked; a provider's usage of any other
/// shape is not, and the bindings check it with the pydantic model (`rillm._shared.check_usage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub json: Json,
    pub checked: bool,
}

impl Usage {
    /// Usage the decoder wrote itself.
    #[must_use]
    pub fn checked(json: Json) -> Self {
        Usage { json, checked: true }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Choice {
    pub index: i64,
    pub delta: Delta,
    pub finish_reason: Option<FinishReason>,
    pub logprobs: Option<Json>,
    pub extras: Option<Json>,
}

impl Choice {
    /// Whether the choice adds nothing to the message: no finish reason and an empty delta (the choice's
    /// own extras and logprobs aside), as Azure's content filter results after the finish chunk.
    #[must_use]
    pub fn carries_nothing(&self) -> bool {
        self.finish_reason.is_none() && self.delta.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Delta {
    pub role: Option<String>,
    pub content: Option<String>,
    pub reasoning_content: Option<String>,
    pub tool_calls: Option<Vec<ToolCall>>,
    /// The fields most deltas lack, boxed so that a delta stays small (it is moved several times).
    pub rare: Option<Box<DeltaRare>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeltaRare {
    pub refusal: Option<String>,
    pub function_call: Option<Function>,
    pub annotations: Option<Json>,
    pub audio: Option<Json>,
    pub thinking_blocks: Option<Json>,
    pub provider_specific_fields: Option<Json>,
    pub extras: Option<Json>,
}

impl Delta {
    /// No field set, not even to an empty value.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.role.is_none()
            && self.content.is_none()
            && self.reasoning_content.is_none()
            && self.tool_calls.is_none()
            && self.rare.as_deref().is_none_or(|rare| *rare == DeltaRare::default())
    }

    /// The rare fields, created on first use.
    pub fn rare_mut(&mut self) -> &mut DeltaRare {
        self.rare.get_or_insert_with(Box::default)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolCall {
    pub index: i64,
    pub id: Option<String>,
    /// The `type` key when it is not `"function"` (continuation deltas omit it, Mistral sends null, and
    /// both mean "function", as in LiteLLM).
    pub kind: Option<String>,
    pub function: Function,
    pub extras: Option<Json>,
}

impl ToolCall {
    #[must_use]
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("function")
    }
}

/// A tool call's function, or a legacy `function_call`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Function {
    pub name: Option<String>,
    pub arguments: Arguments,
    pub extras: Option<Json>,
}

/// Tool arguments are a string of JSON on the wire; a provider that sends an object instead gets it
/// serialised on the Python side with `json.dumps`, so both backends produce the same text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arguments {
    Text(String),
    Value(Json),
}

impl Default for Arguments {
    fn default() -> Self {
        Arguments::Text(String::new())
    }
}

/// `OpenAI`'s finish reasons; every provider value maps onto one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    Stop,
    Length,
    ToolCalls,
    ContentFilter,
    FunctionCall,
}

impl FinishReason {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::ToolCalls => "tool_calls",
            FinishReason::ContentFilter => "content_filter",
            FinishReason::FunctionCall => "function_call",
        }
    }

    /// Maps a provider's finish reason onto `OpenAI`'s (`LiteLLM`'s `map_finish_reason`, spec section 5.12),
    /// ignoring ASCII case. An empty string is no finish reason (Ollama sends `""` mid-stream); anything
    /// unknown is `stop`. Keep in sync with `python/rillm/_fallback/chunk.py::map_finish_reason`.
    #[must_use]
    pub fn map(provider: &str) -> Option<FinishReason> {
        const TABLE: &[(&str, FinishReason)] = &[
            ("stop", FinishReason::Stop),
            ("length", FinishReason::Length),
            ("tool_calls", FinishReason::ToolCalls),
            ("content_filter", FinishReason::ContentFilter),
            ("function_call", FinishReason::FunctionCall),
            // Anthropic
            ("end_turn", FinishReason::Stop),
            ("stop_sequence", FinishReason::Stop),
            ("max_tokens", FinishReason::Length),
            ("pause_turn", FinishReason::Length),
            ("compaction", FinishReason::Length),
            ("model_context_window_exceeded", FinishReason::Length),
            ("tool_use", FinishReason::ToolCalls),
            ("refusal", FinishReason::ContentFilter),
            // Cohere
            ("complete", FinishReason::Stop),
            ("tool_call", FinishReason::ToolCalls),
            ("error_toxic", FinishReason::ContentFilter),
            // Bedrock
            ("guardrail_intervened", FinishReason::ContentFilter),
            ("content_filtered", FinishReason::ContentFilter),
            // Gemini
            ("safety", FinishReason::ContentFilter),
            ("recitation", FinishReason::ContentFilter),
            ("blocklist", FinishReason::ContentFilter),
            ("prohibited_content", FinishReason::ContentFilter),
            ("spii", FinishReason::ContentFilter),
            ("image_safety", FinishReason::ContentFilter),
            // Zhipu
            ("sensitive", FinishReason::ContentFilter),
        ];
        if provider.is_empty() {
            return None;
        }
        let mapped = TABLE.iter().find(|(name, _)| name.eq_ignore_ascii_case(provider));
        Some(mapped.map_or(FinishReason::Stop, |&(_, reason)| reason))
    }
}

#[cfg(test)]
mod tests {
    use super::FinishReason;

    #[test]
    fn finish_reasons_map_like_litellm() {
        let cases = [
            ("stop", Some("stop")),
            ("MAX_TOKENS", Some("length")),
            ("end_turn", Some("stop")),
            ("tool_use", Some("tool_calls")),
            ("TOOL_CALL", Some("tool_calls")),
            ("SAFETY", Some("content_filter")),
            ("eos", Some("stop")),
            ("something_new", Some("stop")),
            ("", None),
        ];
        for (provider, expected) in cases {
            assert_eq!(
                FinishReason::map(provider).map(FinishReason::as_str),
                expected,
                "{provider}"
            );
        }
    }
}
