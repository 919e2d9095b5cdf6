"""An in-band error field whatever its value, on both backends and every dialect with in-band errors. The rule
(rust/decode/openai.rs and rust/json/raw.rs::is_truthy; python/rillm/_fallback/decode/openai.py, gemini.py,
ollama.py): OpenAI's `error` is an error when it is true as Python reads it (null, false, 0, 0.0, "", [] and
{} are not; a number is read as Python's json reads it, so 1e-999 is 0.0 and not an error while 5e-324 is);
Gemini's and Ollama's `error` is an error whenever it is not null. Anthropic, Cohere and Bedrock say an error
by an event or frame type, never by an `error` key, which they read past. Whatever the value, the exception is
the same rillm ProviderStreamError on both backends, carrying the chunks before it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from rillm.exceptions import ProviderStreamError
from tests import eventstream
from tests.conftest import FIXTURES, TEST_ID, Backend, decode
from tests.hardening import SAMPLES, plant

# (JSON literal, true as Python reads it)
VALUES = [
    ("1e-999", False),
    ("-1E-400", False),
    ("2e-324", False),
    ("-0.0e5", False),
    ("0", False),
    ("-0", False),
    ("0.0", False),
    ("5e-324", True),
    ("3e-324", True),
    ("0.5", True),
    ("1", True),
    ("-7", True),
    ("1" * 4300, True),
    ("true", True),
    ("false", False),
    ('""', False),
    ('"x"', True),
    ("[]", False),
    ("[0]", True),
    ("{}", False),
    ('{"message": "m"}', True),
    ("null", False),
]

# The dialects that read an `error` key in an ordinary payload, and whether a value makes it an error.
RULES = {
    "openai": lambda literal, truthy: truthy,
    "gemini": lambda literal, truthy: literal != "null",
    "ollama": lambda literal, truthy: literal != "null",
}


def _id(value: Any) -> str:
    text = str(value)
    return text if len(text) < 20 else f"{text[:3]}...({len(text)}ch)"


def test_the_values_are_read_as_python_reads_them() -> None:
    for literal, truthy in VALUES:
        assert bool(json.loads(literal)) == truthy, literal


@pytest.mark.parametrize("name", SAMPLES)
@pytest.mark.parametrize(("literal", "truthy"), VALUES, ids=_id)
def test_an_error_key_follows_its_dialects_rule(backend: Backend, name: str, literal: str, truthy: bool) -> None:
    planted = plant(name, literal.encode(), key=b"error")
    outcome = decode(backend.module, [planted.data], planted.dialect)
    rule = RULES.get(planted.dialect)
    if rule is None or not rule(literal, truthy):
        reference = decode(backend.module, [(FIXTURES / name).read_bytes()], planted.dialect)
        assert outcome.comparable() == reference.comparable()
        return
    assert isinstance(outcome.exception, ProviderStreamError), outcome.error
    assert outcome.error is not None and outcome.error[2] == len(planted.before)
    # Every chunk before the event is kept (OpenAI's payload, which has choices, adds its own after them).
    options = {} if planted.dialect == "openai" else {"id": TEST_ID}
    decoder = backend.module.StreamDecoder(planted.dialect, created=1700000000, **options)
    before = [c.model_dump() for c in decoder.feed(planted.before)]
    assert before and outcome.dumps()[: len(before)] == before


@pytest.mark.parametrize("name", SAMPLES)
def test_both_backends_agree_on_every_error_value(both: tuple[Backend, Backend], name: str) -> None:
    rust, python = both
    for literal, _ in VALUES:
        planted = plant(name, literal.encode(), key=b"error")
        got = decode(rust.module, [planted.data], planted.dialect)
        want = decode(python.module, [planted.data], planted.dialect)
        assert got.comparable() == want.comparable(), literal[:20]
        assert str(got.exception) == str(want.exception), literal[:20]


# Error events and frames, whose `error` may be any value: (dialect, the bytes around the value).
ERROR_EVENTS = [
    ("openai", b'event: error\ndata: {"error": %s}\n\n'),
    ("openai", b'data: {"error": %s}\n\n'),
    ("anthropic", b'event: error\ndata: {"type": "error", "error": %s}\n\n'),
    ("cohere", b'event: error\ndata: {"error": %s}\n\n'),
    ("gemini", b'data: {"error": %s}\n\n'),
    ("ollama", b'{"error": %s}\n'),
]


def _shown(value: Any) -> str:
    """How an error value shows in the exception's message: its message, a string as it is, else its JSON."""
    if isinstance(value, dict) and isinstance(value.get("message"), str):
        return str(value["message"])
    return value if isinstance(value, str) else json.dumps(value)


@pytest.mark.parametrize(("dialect", "template"), ERROR_EVENTS)
@pytest.mark.parametrize(("literal", "truthy"), VALUES, ids=_id)
def test_an_error_payload_of_any_value_is_one_rillm_error(
    both: tuple[Backend, Backend], dialect: str, template: bytes, literal: str, truthy: bool
) -> None:
    data = template % literal.encode()
    options = {} if dialect == "openai" else {"id": TEST_ID}
    rust, python = (decode(b.module, [data], dialect, **options) for b in both)
    assert rust.comparable() == python.comparable()
    assert str(rust.exception) == str(python.exception)
    named = data.startswith(b"event: error")
    rule = RULES.get(dialect)
    if named or (rule is not None and rule(literal, truthy)):
        assert isinstance(rust.exception, ProviderStreamError), rust.error
        text = str(rust.exception).split(": ", 1)[1]  # after the class name
        assert text.startswith(_shown(json.loads(literal))[:100]) and " in event 0 at byte 0)" in text, text
    else:
        assert not isinstance(rust.exception, ProviderStreamError), rust.error


@pytest.mark.parametrize(("literal", "truthy"), VALUES, ids=_id)
def test_a_bedrock_exception_frame_of_any_value_is_one_rillm_error(
    both: tuple[Backend, Backend], literal: str, truthy: bool
) -> None:
    frame = eventstream.exception("throttlingException", f'{{"message": {literal}}}')
    rust, python = (decode(b.module, [frame], "bedrock", id=TEST_ID) for b in both)
    assert rust.comparable() == python.comparable()
    assert str(rust.exception) == str(python.exception)
    assert isinstance(rust.exception, ProviderStreamError)
