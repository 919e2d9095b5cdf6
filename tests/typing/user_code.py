"""Code written against rillm as a LiteLLM user writes it, checked by mypy (pyproject.toml's [tool.mypy] and
tests/typing/test_user_code.py): every `assert_type` fails the check if the value's type is wrong or Any.
It also runs (`python tests/typing/user_code.py`), on mock responses, so the types describe real values.
"""

from __future__ import annotations

import asyncio
from typing import Any, Optional, Union

from typing_extensions import assert_type

import rillm
from rillm import CustomStreamWrapper, ModelResponse, ModelResponseStream

MODEL = "gpt-4o-mini"
MESSAGES: list[dict[str, Any]] = [{"role": "user", "content": "Say hello"}]

# An OpenAI stream as it comes over the wire, for a gateway that reads the bytes itself.
WIRE = (
    b'data: {"id":"chatcmpl-1","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    b'"delta":{"role":"assistant","content":"Hel"}}]}\n\n'
    b'data: {"id":"chatcmpl-1","created":1,"model":"gpt-4o-mini","choices":[{"index":0,'
    b'"delta":{"content":"lo"},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def stream_text() -> str:
    """completion(stream=True), iterated chunk by chunk, then the whole response rebuilt from the chunks."""
    response = rillm.completion(model=MODEL, messages=MESSAGES, temperature=0.2, stream=True, mock_response="Hello")
    assert_type(response, CustomStreamWrapper)
    chunks: list[ModelResponseStream] = []
    text = ""
    for chunk in response:
        assert_type(chunk, ModelResponseStream)
        chunks.append(chunk)
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        assert_type(choice, rillm.StreamingChoices)
        assert_type(choice.delta, rillm.Delta)
        assert_type(choice.delta.content, Optional[str])
        assert_type(choice.finish_reason, Optional[str])
        text += choice.delta.content or ""
    whole = rillm.stream_chunk_builder(chunks, messages=MESSAGES)
    assert_type(whole, Optional[ModelResponse])
    assert whole is not None
    assert_type(whole.choices[0].message.content, Optional[str])
    assert whole.choices[0].message.content == text
    return text


def whole_response() -> str | None:
    """completion() without stream (or stream=False) returns the response."""
    response = rillm.completion(MODEL, MESSAGES, mock_response="Hi")
    assert_type(response, ModelResponse)
    assert_type(rillm.completion(MODEL, MESSAGES, stream=False, mock_response="Hi"), ModelResponse)
    usage = response.usage
    assert usage is not None
    assert_type(usage.total_tokens, int)
    return response.choices[0].message.content


def either(stream: bool) -> ModelResponse | CustomStreamWrapper:
    """A flag known only at run time: either one."""
    response = rillm.completion(MODEL, MESSAGES, stream=stream, mock_response="Hi")
    assert_type(response, Union[ModelResponse, CustomStreamWrapper])
    return response


def tool_calls() -> list[str]:
    """The names of streamed tool calls, as an agent loop reads them."""
    names: list[str] = []
    with rillm.completion(MODEL, MESSAGES, stream=True, mock_response="no tools") as stream:
        assert_type(stream, CustomStreamWrapper)
        for chunk in stream:
            for choice in chunk.choices:
                for call in choice.delta.tool_calls or []:
                    assert_type(call, rillm.ChatCompletionDeltaToolCall)
                    assert_type(call.function, rillm.Function)
                    assert_type(call.function.arguments, str)
                    if call.function.name is not None:
                        names.append(call.function.name)
    return names


async def astream_text() -> str:
    """acompletion(stream=True) in an async def, iterated with `async for` inside `async with`."""
    response = await rillm.acompletion(MODEL, MESSAGES, stream=True, mock_response="Hello")
    assert_type(response, CustomStreamWrapper)
    text = ""
    async with response as stream:
        async for chunk in stream:
            assert_type(chunk, ModelResponseStream)
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
    whole = await rillm.acompletion(MODEL, MESSAGES, mock_response="Hello")
    assert_type(whole, ModelResponse)
    return text


def decode_wire() -> str:
    """A gateway with its own transport decodes the bytes with StreamDecoder."""
    decoder = rillm.StreamDecoder("openai", model=MODEL)
    chunks = decoder.feed(WIRE[:50])
    assert_type(chunks, list[ModelResponseStream])
    chunks += decoder.feed(memoryview(WIRE)[50:])
    chunks += decoder.finish()
    assert_type(decoder.done, bool)
    assert_type(decoder.retry, Optional[int])
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def rate_limited() -> int:
    """An error from the provider, caught by its LiteLLM name, with its attributes read."""
    try:
        rillm.completion(MODEL, MESSAGES, mock_response="litellm.RateLimitError")
    except rillm.RateLimitError as exc:
        assert_type(exc.status_code, int)
        assert_type(exc.message, str)
        assert_type(exc.llm_provider, Optional[str])
        assert_type(exc.model, Optional[str])
        return exc.status_code
    except rillm.StreamError as exc:
        assert_type(exc.event, Optional[int])
        assert_type(exc.offset, Optional[int])
        raise
    return 0


def main() -> None:
    assert stream_text() == "Hello"
    assert whole_response() == "Hi"
    assert isinstance(either(True), CustomStreamWrapper)
    assert isinstance(either(False), ModelResponse)
    assert tool_calls() == []
    assert asyncio.run(astream_text()) == "Hello"
    assert decode_wire() == "Hello"
    assert rate_limited() == 429
    print("ok", rillm.BACKEND)


if __name__ == "__main__":
    main()
