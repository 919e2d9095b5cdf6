//! The chunk classes' Python methods: constructors, getters and setters, and the methods every class shares
//! (`model_class!`, model.rs). Twin: the methods of the classes in `python/rillm/_fallback/chunk.py`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use pyo3::{PyTraverseError, PyVisit};

use super::convert;
use super::lazy::{Extras, Lazy};
use super::model::{self, model_class, Model};
use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};
use super::shared;
use crate::chunk::FinishReason;
use crate::decode::{parse_piece, Piece};

/// Builds a class from constructor keywords, through the decoder's rules (`rillm._shared.prepare`).
fn construct(py: Python<'_>, kind: &str, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Piece> {
    let kwargs = kwargs.map_or_else(|| PyDict::new(py), Clone::clone);
    let text: String = shared::prepare(py)?.call1((kind, kwargs))?.extract()?;
    parse_piece(kind, &text).map_err(pyo3::exceptions::PyValueError::new_err)
}

fn none_or(py: Python<'_>, object: Option<&Py<PyAny>>) -> Py<PyAny> {
    object.map_or_else(|| py.None(), |o| o.clone_ref(py))
}

/// An object field set from Python: None clears it.
fn object_field(value: &Bound<'_, PyAny>) -> Option<Py<PyAny>> {
    (!value.is_none()).then(|| value.clone().unbind())
}

model_class!(PyFunction {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match construct(py, "function", kwargs)? {
            Piece::Function(f) => convert::function(py, f),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        self.extras.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.extras = Extras::default();
    }
});

impl Model for PyFunction {
    const FIELDS: &'static [&'static str] = &["name", "arguments"];
    const OPTIONAL: &'static [&'static str] = &[];
    fn extras(&mut self) -> &mut Extras {
        &mut self.extras
    }
}

model_class!(PyToolCall {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match construct(py, "tool_call", kwargs)? {
            Piece::ToolCall(t) => convert::tool_call(py, t),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    }

    #[getter(r#type)]
    pub(super) fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("function")
    }

    #[setter(r#type)]
    fn set_kind(&mut self, value: String) {
        self.kind = Some(value);
    }

    #[getter]
    pub(super) fn function(&self, py: Python<'_>) -> Py<PyAny> {
        none_or(py, self.function.as_ref())
    }

    #[setter]
    fn set_function(&mut self, value: &Bound<'_, PyAny>) {
        self.function = object_field(value);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(function) = &self.function {
            visit.call(function)?;
        }
        self.extras.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.function = None;
        self.extras = Extras::default();
    }
});

impl Model for PyToolCall {
    const FIELDS: &'static [&'static str] = &["index", "id", "type", "function"];
    const OPTIONAL: &'static [&'static str] = &[];
    fn extras(&mut self) -> &mut Extras {
        &mut self.extras
    }
}

model_class!(PyDelta {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match construct(py, "delta", kwargs)? {
            Piece::Delta(d) => convert::delta(py, d),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    }

    #[getter]
    pub(super) fn tool_calls(&self, py: Python<'_>) -> Py<PyAny> {
        none_or(py, self.tool_calls.as_ref())
    }

    #[setter]
    fn set_tool_calls(&mut self, value: &Bound<'_, PyAny>) {
        self.tool_calls = object_field(value);
    }

    #[getter]
    pub(super) fn function_call(&self, py: Python<'_>) -> Py<PyAny> {
        none_or(py, self.function_call.as_ref())
    }

    #[setter]
    fn set_function_call(&mut self, value: &Bound<'_, PyAny>) {
        self.function_call = object_field(value);
    }

    #[getter]
    pub(super) fn thinking_blocks(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.thinking_blocks.get(py, None)
    }

    #[setter]
    fn set_thinking_blocks(&mut self, value: &Bound<'_, PyAny>) {
        self.thinking_blocks = Lazy::from_object(value);
    }

    #[getter]
    pub(super) fn annotations(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.annotations.get(py, None)
    }

    #[setter]
    fn set_annotations(&mut self, value: &Bound<'_, PyAny>) {
        self.annotations = Lazy::from_object(value);
    }

    #[getter]
    pub(super) fn audio(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.audio.get(py, None)
    }

    #[setter]
    fn set_audio(&mut self, value: &Bound<'_, PyAny>) {
        self.audio = Lazy::from_object(value);
    }

    #[getter]
    pub(super) fn provider_specific_fields(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.provider_specific_fields.get(py, None)
    }

    #[setter]
    fn set_provider_specific_fields(&mut self, value: &Bound<'_, PyAny>) {
        self.provider_specific_fields = Lazy::from_object(value);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        for object in [&self.tool_calls, &self.function_call].into_iter().flatten() {
            visit.call(object)?;
        }
        for lazy in [&self.thinking_blocks, &self.annotations, &self.audio, &self.provider_specific_fields] {
            lazy.traverse(&visit)?;
        }
        self.extras.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.extras = Extras::default();
        self.tool_calls = None;
        self.function_call = None;
        self.thinking_blocks = Lazy::Absent;
        self.annotations = Lazy::Absent;
        self.audio = Lazy::Absent;
        self.provider_specific_fields = Lazy::Absent;
    }
});

