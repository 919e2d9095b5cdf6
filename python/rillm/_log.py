"""The `rillm` logger (the standard logging module): retries, fake-stream decisions, the backend falling back
to pure Python, cost lookups that missed, callbacks that raised. Nothing per chunk: every line here is per
call or per stream, so the hot path never formats a message.

`rillm.set_verbose = True` (LiteLLM's switch), or LITELLM_LOG / RILLM_LOG set to DEBUG, turns the logger to
DEBUG and, when neither it nor the root logger has a handler, gives it one on stderr (as LiteLLM's verbose
mode prints); setting it back to False restores both. It is checked once per call.

No line ever carries a key: messages name the provider, the model, the URL without its query and the error
class and status, never headers, request bodies or an exception's arguments.
"""

from __future__ import annotations

import logging
import os
import sys

__all__ = ["apply_verbose", "logger"]

logger = logging.getLogger("rillm")

# The handler rillm added for verbose mode (None when it added none), and whether it turned the level down.
_added: logging.Handler | None = None
_lowered = False


def _wants_debug() -> bool:
    if getattr(sys.modules.get("rillm"), "set_verbose", False) is True:
        return True
    return any(os.environ.get(name, "").strip().upper() == "DEBUG" for name in ("RILLM_LOG", "LITELLM_LOG"))


def apply_verbose() -> None:
    """Follows `rillm.set_verbose` (and the environment) as it is now; cheap when nothing changed."""
    global _added, _lowered
    wanted = _wants_debug()
    if wanted == _lowered:
        return
    if wanted:
        logger.setLevel(logging.DEBUG)
        if not logger.handlers and not logging.getLogger().handlers:
            _added = logging.StreamHandler()
            _added.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
            logger.addHandler(_added)
    else:
        logger.setLevel(logging.NOTSET)
        if _added is not None:
            logger.removeHandler(_added)
            _added = None
    _lowered = wanted
