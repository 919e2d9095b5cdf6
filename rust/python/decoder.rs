//! `StreamDecoder` for Python. Twin: `StreamDecoder` in `python/rillm/_fallback/decode/__init__.py`.

use std::panic::{catch_unwind, AssertUnwindSafe};

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyMemoryView};

use super::convert;
use super::errors;
use crate::chunk::Chunk;
use crate::decode::{Options, StreamDecoder};
use crate::error::{Error, Pos};
use crate::framing::{Event, Flow, Framer, Framing, DEFAULT_MAX_EVENT_BYTES};
use crate::merge::delivery::Delivery;

/// Turns one provider stream's bytes into OpenAI-shaped chunks.
#[pyclass(module = "rillm._native", name = "StreamDecoder")]
pub(crate) struct PyStreamDecoder {
    inner: StreamDecoder,
    dialect: String,
    /// What happens to each chunk on its way out: the options `merge`, `usage_on_finish` and
    /// `skip_choiceless` (see `rust/merge/delivery.rs`).
    delivery: Delivery,
    /// The core panicked: nothing it holds can be trusted.
    poisoned: bool,
}

#[pymethods]
impl PyStreamDecoder {
    #[new]
    #[pyo3(signature = (
        dialect = None, *, model = None, max_event_bytes = None, created = None, id = None, skip_choiceless = false,
        merge = false, usage_on_finish = false
    ))]
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn new(
        py: Python<'_>,
        dialect: Option<&Bound<'_, PyAny>>,
        model: Option<&Bound<'_, PyAny>>,
        max_event_bytes: Option<&Bound<'_, PyAny>>,
        created: Option<&Bound<'_, PyAny>>,
        id: Option<&Bound<'_, PyAny>>,
        skip_choiceless: bool,
        merge: bool,
        usage_on_finish: bool,
    ) -> PyResult<Self> {
        let dialect = match dialect {
            None => "openai".to_owned(),
            Some(d) => d
                .extract::<String>()
                .map_err(|_| type_error("dialect must be a str", d))?,
        };
        let model = match model.filter(|m| !m.is_none()) {
            None => String::new(),
            Some(m) => m
                .extract::<String>()
                .map_err(|_| type_error("model must be a str or None", m))?,
        };
        let max_event_bytes = match max_event_bytes {
            None => DEFAULT_MAX_EVENT_BYTES,
            Some(limit) => exact_int(limit)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|&n| n > 0)
                .ok_or_else(|| PyValueError::new_err("max_event_bytes must be a positive int"))?,
        };
        let created = match created.filter(|c| !c.is_none()) {
            None => now(),
            Some(c) => exact_int(c).ok_or_else(|| type_error("created must be an int or None", c))?,
        };
        let id = match id.filter(|i| !i.is_none()) {
            Some(i) => i
                .extract::<String>()
                .map_err(|_| type_error("id must be a str or None", i))?,
            // A dialect whose chunks carry their ids (OpenAI's) needs none of its own.
            None if StreamDecoder::needs_id(&dialect) != Some(true) => String::new(),
            None => super::shared::new_response_id(py)?.call0()?.extract()?,
        };
        let options = Options {
            model,
            id,
            created,
            max_event_bytes,
        };
        let inner = StreamDecoder::new(&dialect, &options).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(PyStreamDecoder {
            inner,
            dialect,
            delivery: Delivery::new(merge, usage_on_finish, skip_choiceless),
            poisoned: false,
        })
    }

    /// Decodes every event `data` completes; returns their chunks (often none, sometimes several).
    fn feed<'py>(slf: &Bound<'py, Self>, data: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        let py = slf.py();
        let mut this = alone_mut(slf, "feed()")?;
        let bytes = as_bytes(data)?;
        this.run(py, "StreamDecoder.feed", |inner, sink| inner.feed(&bytes, sink))
    }

    /// Ends the stream: decodes what is still buffered, then raises `IncompleteStreamError` if the stream
    /// stopped before its terminator (or inside an event).
    fn finish<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyList>> {
        let mut this = alone_mut(slf, "finish()")?;
        this.run(slf.py(), "StreamDecoder.finish", StreamDecoder::finish)
    }

    /// The merge of every chunk decoded so far (with `merge=True`): the dict `merge_chunks` returns for
    /// them, also after an error.
    fn merged<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        let py = slf.py();
        let this = alone(slf, "merged()")?;
        if this.poisoned {
            return Err(errors::internal(py, "StreamDecoder.merged"));
        }
        match this.delivery.merged() {
            Some((merged, usage)) => super::merge::merged_dict(py, merged, usage),
            None => Err(PyValueError::new_err(
                "merged() needs a decoder made with StreamDecoder(..., merge=True)",
            )),
        }
    }

    /// Whether the stream's terminator has been seen (or the stream finished complete).
    #[getter]
    fn done(slf: &Bound<'_, Self>) -> PyResult<bool> {
        Ok(alone(slf, "done")?.inner.done())
    }

    #[getter]
    fn bytes_fed(slf: &Bound<'_, Self>) -> PyResult<u64> {
        Ok(alone(slf, "bytes_fed")?.inner.framer().bytes_fed())
    }

    /// The SSE last-event-ID: the `id` of the last block that ended (persists across events; an `id` in an
    /// event still arriving does not count yet); empty if the stream sent none.
    #[getter]
    fn last_event_id(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = alone(slf, "last_event_id")?;
        Ok(String::from_utf8_lossy(this.inner.framer().last_event_id()).into_owned())
    }

    /// The SSE reconnection time in milliseconds, if the stream set one.
    #[getter]
    fn retry(slf: &Bound<'_, Self>) -> PyResult<Option<u64>> {
        Ok(alone(slf, "retry")?.inner.framer().retry())
    }

    #[getter]
    fn dialect(slf: &Bound<'_, Self>) -> PyResult<String> {
        Ok(alone(slf, "dialect")?.dialect.clone())
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        let Ok(this) = slf.try_borrow() else {
            return "StreamDecoder(state=\"busy\")".to_owned();
        };
        let state = if this.poisoned { "failed" } else { this.inner.state() };
        format!(
            "StreamDecoder(dialect={:?}, state={state:?}, bytes_fed={})",
            this.dialect,
            this.inner.framer().bytes_fed()
        )
    }
}

