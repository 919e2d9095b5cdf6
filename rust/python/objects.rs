//! The chunk classes: what each holds. Twin: `python/rillm/_fallback/chunk.py`.
//!
//! Strings stay Rust strings until Python reads them (a stream's id and model are one shared allocation);
//! nested objects are created once, with the chunk, so that `chunk.choices[0].delta.content = ...` sticks.
//! Their Python methods are in methods.rs (the ones every class shares come from `model_class!`, model.rs);
//! the conversion from the core's structs is in convert.rs.

use pyo3::prelude::*;

use super::lazy::{Extras, Lazy};
use crate::chunk::{FinishReason, Shared};

#[pyclass(module = "rillm._native", name = "Function", freelist = 64)]
pub(crate) struct PyFunction {
    #[pyo3(get, set)]
    pub(crate) name: Option<String>,
    #[pyo3(get, set)]
    pub(crate) arguments: String,
    pub(crate) extras: Extras,
}

#[pyclass(module = "rillm._native", name = "ChatCompletionDeltaToolCall", freelist = 64)]
pub(crate) struct PyToolCall {
    #[pyo3(get, set)]
    pub(crate) index: i64,
    #[pyo3(get, set)]
    pub(crate) id: Option<String>,
    /// `None` is "function" (see `chunk::ToolCall::kind`).
    pub(crate) kind: Option<String>,
    pub(crate) function: Option<Py<PyAny>>,
    pub(crate) extras: Extras,
}

#[pyclass(module = "rillm._native", name = "Delta", freelist = 256)]
pub(crate) struct PyDelta {
    #[pyo3(get, set)]
    pub(crate) content: Option<String>,
    #[pyo3(get, set)]
    pub(crate) role: Option<String>,
    #[pyo3(get, set)]
    pub(crate) refusal: Option<String>,
    #[pyo3(get, set)]
    pub(crate) reasoning_content: Option<String>,
    pub(crate) tool_calls: Option<Py<PyAny>>,
    pub(crate) function_call: Option<Py<PyAny>>,
    pub(crate) thinking_blocks: Lazy,
    pub(crate) annotations: Lazy,
    pub(crate) audio: Lazy,
    pub(crate) provider_specific_fields: Lazy,
    pub(crate) extras: Extras,
}

#[pyclass(module = "rillm._native", name = "StreamingChoices", freelist = 256)]
pub(crate) struct PyChoice {
    #[pyo3(get, set)]
    pub(crate) index: i64,
    pub(crate) delta: Option<Py<PyAny>>,
    pub(crate) finish_reason: Option<FinishReason>,
    pub(crate) logprobs: Lazy,
    pub(crate) extras: Extras,
}

/// One streamed chunk, shaped like `LiteLLM`'s `ModelResponseStream` and `OpenAI`'s `ChatCompletionChunk`.
#[pyclass(module = "rillm._native", name = "ModelResponseStream", freelist = 256)]
pub(crate) struct PyChunk {
    pub(crate) id: Shared,
    #[pyo3(get, set)]
    pub(crate) created: i64,
    pub(crate) model: Shared,
    /// `None` is "chat.completion.chunk", what every chunk says unless a caller changes it.
    pub(crate) object: Option<String>,
    pub(crate) system_fingerprint: Option<Shared>,
    pub(crate) service_tier: Option<Shared>,
    pub(crate) choices: Option<Py<PyAny>>,
    pub(crate) usage: Lazy,
    pub(crate) citations: Lazy,
    pub(crate) provider_specific_fields: Lazy,
    pub(crate) extras: Extras,
}
