"""Every recorded stream in tests/fixtures/streams, OpenAI's dialect and the native ones, on both
backends: fed whole, one byte at a time and split at many offsets, the output must not change; Rust and
Python must agree; and the merged response must match the golden expectation in tests/golden/, which was
derived from the recording independently of rillm and reviewed against it (tests/golden/README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rillm
from rillm import _fallback
from rillm._builder import build_response

from .conftest import DIALECTS, FIXTURES, GOLDEN, Backend, decode, dialect_of, recording_id, recordings

RECORDINGS = recordings(DIALECTS)


def decode_recording(backend: Backend, pieces: list[bytes], path: Path) -> Any:
    return decode(backend.module, pieces, dialect_of(path))


def golden(path: Path) -> dict[str, Any]:
    return json.loads((GOLDEN / path.parent.name / (path.stem + ".json")).read_text())


def summary(backend: Backend, chunks: list[Any], extra: bool) -> dict[str, Any]:
    """The merged response in the golden files' shape (`extra`: with thinking blocks and provider fields,
    which the native dialects' goldens hold)."""
    response = build_response(backend.module.merge_chunks(chunks), None)
    usage = response.usage
    return {
        "id": response.id,
        "model": response.model,
        "choices": [
            {
                "index": c.index,
                "finish_reason": c.finish_reason,
                "content": c.message.content,
                "reasoning_content": c.message.reasoning_content,
                "refusal": c.message.refusal,
                "tool_calls": [
                    {"id": t.id, "name": t.function.name, "arguments": t.function.arguments}
                    for t in c.message.tool_calls or []
                ],
                **(
                    {
                        "thinking_blocks": c.message.thinking_blocks,
                        "provider_specific_fields": c.message.provider_specific_fields,
                    }
                    if extra
                    else {}
                ),
            }
            for c in response.choices
        ],
        "usage": None
        if usage is None or usage.get("estimated")
        else {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.total_tokens,
            "cached_tokens": usage.prompt_tokens_details.cached_tokens if usage.prompt_tokens_details else None,
            "reasoning_tokens": usage.completion_tokens_details.reasoning_tokens
            if usage.completion_tokens_details
            else None,
        },
    }


@pytest.mark.parametrize("path", RECORDINGS, ids=recording_id)
def test_matches_the_golden_expectation(backend: Backend, path: Path) -> None:
    expected = golden(path)
    outcome = decode_recording(backend, [path.read_bytes()], path)
    assert len(outcome.chunks) == expected["chunks"]
    if expected["error"] is None:
        assert outcome.error is None
    else:
        assert isinstance(outcome.exception, rillm.ProviderStreamError)
        error = expected["error"]["payload"]
        error = error.get("error", error)
        assert outcome.exception.body is not None
        assert error["message"] in str(outcome.exception)
    assert summary(backend, outcome.chunks, dialect_of(path) != "openai") == expected["response"]


@pytest.mark.parametrize("path", RECORDINGS, ids=recording_id)
def test_the_same_however_it_is_split(backend: Backend, path: Path) -> None:
    from .conftest import cuts

    data = path.read_bytes()
    whole = decode_recording(backend, [data], path).comparable()
    assert decode_recording(backend, [data[i : i + 1] for i in range(len(data))], path).comparable() == whole
    for cut in cuts(data):
        assert decode_recording(backend, [data[:cut], data[cut:]], path).comparable() == whole, f"split at {cut}"


@pytest.mark.parametrize("path", RECORDINGS, ids=recording_id)
def test_every_chunk_validates_as_an_openai_chunk(backend: Backend, path: Path) -> None:
    openai_types = pytest.importorskip("openai.types.chat")
    for chunk in decode_recording(backend, [path.read_bytes()], path).chunks:
        openai_types.ChatCompletionChunk.model_validate(chunk.model_dump())


def test_the_manifest_names_exactly_the_folders_present() -> None:
    """tests/fixtures/streams/dialects.tsv gives every folder of recordings its dialect, and names no other."""
    assert set(DIALECTS) == {p.name for p in FIXTURES.iterdir() if p.is_dir()}
    assert all(any((FIXTURES / folder).iterdir()) for folder in DIALECTS)


def test_the_golden_files_cover_every_recording() -> None:
    names = {f"{p.parent.name}/{p.stem}.json" for p in RECORDINGS}
    files = {f"{p.parent.name}/{p.name}" for p in GOLDEN.glob("*/*.json")}
    assert names == files


def test_the_fallback_is_importable_without_the_extension() -> None:
    assert _fallback.StreamDecoder("openai").dialect == "openai"


@pytest.mark.parametrize("path", RECORDINGS, ids=recording_id)
def test_skip_choiceless_leaves_out_exactly_the_chunks_without_choices(backend: Backend, path: Path) -> None:
    """What `completion()` shows without include_usage: the same chunks, minus those with no choices, and
    the same error at the same place."""
    data = path.read_bytes()
    pieces = [data[i : i + 97] for i in range(0, len(data), 97)]
    dialect = dialect_of(path)
    every = decode(backend.module, pieces, dialect)
    shown = decode(backend.module, pieces, dialect, skip_choiceless=True)
    assert [c.model_dump() for c in shown.chunks] == [c.model_dump() for c in every.chunks if c.choices]
    assert shown.error == every.error


def test_skip_choiceless_must_be_a_bool(backend: Backend) -> None:
    with pytest.raises(TypeError):
        backend.module.StreamDecoder("openai", skip_choiceless=1)
