"""StreamDecoder's arguments on both backends: every bad one raises the same class with the same message,
checked in the same order (rust/python/decoder.rs::PyStreamDecoder::new: skip_choiceless as pyo3 extracts a
bool, then dialect, model, max_event_bytes, created, id, and only then an unknown dialect), and the
defaults, None included, give the same decoder."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from .conftest import Backend

UNKNOWN = 'unknown dialect "{}"; expected one of: openai, anthropic, cohere, gemini, ollama, bedrock'
NOTE = "while processing 'skip_choiceless'"


class Text(str):
    """A str subclass: accepted wherever a str is."""


# (positional, keywords, exception class, message)
BAD: list[tuple[tuple[Any, ...], dict[str, Any], type[Exception], str]] = [
    # The order: each row's first bad argument in Rust's order is the one reported.
    (("nope",), {"model": 5}, TypeError, "model must be a str or None, not int"),
    (("nope",), {"max_event_bytes": 0}, ValueError, "max_event_bytes must be a positive int"),
    (("nope",), {"created": "x"}, TypeError, "created must be an int or None, not str"),
    (("nope",), {"id": 5}, TypeError, "id must be a str or None, not int"),
    (("nope",), {"skip_choiceless": 1}, TypeError, "'int' object is not an instance of 'bool'"),
    ((5,), {"model": 5, "skip_choiceless": "x"}, TypeError, "'str' object is not an instance of 'bool'"),
    ((5,), {"model": 5}, TypeError, "dialect must be a str, not int"),
    (("openai",), {"model": 5, "max_event_bytes": 0}, TypeError, "model must be a str or None, not int"),
    (("openai",), {"max_event_bytes": 0, "created": "x"}, ValueError, "max_event_bytes must be a positive int"),
    (("openai",), {"created": "x", "id": 5}, TypeError, "created must be an int or None, not str"),
    # dialect
    ((b"openai",), {}, TypeError, "dialect must be a str, not bytes"),
    (("\ud800",), {}, TypeError, "dialect must be a str, not str"),
    (("nope",), {}, ValueError, UNKNOWN.format("nope")),
    (("",), {}, ValueError, UNKNOWN.format("")),
    (("OpenAI",), {}, ValueError, UNKNOWN.format("OpenAI")),
    # model and id: a str that is valid UTF-8, or None
    (("openai",), {"model": b"m"}, TypeError, "model must be a str or None, not bytes"),
    (("openai",), {"model": "\udc80"}, TypeError, "model must be a str or None, not str"),
    (("anthropic",), {"id": 5}, TypeError, "id must be a str or None, not int"),
    (("anthropic",), {"id": "\ud800"}, TypeError, "id must be a str or None, not str"),
    # max_event_bytes: an int (not a bool) from 1 to 2**63 - 1
    *(
        (("openai",), {"max_event_bytes": limit}, ValueError, "max_event_bytes must be a positive int")
        for limit in (0, -1, True, 1.5, "5", 2**63, 2**64)
    ),
    # created: an int (not a bool) that fits in 64 bits
    (("openai",), {"created": True}, TypeError, "created must be an int or None, not bool"),
    (("openai",), {"created": 1.0}, TypeError, "created must be an int or None, not float"),
    (("openai",), {"created": 2**63}, TypeError, "created must be an int or None, not int"),
    (("openai",), {"created": -(2**63) - 1}, TypeError, "created must be an int or None, not int"),
    # skip_choiceless: a bool
    (("openai",), {"skip_choiceless": None}, TypeError, "'None' is not an instance of 'bool'"),
    (("openai",), {"skip_choiceless": 0}, TypeError, "'int' object is not an instance of 'bool'"),
    (("openai",), {"skip_choiceless": Text("x")}, TypeError, "'Text' object is not an instance of 'bool'"),
]


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), BAD)
def test_a_bad_argument_is_reported_as_rust_reports_it(
    backend: Backend, args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as caught:
        backend.module.StreamDecoder(*args, **kwargs)
    assert type(caught.value) is error
    assert str(caught.value) == message
    if "instance of 'bool'" in message and sys.version_info >= (3, 11):
        assert caught.value.__notes__ == [NOTE]


def test_a_bad_call_is_a_type_error(backend: Backend) -> None:
    # Python's and pyo3's own messages for these name different methods (__init__, __new__).
    with pytest.raises(TypeError):
        backend.module.StreamDecoder("openai", "x")
    with pytest.raises(TypeError):
        backend.module.StreamDecoder("openai", bogus=1)


@pytest.mark.parametrize(
    ("args", "kwargs", "dialect"),
    [
        ((), {}, "openai"),
        ((None,), {}, "openai"),
        ((Text("gemini"),), {}, "gemini"),
        (("anthropic",), {"model": None, "max_event_bytes": None, "created": None, "id": None}, "anthropic"),
        (("ollama",), {"model": Text("m"), "max_event_bytes": 2**63 - 1, "created": -(2**63)}, "ollama"),
        (("cohere",), {"id": Text("x"), "created": 2**63 - 1, "skip_choiceless": True}, "cohere"),
    ],
)
def test_good_arguments_and_none_for_the_defaults(
    backend: Backend, args: tuple[Any, ...], kwargs: dict[str, Any], dialect: str
) -> None:
    decoder = backend.module.StreamDecoder(*args, **kwargs)
    assert type(decoder.dialect) is str and decoder.dialect == dialect
    assert repr(decoder) == f'StreamDecoder(dialect="{dialect}", state="open", bytes_fed=0)'
    with pytest.raises(AttributeError):
        decoder.dialect = "openai"


def test_the_defaults_stand_in_for_what_the_stream_lacks(both: tuple[Backend, Backend]) -> None:
    # An Anthropic stream without an id in message_start: id, model and created come from the arguments.
    stream = b'data: {"type":"message_start","message":{"usage":{"input_tokens":1}}}\n\n'
    for kwargs in ({"model": "m", "created": 7, "id": "chatcmpl-x"}, {"max_event_bytes": None, "created": 7}):
        rust, python = (b.module.StreamDecoder("anthropic", **kwargs).feed(stream)[0].model_dump() for b in both)
        assert rust.pop("id").startswith("chatcmpl-") and python.pop("id").startswith("chatcmpl-")
        assert rust == python
        assert (python["model"], python["created"]) == (kwargs.get("model", ""), 7)


def test_every_dialect_is_named_as_its_module() -> None:
    # The twin's registry lists classes; as rust/decode/mod.rs's test has it, a dialect is named as its module.
    from rillm._fallback import decode

    assert decode.DIALECTS == ("openai", "anthropic", "cohere", "gemini", "ollama", "bedrock")
    for decoder in decode._DECODERS:
        assert decoder.__module__ == f"rillm._fallback.decode.{decoder.NAME}"
