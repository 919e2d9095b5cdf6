//! The stream decoder: framing plus one dialect. Twin: `python/rillm/_fallback/decode/__init__.py`.
//!
//! `feed` hands each decoded chunk to a sink as soon as its event is complete, so an error part-way
//! through a feed leaves every earlier chunk with the caller. After the dialect's terminator the rest of
//! the input is ignored; after `finish` or an error the decoder is closed.

mod anthropic;
mod bedrock;
mod cohere;
mod fields;
mod gemini;
mod gemini_args;
mod ollama;
pub(crate) mod openai;
mod openai_keys;
mod openai_parts;
mod openai_wire;
mod to_openai;

use crate::chunk::{Choice, Chunk, Delta, Function, ToolCall};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framer, Framing};

/// Receives each chunk with the position of the event it came from. An error it returns fails the stream.
pub type Sink<'s> = dyn FnMut(Chunk, Pos) -> Result<(), Error> + 's;

/// One object of the chunk shape, parsed with the decoder's rules: what the Python constructors build
/// (`Delta(content="x")` is the delta `{"content": "x"}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Chunk(Chunk),
    Choice(Choice),
    Delta(Delta),
    ToolCall(ToolCall),
    Function(Function),
}

/// Parses `text` as the object `kind` names ("chunk", "choice", "delta", "`tool_call`" or "function").
pub fn parse_piece(kind: &str, text: &str) -> Result<Piece, String> {
    openai::parse_piece(kind, text).map_err(|e| e.to_string())
}

#[derive(Debug, Clone)]
pub struct Options {
    /// Model name for chunks whose provider sends none.
    pub model: String,
    /// Id for the chunks of a stream whose provider sends none (the native dialects; `OpenAI`'s ignores it).
    pub id: String,
    /// Unix time for chunks whose provider sends none.
    pub created: i64,
    pub max_event_bytes: usize,
}

/// The dialect names, as `python/rillm/_fallback/decode/__init__.py::DIALECTS` lists them.
pub const DIALECTS: [&str; 6] = ["openai", "anthropic", "cohere", "gemini", "ollama", "bedrock"];

#[derive(Debug)]
enum Dialect {
    OpenAi(openai::OpenAiDecoder),
    Anthropic(Box<anthropic::AnthropicDecoder>),
    Cohere(Box<cohere::CohereDecoder>),
    Gemini(Box<gemini::GeminiDecoder>),
    Ollama(Box<ollama::OllamaDecoder>),
    Bedrock(Box<bedrock::BedrockDecoder>),
}

impl Dialect {
    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        match self {
            Dialect::OpenAi(d) => d.decode(event, sink),
            Dialect::Anthropic(d) => d.decode(event, sink),
            Dialect::Cohere(d) => d.decode(event, sink),
            Dialect::Gemini(d) => d.decode(event, sink),
            Dialect::Ollama(d) => d.decode(event, sink),
            Dialect::Bedrock(d) => d.decode(event, sink),
        }
    }

    fn complete(&self) -> bool {
        match self {
            Dialect::OpenAi(d) => d.complete(),
            Dialect::Gemini(d) => d.complete(),
            Dialect::Bedrock(d) => d.complete(),
            // These end only with their terminator event.
            Dialect::Anthropic(_) | Dialect::Cohere(_) | Dialect::Ollama(_) => false,
        }
    }

    /// What was missing when a stream of this dialect ends early.
    fn terminator(&self) -> &'static str {
        match self {
            Dialect::OpenAi(_) => "before [DONE] or a finish_reason for every choice",
            Dialect::Anthropic(_) => "before message_stop",
            Dialect::Cohere(_) => "before message-end (or stream-end)",
            Dialect::Gemini(_) => "before a finishReason for every candidate",
            Dialect::Ollama(_) => "before its done line",
            Dialect::Bedrock(_) => "before messageStop (or, for an invoke stream, message_stop)",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// The terminator was seen; further input is ignored.
    Done,
    Finished,
    Failed,
}

