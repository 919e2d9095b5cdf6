"""Stub of the compiled extension (rust/python/); the pure-Python twin is rillm._fallback."""

from typing import Any

__version__: str

class StreamDecoder:
    """Turns one provider stream's bytes into OpenAI-shaped chunks.

    Args:
        dialect: the wire format: "openai" (OpenAI, Azure and every OpenAI-compatible server),
            "anthropic", "cohere", "gemini", "ollama" or "bedrock".
        model: the model name for chunks whose provider sends none.
        max_event_bytes: the most one event may buffer (default 64 MiB); past it, EventTooLargeError.
        created: the Unix time for chunks whose provider sends none (default: now).
        id: the id for chunks whose provider sends none (default: a fresh "chatcmpl-<uuid>"; the
            OpenAI dialect takes ids from its chunks).
        skip_choiceless: leave out chunks without choices (Azure's filter results, usage-only and
            moderation chunks).
    """

    def __init__(
        self,
        dialect: str = "openai",
        *,
        model: str | None = None,
        max_event_bytes: int = ...,
        created: int | None = None,
        id: str | None = None,
        skip_choiceless: bool = False,
    ) -> None: ...
    def feed(self, data: bytes | bytearray | memoryview) -> list[ModelResponseStream]:
        """Decodes every event `data` completes and returns their chunks."""
    def finish(self) -> list[ModelResponseStream]:
        """Ends the stream; raises IncompleteStreamError if it stopped before its terminator."""
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

class _Model:
    def __init__(self, **kwargs: Any) -> None: ...
    def model_dump(self, exclude_none: bool = False) -> dict[str, Any]: ...
    def model_dump_json(self, exclude_none: bool = False) -> str: ...
    def json(self) -> dict[str, Any]: ...
    def to_dict(self) -> dict[str, Any]: ...
    def __getitem__(self, key: str) -> Any: ...
    def get(self, key: str, default: Any = None) -> Any: ...
    def __contains__(self, key: str) -> bool: ...
    def __getattr__(self, name: str) -> Any: ...

class Function(_Model):
    name: str | None
    arguments: str

class ChatCompletionDeltaToolCall(_Model):
    index: int
    id: str | None
    type: str
    function: Function

class Delta(_Model):
    content: str | None
    role: str | None
    tool_calls: list[ChatCompletionDeltaToolCall] | None
    function_call: Function | None
    refusal: str | None
    reasoning_content: str | None
    thinking_blocks: Any
    annotations: Any
    audio: Any
    provider_specific_fields: Any

class StreamingChoices(_Model):
    finish_reason: str | None
    index: int
    delta: Delta
    logprobs: Any

class ModelResponseStream(_Model):
    id: str
    created: int
    model: str
    object: str
    system_fingerprint: str | None
    choices: list[StreamingChoices]
    usage: Any
    service_tier: str | None
    citations: Any
    provider_specific_fields: Any

def merge_chunks(chunks: Any) -> dict[str, Any]:
    """The per-chunk half of stream_chunk_builder; rillm._builder finishes the response."""

def frame_events(
    pieces: Any, framing: str = "sse", max_event_bytes: int = ...
) -> tuple[list[tuple[bytes, bytes, int, int, bool]], tuple[int, int] | None, bytes, int | None]:
    """Frames pieces as one stream without decoding ("sse", "ndjson", "json_array", "eventstream" or
    "auto"): (kind, data, number, offset, exception) of each event, the unterminated event, last id, retry."""
