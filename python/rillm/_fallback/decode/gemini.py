# Twin of rust/decode/gemini.rs, which documents the mapping.
"""Gemini's `streamGenerateContent` (Google AI Studio and Vertex AI): one `GenerateContentResponse` per SSE
event, or per element of one JSON array."""

from __future__ import annotations

from typing import Any, ClassVar

from rillm import _shared
from rillm._fallback.chunk import ModelResponseStream, StreamingChoices, ascii_lower, new_choice, new_delta
from rillm._fallback.decode import fields, to_openai
from rillm._fallback.decode.fields import Bad, get_bool, get_int, get_list, get_obj, get_str
from rillm._fallback.decode.gemini_args import ArgsWriter
from rillm._fallback.decode.to_openai import Header, emit
from rillm._fallback.errors import ShapeError, provider_error
from rillm._fallback.framing import CONTINUE, Event, Flow
from rillm._shared import I64

_FILTERED = frozenset(
    {
        "safety",
        "recitation",
        "language",
        "other",
        "blocklist",
        "prohibited_content",
        "spii",
        "image_safety",
        "image_prohibited_content",
        "no_image",
        "image_recitation",
        "image_other",
        "escalation",
    }
)
_COUNTS = (
    "promptTokenCount",
    "candidatesTokenCount",
    "totalTokenCount",
    "thoughtsTokenCount",
    "toolUsePromptTokenCount",
    "cachedContentTokenCount",
)


class Candidate:
    __slots__ = ("finished", "index", "role_sent", "streaming", "tools")

    def __init__(self, index: int) -> None:
        self.index = index
        self.finished = False
        self.role_sent = False
        self.tools = 0
        # The call whose arguments are being streamed.
        self.streaming: ArgsWriter | None = None


class Parts:
    """A candidate's parts, sorted."""

    __slots__ = ("calls", "other", "signatures", "text", "thoughts")

    def __init__(self) -> None:
        self.text: list[str] = []
        self.thoughts: list[str] = []
        self.calls: list[Any] = []
        # The thought signatures of text parts, and the parts that are neither text nor a function call.
        self.signatures: list[Any] = []
        self.other: list[Any] = []


