"""A StreamDecoder is not shared across threads: on both backends, a call made while another thread is inside
one of its calls raises rillm's ConcurrentUseError (a StreamError and a RuntimeError) with the same message,
and changes nothing: the call under way finishes as if it had been alone. Real threads: the first thread is
held inside feed() (the piece it feeds is a bytes subclass whose conversion waits, as any Python code the
decoder runs may let another thread in) while the second calls the decoder."""

from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

import rillm
from rillm.exceptions import ConcurrentUseError, StreamError

from .conftest import Backend

STREAM = (
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"content":"Hello"},"finish_reason":null}]}\n\n'
    b'data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,'
    b'"delta":{"content":" world"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n'
)
HALF = len(STREAM) // 2


class Held(bytes):
    """A piece whose conversion to bytes (which both backends make of a bytes subclass) waits for `release`
    after signalling `entered`: the feeding thread stays inside feed() meanwhile."""

    entered: threading.Event
    release: threading.Event

    def __bytes__(self) -> bytes:
        self.entered.set()
        assert self.release.wait(10)
        return bytes(memoryview(self))


CALLS: dict[str, Callable[[Any], Any]] = {
    "feed()": lambda d: d.feed(STREAM[HALF:]),
    "finish()": lambda d: d.finish(),
    "merged()": lambda d: d.merged(),
    "done": lambda d: d.done,
    "bytes_fed": lambda d: d.bytes_fed,
    "last_event_id": lambda d: d.last_event_id,
    "retry": lambda d: d.retry,
    "dialect": lambda d: d.dialect,
}


def while_feeding(backend: Backend, during: Callable[[Any], Any]) -> tuple[Any, list[Any], BaseException | None]:
    """Runs `during(decoder)` on this thread while another thread is inside decoder.feed(first half): (what
    `during` returned or raised, the chunks of the whole stream the other thread then decoded, its error)."""
    decoder = backend.module.StreamDecoder("openai", merge=True)
    piece = Held(STREAM[:HALF])
    piece.entered, piece.release = threading.Event(), threading.Event()
    fed: list[Any] = []
    failure: list[BaseException] = []

    def feed() -> None:
        try:
            fed.extend(decoder.feed(piece))
        except BaseException as exc:  # reported to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=feed)
    thread.start()
    try:
        assert piece.entered.wait(10)
        try:
            outcome: Any = during(decoder)
        except Exception as exc:
            outcome = exc
        assert repr(decoder) == 'StreamDecoder(state="busy")'
    finally:
        piece.release.set()
        thread.join(10)
    assert not thread.is_alive()
    if not failure:
        fed.extend(decoder.feed(STREAM[HALF:]) + decoder.finish())
    return outcome, fed, failure[0] if failure else None


@pytest.mark.parametrize("call", CALLS)
def test_a_second_thread_is_refused_and_changes_nothing(backend: Backend, call: str) -> None:
    outcome, chunks, error = while_feeding(backend, CALLS[call])
    assert isinstance(outcome, ConcurrentUseError)
    assert isinstance(outcome, StreamError) and isinstance(outcome, RuntimeError)
    assert str(outcome) == (
        f"rillm.ConcurrentUseError: StreamDecoder.{call} was called while another call of the decoder is under "
        "way: a StreamDecoder is not shared across threads (use one per stream, from one thread at a time)"
    )
    assert outcome.chunks == []
    assert error is None
    assert "".join(c.choices[0].delta.content for c in chunks) == "Hello world"


def test_both_backends_say_the_same(both: tuple[Backend, Backend]) -> None:
    said = [str(while_feeding(backend, CALLS["feed()"])[0]) for backend in both]
    assert said[0] == said[1]


def test_one_thread_after_another_is_fine(backend: Backend) -> None:
    """Handing a decoder from one thread to the next (never at once) is not sharing it."""
    decoder = backend.module.StreamDecoder("openai")
    chunks: list[Any] = []
    for piece in (STREAM[:HALF], STREAM[HALF:]):
        thread = threading.Thread(target=lambda p=piece: chunks.extend(decoder.feed(p)))
        thread.start()
        thread.join(10)
    chunks.extend(decoder.finish())
    assert "".join(c.choices[0].delta.content for c in chunks) == "Hello world"


def test_the_class_is_rillms() -> None:
    assert rillm.ConcurrentUseError is ConcurrentUseError
    assert issubclass(ConcurrentUseError, rillm.APIError)
