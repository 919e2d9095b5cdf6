//! The Python bindings: the only module that knows pyo3. Built with the `python` feature, as
//! `rillm._native`; `python/rillm/_backend.py` is the only importer.
//!
//! The chunk classes hold Rust data and make Python objects only when Python reads a field; nested
//! objects (choices, delta, tool calls) are created once, so a caller's changes to them persist. Their
//! pure-Python twins are in `python/rillm/_fallback/`; cold-path behaviour both share is in
//! `python/rillm/_shared.py`.

mod convert;
mod decoder;
mod errors;
mod fields;
mod lazy;
mod merge;
mod methods;
mod model;
mod objects;
mod shared;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<decoder::PyStreamDecoder>()?;
    m.add_class::<objects::PyChunk>()?;
    m.add_class::<objects::PyChoice>()?;
    m.add_class::<objects::PyDelta>()?;
    m.add_class::<objects::PyToolCall>()?;
    m.add_class::<objects::PyFunction>()?;
    m.add_function(wrap_pyfunction!(merge::merge_chunks, m)?)?;
    m.add_function(wrap_pyfunction!(decoder::frame_events, m)?)?;
    Ok(())
}
