"""The benchmark workloads (rillm._bench.workloads, timed by `rillm bench` and benches/), untimed here: each
decodes to its expected text on each backend, in a transport's pieces and whole, in as many chunks as the
rates are given in; every dialect of the decoder has one; and their events have the fields of their
dialect's recordings, framed as they are. So a wrong workload cannot be timed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from rillm._bench.impls import decode_rillm
from rillm._bench.workloads import WORKLOADS, aread_field, read_field, workload
from tests.conftest import DIALECTS, FIXTURES, Backend

N = 300  # deltas: enough for several 4 KiB pieces, each cut somewhere inside an event

# A recording of each workload's dialect whose events have the workload's fields (Bedrock's binary frames
# are checked by its decoder alone).
RECORDINGS = {
    "openai-text": "openai/gpt4o-parallel-tools-usage.sse",
    "openai-tools": "openai/gpt4o-tool-args-fragmented.sse",
    "anthropic": "anthropic/text-basic.sse",
    "gemini": "google/text-basic.sse",
    "cohere": "cohere/v2-text.sse",
    "ollama": "ollama/chat-text-gemma3.ndjson",
}


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_each_workload_decodes_to_its_expected_text(backend: Backend, name: str) -> None:
    load = workload(name, N)
    assert len(load.expected) >= N  # every delta carries at least one character
    assert len(load.pieces()) > 2
    got = decode_rillm(backend.name, load)()
    assert "".join(s or "" for s in got) == load.expected
    decoder = backend.module.StreamDecoder(load.dialect)
    chunks = decoder.feed(load.stream) + decoder.finish()
    assert "".join(s or "" for s in read_field(load.field)(chunks)) == load.expected

    async def each() -> AsyncIterator[Any]:
        for chunk in chunks:
            yield chunk

    assert asyncio.run(aread_field(load.field)(each())) == read_field(load.field)(chunks)
    # The rates are n over the time: the decoder makes n chunks, give or take the opening and closing ones.
    assert N - 2 <= len(chunks) <= N + 4


def test_every_dialect_of_the_decoder_has_a_workload() -> None:
    assert set(DIALECTS.values()) <= {workload(name, 10).dialect for name in WORKLOADS}


def _events(data: bytes) -> list[dict[str, Any]]:
    """The JSON objects of a stream's `data:` lines (SSE) or lines (NDJSON)."""
    lines = (line.removeprefix(b"data: ") for line in data.splitlines())
    return [json.loads(line) for line in lines if line.startswith(b"{")]


@pytest.mark.parametrize("name", sorted(RECORDINGS))
def test_each_workload_has_the_fields_and_framing_of_its_recording(name: str) -> None:
    recording = (FIXTURES / RECORDINGS[name]).read_bytes()
    load = workload(name, N)
    recorded = {frozenset(event) for event in _events(recording)}
    events = _events(load.stream)
    assert len(events) >= N - 2
    unlike = [event for event in events if frozenset(event) not in recorded]
    assert not unlike, f"{len(unlike)} events unlike any of {RECORDINGS[name]}'s, e.g. {unlike[0]}"
    # How each event ends after its JSON (Gemini's CRLF CRLF, NDJSON's newline) is the recording's.
    ends = {event[event.rindex(b"}") + 1 :] for event in load.events if b"}" in event}
    assert len(ends) == 1 and b"}" + ends.pop() in recording
