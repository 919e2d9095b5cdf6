"""The pure-Python twin of the Rust core: same classes, same functions, same behaviour.

Each module names its Rust twin on its first line. `RILLM_BACKEND=python` makes it the live backend.
"""

from rillm._fallback.chunk import (
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    ModelResponseStream,
    StreamingChoices,
)
from rillm._fallback.decode import StreamDecoder
from rillm._fallback.framing import frame_events
from rillm._fallback.merge import merge_chunks
from rillm._version import __version__

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
