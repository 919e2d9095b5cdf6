"""The Rust core reads the commonest events (Anthropic's and Bedrock's text deltas) on a fast path; every
spelling of them, and every near miss that must take the general path, gives what the twin gives."""

from __future__ import annotations

from typing import Any

import pytest

from .. import eventstream as es
from ..conftest import Backend, decode
from .strategies.native_streams import sse

pytestmark = pytest.mark.rust

START = {"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {"input_tokens": 9}}}
STOP = {"type": "message_stop"}

TEXT_DELTA_VARIANTS = [
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}',
    b'{"delta":{"text":"b","type":"text_delta"},"index":3,"type":"content_block_delta"}',
    b'{"type":"content_block_delta","index":null,"delta":{"type":"text_delta","text":"c\\u00e9\\n"}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x","text":"d"}}',
    b'{"type":"ping","type":"content_block_delta","delta":{"type":"text_delta","text":"e"}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":null}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"f","extra":1}}',
    b'{"typ\\u0065":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"g"}}',
    b'{"type":"content_block_delta","index":"0","delta":{"type":"text_delta","text":"h"}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":5}}',
    b'{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"i"}} x',
]


@pytest.mark.parametrize("payload", TEXT_DELTA_VARIANTS)
def test_anthropic_text_deltas_in_every_spelling_agree(both: tuple[Backend, Backend], payload: bytes) -> None:
    start, stop = (sse([(event["type"], event)], True, "\n") for event in (START, STOP))
    data = start + b"data: " + payload + b"\n\n" + stop
    rust, python = (decode(b.module, [data], "anthropic") for b in both)
    assert rust.comparable() == python.comparable()
    assert [repr(c) for c in rust.chunks] == [repr(c) for c in python.chunks]


BEDROCK_DELTA_VARIANTS = [
    {"contentBlockIndex": 0, "delta": {"text": "a"}, "p": "abc"},
    {"p": "x", "delta": {"text": "b"}, "contentBlockIndex": None},
    {"contentBlockIndex": 0, "delta": {"text": "c"}, "delta2": {"text": 5}},
    {"contentBlockIndex": 0, "delta": {"text": ""}},
    {"contentBlockIndex": 0, "delta": {"text": None}},
    {"contentBlockIndex": 0, "delta": {"text": "d", "toolUse": {"input": "{}"}}},
    {"contentBlockIndex": "0", "delta": {"text": "e"}},
    {"contentBlockIndex": 0, "delta": {}},
    {"contentBlockIndex": 0, "delta": {"text": 7}},
    b'{"contentBlockIndex":0,"d\\u0065lta":{"text":5},"delta":{"text":"z"}}',
    b'{"contentBlockIndex":0,"delta":{"text":"z"},"d\\u0065lta":{"text":5}}',
]


@pytest.mark.parametrize("payload", BEDROCK_DELTA_VARIANTS)
def test_bedrock_text_deltas_in_every_spelling_agree(both: tuple[Backend, Backend], payload: Any) -> None:
    start = es.event("messageStart", {"role": "assistant"})
    data = start + es.event("contentBlockDelta", payload) + es.event("messageStop", {"stopReason": "end_turn"})
    rust, python = (decode(b.module, [data], "bedrock") for b in both)
    assert rust.comparable() == python.comparable()
    assert [repr(c) for c in rust.chunks] == [repr(c) for c in python.chunks]


