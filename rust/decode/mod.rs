//! The stream decoder: framing plus one dialect. Twin: `python/rillm/_fallback/decode/__init__.py`.
//!
//! `feed` hands each decoded chunk to a sink as soon as its event is complete, so an error part-way
//! through a feed leaves every earlier chunk with the caller. After the dialect's terminator the rest of
//! the input is ignored; after `finish` or an error the decoder is closed.

mod dialect;
#[cfg(test)]
mod fast_paths_tests;
mod fields;
mod gemini_args;
mod gemini_calls;
mod gemini_text;
mod guess;
mod openai_delta;
mod openai_keys;
mod openai_parts;
mod openai_seen;
mod openai_wire;
mod to_openai;
pub(crate) mod usage;

use dialect::{registry, Dialect};

use crate::chunk::{Choice, Chunk, Delta, Function, ToolCall};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framer, Framing};

registry! {
    /// The registry: every dialect, in the order `DIALECTS` lists them (the twin's order), and the
    /// decoder of one stream. Adding a dialect is one file in this directory (a decoder that implements
    /// `Dialect`, see dialect.rs) and one line in this list, `module => Variant(decoder type)`: the macro
    /// declares the module and adds the dialect to this enum, to `DIALECTS` and to every dispatch. The
    /// decoders other than OpenAI's are boxed, so that the enum stays the size of the OpenAI decoder,
    /// whose loop is the hot one.
    openai => OpenAi(openai::OpenAiDecoder),
    anthropic => Anthropic(Box<anthropic::AnthropicDecoder>),
    cohere => Cohere(Box<cohere::CohereDecoder>),
    gemini => Gemini(Box<gemini::GeminiDecoder>),
    ollama => Ollama(Box<ollama::OllamaDecoder>),
    bedrock => Bedrock(Box<bedrock::BedrockDecoder>),
}

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
    /// Id for the chunks of a stream whose provider sends none: used by the dialects that need one
    /// (`StreamDecoder::needs_id`), ignored by the others.
    pub id: String,
    /// Unix time for chunks whose provider sends none.
    pub created: i64,
    pub max_event_bytes: usize,
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
    decoder: Decoder,
    state: State,
}

impl StreamDecoder {
    /// `dialect` is one of the names `python/rillm/_fallback/decode/__init__.py::DIALECTS` lists.
    pub fn new(dialect: &str, options: &Options) -> Result<Self, Error> {
        let Some((decoder, framing)) = Decoder::new(dialect, options) else {
            return Err(Error::UnknownDialect {
                name: dialect.to_owned(),
                expected: DIALECTS,
            });
        };
        Ok(StreamDecoder {
            framer: Framer::new(framing, options.max_event_bytes),
            decoder,
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
        let decoder = &mut self.decoder;
        match self.framer.feed(data, |event| decoder.decode(event, sink)) {
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
        let decoder = &mut self.decoder;
        let mut stopped = false;
        let pending = self.framer.finish(|event| {
            let flow = decoder.decode(event, sink)?;
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
        if !stopped && !self.decoder.complete() {
            return Err(Error::Incomplete {
                detail: self.decoder.terminator().to_owned(),
                bytes,
            });
        }
        self.state = State::Finished;
        Ok(())
    }

    /// Whether the dialect named `dialect` needs an id for its chunks (`Options::id`); `None` when there is
    /// no such dialect.
    #[must_use]
    pub fn needs_id(dialect: &str) -> Option<bool> {
        Decoder::needs_id(dialect)
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
