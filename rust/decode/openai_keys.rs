//! The keys the `OpenAI` dialect knows, at every level of a chunk, told apart in one comparison each, and
//! what the reader keeps of the last chunk's keys for the next: each level's key order (`guess.rs`'s
//! `Order`, which guesses each key from the one at its place in the last object of its level), and the
//! text a choice began and ended with (`ChoiceHead`, `ChoiceTail`), which the next choice's text is
//! compared with instead of being parsed again.
//! The Python twin checks its dicts against key sets instead (`python/rillm/_fallback/decode/openai_wire.py`).

use super::guess::Order;
use crate::chunk::Json;

/// The key orders of every level of a chunk, kept by the stream's decoder from one chunk to the next;
/// each level's reader takes its own and those below it.
#[derive(Debug, Default)]
pub(crate) struct ChunkKeys {
    pub(super) chunk: Order<Field>,
    pub(super) choices: ChoiceKeys,
}

#[derive(Debug, Default)]
pub(crate) struct ChoiceKeys {
    pub(super) choice: Order<Field>,
    pub(super) delta: DeltaKeys,
    pub(crate) head: ChoiceHead,
    pub(crate) tail: ChoiceTail,
}

/// How the last choice began, up to its delta: its text from its opening brace through the colon after
/// `"delta"` (and the whitespace after it), when every key before it was `index`, with the choice's
/// position in its list and the index read. A choice at the same position whose text begins with the same
/// bytes reads the same up to there (as the chunk's `Head` in `openai_wire.rs`).
#[derive(Debug, Default)]
pub(crate) struct ChoiceHead {
    /// A `String`, refilled in place: a stream whose chunks alternate between heads (one choice per chunk
    /// whose index alternates, as with `n` > 1) allocates no head per chunk.
    pub(crate) text: String,
    /// How many keys the head holds, `delta` included.
    pub(crate) keys: usize,
    pub(crate) position: i64,
    pub(crate) index: i64,
}

impl ChoiceHead {
    /// Keeps `text` as the head of a choice at `position` whose first `keys` keys read as `index`, unless
    /// it is the head already.
    pub(crate) fn keep(&mut self, text: &str, keys: usize, position: i64, index: i64) {
        if self.position == position && self.text == text {
            return;
        }
        self.text.clear();
        self.text.push_str(text);
        (self.keys, self.position, self.index) = (keys, position, index);
    }
}

/// How the last choice ended after its delta: its text from just past the delta's value through the
/// choice's closing brace, when every key there was a `logprobs` or `finish_reason` of null (what a
/// stream's choice sends until its last chunk), with the choice's position and which of the two it nulls.
/// A choice at the same position whose text after its delta is the same bytes reads the same from there.
#[derive(Debug, Default)]
pub(crate) struct ChoiceTail {
    pub(crate) text: String,
    pub(crate) position: i64,
    pub(crate) nulls: u8,
}

impl ChoiceTail {
    /// A tail's `nulls`: it sets `logprobs` to null.
    pub(crate) const LOGPROBS: u8 = 1;
    /// A tail's `nulls`: it sets `finish_reason` to null.
    pub(crate) const FINISH_REASON: u8 = 2;

    /// When the choice at `position` goes on at `at` in `text` with this tail: the offset past it, having
    /// nulled the choice's `logprobs` and `finish` reason as the tail does.
    #[inline]
    pub(crate) fn resume(
        &self,
        (text, at): (&str, usize),
        position: i64,
        logprobs: &mut Option<Json>,
        finish: &mut Option<String>,
    ) -> Option<usize> {
        if self.position != position || self.text.is_empty() || !text.as_bytes()[at..].starts_with(self.text.as_bytes())
        {
            return None;
        }
        if self.nulls & Self::LOGPROBS != 0 {
            *logprobs = None;
        }
        if self.nulls & Self::FINISH_REASON != 0 {
            *finish = None;
        }
        Some(at + self.text.len())
    }

    /// Keeps `text` as the tail of a choice at `position`, refilled in place (as `ChoiceHead::keep`).
    pub(crate) fn keep(&mut self, text: &str, position: i64, nulls: u8) {
        if self.position == position && self.text == text {
            return;
        }
        self.text.clear();
        self.text.push_str(text);
        (self.position, self.nulls) = (position, nulls);
    }
}

#[derive(Debug, Default)]
pub(crate) struct DeltaKeys {
    pub(super) delta: Order<Field>,
    pub(super) calls: CallKeys,
}

#[derive(Debug, Default)]
pub(crate) struct CallKeys {
    pub(super) call: Order<Field>,
    pub(super) function: Order<Field>,
}

/// An order of `OpenAI` keys, each told by `field`.
impl Default for Order<Field> {
    fn default() -> Self {
        Order::new(|name| field(name.as_bytes()))
    }
}

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

impl Field {
    /// Whether a chunk's head (`Head`) may hold this key: the ones a stream sends the same on every chunk,
    /// and `choices`, which ends it.
    pub(super) fn begins_chunk(self) -> bool {
        matches!(
            self,
            Field::Id
                | Field::Model
                | Field::Object
                | Field::Created
                | Field::SystemFingerprint
                | Field::ServiceTier
                | Field::Choices
        )
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

#[cfg(test)]
mod tests {
    use super::{field, Field};

    #[test]
    fn each_known_key_is_told_by_its_name_and_no_other() {
        let known = [
            ("id", Field::Id),
            ("model", Field::Model),
            ("object", Field::Object),
            ("created", Field::Created),
            ("system_fingerprint", Field::SystemFingerprint),
            ("service_tier", Field::ServiceTier),
            ("choices", Field::Choices),
            ("usage", Field::Usage),
            ("citations", Field::Citations),
            ("provider_specific_fields", Field::ProviderSpecificFields),
            ("error", Field::Error),
            ("x_groq", Field::XGroq),
            ("index", Field::Index),
            ("delta", Field::Delta),
            ("finish_reason", Field::FinishReason),
            ("logprobs", Field::Logprobs),
            ("message", Field::Message),
            ("role", Field::Role),
            ("content", Field::Content),
            ("refusal", Field::Refusal),
            ("reasoning_content", Field::ReasoningContent),
            ("reasoning", Field::Reasoning),
            ("tool_calls", Field::ToolCalls),
            ("function_call", Field::FunctionCall),
            ("annotations", Field::Annotations),
            ("audio", Field::Audio),
            ("thinking_blocks", Field::ThinkingBlocks),
            ("type", Field::Type),
            ("function", Field::Function),
            ("name", Field::Name),
            ("arguments", Field::Arguments),
        ];
        for (name, expected) in known {
            assert_eq!(field(name.as_bytes()), expected, "{name}");
            // The same length, first and last byte, another middle; one byte more or less.
            let mut near = name.as_bytes().to_vec();
            if near.len() > 2 {
                near[1] ^= 0x20;
                assert_eq!(field(&near), Field::Other, "{name}");
            }
            assert_eq!(field(&name.as_bytes()[1..]), Field::Other, "{name}");
            assert_eq!(field(format!("{name}s").as_bytes()), Field::Other, "{name}");
        }
        assert_eq!(field(b""), Field::Other);
    }
}