#[derive(Debug)]
pub struct StreamDecoder {
    framer: Framer,
    dialect: Dialect,
    state: State,
}

impl StreamDecoder {
    /// `dialect` is one of the names `python/rillm/_fallback/decode/__init__.py::DIALECTS` lists.
    pub fn new(dialect: &str, options: &Options) -> Result<Self, Error> {
        let (dialect, framing) = match dialect {
            "openai" => (
                Dialect::OpenAi(openai::OpenAiDecoder::new(&options.model, options.created)),
                Framing::Sse,
            ),
            "anthropic" => (
                Dialect::Anthropic(Box::new(anthropic::AnthropicDecoder::new(options))),
                Framing::Auto,
            ),
            "cohere" => (
                Dialect::Cohere(Box::new(cohere::CohereDecoder::new(options))),
                Framing::Auto,
            ),
            "gemini" => (
                Dialect::Gemini(Box::new(gemini::GeminiDecoder::new(options))),
                Framing::Auto,
            ),
            "ollama" => (
                Dialect::Ollama(Box::new(ollama::OllamaDecoder::new(options))),
                Framing::Ndjson,
            ),
            "bedrock" => (
                Dialect::Bedrock(Box::new(bedrock::BedrockDecoder::new(options))),
                Framing::EventStream,
            ),
            other => return Err(Error::UnknownDialect { name: other.to_owned() }),
        };
        Ok(StreamDecoder {
            framer: Framer::new(framing, options.max_event_bytes),
            dialect,
            state: State::Open,
        })
    }

    pub fn feed(&mut self, data: &[u8], sink: &mut Sink<'_>) -> Result<(), Error> {
        match self.state {
            State::Open => {}
            State::Done => return Ok(()),
            State::Finished => {
                return Err(Error::Closed {
                    detail: "feed() after finish()",
                })
            }
            State::Failed => {
                return Err(Error::Closed {
                    detail: "feed() after the decoder raised an error",
                })
            }
        }
        let dialect = &mut self.dialect;
        match self.framer.feed(data, |event| dialect.decode(event, sink)) {
            Ok(Flow::Stop) => self.state = State::Done,
            Ok(Flow::Continue) => {}
            Err(e) => {
                self.state = State::Failed;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Ends the stream: decodes what the framing still holds, then checks that the stream was complete.
    pub fn finish(&mut self, sink: &mut Sink<'_>) -> Result<(), Error> {
        match self.state {
            State::Open => {}
            State::Done => {
                self.state = State::Finished;
                return Ok(());
            }
            State::Finished => {
                return Err(Error::Closed {
                    detail: "finish() called twice",
                })
            }
            State::Failed => {
                return Err(Error::Closed {
                    detail: "finish() after the decoder raised an error",
                })
            }
        }
        self.state = State::Failed;
        let dialect = &mut self.dialect;
        let mut stopped = false;
        let pending = self.framer.finish(|event| {
            let flow = dialect.decode(event, sink)?;
            stopped |= flow == Flow::Stop;
            Ok(flow)
        })?;
        let bytes = self.framer.bytes_fed();
        if let Some(pending) = pending {
            return Err(Error::Incomplete {
                detail: pending.detail,
                bytes,
            });
        }
        if !stopped && !self.dialect.complete() {
            return Err(Error::Incomplete {
                detail: self.dialect.terminator().to_owned(),
                bytes,
            });
        }
        self.state = State::Finished;
        Ok(())
    }

    /// Whether the dialect's terminator has been seen.
    #[must_use]
    pub fn done(&self) -> bool {
        matches!(self.state, State::Done) || (self.state == State::Finished)
    }

    /// "open", "done", "finished" or "failed".
    #[must_use]
    pub fn state(&self) -> &'static str {
        match self.state {
            State::Open => "open",
            State::Done => "done",
            State::Finished => "finished",
            State::Failed => "failed",
        }
    }

    #[must_use]
    pub fn framer(&self) -> &Framer {
        &self.framer
    }
}
