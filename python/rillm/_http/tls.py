"""A call's TLS settings, read as LiteLLM reads them (its "SSL, HTTP Proxy Security Settings"), and the SSL
context each distinct setting makes, shared by every transport.

- Verification: the call's `ssl_verify=`, else the SSL_VERIFY environment variable, else `rillm.ssl_verify`
  (the environment before the module attribute, as LiteLLM documents for these settings). True, the default,
  verifies against the system's certificates and certifi's; False does not verify; the path of a file is the
  CA bundle to verify against instead. A string names a file or a boolean ("false", "0", "no", "off" and
  their opposites); any other string is refused, so a mistyped bundle path is not read as True.
- With verification on and no bundle named, an existing file named by SSL_CERT_FILE is the bundle.
- SSL_CERTIFICATE, else `rillm.ssl_certificate`: a client certificate (a PEM file with its key) to present.
- SSL_SECURITY_LEVEL, else `rillm.ssl_security_level`: OpenSSL's cipher string for the connection
  ("DEFAULT@SECLEVEL=1" lets a server with an old, short key in).

Each transport keys its pools by the call's `Tls`, so a changed setting takes effect on the next call (on
connections made for it) and never on a connection made under another.
"""

from __future__ import annotations

import contextlib
import functools
import os
import ssl
from dataclasses import dataclass

from rillm import _settings
from rillm.exceptions import BadRequestError

__all__ = ["DEFAULT", "Tls", "context", "from_settings"]

_FALSE = frozenset({"false", "0", "no", "off"})
_TRUE = frozenset({"true", "1", "yes", "on"})


@dataclass(frozen=True)
class Tls:
    """What a connection's TLS is made with: whether the server's certificate is verified, against which CA
    bundle (None: the system's certificates and certifi's), the client certificate, and the cipher string."""

    verify: bool = True
    ca_bundle: str | None = None
    certificate: str | None = None
    security_level: str | None = None


DEFAULT = Tls()


def _verify(value: object, where: str) -> bool | str:
    """`ssl_verify` (read from `where`) as True, False or the path of a CA bundle."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise BadRequestError(f"{where} must be a bool or a CA bundle's path, not {type(value).__name__}", None, None)
    if os.path.isfile(value):
        return value
    word = value.strip().lower()
    if word in _FALSE or word in _TRUE:
        return word in _TRUE
    raise BadRequestError(f"{where} names no file: {value!r} (a CA bundle's path, or true / false)", None, None)


def from_settings(given: bool | str | None = None) -> Tls:
    """The call's TLS: its `ssl_verify=` (None: not given), then the environment, then the module settings."""
    if given is not None:
        verify = _verify(given, "ssl_verify")
    elif os.environ.get("SSL_VERIFY"):
        verify = _verify(os.environ["SSL_VERIFY"], "SSL_VERIFY")
    else:
        verify = _verify(_settings.get("ssl_verify", True), "rillm.ssl_verify")
    bundle = verify if isinstance(verify, str) else None
    cert_file = os.environ.get("SSL_CERT_FILE")
    if verify is True and cert_file and os.path.isfile(cert_file):
        bundle = cert_file
    certificate = os.environ.get("SSL_CERTIFICATE") or _settings.get("ssl_certificate")
    level = os.environ.get("SSL_SECURITY_LEVEL") or _settings.get("ssl_security_level")
    tls = Tls(verify is not False, bundle, certificate or None, level or None)
    context(tls)  # a setting that cannot make a context fails the call here, before anything is sent
    return tls


@functools.lru_cache(maxsize=32)
def context(tls: Tls = DEFAULT) -> ssl.SSLContext:
    """The SSL context of `tls`, made once per distinct setting (loading a CA bundle takes tens of
    milliseconds; a context is safe to share between connections and threads)."""
    try:
        made = ssl.create_default_context(cafile=tls.ca_bundle)
        if tls.ca_bundle is None:
            with contextlib.suppress(ImportError, OSError):
                import certifi

                made.load_verify_locations(certifi.where())
        if not tls.verify:
            made.check_hostname = False
            made.verify_mode = ssl.CERT_NONE
        if tls.certificate is not None:
            made.load_cert_chain(tls.certificate)
        if tls.security_level is not None:
            made.set_ciphers(tls.security_level)
    except (OSError, ssl.SSLError, ValueError) as exc:
        raise BadRequestError(f"the TLS settings make no SSL context: {exc}", None, None) from None
    return made
