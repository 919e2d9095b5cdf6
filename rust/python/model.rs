//! What every chunk class does the same way: dumping, repr, equality, dict-style access, and the
//! provider's unknown keys. Twin: `_Model` in `python/rillm/_fallback/chunk.py`.
//!
//! Each class has fields that are always dumped (`FIELDS`), fields dumped only when set (`OPTIONAL`), and
//! extras: the provider's unknown keys, kept as raw JSON until an attribute is missed, set or dumped, and
//! the attributes a caller sets beyond the fields (see `lazy::Extras`). The twin keeps these in its
//! instance `__dict__`; here there is none, so `vars(chunk)` is the one thing the twin has and this lacks.

use pyo3::exceptions::{PyAttributeError, PyKeyError, PyRecursionError};
use pyo3::prelude::*;
use pyo3::pyclass::boolean_struct::False;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString};
use pyo3::{intern, PyClass};

use super::fields::HotFields;
use super::lazy::Extras;
use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};
use super::shared;

/// The Python class name is pyo3's `PyClass::NAME`.
pub(crate) trait Model: PyClass<Frozen = False> + HotFields {
    const FIELDS: &'static [&'static str];
    const OPTIONAL: &'static [&'static str];

    fn extras(&mut self) -> &mut Extras;
}

/// The extra or caller-set attribute `name`, if any.
fn extra<'py, T: Model>(slf: &Bound<'py, T>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    slf.borrow_mut().extras().get(slf.py(), name)
}

fn is_field<T: Model>(name: &str) -> bool {
    T::FIELDS.contains(&name) || T::OPTIONAL.contains(&name)
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
    let extras = slf.borrow_mut().extras().items(py)?;
    out.extend(extras);
    Ok(out)
}

pub(crate) fn model_dump<'py, T: Model>(slf: &Bound<'py, T>, exclude_none: bool) -> PyResult<Bound<'py, PyDict>> {
    dump_model(slf, exclude_none, 0)
}

/// How deep dumping may nest through these classes and lists before it is a cycle (a caller can put a
/// chunk inside itself). Python's own recursion limit guards the twin; pure-Rust recursion needs this.
const MAX_DUMP_DEPTH: usize = 200;

fn dump_model<'py, T: Model>(slf: &Bound<'py, T>, exclude_none: bool, depth: usize) -> PyResult<Bound<'py, PyDict>> {
    if depth > MAX_DUMP_DEPTH {
        return Err(PyRecursionError::new_err(
            "maximum recursion depth exceeded while dumping a chunk",
        ));
    }
    let dict = PyDict::new(slf.py());
    for (key, value) in items(slf)? {
        if !(exclude_none && value.is_none()) {
            dict.set_item(key, dump(&value, exclude_none, depth + 1)?)?;
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
fn dump<'py>(value: &Bound<'py, PyAny>, exclude_none: bool, depth: usize) -> PyResult<Bound<'py, PyAny>> {
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
            .map(|item| dump(&item, exclude_none, depth + 1))
            .collect::<PyResult<Vec<_>>>()?;
        return Ok(PyList::new(value.py(), items)?.into_any());
    }
    macro_rules! ours {
        ($($ty:ty),*) => {$(
            if let Ok(object) = value.cast_exact::<$ty>() {
                return Ok(dump_model(object, exclude_none, depth)?.into_any());
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

/// The value under `key` for `chunk[key]`: a field, or an extra (looked up directly, so that an extra
/// named like a method is still the provider's value); `None` when there is none.
fn item<'py, T: Model>(slf: &Bound<'py, T>, key: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(name) = key.cast::<PyString>() {
        if is_field::<T>(&name.to_cow()?) {
            return slf.as_any().getattr(name).map(Some);
        }
    }
    extra(slf, key)
}

pub(crate) fn getitem<'py, T: Model>(slf: &Bound<'py, T>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    item(slf, key)?.ok_or_else(|| PyKeyError::new_err(key.clone().unbind()))
}

pub(crate) fn get<'py, T: Model>(
    slf: &Bound<'py, T>,
    key: &Bound<'py, PyAny>,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(item(slf, key)?.unwrap_or_else(|| default.unwrap_or_else(|| slf.py().None().into_bound(slf.py()))))
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
    Ok(extra(slf, key)?.is_some())
}

/// Every attribute read: a hot field (`fields.rs`) directly, else the generic lookup (descriptors: fields,
/// then methods), after which pyo3 calls `__getattr__` if that raised `AttributeError`.
pub(crate) fn getattribute<'py, T: Model>(
    slf: &Bound<'py, T>,
    name: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(value) = T::hot(slf, name)? {
        return Ok(value);
    }
    generic_getattr(slf.py())?.call1((slf, name))
}

