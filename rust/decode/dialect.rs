//! What a dialect is to the stream decoder: the `Dialect` trait every decoder implements, the `Step` the
//! dialects work an event out into, and the `registry!` macro that turns the list of dialects in `mod.rs`
//! into the decoder enum, the names and the dispatch. Twin: `Dialect` and the registry in
//! `python/rillm/_fallback/decode/__init__.py`.

use super::{Options, Sink};
use crate::chunk::Chunk;
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framing};

/// One provider's stream format: how it is framed, how each event becomes chunks, and how it ends.
pub(crate) trait Dialect: Sized {
    /// The name `StreamDecoder::new` takes and `DIALECTS` lists.
    const NAME: &'static str;
    const FRAMING: Framing;
    /// What was missing when a stream of this dialect ends early: completes "the stream ended ...".
    const TERMINATOR: &'static str;
    /// Whether the decoder needs an id of its own for the chunks (`Options::id`): the provider sends none,
    /// or not on every chunk. The `OpenAI` dialect takes its ids from its chunks.
    const NEEDS_ID: bool;

    fn new(options: &Options) -> Self;

    /// Decodes one event, handing each chunk to `sink` as soon as it is made; `Flow::Stop` when the event
    /// is the stream's terminator.
    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error>;

    /// Whether the stream may end here without its terminator event. Most dialects end only with it.
    fn complete(&self) -> bool {
        false
    }
}

/// A boxed decoder is the decoder: the registry boxes the large ones.
impl<D: Dialect> Dialect for Box<D> {
    const NAME: &'static str = D::NAME;
    const FRAMING: Framing = D::FRAMING;
    const TERMINATOR: &'static str = D::TERMINATOR;
    const NEEDS_ID: bool = D::NEEDS_ID;

    fn new(options: &Options) -> Self {
        Box::new(D::new(options))
    }

    #[inline]
    fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        (**self).decode(event, sink)
    }

    fn complete(&self) -> bool {
        (**self).complete()
    }
}

/// What one event comes to: its chunk (when it carries something), and whether the stream goes on, ends
/// here, or failed. The dialects work an event out into one and `emit` hands it on; their hot paths (every
/// `OpenAI` chunk, Anthropic's and Bedrock's text deltas) hand their chunk straight to the sink instead,
/// which saves moving it once more.
pub(crate) enum Step {
    /// The stream goes on.
    Chunk(Option<Chunk>),
    /// The event is the stream's terminator.
    End(Option<Chunk>),
    /// The provider says the stream failed: its error is raised with this event type and payload.
    Failed { event_type: &'static str, data: String },
}

impl Step {
    /// Hands the chunk to `sink`, then says what the framer does next.
    pub(crate) fn emit(self, pos: Pos, sink: &mut Sink<'_>) -> Result<Flow, Error> {
        let (chunk, flow) = match self {
            Step::Chunk(chunk) => (chunk, Flow::Continue),
            Step::End(chunk) => (chunk, Flow::Stop),
            Step::Failed { event_type, data } => {
                return Err(Error::Provider {
                    pos,
                    event_type: event_type.to_owned(),
                    data,
                })
            }
        };
        pass(chunk, pos, sink)?;
        Ok(flow)
    }

    /// The provider's error for this payload.
    pub(crate) fn failed(event_type: &'static str, data: &str) -> Step {
        Step::Failed {
            event_type,
            data: data.to_owned(),
        }
    }
}

/// Hands `chunk`, if there is one, to `sink`.
#[inline]
pub(crate) fn pass(chunk: Option<Chunk>, pos: Pos, sink: &mut Sink<'_>) -> Result<(), Error> {
    match chunk {
        Some(chunk) => sink(chunk, pos),
        None => Ok(()),
    }
}

/// The error a provider reported in the stream, raised as soon as the event is read.
pub(crate) fn provider_error(pos: Pos, event_type: &str, data: &str) -> Error {
    Error::Provider {
        pos,
        event_type: event_type.to_owned(),
        data: data.to_owned(),
    }
}

/// Declares every dialect's module and generates, from one list, the decoder enum (`Decoder`, one variant
/// per dialect, with the doc comment written above the list), `DIALECTS` (their names, in the list's
/// order) and the dispatch from a name or a decoder to its dialect's `Dialect` items. The list is in
/// `mod.rs`.
macro_rules! registry {
    ($(#[$doc:meta])* $($module:ident => $variant:ident($decoder:ty)),+ $(,)?) => {
        $(mod $module;)+

        /// The names `StreamDecoder::new` takes, as `python/rillm/_fallback/decode/__init__.py::DIALECTS`
        /// lists them.
        pub const DIALECTS: &[&str] = &[$(<$decoder as Dialect>::NAME),+];

        $(#[$doc])*
        #[derive(Debug)]
        enum Decoder {
            $($variant($decoder)),+
        }

        impl Decoder {
            /// The decoder for the dialect named `name`, and its framing; `None` for an unknown name.
            fn new(name: &str, options: &Options) -> Option<(Decoder, Framing)> {
                $(if name == <$decoder as Dialect>::NAME {
                    let decoder = Decoder::$variant(<$decoder as Dialect>::new(options));
                    return Some((decoder, <$decoder as Dialect>::FRAMING));
                })+
                None
            }

            /// Whether the dialect named `name` needs an id of its own; `None` for an unknown name.
            fn needs_id(name: &str) -> Option<bool> {
                $(if name == <$decoder as Dialect>::NAME {
                    return Some(<$decoder as Dialect>::NEEDS_ID);
                })+
                None
            }

            #[inline]
            fn decode(&mut self, event: Event<'_>, sink: &mut Sink<'_>) -> Result<Flow, Error> {
                match self {
                    $(Decoder::$variant(d) => d.decode(event, sink)),+
                }
            }

            fn complete(&self) -> bool {
                match self {
                    $(Decoder::$variant(d) => d.complete()),+
                }
            }

            fn terminator(&self) -> &'static str {
                match self {
                    $(Decoder::$variant(_) => <$decoder as Dialect>::TERMINATOR),+
                }
            }
        }

        /// A dialect's name is its module's, so that the list reads as the names it registers.
        #[cfg(test)]
        #[test]
        fn every_dialect_is_named_as_its_module() {
            $(assert_eq!(<$decoder as Dialect>::NAME, stringify!($module));)+
        }
    };
}

pub(super) use registry;
