# Twin of rust/error.rs (the messages) and rust/python/errors.rs (the mapping onto exception classes).
"""The exceptions the fallback raises, with the same classes, attributes and messages as the Rust core."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rillm import _error_mapping, exceptions

if TYPE_CHECKING:
    from rillm._fallback.framing import Event


class ShapeError(ValueError):
    """A payload that is JSON but not the dialect's shape (a field of the wrong type)."""


class ProviderFailed(Exception):
    """Raised by a dialect's handler when the event says the stream failed (Rust's `Step::Failed`, in
    rust/decode/dialect.rs): the dialect's `decode()`, which knows the event, raises the provider's error
    for it. `data` is the error payload to report (None: the event's own), `event_type` what the error
    mapping is told the event was."""

    def __init__(self, event_type: str, data: str | None = None) -> None:
        super().__init__(event_type)
        self.event_type = event_type
        self.data = data


def concurrent_use(what: str) -> exceptions.ConcurrentUseError:
    """`what` (a method or property of StreamDecoder) was called while another thread was inside one of its
    calls. Twin of rust/python/errors.rs::concurrent_use."""
    return exceptions.ConcurrentUseError(
        f"StreamDecoder.{what} was called while another call of the decoder is under way: a StreamDecoder is "
        "not shared across threads (use one per stream, from one thread at a time)"
    )


def event_too_large(event: int, offset: int, limit: int) -> exceptions.EventTooLargeError:
    return exceptions.EventTooLargeError(
        f"event {event} starting at byte {offset} is larger than max_event_bytes ({limit} bytes)",
        event=event,
        offset=offset,
    )


def decode_error(event: Event, detail: str) -> exceptions.StreamDecodeError:
    return exceptions.StreamDecodeError(
        f"event {event.event} starting at byte {event.offset}: {detail}", event=event.event, offset=event.offset
    )


def framing_error(event: int, offset: int, detail: str) -> exceptions.StreamDecodeError:
    """Bytes the framing cannot split into events (a bad frame, junk in a JSON array)."""
    return exceptions.StreamDecodeError(
        f"event {event} starting at byte {offset}: {detail}", event=event, offset=offset
    )


def provider_error(event: Event, data: str, event_type: str) -> exceptions.ProviderStreamError:
    return _error_mapping.provider_stream_error(data, event_type, event=event.event, offset=event.offset)


def incomplete(detail: str, bytes_fed: int) -> exceptions.IncompleteStreamError:
    return exceptions.IncompleteStreamError(f"the stream ended {detail} (after {bytes_fed} bytes)", offset=bytes_fed)
