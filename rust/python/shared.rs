//! Python functions the bindings call on cold paths, imported once. No twin: the pure-Python backend
//! calls them directly.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

macro_rules! python_function {
    ($(#[$doc:meta])* $name:ident = $module:literal . $attr:literal) => {
        $(#[$doc])*
        pub(crate) fn $name(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
            static CELL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
            CELL.import(py, $module, $attr)
        }
    };
}

python_function!(
    /// `rillm._json.loads`, the one JSON reader of the Python side: raw JSON becomes Python objects exactly
    /// as the fallback parses them, under the core's rules (depth, numbers) whatever the interpreter's settings.
    json_loads = "rillm._json"."loads"
);
python_function!(dump_value = "rillm._shared"."dump_value");
python_function!(dumps = "rillm._shared"."dumps");
python_function!(make_usage = "rillm._shared"."make_usage");
python_function!(check_usage = "rillm._shared"."check_usage");
python_function!(usage_fields = "rillm._shared"."usage_fields");
python_function!(make_logprobs = "rillm._shared"."make_logprobs");
python_function!(prepare = "rillm._shared"."prepare");
python_function!(new_response_id = "rillm._shared"."new_response_id");
python_function!(provider_stream_error = "rillm._error_mapping"."provider_stream_error");

/// `rillm._json.loads(text)`.
pub(crate) fn loads<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    json_loads(py)?.call1((text,))
}