/// The decoder for a call that changes it, or `ConcurrentUseError` when another call of it is under way
/// (another thread inside `feed()` or `finish()`: pyo3's borrow of the decoder is taken). Twin: the lock
/// `_busy` of `python/rillm/_fallback/decode/__init__.py`.
fn alone_mut<'py>(slf: &Bound<'py, PyStreamDecoder>, what: &str) -> PyResult<PyRefMut<'py, PyStreamDecoder>> {
    slf.try_borrow_mut().map_err(|_| errors::concurrent_use(slf.py(), what))
}

/// The decoder for a call that reads it, or `ConcurrentUseError` as for `alone_mut`.
fn alone<'py>(slf: &Bound<'py, PyStreamDecoder>, what: &str) -> PyResult<PyRef<'py, PyStreamDecoder>> {
    slf.try_borrow().map_err(|_| errors::concurrent_use(slf.py(), what))
}

impl PyStreamDecoder {
    /// Runs the core with a sink that prepares each chunk (`convert::prepare`), hands it to the delivery
    /// (merge, hold, skip), and turns what comes out into Python objects. The delivery lets go of what it
    /// holds when the stream ends (its terminator, or `finish()`) and at an error, whose chunks include it.
    fn run<'py>(
        &mut self,
        py: Python<'py>,
        what: &str,
        call: impl FnOnce(&mut StreamDecoder, &mut crate::decode::Sink<'_>) -> Result<(), Error>,
    ) -> PyResult<Bound<'py, PyList>> {
        if self.poisoned {
            return Err(PyValueError::new_err(format!(
                "{what}() after the decoder raised an error"
            )));
        }
        let mut out: Vec<Bound<'py, PyAny>> = Vec::new();
        let mut emit = |chunk: Chunk, pos: Pos| match convert::chunk(py, chunk).and_then(|c| Bound::new(py, c)) {
            Ok(object) => {
                out.push(object.into_any());
                Ok(())
            }
            Err(e) => Err(invalid(py, pos, &e)),
        };
        let (inner, delivery) = (&mut self.inner, &mut self.delivery);
        let result = catch_unwind(AssertUnwindSafe(|| {
            let through = delivery.passes_through();
            let skip = delivery.skips_choiceless();
            let mut sink = |chunk: Chunk, pos: Pos| {
                if through {
                    // No merge and no hold: only what `Delivery::accept` would check, without its calls.
                    if skip && chunk.choices.is_empty() {
                        return convert::prepare(py, chunk).map(drop).map_err(|e| invalid(py, pos, &e));
                    }
                    return emit(chunk, pos);
                }
                let chunk = convert::prepare(py, chunk).map_err(|e| invalid(py, pos, &e))?;
                delivery.accept(chunk, pos, &mut emit)
            };
            let result = call(inner, &mut sink);
            if result.is_err() || inner.done() {
                let released = delivery.release(&mut emit);
                return result.and(released);
            }
            result
        }));
        match result {
            Ok(Ok(())) => PyList::new(py, out),
            Ok(Err(error)) => Err(errors::to_pyerr(py, &error, out)),
            Err(_) => {
                self.poisoned = true;
                Err(errors::internal(py, what))
            }
        }
    }
}

