"""The one seam between the two backends: the only module that imports `rillm._native`.

`RILLM_BACKEND` chooses, and is parsed strictly:

- `auto` (the default): the Rust extension, or the pure-Python twin when the extension cannot be
  imported or is from another version (a warning on the `rillm` logger says why);
- `rust`: the extension, or ImportError (a silent fallback must never hide a broken build);
- `python`: the pure-Python twin.

`BACKEND` says which one is live. The checker sees the extension's stub (`_native.pyi`) whichever backend is
live: the twin has the same classes and signatures (tests/parity/test_signatures.py), so users get one set
of types.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Literal

from rillm._version import __version__

__all__ = [
    "BACKEND",
    "ChatCompletionDeltaToolCall",
    "Delta",
    "Function",
    "ModelResponseStream",
    "StreamDecoder",
    "StreamingChoices",
    "merge_chunks",
]

_choice = os.environ.get("RILLM_BACKEND", "auto")
if _choice not in ("auto", "rust", "python"):
    raise ValueError(f"RILLM_BACKEND must be 'auto', 'rust' or 'python', not {_choice!r}")

_impl: Any = None
BACKEND: Literal["rust", "python"]
if _choice != "python":
    try:
        from rillm import _native
    except ImportError as exc:
        if _choice == "rust":
            raise ImportError(f"RILLM_BACKEND=rust but the Rust extension cannot be imported: {exc}") from exc
        _why = f"the Rust extension cannot be imported ({exc})"
    else:
        if _native.__version__ == __version__:
            _impl = _native
        elif _choice == "rust":
            raise ImportError(
                f"RILLM_BACKEND=rust but the Rust extension is version {_native.__version__}, "
                f"not {__version__}: rebuild it (pip install . or make dev)"
            )
        _why = f"the Rust extension is version {_native.__version__}, not {__version__}"
    if _impl is None:
        import logging  # here only: `import rillm` does not load logging otherwise (tests/test_import.py)

        logging.getLogger("rillm").warning("%s: using the pure-Python twin, several times slower", _why)

if _impl is None:
    from rillm import _fallback as _impl

    BACKEND = "python"
else:
    BACKEND = "rust"

if TYPE_CHECKING:
    from rillm._native import (
        ChatCompletionDeltaToolCall,
        Delta,
        Function,
        ModelResponseStream,
        StreamDecoder,
        StreamingChoices,
        merge_chunks,
    )
else:
    StreamDecoder = _impl.StreamDecoder
    ModelResponseStream = _impl.ModelResponseStream
    StreamingChoices = _impl.StreamingChoices
    Delta = _impl.Delta
    ChatCompletionDeltaToolCall = _impl.ChatCompletionDeltaToolCall
    Function = _impl.Function
    merge_chunks = _impl.merge_chunks
