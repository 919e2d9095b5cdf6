//! Values the hot path never inspects: raw JSON until Python first reads them.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use pyo3::PyVisit;

use super::shared;
use crate::chunk::Json;

/// A field that is absent, raw JSON from the provider, or a Python object (materialised or assigned).
#[derive(Debug, Default)]
pub(crate) enum Lazy {
    #[default]
    Absent,
    Raw(Json),
    Object(Py<PyAny>),
}

/// What a raw value becomes beyond `json.loads` (the pydantic `Usage`, `ChoiceLogprobs`).
pub(crate) type Make = for<'py> fn(Python<'py>) -> PyResult<&'py Bound<'py, PyAny>>;

impl Lazy {
    pub(crate) fn from_json(json: Option<Json>) -> Self {
        json.map_or(Lazy::Absent, Lazy::Raw)
    }

    /// A Python value assigned by the caller; None is absent.
    pub(crate) fn from_object(value: &Bound<'_, PyAny>) -> Self {
        if value.is_none() {
            Lazy::Absent
        } else {
            Lazy::Object(value.clone().unbind())
        }
    }

    /// The Python value, materialised once and kept so that changes to it persist.
    pub(crate) fn get<'py>(&mut self, py: Python<'py>, make: Option<Make>) -> PyResult<Bound<'py, PyAny>> {
        let object = match self {
            Lazy::Absent => return Ok(py.None().into_bound(py)),
            Lazy::Object(object) => return Ok(object.bind(py).clone()),
            Lazy::Raw(json) => {
                let value = shared::loads(py, json.as_str())?;
                match make {
                    Some(make) => make(py)?.call1((value,))?,
                    None => value,
                }
            }
        };
        *self = Lazy::Object(object.clone().unbind());
        Ok(object)
    }

    /// The value without materialising it into the field (for the merge, which must not change chunks).
    pub(crate) fn peek<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self {
            Lazy::Absent => Ok(None),
            Lazy::Raw(json) => shared::loads(py, json.as_str()).map(Some),
            Lazy::Object(object) => Ok(Some(object.bind(py).clone())),
        }
    }

    pub(crate) fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Lazy::Object(object) = self {
            visit.call(object)?;
        }
        Ok(())
    }
}

/// A chunk object's provider extras and the attributes a caller set: the provider's raw JSON object until
/// Python first touches it, then a dict. (An instance `__dict__` would cost a dict per object, made
/// eagerly; this costs nothing until used.)
#[derive(Debug, Default)]
pub(crate) enum Extras {
    #[default]
    Absent,
    Raw(Json),
    Dict(Py<PyDict>),
}

impl Extras {
    pub(crate) fn from_json(json: Option<Json>) -> Self {
        json.map_or(Extras::Absent, Extras::Raw)
    }

    /// The dict, materialised from the raw JSON if need be; `None` when there are no extras.
    pub(crate) fn dict<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let dict = match self {
            Extras::Absent => return Ok(None),
            Extras::Dict(dict) => return Ok(Some(dict.bind(py).clone())),
            Extras::Raw(json) => shared::loads(py, json.as_str())?.cast_into::<PyDict>()?,
        };
        *self = Extras::Dict(dict.clone().unbind());
        Ok(Some(dict))
    }

    /// The dict, created empty if there were no extras.
    pub(crate) fn dict_or_new<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        if let Some(dict) = self.dict(py)? {
            return Ok(dict);
        }
        let dict = PyDict::new(py);
        *self = Extras::Dict(dict.clone().unbind());
        Ok(dict)
    }

    pub(crate) fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Extras::Dict(dict) = self {
            visit.call(dict)?;
        }
        Ok(())
    }
}
