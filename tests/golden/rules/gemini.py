"""Gemini's `streamGenerateContent` (rust/decode/gemini.rs and gemini_args.rs): one response per SSE event
(alt=sse) or per element of one JSON array, each at most one chunk, with a choice for every candidate
that says something. `responseId` and `modelVersion` are the chunk's id and model.
- `text` parts are content, `thought: true` parts reasoning (no thinking blocks: Gemini signs no thinking
  text); their `thoughtSignature`s go to `provider_specific_fields.thought_signatures`; other parts
  (`executableCode`, `codeExecutionResult`) go whole to `provider_specific_fields.content_parts`;
- a `functionCall` with `args` is a whole tool call (arguments = `args` as compact JSON), indexed across
  the stream; its id is `functionCall.id`, else generated;
- a streamed call (`streamFunctionCallArguments`): a part with `name` and `willContinue` opens it, parts
  with `partialArgs` write its arguments as JSON text as they arrive (a string goes on while
  `willContinue`), and one without `willContinue` closes it;
- `finishReason` maps with Gemini's table; `groundingMetadata` is kept
  (`provider_specific_fields.grounding_metadata`);
- `usageMetadata` (cumulative): prompt = prompt + tool-use-prompt tokens; completion = candidates tokens,
  plus thoughts unless the total shows they are in already; `thoughtsTokenCount` is `reasoning_tokens`
  and `cachedContentTokenCount` `cached_tokens`, each only when sent.
"""

from __future__ import annotations

import json
from typing import Any

from .chunks import Chunks, NoRule, Stream, call, says
from .wire import json_array, sse_events

# Gemini's finish reasons (spec section 5.9); any other is `stop`.
FINISH = {
    **dict.fromkeys(("MAX_TOKENS", "CONTINUATION"), "length"),
    **dict.fromkeys(
        "SAFETY RECITATION LANGUAGE OTHER BLOCKLIST PROHIBITED_CONTENT SPII IMAGE_SAFETY IMAGE_PROHIBITED_CONTENT "
        "NO_IMAGE IMAGE_RECITATION IMAGE_OTHER ESCALATION".split(),
        "content_filter",
    ),
}


def usage(meta: dict[str, Any]) -> dict[str, Any]:
    prompt = (meta.get("promptTokenCount") or 0) + (meta.get("toolUsePromptTokenCount") or 0)
    completion = meta.get("candidatesTokenCount") or 0
    total = meta.get("totalTokenCount") or 0
    thoughts = meta.get("thoughtsTokenCount")
    if thoughts and prompt + completion != total:
        completion += thoughts
    out: dict[str, Any] = {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": total}
    if thoughts is not None:
        out["completion_tokens_details"] = {"reasoning_tokens": thoughts}
    if meta.get("cachedContentTokenCount") is not None:
        out["prompt_tokens_details"] = {"cached_tokens": meta["cachedContentTokenCount"]}
    return out


class Gemini:
    def __init__(self, out: Chunks) -> None:
        self.out = out
        self.calls = 0
        # The streamed call: its index, whether a member was written, the key of a string still open.
        self.streamed: dict[str, Any] = {}

    def response(self, response: dict[str, Any]) -> None:
        if "error" in response or "promptFeedback" in response:
            raise NoRule(f"a response with {'error' if 'error' in response else 'promptFeedback'}")
        self.out.id = response["responseId"]
        self.out.model = response["modelVersion"]
        choices = []
        for candidate in response["candidates"]:
            delta = {k: v for k, v in self.candidate(candidate).items() if says(v)}
            finish = candidate.get("finishReason")
            if delta or finish:
                finish = FINISH.get(finish, "stop") if finish else None
                choices.append({"index": candidate.get("index", 0), "delta": delta, "finish_reason": finish})
        meta = response.get("usageMetadata")
        self.out.append(choices, usage(meta) if meta is not None else None)

    def candidate(self, candidate: dict[str, Any]) -> dict[str, Any]:
        if "citationMetadata" in candidate:
            raise NoRule("citationMetadata")
        content, reasoning, calls = [], [], []
        fields: dict[str, Any] = {}
        for part in candidate["content"]["parts"]:
            if "text" in part:
                (reasoning if part.get("thought") else content).append(part["text"])
                if "thoughtSignature" in part:
                    fields.setdefault("thought_signatures", []).append(part["thoughtSignature"])
            elif "functionCall" in part:
                calls += self.function_call(part["functionCall"])
            else:
                fields.setdefault("content_parts", []).append(part)
        if "groundingMetadata" in candidate:
            fields["grounding_metadata"] = candidate["groundingMetadata"]
        return {
            "content": "".join(content),
            "reasoning_content": "".join(reasoning),
            "tool_calls": calls,
            "provider_specific_fields": fields,
        }

    def function_call(self, sent: dict[str, Any]) -> list[dict[str, Any]]:
        if "args" in sent:
            return self.new_call(sent, json.dumps(sent["args"], separators=(",", ":"), ensure_ascii=False))
        if sent.get("name"):
            self.streamed = {"index": self.calls, "members": False, "open": None}
            return self.new_call(sent, "")
        state = self.streamed
        text = "".join(self.partial_arg(state, partial) for partial in sent.get("partialArgs", []))
        if not sent.get("willContinue"):
            text += ('"' if state["open"] else "") + ("}" if state["members"] else "{}")
            self.streamed = {}
        return [call(state["index"], arguments=text)] if text else []

    def new_call(self, sent: dict[str, Any], arguments: str) -> list[dict[str, Any]]:
        index, self.calls = self.calls, self.calls + 1
        return [call(index, sent.get("id") or self.out.call_id(index), sent["name"], arguments)]

    @staticmethod
    def partial_arg(state: dict[str, Any], partial: dict[str, Any]) -> str:
        """One `partialArg` as JSON text. The recordings stream string members of the arguments object
        (`$.key`); other paths and values have no recording to hold a rule to."""
        path = partial["jsonPath"]
        if not path.startswith("$.") or any(c in path[2:] for c in ".[]'") or "stringValue" not in partial:
            raise NoRule(f"partialArg {partial}")
        key, out = path[2:], ""
        if state["open"] != key:
            out += '"' if state["open"] else ""
            out += ("," if state["members"] else "{") + json.dumps(key, ensure_ascii=False) + ':"'
            state["members"] = True
        out += json.dumps(partial["stringValue"], ensure_ascii=False)[1:-1]
        state["open"] = key if partial.get("willContinue") else None
        return out + ("" if state["open"] else '"')


def gemini_stream(body: bytes) -> Stream:
    out = Chunks()
    reader = Gemini(out)
    array = body.lstrip().startswith(b"[")
    for response in json_array(body) if array else (json.loads(data) for _, data in sse_events(body)):
        reader.response(response)
    return out.stream
