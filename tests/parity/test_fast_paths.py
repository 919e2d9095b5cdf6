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
