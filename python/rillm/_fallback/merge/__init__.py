# Twin of rust/merge/mod.rs (the rules) and rust/python/merge.rs (walking the chunks).
"""Merging chunks into one response: the per-chunk half of `stream_chunk_builder`.

The rules are documented in rust/merge/mod.rs; this file keeps its names and order. `merge_chunks` walks
the chunks once and returns a plain dict that `rillm._builder` turns into the pydantic `ModelResponse`.
`usage.py` merges the usage; `stream.py` and `delivery.py` are the decoder's running merge and what
happens to each decoded chunk on its way out (rust/merge/stream.rs, delivery.rs).
"""

from __future__ import annotations

from typing import Any

from rillm import _shared
from rillm._fallback import jsonutil
from rillm._fallback.chunk import (
    ChatCompletionDeltaToolCall,
    Delta,
    Function,
    ModelResponseStream,
    StreamingChoices,
)
from rillm._fallback.merge.usage import UsageMerge
from rillm.exceptions import APIError


class Merger:
    __slots__ = ("choices", "created", "id", "model", "model_switched", "service_tier", "system_fingerprint")

    def __init__(self) -> None:
        self.id = ""
        self.created = 0
        self.model = ""
        self.model_switched = False
        self.system_fingerprint: str | None = None
        self.service_tier: str | None = None
        self.choices: dict[int, ChoiceMerger] = {}

    def header(self, id_: str, created: int, model: str, fingerprint: str | None, tier: str | None) -> None:
        if not self.id and id_:
            self.id = id_
        if self.created == 0:
            self.created = created
        if model and self.model != model:
            if not self.model:
                self.model = model
            elif not self.model_switched:
                self.model = model
                self.model_switched = True
        if self.system_fingerprint is None:
            self.system_fingerprint = fingerprint
        if tier is not None:
            self.service_tier = tier

    def choice(self, index: int) -> ChoiceMerger:
        merger = self.choices.get(index)
        if merger is None:
            merger = self.choices[index] = ChoiceMerger(index)
        return merger

    def finish(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The merged header and choices so far (new dicts and lists: the merger goes on)."""
        header = {
            "id": self.id,
            "created": self.created,
            "model": self.model,
            "system_fingerprint": self.system_fingerprint,
            "service_tier": self.service_tier,
        }
        return header, [c.finish() for c in sorted(self.choices.values(), key=lambda c: c.index)]


class ToolCall:
    __slots__ = ("arguments", "fields", "id", "index", "kind", "length", "name")

    def __init__(self, index: int) -> None:
        self.index = index
        self.id: str | None = None
        self.kind: str | None = None
        self.name: str | None = None
        # The call's `provider_specific_fields` (Gemini's thought signature), from the first delta with one.
        self.fields: Any = None
        # Fragments, joined at the end (attribute `+=` would copy the whole string each time).
        self.arguments: list[str] = []
        self.length = 0


class ChoiceMerger:
    __slots__ = (
        "annotations",
        "content",
        "finish_reason",
        "function_call",
        "index",
        "logprobs",
        "provider_specific_fields",
        "reasoning",
        "refusal",
        "role",
        "thinking_blocks",
        "tool_calls",
    )

    def __init__(self, index: int) -> None:
        self.index = index
        self.role: str | None = None
        self.content: list[str] = []
        self.refusal: list[str] = []
        self.reasoning: list[str] | None = None
        self.tool_calls: list[ToolCall] = []
        self.function_call: list[Any] | None = None
        self.finish_reason: str | None = None
        # Values the merge does not inspect, handed to rillm._builder in order.
        self.annotations: list[Any] | None = None
        self.logprobs: list[Any] = []
        self.provider_specific_fields: list[Any] = []
        self.thinking_blocks: list[Any] = []

    def tool_call(
        self, index: int, id_: str | None, kind: str | None, name: str | None, arguments: str, fields: Any = None
    ) -> None:
        if not id_:
            id_ = None
        calls = self.tool_calls
        at = len(calls) - 1
        while at >= 0 and calls[at].index != index:
            at -= 1
        if at < 0 or (id_ is not None and calls[at].id is not None and calls[at].id != id_):
            calls.append(ToolCall(index))
            at = len(calls) - 1
        call = calls[at]
        if call.id is None and id_:
            call.id = id_
        if call.kind is None and kind:
            call.kind = kind
        if call.name is None and name:
            call.name = name
        if call.fields is None:
            call.fields = fields
        append_arguments(call, arguments)

    def function(self, name: str | None, arguments: str) -> None:
        function = self.function_call
        if function is None:
            function = self.function_call = [None, []]
        if function[0] is None and name:
            function[0] = name
        function[1].append(arguments)

    def finish(self) -> dict[str, Any]:
        # Stable: calls that share an index keep their arrival order.
        calls = sorted(self.tool_calls, key=lambda c: c.index)
        tool_calls = []
        for c in calls:
            call = {
                "index": c.index,
                "id": c.id,
                "type": c.kind or "function",
                "function": {"name": c.name, "arguments": "".join(c.arguments) or "{}"},
            }
            if c.fields is not None:
                call["provider_specific_fields"] = c.fields
            tool_calls.append(call)
        refusal = "".join(self.refusal) or None
        content: str | None = "".join(self.content)
        function_call = None
        if self.function_call is not None:
            function_call = {"name": self.function_call[0], "arguments": "".join(self.function_call[1])}
        if (tool_calls or function_call is not None or refusal is not None) and not content:
            content = None
        finish_reason = self.finish_reason
        if tool_calls and finish_reason in (None, "stop"):
            finish_reason = "tool_calls"
        reasoning = "".join(self.reasoning) if self.reasoning is not None else None
        return {
            "index": self.index,
            "role": self.role or "assistant",
            "content": content,
            "refusal": refusal,
            "reasoning_content": reasoning or None,
            "tool_calls": tool_calls,
            "function_call": function_call,
            "finish_reason": finish_reason or "stop",
            "annotations": None if self.annotations is None else list(self.annotations),
            "logprobs": list(self.logprobs),
            "provider_specific_fields": list(self.provider_specific_fields),
            "thinking_blocks": list(self.thinking_blocks),
        }


def append_arguments(call: ToolCall, fragment: str) -> None:
    """Appends a fragment, unless it repeats arguments that are already complete (Groq and Mistral resend
    whole arguments). Keep in sync with rust/merge/mod.rs::append_arguments."""
    if not fragment:
        return
    if len(fragment) == call.length:
        so_far = "".join(call.arguments)
        if fragment == so_far and jsonutil.is_complete_json(so_far):
            return
    call.arguments.append(fragment)
    call.length += len(fragment)


def merge_chunks(chunks: list[Any]) -> dict[str, Any]:
    """Walks `chunks` (this backend's chunks, or OpenAI-shaped dicts and objects with `model_dump()`) and
    returns the merged header, choices, usage and the per-stream values for rillm._builder."""
    merger = Merger()
    usage = UsageMerge()
    citations = None
    for position, chunk in enumerate(chunks):
        if not _ours(chunk):
            chunk = _coerce(chunk, position)
        merger.header(chunk.id, chunk.created, chunk.model, chunk.system_fingerprint, chunk.service_tier)
        merge_usage(usage, chunk, position)
        if chunk.citations is not None:
            citations = chunk.citations
        for choice in chunk.choices:
            merge_choice(merger.choice(choice.index), choice)
    return merged_dict(merger, usage, citations)


def merged_dict(merger: Merger, usage: UsageMerge, citations: Any) -> dict[str, Any]:
    """What `merge_chunks` returns (rust/python/merge.rs::finish)."""
    header, choices = merger.finish()
    return {**header, "choices": choices, "usage": usage.merged(), "citations": citations}


def merge_usage(merge: UsageMerge, chunk: ModelResponseStream, position: int) -> None:
    """A chunk's usage into the merge: the checked dict as decoded, or the value made on access or set by a
    caller, read through `rillm._shared.usage_fields` (rust/python/merge.rs::merge_usage)."""
    raw = chunk._raw_usage
    if raw is not None:
        merge.add(raw)
    elif chunk._usage is not None:
        try:
            merge.add(_shared.usage_fields(chunk._usage))
        except ValueError as exc:
            raise APIError(500, f"stream_chunk_builder: chunk {position}: {exc}") from None


def merge_choice(acc: ChoiceMerger, choice: StreamingChoices) -> None:
    """One choice of one chunk into its merger."""
    delta = choice.delta
    if delta.role:
        if acc.role is None:
            acc.role = delta.role
    if delta.content is not None:
        acc.content.append(delta.content)
    if delta.refusal is not None:
        acc.refusal.append(delta.refusal)
    if delta.reasoning_content is not None:
        if acc.reasoning is None:
            acc.reasoning = []
        acc.reasoning.append(delta.reasoning_content)
    if delta.tool_calls:
        merge_tool_calls(acc, delta.tool_calls)
    if delta.function_call is not None:
        acc.function(delta.function_call.name, delta.function_call.arguments)
    if choice._finish_reason is not None:
        acc.finish_reason = choice._finish_reason
    if delta.annotations is not None:
        merge_annotations(acc, delta.annotations)
    if choice._logprobs is not None:
        acc.logprobs.append(choice._logprobs)
    if delta.provider_specific_fields is not None:
        acc.provider_specific_fields.append(delta.provider_specific_fields)
    if delta.thinking_blocks is not None:
        acc.thinking_blocks.append(delta.thinking_blocks)


def merge_tool_calls(acc: ChoiceMerger, calls: list[ChatCompletionDeltaToolCall]) -> None:
    for call in calls:
        function = call.function
        # A call's own provider_specific_fields (Gemini's thought signature) is an extra or set by the caller.
        fields = call.get("provider_specific_fields") if call._extras is not None or call.__dict__ else None
        acc.tool_call(call.index, call.id, call.type, function.name, function.arguments, fields)


def merge_annotations(acc: ChoiceMerger, annotations: Any) -> None:
    """A list of annotations is extended by the next one; anything else is one annotation."""
    if acc.annotations is None:
        acc.annotations = []
    if type(annotations) is list:
        acc.annotations.extend(annotations)
    else:
        acc.annotations.append(annotations)


def _ours(chunk: Any) -> bool:
    """Whether `chunk` is this backend's chunk all the way down (a user may have put dicts inside)."""
    if type(chunk) is not ModelResponseStream or type(chunk.choices) is not list:
        return False
    for choice in chunk.choices:
        if type(choice) is not StreamingChoices or type(choice.delta) is not Delta:
            return False
        calls = choice.delta.tool_calls
        if calls is not None and not all(
            type(c) is ChatCompletionDeltaToolCall and type(c.function) is Function for c in calls
        ):
            return False
        if choice.delta.function_call is not None and type(choice.delta.function_call) is not Function:
            return False
    return True


def _coerce(chunk: Any, position: int) -> ModelResponseStream:
    """A dict, or an object with `model_dump()`, read with the decoder's rules."""
    from rillm._fallback.decode.openai import parse_piece

    try:
        data = chunk if isinstance(chunk, dict) else chunk.model_dump()
        return parse_piece("chunk", _shared.dumps(_shared.dump_value(data, False)))  # type: ignore[no-any-return]
    except Exception as exc:
        raise APIError(500, f"stream_chunk_builder: chunk {position} is not a chat.completion.chunk: {exc}") from None
