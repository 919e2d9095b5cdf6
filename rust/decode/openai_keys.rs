//! The keys the `OpenAI` dialect knows, at every level of a chunk, told apart in one comparison each, and
//! guessed from the last chunk's: a stream sends the same keys in the same order on every chunk, so each key
//! is first compared whole with the one at its place in the last object of its level (`Keys`), which
//! spares the scan for its closing quote and the lookup of what it is.
//! The Python twin checks its dicts against key sets instead (`python/rillm/_fallback/decode/openai.py`).

use crate::chunk::Json;
use crate::json::{Key, Parser, Result};

/// The keys of the last object read at one level of a chunk (the chunk, a choice, a delta, ...), in order,
/// with what each is: the guesses for the next object's. Only a guess: a key that differs is read as usual
/// and replaces the guess at its place.
#[derive(Debug, Default)]
pub(crate) struct KeyOrder(Vec<(Box<str>, Field)>);

/// How many keys of an object are remembered: enough for any chunk a provider sends, few enough that an
/// object with thousands of keys costs no more than that.
const REMEMBERED: usize = 32;

/// The key orders of every level of a chunk, kept by the stream's decoder from one chunk to the next;
/// each level's reader takes its own and those below it.
#[derive(Debug, Default)]
pub(crate) struct ChunkKeys {
    pub(crate) chunk: KeyOrder,
    pub(crate) choices: ChoiceKeys,
}

#[derive(Debug, Default)]
pub(crate) struct ChoiceKeys {
    pub(crate) choice: KeyOrder,
    pub(crate) delta: DeltaKeys,
    pub(crate) head: ChoiceHead,
    pub(crate) tail: ChoiceTail,
}

/// How the last choice began, up to its delta: its text from its opening brace through the colon after
/// `"delta"`, when every key before it was `index`, with the choice's position in its list and the index
/// read. A choice at the same position whose text begins with the same bytes reads the same up to there
/// (as the chunk's `Head` in `openai_wire.rs`).
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
    pub(crate) delta: KeyOrder,
    pub(crate) calls: CallKeys,
}

#[derive(Debug, Default)]
pub(crate) struct CallKeys {
    pub(crate) call: KeyOrder,
    pub(crate) function: KeyOrder,
}

/// Reads the keys of one object, each guessed from the same place in `order`.
pub(crate) struct Keys<'o> {
    order: &'o mut KeyOrder,
    at: usize,
}

impl<'o> Keys<'o> {
    pub(crate) fn new(order: &'o mut KeyOrder) -> Self {
        Keys { order, at: 0 }
    }

    /// Reads the keys of an object whose first `at` keys were read already.
    pub(crate) fn resumed(order: &'o mut KeyOrder, at: usize) -> Self {
        Keys { order, at }
    }

    /// Goes on as if the first `at` keys of the object had been read.
    pub(crate) fn skip_to(&mut self, at: usize) {
        self.at = at;
    }

    /// How many keys of the object have been read.
    pub(crate) fn read(&self) -> usize {
        self.at
    }

    /// The first key of the object that must come next, and what it is; `None` when the object is empty.
    #[inline]
    pub(crate) fn first<'a>(&mut self, p: &mut Parser<'a>) -> Result<Option<(Key<'a>, Field)>> {
        if p.object_start()? {
            self.key(p).map(Some)
        } else {
            Ok(None)
        }
    }

    /// The next key of the object, and what it is; `None` at its end.
    #[inline]
    pub(crate) fn next<'a>(&mut self, p: &mut Parser<'a>) -> Result<Option<(Key<'a>, Field)>> {
        if p.object_step()? {
            self.key(p).map(Some)
        } else {
            Ok(None)
        }
    }

    #[inline]
    fn key<'a>(&mut self, p: &mut Parser<'a>) -> Result<(Key<'a>, Field)> {
        let at = self.at;
        self.at += 1;
        if let Some((name, field)) = self.order.0.get(at) {
            if let Some(key) = p.key_if(name)? {
                return Ok((key, *field));
            }
        }
        let key = p.key()?;
        let field = field_of(&key);
        // A key with escapes is not remembered: its raw text is not what `key_if` may compare.
        if !key.escaped() {
            let guess = (Box::from(key.raw), field);
            if at < self.order.0.len() {
                self.order.0[at] = guess;
            } else if at == self.order.0.len() && at < REMEMBERED {
                self.order.0.push(guess);
            }
        }
        Ok((key, field))
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

#[cfg(test)]
mod tests {
    use super::{field_of, Field, KeyOrder, Keys};
    use crate::json::Parser;

    /// The keys and fields of an object's members, read with guesses from `order` (values skipped).
    fn guessed(text: &str, order: &mut KeyOrder) -> Vec<(String, Field)> {
        let mut p = Parser::new(text);
        let mut keys = Keys::new(order);
        let mut out = Vec::new();
        let mut key = keys.first(&mut p).unwrap();
        while let Some((k, field)) = key {
            out.push((String::from_utf8(k.name().into_owned()).unwrap(), field));
            p.any().unwrap();
            key = keys.next(&mut p).unwrap();
        }
        p.finish().unwrap();
        out
    }

    /// The same, read without guesses.
    fn plain(text: &str) -> Vec<(String, Field)> {
        let mut p = Parser::new(text);
        let mut out = Vec::new();
        let mut key = p.first_key().unwrap();
        while let Some(k) = key {
            out.push((String::from_utf8(k.name().into_owned()).unwrap(), field_of(&k)));
            p.any().unwrap();
            key = p.next_key().unwrap();
        }
        p.finish().unwrap();
        out
    }

    #[test]
    fn guessed_keys_read_as_unguessed_ones_whatever_the_last_object_had() {
        let objects = [
            r#"{"id":1,"model":2,"choices":3,"x":4}"#,
            r#"{"id":1,"model":2,"choices":3,"x":4}"#,
            r#"{"idx":1,"mode":2,"choices2":3,"x":4,"y":5}"#,
            r#"{ "id" : 1 , "x\"" : 2, "model":3}"#,
            r#"{"i\u0064":1,"model":2}"#,
            r#"{"model":1,"id":2}"#,
            r"{}",
            r#"{"id":1}"#,
            r#"{"content":"a","role":"b","a\\b":1,"x":2}"#,
            r#"{"content":"a","role":"b","a\\b":1,"x":2}"#,
        ];
        let mut order = KeyOrder::default();
        for text in objects {
            assert_eq!(guessed(text, &mut order), plain(text), "{text}");
        }
        let wide = format!(
            "{{{}}}",
            (0..100).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(",")
        );
        for _ in 0..2 {
            assert_eq!(guessed(&wide, &mut order), plain(&wide));
        }
        assert!(order.0.len() <= super::REMEMBERED);
    }

    #[test]
    fn a_guessed_key_still_needs_its_colon() {
        let mut order = KeyOrder::default();
        guessed(r#"{"id":1}"#, &mut order);
        let mut p = Parser::new(r#"{"id" 1}"#);
        assert!(Keys::new(&mut order).first(&mut p).is_err());
    }
}
