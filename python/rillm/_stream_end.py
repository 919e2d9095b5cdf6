"""What a stream does once, when it ends (the per-stream half of rillm._stream; nothing here is per chunk).

When the stream is complete (its terminator decoded, or its body ended and the decoder finished), before the
last chunks reach the caller:

- the whole response is built from the decoder's running merge (`_builder.build_response`): the provider's
  usage, or an estimate marked `estimated` that counts the prompt from the request's messages;
- its cost is looked up (`rillm.cost.cost_of_usage`, which never raises: an unknown model is None and one
  log line) and kept in the stream's `hidden_params["response_cost"]` and the response's `_hidden_params`;
- that usage is put on the final chunk, the last chunk with choices (the one with the finish reason, which
  the decoder holds back until the stream ends so that usage sent after it can ride on it), and on the
  chunks without choices shown after it (only with `stream_options={"include_usage": True}`: the provider's
  usage chunk, and whatever comes last, such as OpenAI's moderation chunk); with
  `rillm.include_cost_in_streaming_usage = True` the usage carries `cost` (USD) too, as does the built
  response's. So `if chunk.usage:` after the loop, and `stream_chunk_builder(collected_chunks)`, see the
  provider's numbers, as LiteLLM's docs promise.

Then, once the caller has had the last chunk (or the stream failed, or the caller left it), its one callback
event (rillm._callbacks says which ending is which).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rillm._builder import build_response
from rillm._log import logger
from rillm.cost import cost_of_usage

if TYPE_CHECKING:
    from rillm._callbacks import CallLog
    from rillm.types import ModelResponse

__all__ = ["StreamEnd"]


class StreamEnd:
    """One stream's ending: `finish()` once the whole stream is decoded (or `partial()` at an error), then
    `settle()` (or `asettle()`) sends its callback event, once."""

    __slots__ = ("cost", "hidden", "include_cost", "log", "messages", "model", "provider", "response")

    def __init__(
        self,
        *,
        model: str,
        provider: str,
        messages: list[Any] | None,
        hidden: dict[str, Any],
        include_cost: bool,
        log: CallLog | None,
    ) -> None:
        self.model = model
        self.provider = provider
        self.messages = messages
        self.hidden = hidden
        self.include_cost = include_cost
        self.log = log
        # The built response, once the stream is complete (None until then).
        self.response: ModelResponse | None = None
        self.cost: float | None = None

    @property
    def complete(self) -> bool:
        return self.response is not None

    def finish(self, merged: dict[str, Any] | None, final: list[Any]) -> None:
        """The stream is complete: `merged` is the decoder's merge of every chunk, `final` the last batch of
        chunks, not yet yielded. Builds the response and puts its usage (and cost) on the final chunk."""
        if self.response is not None or merged is None:
            return
        response = self.response = build_response(merged, self.messages)
        self.cost = self._price(response)
        if response.usage is not None and self.include_cost and self.cost is not None:
            # An extra field, as LiteLLM's optional Usage.cost: absent, not None, when there is no price.
            setattr(response.usage, "cost", self.cost)  # noqa: B010
        self.stamp(final)

    def stamp(self, chunks: list[Any]) -> None:
        """Puts the built response's usage on the last chunk with choices of `chunks`, on the usage chunks
        after it and on the very last chunk (which, with include_usage, may be a chunk without choices such as
        OpenAI's moderation chunk): the same object, which `stream_chunk_builder` reads with last values
        winning."""
        usage = self.response.usage if self.response is not None else None
        if usage is None or not chunks:
            return
        chunks[-1].usage = usage
        for chunk in reversed(chunks):
            if chunk.choices:
                chunk.usage = usage
                break
            if chunk.usage is not None:  # a usage chunk shown to the caller (include_usage)
                chunk.usage = usage

    def partial(self, merged: dict[str, Any] | None) -> ModelResponse | None:
        """The response built from what had arrived (None if nothing had), priced; for an error or a caller
        that left early."""
        if self.response is not None:
            return self.response
        if merged is None:
            return None
        response = build_response(merged, self.messages)
        self.cost = self._price(response)
        return response

    def _price(self, response: ModelResponse) -> float | None:
        model = response.model or None
        cost = cost_of_usage(response.usage, model=model, requested_model=self.model, provider=self.provider)
        self.hidden["response_cost"] = cost
        response._hidden_params["response_cost"] = cost
        return cost

    # -- the one event ------------------------------------------------------------------------------------

    def settle(self, outcome: BaseException | None, merged: Callable[[], dict[str, Any] | None]) -> None:
        """Sends the stream's one callback event, after its connection is closed: `outcome` is the exception
        that ended it (None: read to its end, or left by the caller); `merged` gives the merge so far."""
        log = self.log
        if log is None or log.sent:
            return
        try:
            if isinstance(outcome, Exception):
                log.failure(outcome, self.cost)
            elif self.response is not None:
                log.success(self.response, self.cost)
            else:
                log.success(self.partial(merged()), self.cost, disconnected=True)
        except Exception:  # the stream's own outcome must reach the caller whatever its logging does
            logger.error("logging the end of a %s/%s stream failed", self.provider, self.model, exc_info=True)

    async def asettle(self, outcome: BaseException | None, merged: Callable[[], dict[str, Any] | None]) -> None:
        """The async `settle()`: the callbacks' async methods are awaited."""
        log = self.log
        if log is None or log.sent:
            return
        try:
            if isinstance(outcome, Exception):
                await log.afailure(outcome, self.cost)
            elif self.response is not None:
                await log.asuccess(self.response, self.cost)
            else:
                await log.asuccess(self.partial(merged()), self.cost, disconnected=True)
        except Exception:
            logger.error("logging the end of a %s/%s stream failed", self.provider, self.model, exc_info=True)
