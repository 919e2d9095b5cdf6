"""LiteLLM's module settings, set after `import rillm` and read at call time, with LiteLLM's precedence: the
call's argument, then the module attribute, then the environment. Checked on what the local server receives."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import rillm
from rillm import _log
from tests.server import Fault, ReplayServer

MESSAGES = [{"role": "user", "content": "Hello"}]
ARG, MODULE, PROVIDER, ENV = "sk-argument", "sk-module", "sk-provider-attribute", "sk-environment"

pytestmark = pytest.mark.usefixtures("e2e_env", "transport")


@pytest.fixture(autouse=True)
def clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "LITELLM_DROP_PARAMS"):
        monkeypatch.delenv(name, raising=False)


def _openai(server: ReplayServer, **kwargs: Any) -> str:
    """The Authorization header an OpenAI call sent."""
    served = server.reply_file("openai/gpt4o-finish-length.sse")
    list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, **{"api_base": server.url + "/v1", **kwargs}))
    return served.request.headers["authorization"]


def test_the_module_key_is_used_when_no_argument_gives_one(
    server: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", ENV)
    monkeypatch.setattr(rillm, "api_key", MODULE)
    assert _openai(server) == f"Bearer {MODULE}"  # module attribute over environment
    assert _openai(server, api_key=ARG) == f"Bearer {ARG}"  # argument over module attribute
    monkeypatch.setattr(rillm, "api_key", None)
    assert _openai(server) == f"Bearer {ENV}"  # nothing set in the module: the environment


def test_provider_key_attributes_in_litellms_order(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "openai_key", PROVIDER)
    assert _openai(server) == f"Bearer {PROVIDER}"
    monkeypatch.setattr(rillm, "api_key", MODULE)
    assert _openai(server) == f"Bearer {MODULE}"  # LiteLLM's openai path reads litellm.api_key first
    served = server.reply_file("anthropic/text-basic.sse")
    monkeypatch.setattr(rillm, "anthropic_key", PROVIDER)
    list(rillm.completion("anthropic/claude-sonnet-4-5", MESSAGES, stream=True, api_base=server.url))
    assert served.request.headers["x-api-key"] == PROVIDER  # ... and its anthropic path anthropic_key first


def test_bedrock_takes_no_module_key(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bedrock is signed with AWS credentials; a module api_key meant for other providers is not a Bedrock key."""
    monkeypatch.setattr(rillm, "api_key", MODULE)
    served = server.reply_file("bedrock/converse-text-nova.bin")
    model = "bedrock/anthropic.claude-sonnet-4-5-20250929-v1:0"
    list(rillm.completion(model, MESSAGES, stream=True, api_base=server.url))
    assert served.request.headers["authorization"].startswith("AWS4-HMAC-SHA256 ")


def test_a_key_of_the_wrong_type_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "api_key", 12345)
    with pytest.raises(rillm.BadRequestError, match=r"rillm\.api_key must be a string"):
        rillm.completion("openai/gpt-4o", MESSAGES, api_base="http://127.0.0.1:9/v1")


def test_the_module_api_base(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/unused")
    monkeypatch.setattr(rillm, "api_base", server.url + "/v1")
    served = server.reply_file("openai/gpt4o-finish-length.sse")
    list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, api_key=ARG))
    assert served.request.path == "/v1/chat/completions"
    monkeypatch.setattr(rillm, "api_base", "http://127.0.0.1:9/unused")
    assert _openai(server, api_key=ARG) == f"Bearer {ARG}"  # the argument wins


def test_the_module_request_timeout(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rillm, "request_timeout", 0.3)
    served = server.reply_file("openai/gpt4o-finish-length.sse", fault=Fault(stall_after=200, stall=10))
    stream = rillm.completion("openai/gpt-4o", MESSAGES, stream=True, api_base=server.url + "/v1", api_key=ARG)
    with pytest.raises(rillm.Timeout, match=r"0\.3 s"):
        list(stream)
    assert server.wait_closed(served)


def test_request_timeout_as_an_argument_and_timeout_over_it(server: ReplayServer) -> None:
    served = server.reply_file("openai/gpt4o-finish-length.sse", fault=Fault(stall_after=200, stall=10))
    stream = rillm.completion(
        "openai/gpt-4o", MESSAGES, stream=True, api_base=server.url + "/v1", api_key=ARG, request_timeout=0.3
    )
    with pytest.raises(rillm.Timeout, match=r"0\.3 s"):
        list(stream)
    assert server.wait_closed(served)
    served = server.reply_file("openai/gpt4o-finish-length.sse", fault=Fault(stall_after=200, stall=10))
    stream = rillm.completion(
        "openai/gpt-4o",
        MESSAGES,
        stream=True,
        api_base=server.url + "/v1",
        api_key=ARG,
        request_timeout=30,
        timeout=0.2,
    )
    with pytest.raises(rillm.Timeout, match=r"0\.2 s"):
        list(stream)


