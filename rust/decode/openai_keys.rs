//! The keys the `OpenAI` dialect knows, at every level of a chunk, told apart in one comparison each.
//! The Python twin checks its dicts against key sets instead (`python/rillm/_fallback/decode/openai.py`).

use crate::json::Key;

/// The keys the OpenAI dialect names, at every level of a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
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

/// Which known key `key` is, comparing its raw bytes (decoding only a key that has escapes).
#[inline]
pub(super) fn field_of(key: &Key<'_>) -> Field {
    if key.escaped() {
        field(&key.name())
    } else {
        field(key.raw.as_bytes())
    }
}

/// One comparison per key: (length, first byte, last byte) already tells the known keys apart, and each
/// arm compares against its own literal, which the compiler inlines (its length is a constant).
fn field(name: &[u8]) -> Field {
    let (Some(&first), Some(&last)) = (name.first(), name.last()) else {
        return Field::Other;
    };
    let is = |text: &[u8], field: Field| if name == text { field } else { Field::Other };
    match (name.len(), first, last) {
        (2, b'i', b'd') => is(b"id", Field::Id),
        (5, b'm', b'l') => is(b"model", Field::Model),
        (6, b'o', b't') => is(b"object", Field::Object),
        (7, b'c', b'd') => is(b"created", Field::Created),
        (18, b's', b't') => is(b"system_fingerprint", Field::SystemFingerprint),
        (12, b's', b'r') => is(b"service_tier", Field::ServiceTier),
        (7, b'c', b's') => is(b"choices", Field::Choices),
        (5, b'u', b'e') => is(b"usage", Field::Usage),
        (9, b'c', b's') => is(b"citations", Field::Citations),
        (24, b'p', b's') => is(b"provider_specific_fields", Field::ProviderSpecificFields),
        (5, b'e', b'r') => is(b"error", Field::Error),
        (6, b'x', b'q') => is(b"x_groq", Field::XGroq),
        (5, b'i', b'x') => is(b"index", Field::Index),
        (5, b'd', b'a') => is(b"delta", Field::Delta),
        (13, b'f', b'n') => is(b"finish_reason", Field::FinishReason),
        (8, b'l', b's') => is(b"logprobs", Field::Logprobs),
        (7, b'm', b'e') => is(b"message", Field::Message),
        (4, b'r', b'e') => is(b"role", Field::Role),
        (7, b'c', b't') => is(b"content", Field::Content),
        (7, b'r', b'l') => is(b"refusal", Field::Refusal),
        (17, b'r', b't') => is(b"reasoning_content", Field::ReasoningContent),
        (9, b'r', b'g') => is(b"reasoning", Field::Reasoning),
        (10, b't', b's') => is(b"tool_calls", Field::ToolCalls),
        (13, b'f', b'l') => is(b"function_call", Field::FunctionCall),
        (11, b'a', b's') => is(b"annotations", Field::Annotations),
        (5, b'a', b'o') => is(b"audio", Field::Audio),
        (15, b't', b's') => is(b"thinking_blocks", Field::ThinkingBlocks),
        (4, b't', b'e') => is(b"type", Field::Type),
        (8, b'f', b'n') => is(b"function", Field::Function),
        (4, b'n', b'e') => is(b"name", Field::Name),
        (9, b'a', b's') => is(b"arguments", Field::Arguments),
        _ => Field::Other,
    }
}
