"""The chunks of a stream merged into the response the golden files hold: per choice, the rules of
rust/merge/mod.rs; usage, those of rust/merge/usage.rs; thinking blocks and provider fields, those of
python/rillm/_builder.py; finish reasons mapped with LiteLLM's table (spec section 5.12)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

# LiteLLM's map_finish_reason (OpenAI's own, Anthropic's, Cohere's, HF's, Zhipu's, Bedrock's), ignoring
# case; anything else is `stop`.
FINISH_REASONS = {
    **{r: r for r in ("stop", "length", "tool_calls", "content_filter", "function_call")},
    **dict.fromkeys(("end_turn", "stop_sequence", "complete", "error", "eos", "eos_token", "network_error"), "stop"),
    **dict.fromkeys(("max_tokens", "pause_turn", "compaction", "model_context_window_exceeded"), "length"),
    **dict.fromkeys(("tool_use", "tool_call"), "tool_calls"),
    **dict.fromkeys(
        ("refusal", "error_toxic", "sensitive", "guardrail_intervened", "content_filtered"), "content_filter"
    ),
}


def finish_reason(sent: Any) -> str | None:
    """A provider's finish reason in OpenAI's terms; none or "" is none."""
    if not isinstance(sent, str) or not sent:
        return None
    return FINISH_REASONS.get(sent.lower(), "stop")


@dataclass
class Choice:
    index: int
    content: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    finish: str | None = None
    thinking: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)

    def add(self, delta: dict[str, Any], finish: Any) -> None:
        texts = {"content": self.content, "refusal": self.refusal, "reasoning_content": self.reasoning}
        for name, pieces in texts.items():
            if isinstance(delta.get(name), str):
                pieces.append(delta[name])
        for call in delta.get("tool_calls") or []:
            self.add_call(call)
        self.thinking.extend(delta.get("thinking_blocks") or [])
        if delta.get("provider_specific_fields"):
            self.fields.append(delta["provider_specific_fields"])
        self.finish = finish_reason(finish) or self.finish

    def add_call(self, delta: dict[str, Any]) -> None:
        """Calls are keyed by index; a new id at an index starts a new call, a delta without one continues
        the latest; id and name come from the first delta that has them (not empty); fragments
        concatenate, except an exact resend of arguments that are already complete JSON."""
        at_index = [c for c in self.calls if c["index"] == delta["index"]]
        new_id, old_id = delta.get("id"), at_index[-1]["id"] if at_index else None
        if not at_index or (new_id and old_id and new_id != old_id):
            self.calls.append({"index": delta["index"], "id": None, "name": None, "arguments": ""})
            at_index = [self.calls[-1]]
        call = at_index[-1]
        for key in ("id", "name"):
            call[key] = call[key] or delta.get(key) or None
        fragment = delta.get("arguments") or ""
        if not (fragment and fragment == call["arguments"] and complete_json(fragment)):
            call["arguments"] += fragment

    def merged(self, native: bool) -> dict[str, Any]:
        """`content` is None rather than "" beside tool calls or a refusal; refusal and reasoning are None
        when empty; a call without arguments has `{}`; the last finish reason, `stop` (or none) being
        `tool_calls` when calls were streamed, and none at all `stop`."""
        calls = sorted(self.calls, key=lambda c: c["index"])
        content, refusal = "".join(self.content), "".join(self.refusal) or None
        finish = "tool_calls" if calls and self.finish in (None, "stop") else self.finish or "stop"
        out = {
            "index": self.index,
            "finish_reason": finish,
            "content": None if not content and (calls or refusal) else content,
            "reasoning_content": "".join(self.reasoning) or None,
            "refusal": refusal,
            "tool_calls": [{"id": c["id"], "name": c["name"], "arguments": c["arguments"] or "{}"} for c in calls],
        }
        if native:
            out["thinking_blocks"] = thinking_blocks(self.thinking)
            out["provider_specific_fields"] = provider_fields(self.fields)
        return out


def complete_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def merge(chunks: list[dict[str, Any]], native: bool) -> dict[str, Any]:
    """The first non-empty id; the first non-empty model, or the first later one that differs from it
    (Azure's model router names itself first); choices by index; usage from every chunk that has it."""
    id, model, switched = "", "", False
    choices: dict[int, Choice] = {}
    for chunk in chunks:
        id = id or chunk["id"]
        if chunk["model"] and chunk["model"] != model and not switched:
            switched = bool(model)
            model = chunk["model"]
        for c in chunk["choices"]:
            choices.setdefault(c["index"], Choice(c["index"])).add(c["delta"], c["finish_reason"])
    return {
        "id": id,
        "model": model,
        "choices": [choices[i].merged(native) for i in sorted(choices)],
        "usage": usage([c["usage"] for c in chunks if c["usage"] is not None]),
    }


def thinking_blocks(parts: list[dict[str, Any]]) -> list[dict[str, Any]] | None:
    """Thinking text accumulates until a signature closes the block; a redacted block drops the pending
    text and is kept whole; text never signed is no block."""
    blocks: list[dict[str, Any]] = []
    pending: list[str] = []
    for block in parts:
        if block["type"] == "redacted_thinking":
            pending = []
            blocks.append(block)
            continue
        pending.append(block["thinking"])
        if block.get("signature"):
            blocks.append({"type": "thinking", "thinking": "".join(pending), "signature": block["signature"]})
            pending = []
    return blocks or None


def provider_fields(parts: list[dict[str, Any]]) -> dict[str, Any] | None:
    """In order: each `citation` is collected into `citations`, a list extends the same key's list, any
    other value replaces the key's."""
    merged: dict[str, Any] = {}
    for part in parts:
        for key, value in part.items():
            if key == "citation":
                key, value = "citations", [value]
            previous = merged.get(key)
            merged[key] = previous + value if isinstance(value, list) and isinstance(previous, list) else value
    return merged or None


def usage(usages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The last counts reported (a count is taken when positive, or when none was seen yet); the details
    of the latest usage that has them (DeepSeek's `prompt_cache_hit_tokens` is the cached count of a usage
    without details); the total is prompt + completion, or the provider's last total when larger."""
    if not usages:
        return None
    counts: dict[str, int] = {}
    details: dict[str, dict[str, Any]] = {}
    for sent in usages:
        for name in ("prompt_tokens", "completion_tokens"):
            if (sent.get(name) or 0) > 0 or name not in counts:
                counts[name] = sent.get(name) or 0
        if (sent.get("total_tokens") or 0) > 0:
            counts["total_tokens"] = sent["total_tokens"]
        prompt_details = sent.get("prompt_tokens_details")
        if prompt_details is None and isinstance(sent.get("prompt_cache_hit_tokens"), int):
            prompt_details = {"cached_tokens": sent["prompt_cache_hit_tokens"]}
        for name, value in (("prompt", prompt_details), ("completion", sent.get("completion_tokens_details"))):
            if value is not None:
                details[name] = value
    prompt, completion = counts["prompt_tokens"], counts["completion_tokens"]
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": max(prompt + completion, counts.get("total_tokens", 0)),
        "cached_tokens": details.get("prompt", {}).get("cached_tokens"),
        "reasoning_tokens": details.get("completion", {}).get("reasoning_tokens"),
    }
