//! What every chunk class does the same way: dumping, repr, equality, dict-style access, and the
//! provider's unknown keys. Twin: `_Model` in `python/rillm/_fallback/chunk.py`.
//!
//! Each class has fields that are always dumped (`FIELDS`), fields dumped only when set (`OPTIONAL`), and
//! extras: the provider's unknown keys, kept as raw JSON until an attribute is missed or the object is
//! dumped, then moved into the instance `__dict__` (where caller-set attributes also live).

use pyo3::exceptions::{PyAttributeError, PyKeyError};
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::False;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use pyo3::{intern, PyClass};

use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};
use super::shared;
use crate::chunk::Json;

/// The Python class name is pyo3's `PyClass::NAME`.
pub(crate) trait Model: PyClass<Frozen = False> {
    const FIELDS: &'static [&'static str];
    const OPTIONAL: &'static [&'static str];

    /// The extras not yet moved into `__dict__`.
    fn take_extras(&mut self) -> Option<Json>;
}

fn attributes<'py, T: Model>(slf: &Bound<'py, T>) -> PyResult<Bound<'py, PyDict>> {
    Ok(slf
        .as_any()
        .getattr(intern!(slf.py(), "__dict__"))?
        .cast_into::<PyDict>()?)
}

/// Moves pending extras into `__dict__` (an attribute the caller set first wins); whether there were any.
pub(crate) fn extras_to_dict<T: Model>(slf: &Bound<'_, T>) -> PyResult<bool> {
    let Some(raw) = slf.borrow_mut().take_extras() else {
        return Ok(false);
    };
    let attrs = attributes(slf)?;
    let extras = shared::loads(slf.py(), raw.as_str())?;
    for (key, value) in extras.cast::<PyDict>()?.iter() {
        if !attrs.contains(&key)? {
            attrs.set_item(key, value)?;
        }
    }
    Ok(true)
}

/// `(name, value)` for every dumped field, in order, then the attributes.
fn items<'py, T: Model>(slf: &Bound<'py, T>) -> PyResult<Vec<(Bound<'py, PyAny>, Bound<'py, PyAny>)>> {
    let py = slf.py();
    let mut out = Vec::with_capacity(T::FIELDS.len() + T::OPTIONAL.len());
    for name in T::FIELDS {
        let key = PyString::intern(py, name);
        let value = slf.as_any().getattr(&key)?;
        out.push((key.into_any(), value));
    }
    for name in T::OPTIONAL {
        let key = PyString::intern(py, name);
        let value = slf.as_any().getattr(&key)?;
        if !value.is_none() {
            out.push((key.into_any(), value));
        }
    }
    extras_to_dict(slf)?;
    out.extend(attributes(slf)?.iter());
    Ok(out)
}

pub(crate) fn model_dump<'py, T: Model>(slf: &Bound<'py, T>, exclude_none: bool) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(slf.py());
    for (key, value) in items(slf)? {
        if !(exclude_none && value.is_none()) {
            dict.set_item(key, dump(&value, exclude_none)?)?;
        }
    }
    Ok(dict)
}

pub(crate) fn model_dump_json<T: Model>(slf: &Bound<'_, T>, exclude_none: bool) -> PyResult<Py<PyAny>> {
    let dumped = model_dump(slf, exclude_none)?;
    Ok(shared::dumps(slf.py())?.call1((dumped,))?.unbind())
}

/// What `model_dump()` puts for a value (twin of `rillm._shared.dump_value`): the chunk classes and
/// lists are handled here, other containers and models by the shared Python function.
fn dump<'py>(value: &Bound<'py, PyAny>, exclude_none: bool) -> PyResult<Bound<'py, PyAny>> {
    if value.is_none()
        || value.is_exact_instance_of::<PyString>()
        || value.is_exact_instance_of::<PyInt>()
        || value.is_exact_instance_of::<PyBool>()
        || value.is_exact_instance_of::<PyFloat>()
    {
        return Ok(value.clone());
    }
    if let Ok(list) = value.cast_exact::<PyList>() {
        let items = list
            .iter()
            .map(|item| dump(&item, exclude_none))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(value.py(), items)?.into_any());
    }
    macro_rules! ours {
        ($($ty:ty),*) => {$(
            if let Ok(object) = value.cast_exact::<$ty>() {
                return Ok(model_dump(object, exclude_none)?.into_any());
            }
        )*};
    }
    ours!(PyChunk, PyChoice, PyDelta, PyToolCall, PyFunction);
    shared::dump_value(value.py())?.call1((value, exclude_none))
}

pub(crate) fn repr<T: Model>(slf: &Bound<'_, T>) -> PyResult<String> {
    let mut parts = Vec::new();
    for (key, value) in items(slf)? {
        parts.push(format!("{}={}", key.str()?.to_cow()?, value.repr()?.to_cow()?));
    }
    Ok(format!("{}({})", <T as PyClass>::NAME, parts.join(", ")))
}

pub(crate) fn eq<'py, T: Model>(slf: &Bound<'py, T>, other: &Bound<'py, PyAny>) -> PyResult<Py<PyAny>> {
    let py = slf.py();
    let Ok(other) = other.cast_exact::<T>() else {
        return Ok(py.NotImplemented());
    };
    let equal = model_dump(slf, false)?.eq(model_dump(other, false)?)?;
    Ok(PyBool::new(py, equal).to_owned().into_any().unbind())
}

fn has_key<T: Model>(slf: &Bound<'_, T>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(name) = key.cast::<PyString>() {
        let name = name.to_cow()?;
        if T::FIELDS.contains(&&*name) || T::OPTIONAL.contains(&&*name) {
            return Ok(true);
        }
    }
    extras_to_dict(slf)?;
    attributes(slf)?.contains(key)
}

pub(crate) fn getitem<'py, T: Model>(slf: &Bound<'py, T>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if !has_key(slf, key)? {
        return Err(PyKeyError::new_err(key.clone().unbind()));
    }
    slf.as_any().getattr(key.cast::<PyString>()?)
}

pub(crate) fn get<'py, T: Model>(
    slf: &Bound<'py, T>,
    key: &Bound<'py, PyAny>,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    if has_key(slf, key)? {
        return slf.as_any().getattr(key.cast::<PyString>()?);
    }
    Ok(default.unwrap_or_else(|| slf.py().None().into_bound(slf.py())))
}

pub(crate) fn contains<T: Model>(slf: &Bound<'_, T>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(name) = key.cast::<PyString>() {
        let text = name.to_cow()?;
        if T::FIELDS.contains(&&*text) {
            return Ok(true);
        }
        if T::OPTIONAL.contains(&&*text) {
            return Ok(!slf.as_any().getattr(name)?.is_none());
        }
    }
    extras_to_dict(slf)?;
    attributes(slf)?.contains(key)
}

/// Called only when normal lookup fails: the extras may not have been made attributes yet.
pub(crate) fn getattr<'py, T: Model>(slf: &Bound<'py, T>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    if !name.starts_with("__") && extras_to_dict(slf)? {
        if let Some(value) = attributes(slf)?.get_item(name)? {
            return Ok(value);
        }
    }
    Err(PyAttributeError::new_err(format!(
        "'{}' object has no attribute '{name}'",
        <T as PyClass>::NAME
    )))
}