HEAD = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":5,"model":"m","service_tier":"default",'
HEAD += '"system_fingerprint":"fp_1","choices":'
DELTA = '[{"index":0,"delta":{"content":"%s"},"logprobs":null,"finish_reason":null}],"usage":null}'
# A delta of one tool call: the keys before its function, and its function's members.
CALL = '{"tool_calls":[{"index":0,%s"function":{%s}}]}'
# Consecutive chunks of one OpenAI stream, each one a near miss of the one before: the Rust core guesses each
# key from the last chunk's at every level (the chunk, a choice, its delta, a tool call and its function), and
# takes a chunk whose text begins as the last one's did, up to its `choices`, as reading the same up to there
# (and a choice whose text after its delta ends as the last one's did, as reading the same from there, and a
# chunk whose text after its choices is the last one's up to a key, as reading the same up to there); every
# change of spelling, order, value or key must read as the twin reads.
OPENAI_CHUNK_VARIANTS = [
    HEAD + DELTA % "a",
    HEAD + DELTA % "b",
    HEAD.replace('"model":"m"', '"model":"m2"') + DELTA % "c",
    HEAD.replace('"created":5', '"created":6') + DELTA % "d",
    HEAD.replace('"id":"chatcmpl-1"', '"id":""') + DELTA % "f",
    HEAD.replace('"id":"chatcmpl-1",', "") + DELTA % "g",
    HEAD.replace('"model":"m"', '"model":"m","extra":[1]') + DELTA % "h",
    HEAD.replace('"model":"m"', '"model":"m","extra":[1]') + DELTA % "i",
    HEAD.replace('{"id"', '{"\\u0069d"') + DELTA % "j",
    HEAD.replace('{"id"', '{"\\u0069d"') + DELTA % "k",
    HEAD.replace('"choices":', '"choices" : ') + DELTA % "l",
    HEAD.replace('"service_tier":"default"', '"service_tier":"on_demand"') + DELTA % "m",
    HEAD.replace('"model":"m"', '"model":"m","model":"n"') + DELTA % "n",
    HEAD.replace('"model":"m"', '"model":"m","model":"n"') + DELTA % "o",
    HEAD.replace('"choices":', '"usage":{"prompt_tokens":1},"choices":') + DELTA % "p",
    HEAD.replace('"choices":', '"usage":{"prompt_tokens":1},"choices":') + DELTA % "q",
    HEAD.replace('"choices":', '"choices":[],"choices":') + DELTA % "r",
    HEAD.replace('"choices":', '"choices":[],"choices":') + DELTA % "r",  # again, after one that ends the same
    HEAD + DELTA.replace('"content":"%s"', '"role":"assistant","content":"%s"') % "s",
    HEAD + DELTA.replace('{"index":0,', '{"index":1,') % "t",
    HEAD + DELTA.replace('{"index":0,', '{"index":null,') % "u",
    HEAD + DELTA.replace('"delta":{', '"d\\u0065lta":{"content":5},"delta":{') % "v",
    HEAD + DELTA.replace('"content":"%s"', '"contents":"x","content":"%s"') % "w",
    HEAD + DELTA.replace('"content":"%s"', '"conten":"x","content":"%s"') % "x",
    HEAD + DELTA.replace('"usage":null', '"usage":null,"x_groq":{"id":"g"}') % "y",
    HEAD.replace('"object":"chat.completion.chunk"', '"object":""') + DELTA % "z",
    HEAD.replace('"object":"chat.completion.chunk"', '"object":"chat.completion.chunk2"') + DELTA % "A",
    HEAD.replace('"object":"chat.completion.chunk"', '"object":"chat.completion.chunk\\u0021"') + DELTA % "B",
    HEAD.replace('"object":"chat.completion.chunk"', '"object":7') + DELTA % "C",
    HEAD + DELTA.replace('{"index":0,', '{"index":0,"finish_reason":null,') % "E",
    HEAD + DELTA.replace('{"index":0,', "{") % "F",
    HEAD + DELTA.replace('{"index":0,', '{"delta":{"content":"x"},"index":0,') % "G",
    HEAD + DELTA.replace('[{"index":0,', '[{"delta":{},"finish_reason":null},{"index":0,') % "H",
    HEAD + DELTA.replace('[{"index":0,', '[{"delta":{},"finish_reason":null},{') % "I",
    HEAD + DELTA.replace('[{"index":0,', '[{"delta":{},"finish_reason":null},{') % "J",
    HEAD + DELTA.replace('[{"index":0,', "[{") % "K",
    HEAD + DELTA.replace('{"index":0,', '{ "index" : 0 ,') % "L",
    HEAD + DELTA.replace('{"index":0,', '{"index":0,"index":2,') % "M",
    HEAD + DELTA.replace('"delta":{', '"delta":null,"delta":{') % "N",
    HEAD + DELTA.replace('"finish_reason":null', '"finish_reason":"stop"') % "O",
    HEAD + DELTA.replace('"logprobs":null', '"logprobs":{"content":[]}') % "P",
    HEAD + DELTA.replace('"logprobs":null,', "") % "Q",
    HEAD + DELTA.replace('"logprobs":null,', "") % "R",
    HEAD + DELTA.replace('"finish_reason":null}', '"finish_reason":null,"x":1}') % "S",
    HEAD + DELTA.replace('{"index":0,"delta"', '{"index":0,"logprobs":{"content":[]},"delta"') % "T",
    HEAD + DELTA.replace('{"index":0,"delta"', '{"index":0,"finish_reason":"stop","delta"') % "U",
    HEAD + DELTA.replace('"logprobs":null', '"logprobs" : null') % "V",
    HEAD + DELTA.replace('"finish_reason":null}', '"finish_reason":null,"index":3}') % "W",
    HEAD + DELTA.replace('"finish_reason":null}', '"finish_reason":null},{"delta":{},"finish_reason":"length"}') % "X",
    HEAD + DELTA.replace('"finish_reason":null}', '"finish_reason":null},{"delta":{},"finish_reason":"length"}') % "Y",
    HEAD + DELTA.replace('{"content":"%s"}', "null"),
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"obfuscation":"ab"}') % "a",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"obfuscation":"cd"}') % "b",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"\\u006fbfuscation":"ef"}') % "c",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"\\u006fbfuscation":"gh"}') % "d",
    HEAD + DELTA.replace('"usage":null}', '"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}') % "e",
    HEAD + DELTA.replace('],"usage":null}', "]}") % "f",
    HEAD + DELTA.replace('],"usage":null}', "]}") % "g",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"usage":null,"o":1}') % "h",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"usage":null,"o":2}') % "i",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"choices":[]}') % "j",
    HEAD + DELTA.replace('"usage":null}', '"usage":null,"choices":[]}') % "k",
    HEAD + DELTA.replace('"usage":null}', '"usage" : null , "o" :3 }') % "l",
    HEAD + DELTA.replace('"content":"%s"', '"content":"%s","role":"assistant"') % "m",
    HEAD + DELTA.replace('"content":"%s"', '"c\\u006fntent":"%s"') % "n",
    HEAD + DELTA.replace('"content":"%s"', '"c\\u006fntent":"%s"') % "o",
    HEAD + DELTA.replace('"content":"%s"', '"content" : "%s"') % "p",
    HEAD + DELTA.replace('"content":"%s"', '"reasoning":"hm","content":"%s","x":1') % "q",
    HEAD + DELTA.replace('"content":"%s"', '"reasoning":"hm","content":"%s","x":1') % "r",
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ('"id":"call_1","type":"function",', '"name":"f","arguments":""')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ("", '"arguments":"{\\"a"')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ("", '"arguments":"1"')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ("", '"\\u0061rguments":"2","name":"g"')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ('"x":1,', '"arguments" : "3"')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ("", '"arguments":"4","arguments":"5"')),
    HEAD + DELTA.replace('{"content":"%s"}', CALL % ("", '"arguments":"6"')),
    HEAD + DELTA % "D",
]
# Near misses that fail their event, on both backends alike.
OPENAI_FAILING_VARIANTS = [
    HEAD.replace('"created":5', '"created":5.5') + DELTA % "e",
    HEAD.replace('"choices":', '"choices"') + DELTA % "e",
    HEAD + DELTA.replace('"content":"%s"', '"content":"%s\\u"') % "e",
]