impl Model for PyDelta {
    const FIELDS: &'static [&'static str] = &["content", "role", "tool_calls", "function_call", "refusal"];
    const OPTIONAL: &'static [&'static str] = &[
        "reasoning_content",
        "thinking_blocks",
        "annotations",
        "audio",
        "provider_specific_fields",
    ];
    fn extras(&mut self) -> &mut Extras {
        &mut self.extras
    }
}

model_class!(PyChoice {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match construct(py, "choice", kwargs)? {
            Piece::Choice(c) => convert::choice(py, c),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    }

    #[getter]
    pub(super) fn delta(&self, py: Python<'_>) -> Py<PyAny> {
        none_or(py, self.delta.as_ref())
    }

    #[setter]
    fn set_delta(&mut self, value: &Bound<'_, PyAny>) {
        self.delta = object_field(value);
    }

    #[getter]
    pub(super) fn finish_reason(&self) -> Option<&'static str> {
        self.finish_reason.map(FinishReason::as_str)
    }

    /// Provider values are mapped onto `OpenAI`'s, as on the wire.
    #[setter]
    fn set_finish_reason(&mut self, value: Option<&str>) {
        self.finish_reason = value.and_then(FinishReason::map);
    }

    /// `ChoiceLogprobs` (pydantic), made from the provider's JSON on first access.
    #[getter]
    pub(super) fn logprobs(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.logprobs.get(py, Some(shared::make_logprobs))
    }

    #[setter]
    fn set_logprobs(&mut self, value: &Bound<'_, PyAny>) {
        self.logprobs = Lazy::from_object(value);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(delta) = &self.delta {
            visit.call(delta)?;
        }
        self.logprobs.traverse(&visit)?;
        self.extras.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.extras = Extras::default();
        self.delta = None;
        self.logprobs = Lazy::Absent;
    }
});

impl Model for PyChoice {
    const FIELDS: &'static [&'static str] = &["finish_reason", "index", "delta", "logprobs"];
    const OPTIONAL: &'static [&'static str] = &[];
    fn extras(&mut self) -> &mut Extras {
        &mut self.extras
    }
}

model_class!(PyChunk {
    #[new]
    #[pyo3(signature = (**kwargs))]
    fn new(py: Python<'_>, kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        match construct(py, "chunk", kwargs)? {
            Piece::Chunk(c) => convert::chunk(py, c),
            _ => unreachable!("parse_piece returns the kind it was asked for"),
        }
    }

    #[getter]
    pub(super) fn id(&self) -> &str {
        &self.id
    }

    #[setter]
    fn set_id(&mut self, value: &str) {
        self.id = value.into();
    }

    #[getter]
    pub(super) fn model(&self) -> &str {
        &self.model
    }

    #[setter]
    fn set_model(&mut self, value: &str) {
        self.model = value.into();
    }

    #[getter]
    pub(super) fn object(&self) -> &str {
        self.object.as_deref().unwrap_or("chat.completion.chunk")
    }

    #[setter]
    fn set_object(&mut self, value: String) {
        self.object = Some(value);
    }

    #[getter]
    pub(super) fn system_fingerprint(&self) -> Option<&str> {
        self.system_fingerprint.as_deref()
    }

    #[setter]
    fn set_system_fingerprint(&mut self, value: Option<&str>) {
        self.system_fingerprint = value.map(Into::into);
    }

    #[getter]
    pub(super) fn service_tier(&self) -> Option<&str> {
        self.service_tier.as_deref()
    }

    #[setter]
    fn set_service_tier(&mut self, value: Option<&str>) {
        self.service_tier = value.map(Into::into);
    }

    #[getter]
    pub(super) fn choices(&self, py: Python<'_>) -> Py<PyAny> {
        none_or(py, self.choices.as_ref())
    }

    #[setter]
    fn set_choices(&mut self, value: &Bound<'_, PyAny>) {
        self.choices = object_field(value);
    }

    #[getter]
    pub(super) fn usage(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.usage.get(py, Some(shared::make_usage))
    }

    #[setter]
    fn set_usage(&mut self, value: &Bound<'_, PyAny>) {
        self.usage = Lazy::from_object(value);
    }

    #[getter]
    pub(super) fn citations(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.citations.get(py, None)
    }

    #[setter]
    fn set_citations(&mut self, value: &Bound<'_, PyAny>) {
        self.citations = Lazy::from_object(value);
    }

    #[getter]
    pub(super) fn provider_specific_fields(mut slf: PyRefMut<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let py = slf.py();
        slf.provider_specific_fields.get(py, None)
    }

    #[setter]
    fn set_provider_specific_fields(&mut self, value: &Bound<'_, PyAny>) {
        self.provider_specific_fields = Lazy::from_object(value);
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        if let Some(choices) = &self.choices {
            visit.call(choices)?;
        }
        for lazy in [&self.usage, &self.citations, &self.provider_specific_fields] {
            lazy.traverse(&visit)?;
        }
        self.extras.traverse(&visit)
    }

    fn __clear__(&mut self) {
        self.extras = Extras::default();
        self.choices = None;
        self.usage = Lazy::Absent;
        self.citations = Lazy::Absent;
        self.provider_specific_fields = Lazy::Absent;
    }
});

impl Model for PyChunk {
    const FIELDS: &'static [&'static str] = &["id", "created", "model", "object", "system_fingerprint", "choices"];
    const OPTIONAL: &'static [&'static str] = &["usage", "service_tier", "citations", "provider_specific_fields"];
    fn extras(&mut self) -> &mut Extras {
        &mut self.extras
    }
}
