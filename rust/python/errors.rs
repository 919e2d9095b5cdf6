//! The core's errors as the exceptions of `python/rillm/exceptions.py`. Twin: `python/rillm/_fallback/errors.py`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use pyo3::PyTypeInfo;

use super::shared;
use crate::error::Error;

// The classes these errors raise, each imported once, on first use.
pyo3::import_exception!(rillm.exceptions, StreamDecodeError);
pyo3::import_exception!(rillm.exceptions, EventTooLargeError);
pyo3::import_exception!(rillm.exceptions, IncompleteStreamError);
pyo3::import_exception!(rillm.exceptions, APIError);
pyo3::import_exception!(rillm.exceptions, ConcurrentUseError);

/// The exception for `error`, carrying `chunks`: what the failing call decoded before it.
pub(crate) fn to_pyerr(py: Python<'_>, error: &Error, chunks: Vec<Bound<'_, PyAny>>) -> PyErr {
    build(py, error, chunks).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, error: &Error, chunks: Vec<Bound<'_, PyAny>>) -> PyResult<PyErr> {
    let chunks = PyList::new(py, chunks)?;
    let kwargs = PyDict::new(py);
    let exception = match error {
        Error::EventTooLarge { pos, .. } | Error::Decode { pos, .. } => {
            kwargs.set_item("event", pos.event)?;
            kwargs.set_item("offset", pos.offset)?;
            kwargs.set_item("chunks", chunks)?;
            let class = if matches!(error, Error::EventTooLarge { .. }) {
                EventTooLargeError::type_object(py)
            } else {
                StreamDecodeError::type_object(py)
            };
            class.call((error.to_string(),), Some(&kwargs))?
        }
        Error::Provider { pos, event_type, data } => {
            kwargs.set_item("event", pos.event)?;
            kwargs.set_item("offset", pos.offset)?;
            kwargs.set_item("chunks", chunks)?;
            shared::provider_stream_error(py)?.call((data, event_type), Some(&kwargs))?
        }
        Error::Incomplete { bytes, .. } => {
            kwargs.set_item("offset", bytes)?;
            kwargs.set_item("chunks", chunks)?;
            IncompleteStreamError::type_object(py).call((error.to_string(),), Some(&kwargs))?
        }
        Error::Closed { .. } | Error::UnknownDialect { .. } => return Ok(PyValueError::new_err(error.to_string())),
    };
    Ok(PyErr::from_value(exception))
}

/// `what` (a method or property of `StreamDecoder`) was called while another call of the decoder was under
/// way. Twin: `python/rillm/_fallback/errors.py::concurrent_use`.
pub(crate) fn concurrent_use(py: Python<'_>, what: &str) -> PyErr {
    let message = format!(
        "StreamDecoder.{what} was called while another call of the decoder is under way: a StreamDecoder is \
         not shared across threads (use one per stream, from one thread at a time)"
    );
    match ConcurrentUseError::type_object(py).call1((message,)) {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

/// A panic in the core, caught at the boundary: a typed error instead of a `PanicException`.
pub(crate) fn internal(py: Python<'_>, what: &str) -> PyErr {
    let message = format!("rillm internal error in {what}; please report it with the input that caused it");
    api_error(py, message)
}

/// `APIError(500, message)`: what the bindings raise for input they cannot take (or a fault of their own).
pub(crate) fn api_error(py: Python<'_>, message: String) -> PyErr {
    match APIError::type_object(py).call1((500, message)) {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}
