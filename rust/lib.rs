//! rillm's core: provider stream bytes in, OpenAI-shaped chunks out, chunks merged into one response.
//!
//! Nothing here knows Python except `python`, built with the `python` feature (maturin turns it on), so
//! `cargo test` runs without libpython. The pure-Python twin of every module is in `python/rillm/_fallback/`.

pub mod chunk;
pub mod decode;
pub mod error;
pub mod framing;
mod json;
/// The JSON parser's differential check, for the cargo-fuzz targets in fuzz/ (not an API).
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub use json::differential as json_differential;
#[cfg(test)]
mod layers;
pub mod merge;

#[cfg(feature = "python")]
mod python;