def test_openai_chunks_that_change_from_one_to_the_next_agree(both: tuple[Backend, Backend]) -> None:
    data = b"".join(b"data: " + chunk.encode() + b"\n\n" for chunk in OPENAI_CHUNK_VARIANTS) + b"data: [DONE]\n\n"
    for pieces in ([data], [data[i : i + 7] for i in range(0, len(data), 7)]):
        rust, python = (decode(b.module, pieces) for b in both)
        assert rust.error is None
        assert len(rust.chunks) == len(OPENAI_CHUNK_VARIANTS)
        assert rust.comparable() == python.comparable()
        assert [repr(c) for c in rust.chunks] == [repr(c) for c in python.chunks]


@pytest.mark.parametrize("changed", OPENAI_CHUNK_VARIANTS[2:-1] + OPENAI_FAILING_VARIANTS)
def test_each_openai_near_miss_after_a_repeated_chunk_agrees(both: tuple[Backend, Backend], changed: str) -> None:
    chunks = [OPENAI_CHUNK_VARIANTS[0], OPENAI_CHUNK_VARIANTS[1], changed, OPENAI_CHUNK_VARIANTS[1]]
    data = b"".join(b"data: " + chunk.encode() + b"\n\n" for chunk in chunks) + b"data: [DONE]\n\n"
    rust, python = (decode(b.module, [data]) for b in both)
    assert (rust.error is None) == (changed not in OPENAI_FAILING_VARIANTS)
    assert rust.comparable() == python.comparable()
    assert [repr(c) for c in rust.chunks] == [repr(c) for c in python.chunks]
