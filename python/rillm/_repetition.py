"""LiteLLM's guard against a model stuck repeating itself (`REPEATED_STREAMING_CHUNK_LIMIT`), opt-in.

The count is LiteLLM's, over the chunks the stream shows: a chunk whose first choice's content is longer than
two characters and equal to the last chunk's adds one; any other chunk (other content, none, no choices: shown
with `stream_options={"include_usage": True}`) starts the count again at one. When
the count reaches the limit, the stream fails with LiteLLM's error, InternalServerError("The model is
repeating the same chunk = ..."), carrying the partial response, and its connection is closed, which stops a
server that would otherwise go on generating; the failure callback is sent once, as for any error.

Off unless `rillm.REPEATED_STREAMING_CHUNK_LIMIT` or the REPEATED_STREAMING_CHUNK_LIMIT environment variable is
set (LiteLLM has it on at 100): a stream of the same short line is not always a loop (a table's rules, a
progress bar), and the check is work per chunk, which rillm does not do unasked. When on, it looks at each
chunk of each piece after it is decoded, and the error takes the place of that piece's chunks; a mock
stream's chunks (`mock_response`, in LiteLLM's 3-character pieces) are counted one by one as they are shown.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rillm.exceptions import InternalServerError

__all__ = ["Repetition"]


class Repetition:
    """The count of one stream."""

    __slots__ = ("count", "last", "limit", "model", "provider")

    def __init__(self, limit: int, *, provider: str, model: str) -> None:
        self.limit = limit
        self.provider = provider
        self.model = model
        self.last: str | None = None
        self.count = 0

    def watch(self, feed: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
        """`feed` with each piece's chunks counted."""

        def counted(piece: Any) -> list[Any]:
            batch = feed(piece)
            for chunk in batch:
                self.see(chunk)
            return batch

        return counted

    def see(self, chunk: Any) -> None:
        choices = chunk.choices
        content = choices[0].delta.content if choices else None
        if content is not None and len(content) > 2 and content == self.last:
            self.count += 1
            if self.count >= self.limit:
                raise InternalServerError(
                    f"The model is repeating the same chunk = {content!r} "
                    f"({self.count} times in a row; REPEATED_STREAMING_CHUNK_LIMIT = {self.limit})",
                    llm_provider=self.provider,
                    model=self.model,
                )
        else:
            self.count = 1
        self.last = content
