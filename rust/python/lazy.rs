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

/// A chunk object's provider extras (the provider's raw JSON object until Python first reads it) and the
/// attributes a caller set beyond the fields. Kept apart, as the twin keeps them (its `_extras` and its
/// instance `__dict__`): a caller's value shadows an extra of the same name, and `del` removes only what
/// a caller set. An instance `__dict__` here would cost a dict per object, made eagerly.
#[derive(Debug, Default)]
pub(crate) struct Extras {
    provider: Provider,
    caller: Option<Py<PyDict>>,
}

#[derive(Debug, Default)]
enum Provider {
    #[default]
    Absent,
    Raw(Json),
    Dict(Py<PyDict>),
}

impl Extras {
    pub(crate) fn from_json(json: Option<Json>) -> Self {
        Extras {
            provider: json.map_or(Provider::Absent, Provider::Raw),
            caller: None,
        }
    }

    /// The provider's extras as a dict, made from the raw JSON on first use.
    fn provider<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let dict = match &self.provider {
            Provider::Absent => return Ok(None),
            Provider::Dict(dict) => return Ok(Some(dict.bind(py).clone())),
            Provider::Raw(json) => shared::loads(py, json.as_str())?.cast_into::<PyDict>()?,
        };
        self.provider = Provider::Dict(dict.clone().unbind());
        Ok(Some(dict))
    }

    /// The value of `name`: the caller's, else the provider's.
    pub(crate) fn get<'py>(
        &mut self,
        py: Python<'py>,
        name: &Bound<'py, PyAny>,
    ) -> PyResult<Option<Bound<'py, PyAny>>> {
        if let Some(value) = self
            .caller
            .as_ref()
            .map(|d| d.bind(py).get_item(name))
            .transpose()?
            .flatten()
        {
            return Ok(Some(value));
        }
        match self.provider(py)? {
            Some(provider) => provider.get_item(name),
            None => Ok(None),
        }
    }

    /// Everything, in order: the provider's keys, then the caller's (a caller's value replaces an extra
    /// in place), as the twin's `{**extras, **vars(obj)}`.
    pub(crate) fn items<'py>(&mut self, py: Python<'py>) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
        let provider = self.provider(py)?;
        let caller = self.caller.as_ref().map(|d| d.bind(py).clone());
        match (provider, caller) {
            (None, None) => Ok(Vec::new()),
            (Some(only), None) | (None, Some(only)) => Ok(only.iter().collect()),
            (Some(provider), Some(caller)) => {
                let merged = provider.copy()?;
                merged.update(caller.as_mapping())?;
                Ok(merged.iter().collect())
            }
        }
    }

    pub(crate) fn set(&mut self, py: Python<'_>, name: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let caller = self.caller.get_or_insert_with(|| PyDict::new(py).unbind());
        caller.bind(py).set_item(name, value)
    }

    /// Removes an attribute the caller set; whether there was one.
    pub(crate) fn delete(&mut self, py: Python<'_>, name: &Bound<'_, PyAny>) -> PyResult<bool> {
        match &self.caller {
            Some(caller) if caller.bind(py).contains(name)? => caller.bind(py).del_item(name).map(|()| true),
            _ => Ok(false),
        }
    }

    pub(crate) fn traverse(&self, visit: &PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Provider::Dict(dict) = &self.provider {
            visit.call(dict)?;
        }
        if let Some(caller) = &self.caller {
            visit.call(caller)?;
        }
        Ok(())
    }
}
