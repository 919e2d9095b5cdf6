"""stream_chunk_builder on both backends: LiteLLM's portable cases (peer-test-suites.md section 3.1-3.2),
the rules in rust/merge/mod.rs, and the places where rillm deliberately differs from LiteLLM."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm._builder import build_response

from .conftest import FIXTURES, Backend, decode, recording_id, recordings


def build(backend: Backend, chunks: list[Any], messages: Any = None) -> rillm.ModelResponse:
    return build_response(backend.module.merge_chunks(chunks), messages)


def dict_chunk(delta: dict[str, Any] | None = None, finish: str | None = None, index: int = 0, **top: Any) -> Any:
    chunk: dict[str, Any] = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
    chunk.update(top)
    if delta is not None or finish is not None:
        chunk["choices"] = [{"index": index, "delta": delta or {}, "finish_reason": finish}]
    return chunk


def tool(index: int, fragment: str, **fields: Any) -> dict[str, Any]:
    function = {"arguments": fragment}
    if "name" in fields:
        function["name"] = fields.pop("name")
    return {"tool_calls": [{"index": index, "function": function, **fields}]}


def test_none_and_empty() -> None:
    with pytest.raises(rillm.APIError) as info:
        rillm.stream_chunk_builder(None)
    assert info.value.status_code == 500
    assert rillm.stream_chunk_builder([]) is None
    assert rillm.stream_chunk_builder(iter([dict_chunk({"content": "a"}, "stop")])).choices[0].message.content == "a"


def test_multiple_tool_calls_from_dicts(backend: Backend) -> None:
    # LiteLLM test_stream_chunk_builder_multiple_tool_calls: continuations repeat type and role, no id/name.
    chunks = [dict_chunk({"role": "assistant", "content": None})]
    chunks.append(dict_chunk(tool(0, "", id="call_1", type="function", name="exponentiate")))
    for piece in ['{"base', '": 3, ', '"exponent": 5}']:
        chunks.append(dict_chunk({"role": "assistant", **tool(0, piece, type="function")}))
    chunks.append(dict_chunk(tool(1, "", id="call_2", type="function", name="add")))
    for piece in ['{"first_int": 12,', ' "second_int": 3}']:
        chunks.append(dict_chunk({"role": "assistant", **tool(1, piece, type="function")}))
    chunks.append(dict_chunk({}, "tool_calls"))
    message = build(backend, chunks).choices[0].message
    assert message.content is None
    calls = [(t.id, t.function.name, t.function.arguments) for t in message.tool_calls or []]
    assert calls == [
        ("call_1", "exponentiate", '{"base": 3, "exponent": 5}'),
        ("call_2", "add", '{"first_int": 12, "second_int": 3}'),
    ]


def test_first_non_empty_id(backend: Backend) -> None:
    # LiteLLM test_stream_chunk_builder_empty_initial_chunk
    chunks = [dict_chunk({"content": "a"}, id=""), dict_chunk({"content": "b"}, id="1"), dict_chunk({}, "stop", id="2")]
    assert build(backend, chunks).id == "1"


def test_whole_tool_calls_in_separate_chunks(backend: Backend) -> None:
    # LiteLLM test_stream_chunk_builder_tool_calls_list (Groq style)
    chunks = [dict_chunk({"role": "assistant", **tool(i, f'{{"n": {i}}}', id=f"c{i}", name=f"f{i}")}) for i in range(3)]
    chunks.append(dict_chunk({}, "tool_calls"))
    calls = build(backend, chunks).choices[0].message.tool_calls or []
    assert [(t.id, t.function.arguments) for t in calls] == [("c0", '{"n": 0}'), ("c1", '{"n": 1}'), ("c2", '{"n": 2}')]


def test_tool_call_rules(backend: Backend) -> None:
    chunks = [
        dict_chunk(tool(0, '{"a":', id="x", name="first")),
        # Mistral continuation: name "" must not overwrite; an id "" is no id.
        dict_chunk(tool(0, "1}", id="", name="")),
        # Groq/Mistral resend of the whole, already complete arguments: not doubled.
        dict_chunk(tool(0, '{"a":1}')),
        # Parallel calls on one index (Gemini style): a new id starts a new call.
        dict_chunk(tool(0, '{"b":2}', id="y", name="second")),
        # A parameterless tool.
        dict_chunk(tool(1, "", id="z", name="third")),
        dict_chunk({}, "stop"),
    ]
    choice = build(backend, chunks).choices[0]
    calls = [(t.id, t.type, t.function.name, t.function.arguments) for t in choice.message.tool_calls or []]
    assert calls == [
        ("x", "function", "first", '{"a":1}'),
        ("y", "function", "second", '{"b":2}'),
        ("z", "function", "third", "{}"),
    ]
    assert choice.finish_reason == "tool_calls"  # LiteLLM's stop-to-tool_calls rewrite


def test_a_partial_resend_is_appended(backend: Backend) -> None:
    # Only an exact resend of complete arguments is dropped: a fragment equal to an incomplete prefix is data.
    chunks = [dict_chunk(tool(0, '{"a"', id="x", name="f")), dict_chunk(tool(0, '{"a"')), dict_chunk({}, "stop")]
    assert build(backend, chunks).choices[0].message.tool_calls[0].function.arguments == '{"a"{"a"'


def test_choices_stay_apart_and_keep_their_own_finish(backend: Backend) -> None:
    # LiteLLM merges n>1 streams or loses choice 1's finish reason (peer suite section 3.4, B2 item 23).
    chunks = [
        dict_chunk({"role": "assistant", "content": "A"}, index=0),
        dict_chunk({"content": "a"}, index=1),
        dict_chunk({"content": "A"}, index=0),
        dict_chunk({"content": "a"}, "length", index=1),
        dict_chunk({}, "stop", index=0),
    ]
    choices = build(backend, chunks).choices
    assert [(c.index, c.message.content, c.finish_reason) for c in choices] == [(0, "AA", "stop"), (1, "aa", "length")]


def test_content_is_none_only_beside_tool_calls_or_a_refusal(backend: Backend) -> None:
    assert build(backend, [dict_chunk({"role": "assistant"}, "stop")]).choices[0].message.content == ""
    with_tool = [dict_chunk({"content": "", **tool(0, "{}", id="a", name="f")}, "tool_calls")]
    assert build(backend, with_tool).choices[0].message.content is None
    text_and_tool = [dict_chunk({"content": "ok", **tool(0, "{}", id="a", name="f")}, "tool_calls")]
    assert build(backend, text_and_tool).choices[0].message.content == "ok"


def test_legacy_function_call(backend: Backend) -> None:
    chunks = [
        dict_chunk({"function_call": {"name": "f", "arguments": '{"x"'}}),
        dict_chunk({"function_call": {"name": "", "arguments": ": 1}"}}),
        dict_chunk({}, "function_call"),
    ]
    message = build(backend, chunks).choices[0].message
    assert (message.function_call.name, message.function_call.arguments) == ("f", '{"x": 1}')
    assert message.content is None


def test_refusal_is_kept_whole(backend: Backend) -> None:
    # LiteLLM keeps only the first refusal fragment (peer suite section 3.2 item 9).
    chunks = decode(backend.module, [(FIXTURES / "openai/gpt4o-refusal.sse").read_bytes()]).chunks
    message = build(backend, chunks).choices[0].message
    assert message.refusal == "I'm sorry, I can't assist with that request."  # the 12 fragments, joined
    assert message.content is None


def test_annotations_citations_and_logprobs_are_kept(backend: Backend) -> None:
    chunks = decode(backend.module, [(FIXTURES / "openrouter/web-search-annotations.sse").read_bytes()]).chunks
    annotations = build(backend, chunks).choices[0].message.annotations
    assert annotations and all(a["type"] == "url_citation" for a in annotations)
    # LiteLLM drops chunk-level citations (Perplexity); we keep the last list sent.
    chunks = decode(backend.module, [(FIXTURES / "perplexity/citations-langchaingo.sse").read_bytes()]).chunks
    assert build(backend, chunks).citations == chunks[-1].citations and len(chunks[-1].citations) > 3
    # LiteLLM drops chat logprobs; they are concatenated per choice.
    chunks = decode(backend.module, [(FIXTURES / "openai/gpt4o-content-logprobs.sse").read_bytes()]).chunks
    logprobs = build(backend, chunks).choices[0].logprobs
    assert "".join(t.token for t in logprobs.content) == "Foo!"


def test_usage_is_the_last_reported(backend: Backend) -> None:
    # Split usage (prompt from one chunk, completion from another, as Gemini and Anthropic report it),
    # and a later zero does not erase an earlier count.
    chunks = [
        dict_chunk({"content": "a"}, usage={"prompt_tokens": 50, "completion_tokens": 0, "total_tokens": 50}),
        dict_chunk({}, "stop", usage={"prompt_tokens": 0, "completion_tokens": 27, "total_tokens": 27}),
    ]
    usage = build(backend, chunks).usage
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (50, 27, 77)
    assert usage.get("estimated") is None
    # Perplexity sends cumulative usage on every chunk: the last values win.
    chunks = decode(backend.module, [(FIXTURES / "perplexity/sonar-citations.sse").read_bytes()]).chunks
    usage = build(backend, chunks).usage
    assert usage.completion_tokens == chunks[-1].usage.completion_tokens


def test_usage_is_estimated_and_marked_when_never_reported(backend: Backend) -> None:
    chunks = [dict_chunk({"content": "one two three four"}), dict_chunk({}, "stop")]
    usage = build(backend, chunks).usage
    assert usage.estimated is True and usage.completion_tokens == 5 and usage.prompt_tokens == 0
    with_messages = build(backend, chunks, [{"role": "user", "content": "What is the weather like?"}]).usage
    assert with_messages.prompt_tokens == 4 + 7 + 3
    assert with_messages.total_tokens == with_messages.prompt_tokens + with_messages.completion_tokens


def test_header_rules(backend: Backend) -> None:
    chunks = [
        dict_chunk({"role": "assistant"}, model="azure-model-router", created=0, id=""),
        dict_chunk({"content": "x"}, model="gpt-4o-2024-11-20", created=5, system_fingerprint="fp"),
        dict_chunk({}, "stop", model="other", service_tier="flex"),
    ]
    response = build(backend, chunks)
    # Azure's model router names itself first, then the real model: the real one is reported.
    assert (response.model, response.created, response.system_fingerprint) == ("gpt-4o-2024-11-20", 5, "fp")
    assert (response.service_tier, response.object) == ("flex", "chat.completion")


def test_mixed_and_mutated_inputs(backend: Backend) -> None:
    decoded = decode(backend.module, [b'data: {"id":"a","choices":[{"delta":{"content":"x"}}]}\n\n']).chunks
    decoded[0].choices[0].delta.tool_calls = [{"index": 0, "id": "t", "function": {"name": "f"}}]
    chunks = [*decoded, dict_chunk({"content": "y"}, "stop")]
    message = build(backend, chunks).choices[0].message
    assert message.content == "xy" and message.tool_calls[0].function.name == "f"


def test_foreign_objects_with_model_dump(backend: Backend) -> None:
    openai_types = pytest.importorskip("openai.types.chat")
    chunk = openai_types.ChatCompletionChunk.model_validate(dict_chunk({"content": "hi"}, "stop"))
    assert build(backend, [chunk]).choices[0].message.content == "hi"


def test_a_chunk_that_is_not_one_is_an_api_error(backend: Backend) -> None:
    for bad in (5, {"choices": "no"}, None):
        with pytest.raises(rillm.APIError, match=r"chunk 1 is not a chat\.completion\.chunk") as info:
            backend.module.merge_chunks([dict_chunk({"content": "a"}), bad])
        assert info.value.status_code == 500


@pytest.mark.parametrize("path", recordings(), ids=recording_id)
def test_responses_validate_as_openai_completions(backend: Backend, path: Path) -> None:
    openai_types = pytest.importorskip("openai.types.chat")
    chunks = decode(backend.module, [path.read_bytes()]).chunks
    openai_types.ChatCompletion.model_validate(build(backend, chunks).model_dump())