class GeminiDecoder:
    NAME: ClassVar[str] = "gemini"
    FRAMING: ClassVar[str] = "auto"
    TERMINATOR: ClassVar[str] = "before a finishReason for every candidate"
    NEEDS_ID: ClassVar[bool] = True

    __slots__ = ("blocked", "candidates", "header")

    def __init__(self, id_: str, model: str, created: int) -> None:
        self.header = Header(id_, model, created)
        # Each candidate gets its own role (below).
        self.header.role_sent = True
        self.candidates: list[Candidate] = []
        self.blocked = False

    def decode(self, event: Event, out: list[ModelResponseStream]) -> Flow:
        data = event.data.decode("utf-8", "replace")
        if event.kind == b"error":
            raise provider_error(event, data, "error")
        if data[:1] != "{":  # a payload is an object: the other checks only for anything else
            payload = data.strip(" \t\n\r")
            if not payload or payload.startswith("[DONE]"):
                return CONTINUE
        response = fields.load(event, data, "gemini")
        if response.get("error") is not None:
            raise provider_error(event, data, "")
        try:
            emit(self.response(response), out)
        except ShapeError as exc:
            raise fields.bad(event, exc, "gemini") from None
        return CONTINUE

    def complete(self) -> bool:
        return self.blocked or (bool(self.candidates) and all(c.finished for c in self.candidates))

    def response(self, response: dict[str, Any]) -> ModelResponseStream | None:
        self.header.set_id(get_str(response, "responseId"))
        self.header.set_model(get_str(response, "modelVersion"))
        candidates = fields.objects(get_list(response, "candidates") or [], "candidates")
        choices = []
        for position, candidate in enumerate(candidates):
            choice = self.candidate(candidate, position)
            if choice is not None:
                choices.append(choice)
        if not candidates:
            feedback = get_obj(response, "promptFeedback")
            if feedback is not None and get_str(feedback, "blockReason"):
                self.blocked = True
                delta = new_delta()
                delta.provider_specific_fields = {"prompt_feedback": feedback}
                choices.append(self.choice(None, delta, "content_filter"))
        metadata = get_obj(response, "usageMetadata")
        usage = None if metadata is None else _usage(metadata)
        return self.header.chunk(choices, usage, None)

    def candidate(self, candidate: dict[str, Any], position: int) -> StreamingChoices | None:
        """One candidate's choice, when it says something."""
        index = get_int(candidate, "index")
        state = self.state_at(position if index is None else index)
        content = get_obj(candidate, "content")
        parts = self.parts(state, [] if content is None else (get_list(content, "parts") or []))
        reason = get_str(candidate, "finishReason")
        finish = None
        if reason:
            state.finished = True
            finish = _finish_reason(reason, state.tools > 0)
        delta = new_delta()
        delta.content = "".join(parts.text) or None
        delta.reasoning_content = "".join(parts.thoughts) or None
        delta.tool_calls = parts.calls or None
        delta.provider_specific_fields = _candidate_fields(candidate, parts, finish)
        if finish is None and not to_openai.carries(delta):
            return None
        return self.choice(state, delta, finish)

    def state_at(self, index: int) -> Candidate:
        """The candidate with this index, new the first time."""
        for state in self.candidates:
            if state.index == index:
                return state
        state = Candidate(index)
        self.candidates.append(state)
        return state

    def parts(self, state: Candidate, parts: list[Any]) -> Parts:
        """Sorts a candidate's parts: text, thoughts, function calls, and every other part."""
        out = Parts()
        for part in parts:
            if type(part) is not dict:
                raise Bad("`parts`: expected an array of objects")
            call = get_obj(part, "functionCall")
            if call is not None:
                self.function_call(state, call, part.get("thoughtSignature"), out.calls)
                continue
            piece = get_str(part, "text")
            if piece is not None:
                (out.thoughts if get_bool(part, "thought") is True else out.text).append(piece)
                if part.get("thoughtSignature") is not None:
                    out.signatures.append(get_str(part, "thoughtSignature"))
            else:
                out.other.append(part)
        return out

    def choice(self, state: Candidate | None, delta: Any, finish: str | None) -> StreamingChoices:
        """A choice for a candidate (None: a blocked prompt's, index 0), with the role the first time."""
        first = True
        if state is not None:
            first = not state.role_sent
            state.role_sent = True
        if first:
            delta.role = "assistant"
        return new_choice(0 if state is None else state.index, delta, finish)

    def function_call(self, state: Candidate, call: dict[str, Any], signature: Any, calls: list[Any]) -> None:
        """One `functionCall` part: a whole call, the start of a streamed one, or the next piece of it."""
        name = get_str(call, "name") or None
        will_continue = get_bool(call, "willContinue") is True
        if name is None:
            self.streamed_arguments(state, call, will_continue, calls)
            return
        if state.streaming is not None:
            # A new call while one was still streaming: that one is over.
            unfinished = state.streaming
            state.streaming = None
            calls.append(to_openai.tool_arguments(unfinished.tool, unfinished.close()))
        tool = state.tools
        state.tools += 1
        id_ = get_str(call, "id") or None
        if id_ is None:
            id_ = self.header.tool_id(tool if state.index == 0 else f"{state.index}_{tool}")  # type: ignore[arg-type]
        args = get_obj(call, "args")
        streaming = will_continue and args is None
        if args is not None:
            arguments = _shared.dumps(args)
        else:
            arguments = "" if streaming else "{}"
        extras = None
        if signature is not None:
            if type(signature) is not str:
                raise Bad("`thoughtSignature`: expected a string")
            extras = {"provider_specific_fields": {"thought_signature": signature}}
        out = to_openai.tool_start(tool, id_, name, arguments, extras)
        if streaming:
            writer = ArgsWriter(tool)
            pieces: list[str] = []
            for partial in fields.objects(get_list(call, "partialArgs") or [], "partialArgs"):
                writer.apply(partial, pieces)
            out.function.arguments += "".join(pieces)
            state.streaming = writer
        calls.append(out)

    def streamed_arguments(self, state: Candidate, call: dict[str, Any], will_continue: bool, calls: list[Any]) -> None:
        """The next piece of the call being streamed (a `functionCall` without a name)."""
        writer = state.streaming
        if writer is None:
            return
        fragment: list[str] = []
        for partial in fields.objects(get_list(call, "partialArgs") or [], "partialArgs"):
            writer.apply(partial, fragment)
        if not will_continue:
            fragment.append(writer.close())
            state.streaming = None
        text = "".join(fragment)
        if text:
            calls.append(to_openai.tool_arguments(writer.tool, text))


def _candidate_fields(candidate: dict[str, Any], parts: Parts, finish: str | None) -> dict[str, Any] | None:
    """The candidate's `provider_specific_fields`: signatures, other parts, grounding and citations, and the
    safety ratings of a filtered one."""
    psf: dict[str, Any] = {}
    if parts.signatures:
        psf["thought_signatures"] = parts.signatures
    if parts.other:
        psf["content_parts"] = parts.other
    grounding = candidate.get("groundingMetadata")
    if grounding is not None:
        psf["grounding_metadata"] = grounding
    citations = candidate.get("citationMetadata")
    if citations is not None:
        psf["citation_metadata"] = citations
    if finish == "content_filter" and candidate.get("safetyRatings") is not None:
        psf["safety_ratings"] = candidate["safetyRatings"]
    return psf or None


def _finish_reason(reason: str, called_tools: bool) -> str:
    lowered = ascii_lower(reason)
    if lowered in ("max_tokens", "continuation"):
        return "length"
    if lowered in _FILTERED:
        return "content_filter"
    return "tool_calls" if called_tools else "stop"


def _usage(metadata: dict[str, Any]) -> dict[str, Any] | None:
    # `get_int` written out for each count: Gemini sends usageMetadata with every chunk.
    values = []
    for name in _COUNTS:
        value = metadata.get(name)
        if value is not None and (type(value) is not int or value not in I64):
            raise Bad(f"`{name}`: expected an integer")
        values.append(value)
    if values.count(None) == len(values):
        return None
    prompt, candidates, total, thoughts, tool_use, cached = values
    prompt = _shared.saturating_sum(prompt or 0, tool_use or 0)
    candidates = candidates or 0
    completion = candidates
    if thoughts and total != _shared.saturating_sum(prompt, candidates):
        completion = _shared.saturating_sum(completion, thoughts)
    return to_openai.usage(
        prompt,
        completion,
        total or None,
        prompt_details=None if cached is None else {"cached_tokens": cached},
        completion_details=None if thoughts is None else {"reasoning_tokens": thoughts},
    )
