"""StreamDecoder's options `merge` and `usage_on_finish`, on both backends (rust/merge/delivery.rs and its
twin): the running merge is, at every feed boundary and after an error, what `merge_chunks` returns for
every chunk decoded so far; usage on the finish chunk moves only that chunk, gives it the stream's usage
when usage comes after it, and changes nothing in the merge. Recordings are fed in pieces cut over their
whole length; generated streams come from tests/parity/strategies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import rillm
from rillm import _fallback
from rillm._builder import build_response
from rillm.exceptions import StreamError

from .conftest import DIALECTS, TEST_ID, Backend, cuts, dialect_of, recording_id, recordings
from .parity.strategies.native_streams import stream as native_stream
from .parity.strategies.openai import chunked

ALL = recordings(DIALECTS)


@dataclass
class Run:
    """A decode fed piece by piece: the chunks each call returned (a failing call's are its exception's),
    `merged()` after each call when merging, whether the stream had ended after each call, the error."""

    calls: list[list[Any]] = field(default_factory=list)
    merges: list[dict[str, Any]] = field(default_factory=list)
    ended: list[bool] = field(default_factory=list)
    error: BaseException | None = None

    @property
    def chunks(self) -> list[Any]:
        return [c for call in self.calls for c in call]

    def upto(self, call: int) -> list[Any]:
        return [c for batch in self.calls[: call + 1] for c in batch]


def run(module: ModuleType, pieces: Sequence[bytes], dialect: str, **options: Any) -> Run:
    decoder = module.StreamDecoder(dialect, created=1700000000, id=None if dialect == "openai" else TEST_ID, **options)
    out = Run()

    def record(chunks: list[Any], ended: bool) -> None:
        out.calls.append(chunks)
        out.ended.append(ended)
        if options.get("merge"):
            out.merges.append(decoder.merged())

    try:
        for piece in pieces:
            record(decoder.feed(piece), decoder.done)
        record(decoder.finish(), True)
    except StreamError as exc:
        out.error = exc
        record(exc.chunks, True)
    return out


def split(data: bytes, budget: int = 60) -> list[bytes]:
    points = cuts(data, budget)
    return [data[a:b] for a, b in zip(points, points[1:])]


def outcome(r: Run) -> tuple[list[dict[str, Any]], Any]:
    error = None if r.error is None else (type(r.error).__name__, r.error.event, r.error.offset)
    return [c.model_dump() for c in r.chunks], error


def check_merge(module: ModuleType, pieces: Sequence[bytes], dialect: str, **options: Any) -> Run:
    """merged() after each call == merge_chunks(every chunk a plain decoder had decoded by then)."""
    plain = run(module, pieces, dialect)
    merging = run(module, pieces, dialect, merge=True, **options)
    assert len(merging.calls) == len(plain.calls)
    for at, merged in enumerate(merging.merges):
        assert merged == module.merge_chunks(plain.upto(at)), f"after call {at}"
    if not options:
        # (Before anything reads the chunks' values: logprobs read become objects, and merge as such.)
        assert merging.merges[-1] == module.merge_chunks(merging.chunks)
        assert outcome(merging) == outcome(plain)
    return merging


@pytest.mark.parametrize("path", ALL, ids=recording_id)
def test_the_running_merge_is_merge_chunks_at_every_feed(backend: Backend, path: Path) -> None:
    pieces = split(path.read_bytes())
    check_merge(backend.module, pieces, dialect_of(path))
    check_merge(backend.module, pieces, dialect_of(path), skip_choiceless=True, usage_on_finish=True)


@pytest.mark.parametrize("path", ALL, ids=recording_id)
def test_the_running_merge_holds_what_arrived_before_an_error(backend: Backend, path: Path) -> None:
    """The stream cut off half-way (then finish() raises), and a byte flipped in its second half."""
    data = path.read_bytes()
    half = split(data[: len(data) // 2], 20)
    cut = check_merge(backend.module, half, dialect_of(path))
    assert cut.error is not None
    flipped = bytearray(data)
    flipped[len(data) * 3 // 4] ^= 0x5A
    check_merge(backend.module, split(bytes(flipped), 20), dialect_of(path))


@pytest.mark.rust
@pytest.mark.parametrize("path", ALL, ids=recording_id)
def test_both_backends_merge_a_recording_alike(both: tuple[Backend, Backend], path: Path) -> None:
    pieces = split(path.read_bytes())
    rust, python = (run(b.module, pieces, dialect_of(path), merge=True, usage_on_finish=True) for b in both)
    assert outcome(rust) == outcome(python)
    assert rust.merges == python.merges


def adds_nothing(chunk: Any) -> bool:
    """A chunk that waits behind a held finish chunk: no choices, or no usage and choices without a finish
    reason and with an empty delta (Azure's filter results; rust/merge/delivery.rs, adds_nothing)."""
    if not chunk.choices:
        return True
    return chunk.usage is None and all(
        ch.finish_reason is None and all(v is None for v in ch.delta.model_dump().values()) for ch in chunk.choices
    )


def late_usage(chunks: list[Any]) -> bool:
    """Whether a chunk without choices reports usage after the last chunk that has a finish reason, with only
    chunks that add nothing between them."""
    finishing = [i for i, c in enumerate(chunks) if any(ch.finish_reason for ch in c.choices)]
    if not finishing:
        return False
    for c in chunks[finishing[-1] + 1 :]:
        if not adds_nothing(c):
            return False
        if not c.choices and c.usage:
            return True
    return False


def check_held(module: ModuleType, pieces: Sequence[bytes], dialect: str, skip: bool = False) -> tuple[Run, Run]:
    """usage_on_finish moves only finish chunks (past the chunks without choices that followed them), and
    the merge of what it returns is the merge of the plain stream."""
    plain = run(module, pieces, dialect, skip_choiceless=skip)
    held = run(module, pieces, dialect, skip_choiceless=skip, usage_on_finish=True)
    assert type(held.error) is type(plain.error)

    def finishing(c: Any) -> bool:
        return any(ch.finish_reason for ch in c.choices)

    others = [c.model_dump() for c in plain.chunks if not finishing(c)]
    assert [c.model_dump() for c in held.chunks if not finishing(c)] == others
    moved = [c for c in held.chunks if finishing(c)]
    assert len(moved) == len([c for c in plain.chunks if finishing(c)])
    if not plain.chunks:
        return plain, held
    everything = run(module, pieces, dialect).chunks
    attached = usage_given(everything)
    for chunk, was, (at, until) in zip(moved, [c for c in plain.chunks if finishing(c)], attached):
        # A held chunk a usage report followed takes the usage of every chunk decoded until it went out.
        if until is not None:
            assert chunk.usage == build_response(module.merge_chunks(everything[: until + 1]), None).usage, at
            assert {**chunk.model_dump(), "usage": None} == {**was.model_dump(), "usage": None}, at
        else:
            assert chunk.model_dump() == was.model_dump(), at
    merged, expected = module.merge_chunks(held.chunks), module.merge_chunks(plain.chunks)
    if skip and late_usage(everything):
        # The usage chunks left out: the last held chunk brings the usage sent after it, as if they were kept.
        expected["usage"] = module.merge_chunks(everything)["usage"]
    elif skip and any(until is not None for _, until in attached):
        # An earlier held chunk brought the usage of chunks left out (checked above, chunk by chunk).
        merged.pop("usage"), expected.pop("usage")
    assert merged == expected
    return plain, held


def usage_given(chunks: list[Any]) -> list[tuple[int, int | None]]:
    """For each chunk with a finish reason (its index): the index of the chunk after which usage_on_finish
    lets it go with the stream's usage (the next chunk whose choices carry something, or the last chunk), when a
    chunk that waited behind it reported usage; else None (rust/merge/delivery.rs)."""
    out: list[tuple[int, int | None]] = []
    held = reported = False
    for at, chunk in enumerate(chunks):
        if not chunk.choices or (held and adds_nothing(chunk)):
            reported = reported or (held and chunk.usage is not None)
            continue
        if reported:
            out[-1] = (out[-1][0], at)
        held = any(ch.finish_reason is not None for ch in chunk.choices)
        reported = False
        if held:
            out.append((at, None))
    if reported:
        out[-1] = (out[-1][0], len(chunks) - 1)
    return out


@pytest.mark.parametrize("path", ALL, ids=recording_id)
def test_usage_on_finish_moves_only_the_finish_chunk(backend: Backend, path: Path) -> None:
    pieces = split(path.read_bytes())
    _, held = check_held(backend.module, pieces, dialect_of(path))
    check_held(backend.module, pieces, dialect_of(path), skip=True)
    # A finish chunk is returned by the call that returned the next chunk whose choices carry something
    # (several choices, a repeated finish reason, OpenRouter's usage on a chunk with a choice), or by the call
    # that ended the stream.
    out = [(at, c) for at, call in enumerate(held.calls) for c in call]
    for i, (at, c) in enumerate(out):
        if not any(ch.finish_reason for ch in c.choices):
            continue
        after = next(((a, n) for a, n in out[i + 1 :] if not adds_nothing(n)), None)
        if after is None:
            assert held.ended[at], f"a finish chunk came out before the stream ended (call {at})"
        elif not any(ch.finish_reason for ch in after[1].choices):  # (else that one was held in turn)
            assert after[0] == at, f"a finish chunk came out before the next chunk with choices (call {at})"


LATE = [path for path in ALL if late_usage(run(_fallback, [path.read_bytes()], dialect_of(path)).chunks)]


def test_there_are_recordings_with_late_usage() -> None:
    folders = {path.parent.name for path in LATE}
    assert len(LATE) >= 10 and {"openai", "bedrock", "xai", "groq"} <= folders, sorted(map(recording_id, LATE))


@pytest.mark.parametrize("path", LATE, ids=recording_id)
def test_the_final_chunk_carries_the_usage_sent_after_it(backend: Backend, path: Path) -> None:
    pieces = split(path.read_bytes())
    _, held = check_held(backend.module, pieces, dialect_of(path), skip=True)
    everything = run(backend.module, pieces, dialect_of(path)).chunks
    merged = backend.module.merge_chunks(everything)
    final = [c for c in held.chunks if c.choices][-1]
    assert final.choices[0].finish_reason is not None
    assert isinstance(final.usage, rillm.Usage)
    assert final.usage == build_response(merged, None).usage
    # What a caller collects (usage chunks left out) builds the response with the provider's usage.
    assert rillm.stream_chunk_builder(held.chunks).usage == rillm.stream_chunk_builder(everything).usage
    assert not getattr(final.usage, "estimated", False)


N2 = [
    b'data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant","content":"a"}},'
    b'{"index":1,"delta":{"role":"assistant","content":"b"}}]}\n\n',
    b'data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n',
    b'data: {"id":"x","choices":[{"index":1,"delta":{"content":"c"}}]}\n\n',
    b'data: {"id":"x","choices":[{"index":1,"delta":{},"finish_reason":"length"}]}\n\n',
    b'data: {"id":"x","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}\n\n',
    b"data: [DONE]\n\n",
]


def test_with_several_choices_each_finish_chunk_waits_for_the_next_choice(backend: Backend) -> None:
    held = run(backend.module, N2, "openai", usage_on_finish=True)
    returned = [
        [(ch.index, ch.delta.content, ch.finish_reason) for c in call for ch in c.choices] for call in held.calls
    ]
    # Choice 0's finish goes out with choice 1's next delta; choice 1's at [DONE], then the usage chunk.
    assert returned == [
        [(0, "a", None), (1, "b", None)],
        [],
        [(0, None, "stop"), (1, "c", None)],
        [],
        [],
        [(1, None, "length")],
        [],
    ]
    assert held.calls[5][0].usage.total_tokens == 8 and held.calls[5][1].usage.total_tokens == 8
    assert held.calls[2][0].usage is None


def test_held_chunks_come_out_with_an_error(backend: Backend) -> None:
    pieces = [*N2[:5], b'data: {"error": {"message": "boom"}}\n\n']
    held = run(backend.module, pieces, "openai", usage_on_finish=True, merge=True)
    assert isinstance(held.error, rillm.ProviderStreamError)
    assert [ch.finish_reason for ch in held.calls[-1][0].choices] == ["length"]
    assert held.calls[-1][0].usage.prompt_tokens == 5
    assert held.merges[-1] == backend.module.merge_chunks(run(backend.module, N2[:5], "openai").chunks)


def test_merged_needs_merge(backend: Backend) -> None:
    decoder = backend.module.StreamDecoder("openai")
    with pytest.raises(ValueError, match=r"merge=True"):
        decoder.merged()
    merging = backend.module.StreamDecoder("openai", merge=True)
    assert merging.merged() == backend.module.merge_chunks([])


def test_an_invalid_usage_fails_even_when_its_chunk_is_left_out(backend: Backend) -> None:
    bad = b'data: {"id":"a","choices":[],"usage":{"prompt_tokens":"x"}}\n\n'
    for options in ({}, {"skip_choiceless": True}, {"skip_choiceless": True, "usage_on_finish": True}):
        decoder = backend.module.StreamDecoder("openai", **options)
        with pytest.raises(rillm.StreamDecodeError, match="invalid chunk"):
            decoder.feed(bad)


# A choice that carries nothing between the finish chunk and a usage report of zeros (found by Hypothesis).
AFTER_FINISH = [
    b'data: {}\n\ndata: {"id": null, "obfuscation": "", "citations": null, "created": null, "x_groq": {"usage": null},'
    b' "choices": [{"finish_reason": "stop"}]}\n\ndata: {"id": null, "obfuscation": "", "choices": [{}]}\n\n'
    b'data: {"id": null, "usage": {"prompt_tokens": 0, "completion_tokens": 0}}\n\n'
]


# The same with usage on that choice (Groq's x_groq), then a later report left out (found by Hypothesis).
USAGE_AFTER_FINISH = [
    b'data: {}\n\ndata: {"id": null, "choices": [{"index": null, "finish_reason": "stop"}]}\n\n'
    b'data: {"choices": [{}], "x_groq": {"usage": {"prompt_tokens": 2, "completion_tokens": 0}}}\n\n'
    b'data: {"id": null, "x_groq": {"usage": {"prompt_tokens": 1, "completion_tokens": 0}}}\n\n'
]


@pytest.mark.parametrize("skip", [False, True], ids=["all", "skip_choiceless"])
def test_choices_that_carry_nothing_wait_behind_the_finish_chunk(backend: Backend, skip: bool) -> None:
    """Azure sends its filter results after the finish chunk (choices with an empty delta), then the usage:
    the finish chunk still gets the usage, and the chunks keep their order."""
    head = {"id": "c", "created": 1, "model": "m", "object": "chat.completion.chunk"}
    frames = [
        {"choices": [{"index": 0, "delta": {"content": "Hi"}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {"choices": [{"index": 0, "delta": {}, "content_filter_results": {"hate": {"filtered": False}}}]},
        {"choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}},
    ]
    pieces = [b"data: " + json.dumps({**head, **f}).encode() + b"\n\n" for f in frames] + [b"data: [DONE]\n\n"]
    held = run(backend.module, pieces, "openai", skip_choiceless=skip, usage_on_finish=True)
    # The filter results wait: the finish chunk and they come out of the call that ends the stream.
    assert [len(call) for call in held.calls] == [1, 0, 0, 0, 3 - skip, 0]
    finish = held.calls[4][0]
    assert finish.choices[0].finish_reason == "stop" and finish.usage.total_tokens == 5
    assert held.calls[4][1].choices[0].content_filter_results == {"hate": {"filtered": False}}
    check_held(backend.module, pieces, "openai", skip=skip)
    check_held(backend.module, AFTER_FINISH, "openai", skip=skip)
    check_held(backend.module, USAGE_AFTER_FINISH, "openai", skip=skip)


@pytest.mark.rust
@given(pieces=chunked(), options=st.sampled_from([{}, {"skip_choiceless": True}]))
@example(pieces=AFTER_FINISH, options={"skip_choiceless": True})
@example(pieces=USAGE_AFTER_FINISH, options={"skip_choiceless": True})
def test_generated_openai_streams(both: tuple[Backend, Backend], pieces: list[bytes], options: dict[str, Any]) -> None:
    check_generated(both, pieces, "openai", options)


@pytest.mark.rust
@given(generated=native_stream(), cut=st.lists(st.integers(0, 10**6), max_size=4))
def test_generated_native_streams(both: tuple[Backend, Backend], generated: tuple[str, bytes], cut: list[int]) -> None:
    dialect, data = generated
    points = sorted(c % (len(data) + 1) for c in cut)
    check_generated(both, [data[a:b] for a, b in zip([0, *points], [*points, len(data)])], dialect, {})


def check_generated(both: tuple[Backend, Backend], pieces: list[bytes], dialect: str, options: dict[str, Any]) -> None:
    results = []
    for backend in both:
        merging = check_merge(backend.module, pieces, dialect, **options)
        check_held(backend.module, pieces, dialect, skip=bool(options))
        held = run(backend.module, pieces, dialect, merge=True, usage_on_finish=True, **options)
        results.append((outcome(held), held.merges))
        assert merging.merges == held.merges
    assert results[0] == results[1]
