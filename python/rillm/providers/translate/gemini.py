"""Gemini's `generateContent` / `streamGenerateContent` (Google AI Studio and Vertex AI; spec §5.9;
https://ai.google.dev/api/generate-content).

Messages become `contents` of alternating user/model turns of parts; system messages become
`systemInstruction`; sampling and output settings go in `generationConfig`. Streaming is chosen by the URL,
so the body has no stream key. (A GenerateContentResponse is read in rillm/_response/gemini.py.)
"""

from __future__ import annotations

from typing import Any

from rillm._args import OPENAI_PARAMS
from rillm.providers.translate._invalid import Invalid
from rillm.providers.translate._messages import Call, Part, Turn, call_names, merge_roles, read_image, read_messages
from rillm.providers.translate._params import (
    Tool,
    copy_params,
    read_max_tokens,
    read_reasoning,
    read_response_format,
    read_stop,
    read_tool_choice,
    read_tools,
)

# No user or parallel_tool_calls in Gemini's API; logprobs are left out until the decoder reads Gemini's
# logprobsResult (asking for them and dropping them would be worse than saying no).
SUPPORTED = OPENAI_PARAMS - {"logprobs", "parallel_tool_calls", "top_logprobs", "user"}

_GENERATION = {
    "temperature": "temperature",
    "top_p": "topP",
    "n": "candidateCount",
    "seed": "seed",
    "presence_penalty": "presencePenalty",
    "frequency_penalty": "frequencyPenalty",
}
_MODES = {"auto": "AUTO", "required": "ANY", "none": "NONE", "function": "ANY"}
# LiteLLM puts a Gemini thought signature into the tool-call id after this marker (spec §5.9).
_THOUGHT_MARKER = "__thought__"


def build(model: str, messages: list[dict[str, Any]], params: dict[str, Any], stream: bool) -> dict[str, Any]:
    """No model or stream key: both are in the URL (`models/{model}:streamGenerateContent?alt=sse`)."""
    turns = read_messages(messages)
    body: dict[str, Any] = {"contents": contents(turns)}
    # One text part per system message (system instructions take only text).
    system = [{"text": turn.text()} for turn in turns if turn.role == "system" and turn.parts]
    if system:
        body["systemInstruction"] = {"parts": system}
    config = generation_config(params)
    if config:
        body["generationConfig"] = config
    tools = read_tools(params)
    if tools:
        body["tools"] = _tools(tools)
    choice = read_tool_choice(params)
    if choice is not None:
        kind, name = choice
        calling: dict[str, Any] = {"mode": _MODES[kind]}
        if name is not None:
            calling["allowedFunctionNames"] = [name]
        body["toolConfig"] = {"functionCallingConfig": calling}
    return body


def generation_config(params: dict[str, Any]) -> dict[str, Any]:
    config = copy_params(params, _GENERATION)
    max_tokens = read_max_tokens(params)
    if max_tokens is not None:
        config["maxOutputTokens"] = max_tokens
    stop = read_stop(params)
    if stop is not None:
        config["stopSequences"] = stop
    response_format = read_response_format(params)
    if response_format is not None:
        kind, schema = response_format
        config["responseMimeType"] = "text/plain" if kind == "text" else "application/json"
        if schema is not None:
            # responseJsonSchema takes JSON Schema as it is; responseSchema (what LiteLLM converts to) takes
            # only an OpenAPI subset and refuses keys such as additionalProperties.
            config["responseJsonSchema"] = schema
    thinking = thinking_config(params)
    if thinking is not None:
        config["thinkingConfig"] = thinking
    return config


def thinking_config(params: dict[str, Any]) -> dict[str, Any] | None:
    """reasoning_effort as LiteLLM's budgets (`_map_reasoning_effort_to_thinking_budget`: minimal 128, low
    1024, medium 2048, high 4096) with thoughts included; `thinking` enabled as its budget; either turned
    off as a budget of 0 without thoughts (https://ai.google.dev/gemini-api/docs/thinking)."""
    reasoning = read_reasoning(params)
    if reasoning is None:
        return None
    if not reasoning.enabled or reasoning.budget == 0:
        return {"thinkingBudget": 0, "includeThoughts": False}
    config: dict[str, Any] = {"includeThoughts": True}
    if reasoning.budget is not None:
        config["thinkingBudget"] = reasoning.budget
    return config


def _tools(tools: list[Tool]) -> list[dict[str, Any]]:
    """One `functionDeclarations` tool for the functions, then Gemini's own tools (googleSearch, ...) as
    given. Parameters go in `parametersJsonSchema`, which takes JSON Schema as OpenAI tools write it
    (`parameters` takes only an OpenAPI subset)."""
    declarations = []
    for tool in tools:
        if tool.function is None:
            continue
        declaration: dict[str, Any] = {"name": tool.function["name"]}
        if tool.function.get("description"):
            declaration["description"] = tool.function["description"]
        if tool.function.get("parameters"):
            declaration["parametersJsonSchema"] = tool.function["parameters"]
        declarations.append(declaration)
    out = [{"functionDeclarations": declarations}] if declarations else []
    return out + [tool.raw for tool in tools if tool.function is None]


def contents(turns: list[Turn]) -> list[dict[str, Any]]:
    """User and tool messages as user turns, assistant messages as model turns, consecutive turns of one
    role merged (parallel calls' results must arrive together)."""
    names = call_names(turns)
    out = []
    for turn in turns:
        if turn.role == "system":
            continue
        if turn.role == "tool":
            parts = [_function_response(turn, names)]
        else:
            parts = [_part(part) for part in turn.parts]
        if turn.role == "assistant":
            parts += [_function_call(call) for call in turn.calls]
        if parts:
            out.append({"role": "model" if turn.role == "assistant" else "user", "parts": parts})
    return merge_roles(out, "parts")


def _part(part: Part) -> dict[str, Any]:
    """Text; an image as inlineData (data: URL) or fileData (any other URI, such as gs:// or a Files API
    URI), with the MIME type guessed from the path when it can be."""
    if part.kind == "text":
        return {"text": part.value}
    image = read_image(part)
    if image.data is not None:
        return {"inlineData": {"mimeType": image.media_type, "data": image.data}}
    file_data = {"fileUri": image.url}
    if image.media_type is not None:
        file_data["mimeType"] = image.media_type
    return {"fileData": file_data}


def _function_call(call: Call) -> dict[str, Any]:
    """A call with its thought signature, which Gemini 3 requires back with the call: from the tool call's
    `provider_specific_fields` (rillm's responses) or its id (LiteLLM's `…__thought__<signature>`)."""
    part: dict[str, Any] = {"functionCall": {"name": call.name, "args": call.input()}}
    fields = call.raw.get("provider_specific_fields")
    signature = fields.get("thought_signature") if isinstance(fields, dict) else None
    if signature is None and call.id is not None and _THOUGHT_MARKER in call.id:
        signature = call.id.split(_THOUGHT_MARKER, 1)[1]
    if signature is not None:
        part["thoughtSignature"] = signature
    return part


def _function_response(turn: Turn, names: dict[str, str]) -> dict[str, Any]:
    """A result names its function, found from the call it answers; the content goes under `content`
    (Gemini's response is an object), as LiteLLM sends it."""
    name = names.get(turn.tool_call_id or "")
    if name is None:
        why = "no earlier assistant tool call has this id (Gemini names the function)"
        raise Invalid(f"{turn.where}.tool_call_id", why)
    return {"functionResponse": {"name": name, "response": {"content": turn.text()}}}
