"""Stub of the compiled extension (rust/python/); the pure-Python twin is rillm._fallback.

`python -m mypy.stubtest rillm._native --allowlist stubtest-allowlist.txt` checks it against the built
extension. pyo3 classes take their arguments in `__new__` (there is no `__init__` to declare), cannot be
subclassed (`@final`), and take dunder arguments positionally only. rillm._backend re-exports these names
under TYPE_CHECKING, so users see these types whichever backend is live.
"""

from collections.abc import Iterable
from typing import Any, final, type_check_only

from typing_extensions import Self

from rillm.types import Usage

__all__ = [
    "ChatCompletionDeltaToolCall",
    "Delta",
    "Function",
    "ModelResponseStream",
    "StreamDecoder",
    "StreamingChoices",
    "__version__",
    "frame_events",
    "merge_chunks",
]

__version__: str

# What `StreamDecoder.feed` and `frame_events` read: bytes, or a buffer copied into bytes.
_Bytes = bytes | bytearray | memoryview

@final
class StreamDecoder:
    """Turns one provider stream's bytes into OpenAI-shaped chunks.

    Args:
        dialect: the wire format: "openai" (OpenAI, Azure and every OpenAI-compatible server),
            "anthropic", "cohere", "gemini", "ollama" or "bedrock" (None: "openai").
        model: the model name for chunks whose provider sends none.
        max_event_bytes: the most one event may buffer (None: 64 MiB); past it, EventTooLargeError.
        created: the Unix time for chunks whose provider sends none (None: now).
        id: the id for chunks whose provider sends none (None: a fresh "chatcmpl-<uuid>"; the
            OpenAI dialect takes ids from its chunks).
        skip_choiceless: leave out chunks without choices (Azure's filter results, usage-only and
            moderation chunks).
        merge: keep a running merge of every chunk decoded (those left out included), for `merged()`.
        usage_on_finish: hold back the chunk that carries a finish reason until the stream ends (its
            terminator, `finish()`, an error, or the next chunk with choices), and give it the stream's
            usage when usage is reported after it; the chunks without choices that came after it follow it.

    A decoder is not shared across threads: a call (or property read) made while another thread is inside
    one of its calls raises rillm.exceptions.ConcurrentUseError and changes nothing.
    """

    def __new__(
        cls,
        dialect: str | None = None,
        *,
        model: str | None = None,
        max_event_bytes: int | None = None,
        created: int | None = None,
        id: str | None = None,
        skip_choiceless: bool = False,
        merge: bool = False,
        usage_on_finish: bool = False,
    ) -> Self: ...
    def feed(self, data: _Bytes) -> list[ModelResponseStream]:
        """Decodes every event `data` completes and returns their chunks."""
    def finish(self) -> list[ModelResponseStream]:
        """Ends the stream; raises IncompleteStreamError if it stopped before its terminator."""
    def merged(self) -> dict[str, Any]:
        """With merge=True: what merge_chunks returns for every chunk decoded so far (also after an error);
        rillm._builder.build_response makes the ModelResponse of it. A ValueError without merge=True."""
    @property
    def done(self) -> bool: ...
    @property
    def bytes_fed(self) -> int: ...
    @property
    def last_event_id(self) -> str: ...
    @property
    def retry(self) -> int | None: ...
    @property
    def dialect(self) -> str: ...

# The methods every chunk class has (rust/python/model.rs::model_class). Not a class at runtime: each
# pyo3 class has its own copy of them. Its `__getattr__` (a provider's other keys read as attributes) is left
# out on purpose: it would make every misspelt field Any. Typed code reads those keys as `chunk["x_groq"]` or
# `chunk.get("x_groq")`, as they do the extras of rillm.types' pydantic models.
@type_check_only
class _Model:
    def __new__(cls, **kwargs: Any) -> Self: ...
    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]: ...
    def model_dump_json(self, exclude_none: bool = False) -> str: ...
    def json(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __getitem__(self, key: str, /) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str, /) -> bool: ...

@final
class Function(_Model):
    name: str | None
    arguments: str

@final
class ChatCompletionDeltaToolCall(_Model):
    index: int
    id: str | None
    type: str
    function: Function

@final
class Delta(_Model):
    content: str | None
    role: str | None
    tool_calls: list[ChatCompletionDeltaToolCall] | None
    function_call: Function | None
    refusal: str | None
    reasoning_content: str | None
    # As the provider sent them (JSON values), made on first access.
    thinking_blocks: Any
    annotations: Any
    audio: Any
    provider_specific_fields: Any

@final
class StreamingChoices(_Model):
    finish_reason: str | None
    index: int
    delta: Delta
    # A ChoiceLogprobs, or the provider's value as sent when it is not one (rillm._shared.make_logprobs).
    logprobs: Any

@final
class ModelResponseStream(_Model):
    id: str
    created: int
    model: str
    object: str
    system_fingerprint: str | None
    choices: list[StreamingChoices]
    usage: Usage | None
    service_tier: str | None
    citations: Any
    provider_specific_fields: Any

def merge_chunks(chunks: Iterable[Any]) -> dict[str, Any]:
    """The per-chunk half of stream_chunk_builder; rillm._builder finishes the response."""

def frame_events(
    pieces: Iterable[_Bytes], framing: str = "sse", max_event_bytes: int = ...
) -> tuple[list[tuple[bytes, bytes, int, int, bool]], tuple[int, int] | None, bytes, int | None]:
    """Frames pieces as one stream without decoding ("sse", "ndjson", "json_array", "eventstream" or
    "auto"): (kind, data, event, offset, exception) of each event, the unterminated event, last id, retry."""