/// The decode error for a chunk whose conversion failed (a usage the pydantic model refuses).
fn invalid(py: Python<'_>, pos: Pos, e: &PyErr) -> Error {
    Error::Decode {
        pos,
        detail: format!("invalid chunk: {}", e.value(py)),
    }
}

/// The framings `frame_events` takes, in the order its error message lists them.
const FRAMINGS: [&str; 5] = ["sse", "ndjson", "json_array", "eventstream", "auto"];

/// What a framed stream held: `(kind, data, event, offset, exception)` of each event, the unterminated
/// event at the end, the last event id and the retry.
type Framed<'py> = (
    Vec<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, u64, u64, bool)>,
    Option<(u64, u64)>,
    Bound<'py, PyBytes>,
    Option<u64>,
);

/// Frames `pieces` as one stream, without decoding events. For tests and tools; twin of
/// `frame_events` in `python/rillm/_fallback/framing/__init__.py`.
#[pyfunction]
#[pyo3(signature = (pieces, framing = "sse", max_event_bytes = DEFAULT_MAX_EVENT_BYTES))]
pub(crate) fn frame_events<'py>(
    py: Python<'py>,
    pieces: &Bound<'py, PyAny>,
    framing: &str,
    max_event_bytes: usize,
) -> PyResult<Framed<'py>> {
    let Some(framing) = Framing::from_name(framing) else {
        return Err(PyValueError::new_err(format!(
            "unknown framing \"{framing}\"; expected one of: {}",
            FRAMINGS.join(", ")
        )));
    };
    // A panic in the core is caught here as in `feed()`/`finish()`: a typed error, not a PanicException.
    catch_unwind(AssertUnwindSafe(|| frame(py, pieces, framing, max_event_bytes)))
        .unwrap_or_else(|_| Err(errors::internal(py, "frame_events")))
}

fn frame<'py>(
    py: Python<'py>,
    pieces: &Bound<'py, PyAny>,
    framing: Framing,
    max_event_bytes: usize,
) -> PyResult<Framed<'py>> {
    let mut framer = Framer::new(framing, max_event_bytes);
    let mut events = Vec::new();
    let mut push = |event: Event<'_>| {
        events.push((
            PyBytes::new(py, event.kind),
            PyBytes::new(py, event.data),
            event.pos.event,
            event.pos.offset,
            event.exception,
        ));
        Ok(Flow::Continue)
    };
    let fail = |e: Error| errors::to_pyerr(py, &e, Vec::new());
    for piece in pieces.try_iter()? {
        let piece = piece?;
        framer.feed(&as_bytes(&piece)?, &mut push).map_err(fail)?;
    }
    let pending = framer
        .finish(&mut push)
        .map_err(fail)?
        .map(|pending| (pending.pos.event, pending.pos.offset));
    Ok((
        events,
        pending,
        PyBytes::new(py, framer.last_event_id()),
        framer.retry(),
    ))
}

fn type_error(what: &str, value: &Bound<'_, PyAny>) -> PyErr {
    let name = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    PyTypeError::new_err(format!("{what}, not {name}"))
}

/// An int that is not a bool, as the fallback's `type(x) is int` checks.
fn exact_int(value: &Bound<'_, PyAny>) -> Option<i64> {
    if value.is_exact_instance_of::<pyo3::types::PyInt>() {
        value.extract().ok()
    } else {
        None
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn as_bytes<'a>(data: &'a Bound<'_, PyAny>) -> PyResult<std::borrow::Cow<'a, [u8]>> {
    if let Ok(bytes) = data.cast_exact::<PyBytes>() {
        return Ok(std::borrow::Cow::Borrowed(bytes.as_bytes()));
    }
    if let Ok(array) = data.cast::<PyByteArray>() {
        return Ok(std::borrow::Cow::Owned(array.to_vec()));
    }
    if data.is_instance_of::<PyBytes>() || data.is_instance_of::<PyMemoryView>() {
        let bytes = data.py().get_type::<PyBytes>().call1((data,))?;
        return Ok(std::borrow::Cow::Owned(bytes.cast::<PyBytes>()?.as_bytes().to_vec()));
    }
    let name = data
        .get_type()
        .name()
        .map_or_else(|_| "?".to_owned(), |n| n.to_string());
    Err(PyTypeError::new_err(format!("feed() expects bytes, not {name}")))
}
