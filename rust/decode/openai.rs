//! The `OpenAI` chat-completions dialect: `OpenAI`, Azure and every OpenAI-compatible server (Groq, Mistral,
//! `DeepSeek`, xAI, `OpenRouter`, Perplexity, Together, Fireworks, vLLM, llama.cpp, ...).
//! Twin: `python/rillm/_fallback/decode/openai.py`.
//!
//! Each `data:` payload is one `chat.completion.chunk`, decoded as sent, with these normalisations:
//! `object` is always `chat.completion.chunk`; an id, model or `created` the chunk lacks is the last one
//! the stream sent (Azure's filter chunks have none); `reasoning` becomes `reasoning_content`; Mistral's
//! list-of-parts `content` is split into `content` and `reasoning_content`; Groq's `x_groq.usage` stands in
//! for a missing `usage`; finish reasons map onto `OpenAI`'s. `[DONE]` ends the stream. An `event: error`,
//! a payload with a truthy `error`, or a finish reason of `error`/`abort` raise the provider's error
//! (after the chunk's own content, when it has choices, has been handed over).

use super::dialect::{provider_error, Dialect};
use super::openai_parts::with_field;
use super::openai_seen::Seen;
use super::openai_wire::{read_chunk, WireChunk};
use super::{Options, Sink};
use crate::chunk::{Chunk, Delta, Json, Shared};
use crate::error::Error;
use crate::framing::{Event, Flow, Framing};
use crate::json::{
    collapse_repeated_keys, is_truthy, object_fields, push_json_string, trim_json_ws, utf8_lossy, JsonError, Parser,
};

#[derive(Debug)]
pub(crate) struct OpenAiDecoder {
    seen: Seen,
    created: Option<i64>,
    default_model: Shared,
    default_created: i64,
    /// Every choice index seen, and whether it has finished.
    choices: Vec<(i64, bool)>,
}

impl Dialect for OpenAiDecoder {
    const NAME: &'static str = "openai";
    const FRAMING: Framing = Framing::Sse;
    const TERMINATOR: &'static str = "before [DONE] or a finish_reason for every choice";
    const NEEDS_ID: bool = false;

    fn new(options: &Options) -> Self {
        OpenAiDecoder::with_defaults(&options.model, options.created)
    }

    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let data = utf8_lossy(event.data);
        if event.kind == b"error" {
            return Err(provider_error(event.pos, "error", &data));
        }
        let payload = trim_json_ws(&data);
        if payload.is_empty() {
            return Ok(Flow::Continue);
        }
        if payload.starts_with("[DONE]") {
            return Ok(Flow::Stop);
        }
        let mut merged = None;
        let mut wire = read_chunk(&data, &mut self.seen, &mut merged).map_err(|detail| Error::Decode {
            pos: event.pos,
            detail: format!("invalid chunk: {detail}"),
        })?;
        let error = wire.error.is_some_and(is_truthy);
        if error && wire.choices.is_none() {
            return Err(provider_error(event.pos, "", &data));
        }
        let failed_with = wire.failed_with.take();
        // Straight to the sink, without a `Step` around it (one move less): this is the hot loop.
        sink(self.chunk(wire), event.pos)?;
        if error {
            return Err(provider_error(event.pos, "", &data));
        }
        if let Some(reason) = failed_with {
            return Err(provider_error(event.pos, "", &finish_reason_error(&reason)));
        }
        Ok(Flow::Continue)
    }

    /// Whether the stream may end here without `[DONE]`: some choice was seen and every one has finished
    /// (Perplexity and others send no `[DONE]`).
    fn complete(&self) -> bool {
        !self.choices.is_empty() && self.choices.iter().all(|&(_, finished)| finished)
    }
}

impl OpenAiDecoder {
    /// A decoder whose chunks get `default_model` and `default_created` when they lack their own.
    pub(crate) fn with_defaults(default_model: &str, default_created: i64) -> Self {
        OpenAiDecoder {
            seen: Seen::default(),
            created: None,
            default_model: default_model.into(),
            default_created,
            choices: Vec::new(),
        }
    }