/// `object.__getattribute__`, the generic lookup (called, as this crate has no unsafe code to call
/// `PyObject_GenericGetAttr` itself; only names that are not hot fields pay the call).
fn generic_getattr(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static GENERIC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    GENERIC
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(
                py.get_type::<PyAny>()
                    .getattr(intern!(py, "__getattribute__"))?
                    .unbind(),
            )
        })
        .map(|generic| generic.bind(py))
}

/// Called only when normal lookup fails: an extra, or an attribute the caller set.
pub(crate) fn getattr<'py, T: Model>(slf: &Bound<'py, T>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    if !name.starts_with("__") {
        if let Some(value) = extra(slf, PyString::new(slf.py(), name).as_any())? {
            return Ok(value);
        }
    }
    Err(PyAttributeError::new_err(format!(
        "'{}' object has no attribute '{name}'",
        <T as PyClass>::NAME
    )))
}

/// A field goes through its typed setter (its descriptor's `__set__`, which is what generic attribute
/// setting would call); any other name is kept with the extras, as LiteLLM's pydantic models allow.
/// (`object.__setattr__` would refuse: a type with its own `__setattr__` may not skip it.)
pub(crate) fn setattr<T: Model>(
    slf: &Bound<'_, T>,
    name: &Bound<'_, PyString>,
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let py = slf.py();
    if let Ok(descriptor) = slf.as_any().get_type().getattr(name) {
        if descriptor.hasattr(intern!(py, "__set__"))? {
            return descriptor.call_method1(intern!(py, "__set__"), (slf, value)).map(drop);
        }
    }
    slf.borrow_mut().extras().set(py, name, value)
}

/// Removes an attribute the caller set. A field or a provider's extra cannot be deleted (the twin's
/// `__slots__` and `_extras` cannot either).
pub(crate) fn delattr<T: Model>(slf: &Bound<'_, T>, name: &Bound<'_, PyString>) -> PyResult<()> {
    if slf.borrow_mut().extras().delete(slf.py(), name)? {
        return Ok(());
    }
    let what = if is_field::<T>(&name.to_cow()?) {
        "cannot delete field"
    } else {
        "object has no attribute"
    };
    Err(PyAttributeError::new_err(format!(
        "'{}' {what} '{}'",
        <T as PyClass>::NAME,
        name.to_cow()?
    )))
}

/// The common methods of every chunk class (see `model.rs`), plus the class's own.
macro_rules! model_class {
    ($ty:ty { $($body:tt)* }) => {
        #[pymethods]
        impl $ty {
            $($body)*

            #[pyo3(signature = (exclude_none = false))]
            fn model_dump<'py>(slf: &Bound<'py, Self>, exclude_none: bool) -> PyResult<Bound<'py, PyDict>> {
                model::model_dump(slf, exclude_none)
            }

            #[pyo3(signature = (exclude_none = false))]
            fn model_dump_json(slf: &Bound<'_, Self>, exclude_none: bool) -> PyResult<Py<PyAny>> {
                model::model_dump_json(slf, exclude_none)
            }

            /// A dict, as LiteLLM's `.json()` returns (not a string).
            fn json<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
                model::model_dump(slf, false)
            }

            /// The compact OpenAI shape: `model_dump(exclude_none=True)`.
            fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
                model::model_dump(slf, true)
            }

            fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                model::eq(slf, other)
            }

            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                model::repr(slf)
            }

            fn __getitem__<'py>(slf: &Bound<'py, Self>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                model::getitem(slf, key)
            }

            #[pyo3(signature = (key, default = None))]
            fn get<'py>(
                slf: &Bound<'py, Self>,
                key: &Bound<'py, PyAny>,
                default: Option<Bound<'py, PyAny>>,
            ) -> PyResult<Bound<'py, PyAny>> {
                model::get(slf, key, default)
            }

            fn __contains__(slf: &Bound<'_, Self>, key: &Bound<'_, PyAny>) -> PyResult<bool> {
                model::contains(slf, key)
            }

            fn __getattribute__<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
                model::getattribute(slf, name)
            }

            fn __getattr__<'py>(slf: &Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, PyAny>> {
                model::getattr(slf, name)
            }

            fn __setattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>, value: &Bound<'_, PyAny>) -> PyResult<()> {
                model::setattr(slf, name, value)
            }

            fn __delattr__(slf: &Bound<'_, Self>, name: &Bound<'_, PyString>) -> PyResult<()> {
                model::delattr(slf, name)
            }
        }
    };
}

pub(crate) use model_class;
