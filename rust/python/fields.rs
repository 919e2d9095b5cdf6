//! The fields a stream's reader reads on every chunk, answered by each class's `__getattribute__`
//! (`model::getattribute`) before the generic lookup. The classes have `__getattr__` (extras and caller-set
//! attributes), so pyo3 gives them a `tp_getattro` of its own; without this, every read paid that slot's
//! trampoline, the type's attribute lookup, and the getter descriptor's own trampoline (about 330
//! instructions for `chunk.choices`). Here a read pays the one trampoline and a comparison of the name with
//! interned strings: a name read from code is the interned string itself, and any other (a name built at
//! run time) goes on to the generic lookup, which finds the same getter. Each answer is what the field's
//! getter returns (its getter in methods.rs, or the field for objects.rs's `#[pyo3(get)]` ones), so fields
//! still win over extras and a value set sticks. Every field is here: a name that is not (a method, an
//! extra) pays a call of `object.__getattribute__` instead.
//! The classes cannot be subclassed, so no subclass can shadow these names. Twin: none needed (the twin's
//! fields are `__slots__`, which Python reads directly).

use pyo3::prelude::*;
use pyo3::PyClass;
use pyo3::{intern, IntoPyObjectExt};

use super::objects::{PyChoice, PyChunk, PyDelta, PyFunction, PyToolCall};

/// A class whose hot fields `model::getattribute` answers first.
pub(crate) trait HotFields: PyClass {
    /// The value of the field `name` when it is one of the hot ones (compared by identity), else `None`.
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>>;
}

/// Whether `name` is the interned string `text`.
macro_rules! is {
    ($py:expr, $name:expr, $text:literal) => {
        ::std::ptr::eq($name.as_ptr(), intern!($py, $text).as_ptr())
    };
}

/// The value of the first field whose name `name` is, the most read first.
macro_rules! fields {
    ($py:ident, $name:ident; $($text:literal => $value:expr),* $(,)?) => {{
        let py = $py;
        $(
            if is!(py, $name, $text) {
                return Ok(Some($value.into_bound_py_any(py)?));
            }
        )*
        Ok(None)
    }};
}

impl HotFields for PyChunk {
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        fields!(py, name;
            "choices" => slf.try_borrow()?.choices(py),
            "usage" => PyChunk::usage(slf.try_borrow_mut()?)?,
            "id" => slf.try_borrow()?.id(),
            "model" => slf.try_borrow()?.model(),
            "created" => slf.try_borrow()?.created,
            "object" => slf.try_borrow()?.object(),
            "system_fingerprint" => slf.try_borrow()?.system_fingerprint(),
            "service_tier" => slf.try_borrow()?.service_tier(),
            "citations" => PyChunk::citations(slf.try_borrow_mut()?)?,
            "provider_specific_fields" => PyChunk::provider_specific_fields(slf.try_borrow_mut()?)?,
        )
    }
}

impl HotFields for PyChoice {
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        fields!(py, name;
            "delta" => slf.try_borrow()?.delta(py),
            "finish_reason" => slf.try_borrow()?.finish_reason(),
            "index" => slf.try_borrow()?.index,
            "logprobs" => PyChoice::logprobs(slf.try_borrow_mut()?)?,
        )
    }
}

impl HotFields for PyDelta {
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        fields!(py, name;
            "content" => slf.try_borrow()?.content.as_deref(),
            "tool_calls" => slf.try_borrow()?.tool_calls(py),
            "role" => slf.try_borrow()?.role.as_deref(),
            "reasoning_content" => slf.try_borrow()?.reasoning_content.as_deref(),
            "function_call" => slf.try_borrow()?.function_call(py),
            "refusal" => slf.try_borrow()?.refusal.as_deref(),
            "thinking_blocks" => PyDelta::thinking_blocks(slf.try_borrow_mut()?)?,
            "annotations" => PyDelta::annotations(slf.try_borrow_mut()?)?,
            "audio" => PyDelta::audio(slf.try_borrow_mut()?)?,
            "provider_specific_fields" => PyDelta::provider_specific_fields(slf.try_borrow_mut()?)?,
        )
    }
}

impl HotFields for PyToolCall {
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        fields!(py, name;
            "function" => slf.try_borrow()?.function(py),
            "index" => slf.try_borrow()?.index,
            "id" => slf.try_borrow()?.id.as_deref(),
            "type" => slf.try_borrow()?.kind(),
        )
    }
}

impl HotFields for PyFunction {
    fn hot<'py>(slf: &Bound<'py, Self>, name: &Bound<'py, PyAny>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let py = slf.py();
        fields!(py, name;
            "arguments" => slf.try_borrow()?.arguments.as_str(),
            "name" => slf.try_borrow()?.name.as_deref(),
        )
    }
}
