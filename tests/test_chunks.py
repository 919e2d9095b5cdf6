"""The chunk objects on both backends: they read like LiteLLM's chunks, dump like OpenAI's, and keep a
caller's changes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import rillm

from .conftest import FIXTURES, Backend, decode

CHUNK = (
    b'data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt-4o",'
    b'"system_fingerprint":"fp_1","service_tier":"default","choices":[{"index":0,"delta":'
    b'{"role":"assistant","content":"Hi"},"logprobs":null,"finish_reason":null}],"usage":null,'
    b'"obfuscation":"abc"}\n\n'
)


def one(backend: Backend, body: bytes = CHUNK) -> Any:
    decoder = backend.module.StreamDecoder("openai")
    (chunk,) = decoder.feed(body)
    return chunk


def recorded(backend: Backend, name: str) -> list[Any]:
    return decode(backend.module, [(FIXTURES / name).read_bytes()]).chunks


def test_fields_read_like_litellm(backend: Backend) -> None:
    chunk = one(backend)
    assert (chunk.id, chunk.object, chunk.created, chunk.model) == ("chatcmpl-1", "chat.completion.chunk", 7, "gpt-4o")
    assert (chunk.system_fingerprint, chunk.service_tier) == ("fp_1", "default")
    choice = chunk.choices[0]
    assert (choice.index, choice.finish_reason, choice.logprobs) == (0, None, None)
    delta = choice.delta
    assert (delta.role, delta.content, delta.tool_calls, delta.function_call, delta.refusal) == (
        "assistant",
        "Hi",
        None,
        None,
        None,
    )


def test_absent_optional_fields_read_as_none(backend: Backend) -> None:
    # LiteLLM raises AttributeError for delta.reasoning_content and friends when absent; we do not.
    chunk = one(backend)
    delta = chunk.choices[0].delta
    for name in ("reasoning_content", "thinking_blocks", "annotations", "audio", "provider_specific_fields"):
        assert getattr(delta, name) is None
    assert (chunk.usage, chunk.citations, chunk.provider_specific_fields) == (None, None, None)


def test_provider_extras_are_attributes(backend: Backend) -> None:
    chunk = one(backend)
    assert chunk.obfuscation == "abc"
    azure = recorded(backend, "openai/azure-gpt5mini-text.sse")
    assert azure[0].choices == [] and azure[0].prompt_filter_results[0]["prompt_index"] == 0
    assert azure[1].choices[0].content_filter_results == {}
    groq = recorded(backend, "groq/reasoning-tool-call.sse")
    assert groq[1].choices[0].delta.channel == "analysis"
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        _ = chunk.nope


def test_model_dump(backend: Backend) -> None:
    expected = {
        "id": "chatcmpl-1",
        "created": 7,
        "model": "gpt-4o",
        "object": "chat.completion.chunk",
        "system_fingerprint": "fp_1",
        "choices": [
            {
                "finish_reason": None,
                "index": 0,
                "delta": {
                    "content": "Hi",
                    "role": "assistant",
                    "tool_calls": None,
                    "function_call": None,
                    "refusal": None,
                },
                "logprobs": None,
            }
        ],
        "service_tier": "default",
        "obfuscation": "abc",
    }
    chunk = one(backend)
    assert chunk.model_dump() == expected
    assert list(chunk.model_dump()) == list(expected)
    compact = {
        "id": "chatcmpl-1",
        "created": 7,
        "model": "gpt-4o",
        "object": "chat.completion.chunk",
        "system_fingerprint": "fp_1",
        "choices": [{"index": 0, "delta": {"content": "Hi", "role": "assistant"}}],
        "service_tier": "default",
        "obfuscation": "abc",
    }
    assert chunk.model_dump(exclude_none=True) == compact == chunk.to_dict()
    assert chunk.json() == expected
    assert json.loads(chunk.model_dump_json()) == expected
    assert json.loads(chunk.model_dump_json(exclude_none=True)) == compact


def test_repr(backend: Backend) -> None:
    assert repr(one(backend)) == (
        "ModelResponseStream(id='chatcmpl-1', created=7, model='gpt-4o', object='chat.completion.chunk', "
        "system_fingerprint='fp_1', choices=[StreamingChoices(finish_reason=None, index=0, delta=Delta("
        "content='Hi', role='assistant', tool_calls=None, function_call=None, refusal=None), logprobs=None)], "
        "service_tier='default', obfuscation='abc')"
    )


def test_equality(backend: Backend) -> None:
    a, b = one(backend), one(backend)
    assert a == b and not (a != b)
    b.choices[0].delta.content = "Hello"
    assert a != b
    assert a != a.model_dump()
    with pytest.raises(TypeError):
        hash(a)


def test_mapping_access(backend: Backend) -> None:
    chunk = one(backend)
    assert chunk["id"] == "chatcmpl-1" and chunk["choices"][0]["delta"]["content"] == "Hi"
    assert chunk["obfuscation"] == "abc"
    assert chunk.get("usage") is None and chunk.get("nope", 5) == 5 and chunk.get("model") == "gpt-4o"
    assert "id" in chunk and "system_fingerprint" in chunk and "obfuscation" in chunk
    assert "usage" not in chunk and "nope" not in chunk
    with pytest.raises(KeyError):
        chunk["nope"]
    with pytest.raises(KeyError):
        chunk["model_dump"]  # a method is not a field


def test_changes_stick(backend: Backend) -> None:
    chunk = one(backend)
    chunk.choices[0].delta.content = "redacted"
    chunk.model = "router"
    chunk.choices[0].finish_reason = "end_turn"  # provider values map onto OpenAI's, as on the wire
    chunk.tag = {"gateway": "eu"}
    chunk.choices.append(one(backend).choices[0])
    dumped = chunk.model_dump()
    assert dumped["choices"][0]["delta"]["content"] == "redacted"
    assert dumped["choices"][0]["finish_reason"] == "stop"
    assert (dumped["model"], dumped["tag"], len(dumped["choices"])) == ("router", {"gateway": "eu"}, 2)
    chunk.usage = rillm.Usage(prompt_tokens=1, completion_tokens=2, total_tokens=3)
    assert chunk.model_dump()["usage"]["total_tokens"] == 3
    chunk.choices[0].delta.tool_calls = [{"index": 0, "function": {"name": "f"}}]
    assert chunk.model_dump()["choices"][0]["delta"]["tool_calls"] == [{"index": 0, "function": {"name": "f"}}]


def test_an_attribute_set_first_wins_over_a_late_extra(backend: Backend) -> None:
    chunk = one(backend)
    chunk.obfuscation = "mine"
    assert chunk.model_dump()["obfuscation"] == "mine"


def test_usage_reads_like_litellm(backend: Backend) -> None:
    usage = recorded(backend, "openai/gpt4o-parallel-tools-usage.sse")[-1].usage
    assert isinstance(usage, rillm.Usage)
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (364, 40, 404)
    assert usage.prompt_tokens_details.cached_tokens == 0
    assert usage.completion_tokens_details.reasoning_tokens == 0
    assert usage["total_tokens"] == 404 and usage.get("nope", 1) == 1 and "prompt_tokens" in usage
    deepseek = recorded(backend, "deepseek/text-cache-usage.sse")[-1].usage
    assert deepseek.prompt_tokens_details.cached_tokens == 0 and deepseek.prompt_cache_miss_tokens == 7
    groq = recorded(backend, "groq/text-llama.sse")[-1].usage
    assert (groq.prompt_tokens, groq.completion_tokens) == (18, 73) and groq.queue_time == 0.28245049


def test_logprobs_read_as_objects(backend: Backend) -> None:
    chunks = recorded(backend, "openai/gpt4o-content-logprobs.sse")
    logprobs = chunks[1].choices[0].logprobs
    assert isinstance(logprobs, rillm.ChoiceLogprobs)
    assert logprobs.content[0].token == "Foo" and logprobs.content[0].top_logprobs == []
    assert chunks[1].choices[0].logprobs is logprobs  # made once, then kept


def test_reasoning_and_the_dialects_variants(backend: Backend) -> None:
    openrouter = recorded(backend, "openrouter/reasoning-details.sse")
    with_reasoning = [c for c in openrouter if c.choices and c.choices[0].delta.reasoning_content]
    assert with_reasoning and with_reasoning[0].choices[0].delta.reasoning_details[0]["type"] == "reasoning.text"
    mistral = recorded(backend, "mistral/magistral-thinking.sse")
    assert mistral[2].choices[0].delta.reasoning_content == "Okay" and mistral[2].choices[0].delta.content is None
    groq = recorded(backend, "groq/multi-tool-kimi.sse")
    assert groq[-1].service_tier is None
    assert groq[-1].provider_specific_fields == {"service_tier": "on_demand"}


def test_mistral_unknown_content_parts_are_kept(backend: Backend) -> None:
    body = (
        b'data: {"choices":[{"delta":{"content":[{"type":"text","text":"a"},{"type":"reference","ids":[1]},'
        b'{"type":"thinking","thinking":"t"}]}}]}\n\n'
    )
    delta = one(backend, body).choices[0].delta
    assert (delta.content, delta.reasoning_content) == ("a", "t")
    assert delta.provider_specific_fields == {"content_parts": [{"type": "reference", "ids": [1]}]}


def test_tool_call_fields(backend: Backend) -> None:
    chunks = recorded(backend, "openai/gpt4o-parallel-tools-usage.sse")
    call = chunks[1].choices[0].delta.tool_calls[0]
    assert (call.index, call.id, call.type) == (0, "call_q2UyBRP7eXNTzAoR8lEhjc9Z", "function")
    assert (call.function.name, call.function.arguments) == ("get_country", "")
    continuation = chunks[2].choices[0].delta.tool_calls[0]
    assert (continuation.id, continuation.type, continuation.function.name) == (None, "function", None)
    assert continuation.function.arguments == "{}"


def test_object_arguments_become_json_text(backend: Backend) -> None:
    arguments = b'{"q":"\xc3\xa9","n":1.5}'
    body = b'data: {"choices":[{"delta":{"tool_calls":[{"function":{"name":"f","arguments":%s}}]}}]}\n\n' % arguments
    call = one(backend, body).choices[0].delta.tool_calls[0]
    assert call.function.arguments == '{"q":"\u00e9","n":1.5}'
    assert call.index == 0


def test_constructors_go_through_the_decoder_rules(backend: Backend) -> None:
    m = backend.module
    chunk = m.ModelResponseStream(model="m", choices=[{"delta": {"content": "hi"}, "finish_reason": "end_turn"}])
    assert chunk.id.startswith("chatcmpl-") and isinstance(chunk.created, int) and chunk.model == "m"
    assert chunk.choices[0].delta.content == "hi" and chunk.choices[0].finish_reason == "stop"
    assert type(chunk.choices[0]) is m.StreamingChoices
    delta = m.Delta(content="x", tool_calls=[{"function": {"name": "f"}}])
    assert delta.tool_calls[0].type == "function" and delta.tool_calls[0].function.arguments == ""
    assert m.Function(arguments={"a": 1}).arguments == '{"a":1}'
    assert m.StreamingChoices(delta=m.Delta(content="y")).delta.content == "y"
    assert m.ChatCompletionDeltaToolCall(id="c", function=m.Function(name="g")).function.name == "g"
    assert m.Delta(reasoning="r").reasoning_content == "r"
    assert m.Delta(custom=1).custom == 1
    with pytest.raises(ValueError):
        m.Delta(content=5)
    with pytest.raises(ValueError):
        m.ModelResponseStream(created="yesterday")


def test_copies_are_independent(backend: Backend) -> None:
    chunk = one(backend)
    clone = type(chunk)(**chunk.model_dump())
    assert clone == chunk
    clone.choices[0].delta.content = "other"
    assert chunk.choices[0].delta.content == "Hi"
    assert copy.copy(chunk.model_dump()) == chunk.model_dump()


def test_a_chunk_put_inside_itself(backend: Backend) -> None:
    # A caller can build a cycle; dumping it must raise RecursionError, never crash the interpreter.
    chunk = one(backend)
    chunk.me = [chunk]
    chunk.choices[0].delta.back = chunk
    with pytest.raises(RecursionError):
        chunk.model_dump()
    # repr stops at the cycle: it passes through a list, and a list's repr prints itself as [...].
    assert "me=[...]" in repr(chunk)
    del chunk.me
    assert "me" not in chunk


def test_attributes_set_and_deleted(backend: Backend) -> None:
    chunk = one(backend)
    chunk.trace = {"span": 1}
    assert chunk.trace == {"span": 1} and chunk["trace"] == {"span": 1} and "trace" in chunk
    del chunk.trace
    assert "trace" not in chunk
    with pytest.raises(AttributeError):
        _ = chunk.trace
    with pytest.raises(AttributeError):
        del chunk.trace
    # A caller's value shadows a provider extra of the same name; deleting it uncovers the extra again,
    # and the provider's extras themselves cannot be deleted.
    chunk.obfuscation = "mine"
    assert chunk.obfuscation == "mine" and chunk.model_dump()["obfuscation"] == "mine"
    del chunk.obfuscation
    assert chunk.obfuscation == "abc"
    with pytest.raises(AttributeError):
        del chunk.obfuscation
    # An extra named like a method is still the provider's value when read as an item.
    named = one(backend, b'data: {"get":1,"choices":[]}\n\n')
    assert named["get"] == 1 and callable(named.get)


TOOL_CHUNK = (
    b'data: {"id":"c","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,'
    b'"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}\n\n'
)


def test_fields_read_the_same_by_any_name(backend: Backend) -> None:
    # A name written in code is the interned string; one built at run time is another string object. The
    # Rust classes answer the first kind by identity and send the second through the generic lookup: both
    # must read every field the same.
    chunk, tools = one(backend), one(backend, TOOL_CHUNK)
    call = tools.choices[0].delta.tool_calls[0]
    for obj in (chunk, chunk.choices[0], chunk.choices[0].delta, tools, call, call.function):
        for name in obj.model_dump():
            built = "".join(list(name))
            assert built is not name
            assert getattr(obj, built) == getattr(obj, name), name
    assert (tools.choices[0].finish_reason, call.id, call.type, call.function.name) == (
        "tool_calls",
        "call_1",
        "function",
        "f",
    )
