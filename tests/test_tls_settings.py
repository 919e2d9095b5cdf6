"""The TLS settings of a call (rillm._http.tls), as LiteLLM reads them: the call's `ssl_verify=`, then the
environment (SSL_VERIFY, SSL_CERT_FILE, SSL_CERTIFICATE, SSL_SECURITY_LEVEL), then the module settings; a
setting that cannot make a context is a typed error that names it; each distinct setting has one context and
its own pools. Over real connections: test_transport_tls.py."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

import rillm
from rillm._http import HttpRequest, pool_key, tls
from rillm.exceptions import BadRequestError

ENV = ("SSL_VERIFY", "SSL_CERT_FILE", "SSL_CERTIFICATE", "SSL_SECURITY_LEVEL")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """No TLS variable from the machine's environment (SSL_CERT_FILE is often set) and the module's defaults."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(rillm, "ssl_verify", True)
    monkeypatch.setattr(rillm, "ssl_certificate", None)
    monkeypatch.setattr(rillm, "ssl_security_level", None)


@pytest.fixture
def bundle(tmp_path: Path) -> str:
    """A CA bundle: the file need only exist to be named; the context loads it (any PEM certificate)."""
    trustme = pytest.importorskip("trustme")
    path = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def test_the_default_verifies_against_the_system_and_certifi() -> None:
    assert tls.from_settings() == tls.DEFAULT == tls.Tls(True, None, None, None)


@pytest.mark.parametrize("value", [False, "false", "False", "0", "no", "off"])
def test_verification_off_from_the_argument(value: object) -> None:
    assert tls.from_settings(value).verify is False  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [True, "true", "1", "yes", "on"])
def test_verification_on_from_the_argument(value: object) -> None:
    assert tls.from_settings(value) == tls.DEFAULT  # type: ignore[arg-type]


def test_the_argument_comes_before_the_environment_and_the_environment_before_the_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rillm, "ssl_verify", False)
    assert tls.from_settings().verify is False  # the module's
    monkeypatch.setenv("SSL_VERIFY", "true")
    assert tls.from_settings().verify is True  # the environment's, before the module's (as LiteLLM)
    assert tls.from_settings(False).verify is False  # the call's, before both


def test_a_path_is_the_bundle_and_ssl_cert_file_is_the_default_one(
    monkeypatch: pytest.MonkeyPatch, bundle: str, tmp_path: Path
) -> None:
    assert tls.from_settings(bundle) == tls.Tls(True, bundle)
    monkeypatch.setenv("SSL_CERT_FILE", bundle)
    assert tls.from_settings() == tls.Tls(True, bundle)
    assert tls.from_settings(False) == tls.Tls(False, None)  # nothing to verify against
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "absent.pem"))
    assert tls.from_settings() == tls.DEFAULT  # a file that is not there is not read, as LiteLLM


def test_a_client_certificate_and_a_security_level_from_the_environment_before_the_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rillm, "ssl_security_level", "DEFAULT@SECLEVEL=1")
    assert tls.from_settings().security_level == "DEFAULT@SECLEVEL=1"
    monkeypatch.setenv("SSL_SECURITY_LEVEL", "DEFAULT@SECLEVEL=2")
    assert tls.from_settings().security_level == "DEFAULT@SECLEVEL=2"
    monkeypatch.setattr(rillm, "ssl_certificate", "/nonexistent/module.pem")
    with pytest.raises(BadRequestError, match="TLS settings make no SSL context"):
        tls.from_settings()  # the certificate is loaded when the call is made: it fails here, typed


@pytest.mark.parametrize(
    ("given", "env", "module", "named"),
    [
        ("/nonexistent/ca.pem", None, True, "ssl_verify"),
        (None, "/nonexistent/ca.pem", True, "SSL_VERIFY"),
        (None, None, "/nonexistent/ca.pem", "rillm.ssl_verify"),
        (None, None, 1, "rillm.ssl_verify"),
    ],
)
def test_a_value_that_is_no_file_and_no_boolean_is_refused_by_name(
    monkeypatch: pytest.MonkeyPatch, given: str | None, env: str | None, module: object, named: str
) -> None:
    """A mistyped bundle path is not read as True (verifying against the wrong authorities)."""
    if env is not None:
        monkeypatch.setenv("SSL_VERIFY", env)
    monkeypatch.setattr(rillm, "ssl_verify", module)
    with pytest.raises(BadRequestError) as caught:
        tls.from_settings(given)
    assert str(caught.value).split(": ", 1)[1].startswith(named + " ")


def test_a_cipher_string_openssl_refuses_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_SECURITY_LEVEL", "NOT-A-CIPHER")
    with pytest.raises(BadRequestError, match="No cipher can be selected"):
        tls.from_settings()


def test_each_setting_has_one_context_and_its_own_pool(bundle: str) -> None:
    off, on = tls.Tls(False), tls.Tls(True, bundle)
    assert tls.context(off) is tls.context(tls.Tls(False))
    assert tls.context(off) is not tls.context(on)
    assert tls.context(off).verify_mode.name == "CERT_NONE" and not tls.context(off).check_hostname
    assert tls.context(on).verify_mode.name == "CERT_REQUIRED" and tls.context(on).check_hostname
    request = HttpRequest("https://example.test/v1", b"{}", {}, httpx.Timeout(5.0), "openai", "m")
    keys = {pool_key(request), pool_key(dataclasses.replace(request, tls=off))}
    assert len(keys) == 2


def test_completion_refuses_a_bad_setting_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """Through completion(): the typed error, raised before any connection is made (the port has no server)."""
    with pytest.raises(BadRequestError, match="ssl_verify names no file"):
        rillm.completion(
            model="openai/gpt-4o",
            messages=[{"role": "user", "content": "hi"}],
            api_base="https://127.0.0.1:9/v1",
            api_key="sk-test",
            stream=True,
            ssl_verify="/nonexistent/ca.pem",
        )