    fn chunk(&mut self, wire: WireChunk<'_>) -> Chunk {
        if wire.created.is_some() {
            self.created = wire.created;
        }
        let choices = wire.choices.unwrap_or_default();
        for choice in &choices {
            self.track(choice.index, choice.finish_reason.is_some());
        }
        let usage = wire
            .usage
            .or_else(|| wire.x_groq.and_then(|x| object_fields(x, ["usage"])?[0]));
        let mut provider_specific_fields = wire.provider_specific_fields.map(|p| Json(p.into()));
        let mut service_tier = wire.service_tier;
        if let Some(tier) = service_tier.take_if(|t| !OPENAI_SERVICE_TIERS.contains(&&**t)) {
            let mut value = String::new();
            push_json_string(&mut value, &tier);
            provider_specific_fields = Some(with_field(provider_specific_fields, "service_tier", &value));
        }
        Chunk {
            id: wire
                .id
                .or_else(|| self.seen.strings.id.value.clone())
                .unwrap_or_else(|| "".into()),
            created: self.created.unwrap_or(self.default_created),
            model: wire
                .model
                .or_else(|| self.seen.strings.model.value.clone())
                .unwrap_or_else(|| self.default_model.clone()),
            system_fingerprint: wire.system_fingerprint,
            service_tier,
            choices,
            usage: usage.filter(|u| u.trim() != "null").map(super::usage::check),
            citations: wire.citations.map(|c| Json(c.into())),
            provider_specific_fields,
            extras: wire.extras.finish(),
        }
    }

    /// `decode`, with nothing guessed from the last chunk (`Seen::forget_guesses`).
    #[cfg(test)]
    pub(crate) fn unguessed(&mut self, data: &str, pos: crate::error::Pos, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        self.seen.forget_guesses();
        self.decode(Event::data(data.as_bytes(), pos), sink)
    }

    fn track(&mut self, index: i64, finished: bool) {
        match self.choices.iter_mut().find(|(i, _)| *i == index) {
            Some(entry) => entry.1 |= finished,
            None => self.choices.push((index, finished)),
        }
    }
}

/// One object parsed on its own, outside any stream (see `decode::parse_piece`). Like a chunk in a stream,
/// it is read again with its repeated keys collapsed when the first read fails (`read_chunk`).
pub(crate) fn parse_piece(kind: &str, text: &str) -> Result<super::Piece, JsonError> {
    if kind == "chunk" {
        let mut decoder = OpenAiDecoder::with_defaults("", 0);
        let mut merged = None;
        let chunk = read_chunk(text, &mut decoder.seen, &mut merged).map_err(|e| e.error)?;
        return Ok(super::Piece::Chunk(decoder.chunk(chunk)));
    }
    read_piece(kind, text).or_else(|error| match collapse_repeated_keys(text) {
        Some(merged) => read_piece(kind, &merged),
        None => Err(error),
    })
}

fn read_piece(kind: &str, text: &str) -> Result<super::Piece, JsonError> {
    use super::guess::Order;
    use super::openai_keys::{CallKeys, ChoiceKeys, DeltaKeys};
    use super::openai_wire as wire;
    use super::openai_delta;
    use super::Piece;
    let mut p = Parser::new(text);
    let piece = match kind {
        "choice" => {
            let mut choice = crate::chunk::Choice::default();
            wire::choice(&mut p, &mut choice, 0, &mut None, &mut ChoiceKeys::default(), None)?;
            Piece::Choice(choice)
        }
        "delta" => {
            let mut delta = Delta::default();
            openai_delta::delta(&mut p, &mut delta, &mut DeltaKeys::default())?;
            Piece::Delta(delta)
        }
        "tool_call" => {
            let mut call = crate::chunk::ToolCall::default();
            openai_delta::tool_call(&mut p, &mut call, 0, &mut CallKeys::default())?;
            Piece::ToolCall(call)
        }
        _ => Piece::Function(openai_delta::function(&mut p, &mut Order::default())?),
    };
    p.finish()?;
    Ok(piece)
}

/// The error payload for a stream a provider ended with finish reason `error` or `abort`.
/// Keep in sync with `python/rillm/_fallback/decode/openai.py::finish_reason_error`.
pub(crate) fn finish_reason_error(reason: &str) -> String {
    let mut message = String::from("the provider ended the stream with finish_reason ");
    push_json_string(&mut message, reason);
    let mut data = String::from(r#"{"error":{"message":"#);
    push_json_string(&mut data, &message);
    data.push_str(r#","type":"finish_reason"}}"#);
    data
}

/// The service tiers OpenAI's chunk type allows. Another provider's tier (Groq's `on_demand`) is kept in
/// `provider_specific_fields["service_tier"]`, so that every chunk still validates as OpenAI's.
/// Keep in sync with `python/rillm/_fallback/decode/openai.py::OPENAI_SERVICE_TIERS`.
pub(crate) const OPENAI_SERVICE_TIERS: &[&str] = &["auto", "default", "flex", "scale", "priority", "fast"];