def test_drop_params_argument_module_environment(server: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    kwargs = {"api_base": server.url, "api_key": ARG, "stream": True, "seed": 7}  # Anthropic takes no seed

    def call(**extra: Any) -> None:
        server.reply_file("anthropic/text-basic.sse")
        list(rillm.completion("anthropic/claude-sonnet-4-5", MESSAGES, **{**kwargs, **extra}))

    with pytest.raises(rillm.UnsupportedParamsError):
        call()
    monkeypatch.setenv("LITELLM_DROP_PARAMS", "True")
    call()  # the environment, when the module says nothing
    monkeypatch.setattr(rillm, "drop_params", False)
    with pytest.raises(rillm.UnsupportedParamsError):
        call()  # the module attribute over the environment
    call(drop_params=True)  # the argument over both


def test_set_verbose_turns_the_logger_to_debug_and_back(monkeypatch: pytest.MonkeyPatch) -> None:
    logger = logging.getLogger("rillm")
    monkeypatch.setattr(rillm, "set_verbose", True)
    rillm.completion("gpt-4o", MESSAGES, mock_response="hi")
    assert logger.level == logging.DEBUG
    monkeypatch.setattr(rillm, "set_verbose", False)
    rillm.completion("gpt-4o", MESSAGES, mock_response="hi")
    assert logger.level == logging.NOTSET and _log._added is None


def test_verbose_logs_carry_no_key(server: ReplayServer, monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="rillm")
    monkeypatch.setattr(rillm, "set_verbose", True)
    monkeypatch.setattr(rillm, "api_key", MODULE)
    served = server.reply_file("groq/text-llama.sse")
    list(rillm.completion("groq/llama3-8b-8192", MESSAGES, stream=True, api_base=server.url + "/openai/v1"))
    assert served.request.headers["authorization"] == f"Bearer {MODULE}"
    assert all(MODULE not in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("num_retries", "3", "rillm.num_retries must be a whole number"),
        ("max_streaming_duration", "soon", "rillm.max_streaming_duration must be a positive number"),
        ("request_timeout", -1, "rillm.request_timeout must be a positive number"),
    ],
)
def test_a_bad_module_setting_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: Any, message: str
) -> None:
    monkeypatch.setattr(rillm, name, value)
    with pytest.raises(rillm.BadRequestError, match=message):
        list(rillm.completion("openai/gpt-4o", MESSAGES, stream=True, api_base="http://127.0.0.1:9/v1", api_key=ARG))


def test_a_bad_environment_deadline_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MAX_STREAMING_DURATION_SECONDS", "ten")
    with pytest.raises(rillm.BadRequestError, match="LITELLM_MAX_STREAMING_DURATION_SECONDS must be a positive"):
        rillm.completion("openai/gpt-4o", MESSAGES, stream=True, api_base="http://127.0.0.1:9/v1", api_key=ARG)


# -- what the rillm logger says ------------------------------------------------------------------------------


def test_a_backend_falling_back_to_python_warns() -> None:
    from tests.test_backend import _HIDE_NATIVE, run

    result = run(_HIDE_NATIVE + "import rillm; print(rillm.BACKEND)", "auto")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["python"]
    assert "the Rust extension cannot be imported" in result.stderr and "pure-Python twin" in result.stderr


def test_a_faked_stream_is_one_debug_line(server: ReplayServer, caplog: Any) -> None:
    caplog.set_level(logging.DEBUG, logger="rillm")
    body = (
        b'{"id": "x", "object": "chat.completion", "created": 1, "model": "llama-3.3-70b-versatile", "choices": '
        b'[{"index": 0, "message": {"role": "assistant", "content": "{}"}, "finish_reason": "stop"}]}'
    )
    from tests.server import Reply

    server.reply(Reply(body=body, headers={"content-type": "application/json"}))
    stream = rillm.completion(
        "groq/llama-3.3-70b-versatile",
        MESSAGES,
        stream=True,
        response_format={"type": "json_object"},
        api_base=server.url + "/openai/v1",
        api_key=ARG,
    )
    assert [chunk.choices[0].delta.content for chunk in stream] == ["{}"]
    assert [r.getMessage() for r in caplog.records if "faked" in r.getMessage()] == [
        "groq/llama-3.3-70b-versatile: the stream is faked (one whole response, as LiteLLM does)"
    ]
