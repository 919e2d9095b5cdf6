"""Credentials: which key a call uses and the headers that carry it, per the row's auth style.

Styles (the table's `auth` field): `bearer` (Authorization: Bearer), `x-api-key` (Anthropic), `api-key`
(Azure), `x-goog-api-key` (Gemini; never in the URL), `sigv4` (Bedrock: AWS Signature Version 4 from
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, or a Bedrock API key as a bearer token).
Keys go into headers only; errors name the environment variables to set, never a value.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from rillm.exceptions import AuthenticationError
from rillm.providers import Provider, env_value
from rillm.providers.sigv4 import sign

__all__ = ["aws_region", "key_headers", "sign_aws"]

_HEADER = {
    "bearer": "Authorization",
    "x-api-key": "x-api-key",
    "api-key": "api-key",
    "x-goog-api-key": "x-goog-api-key",
}
_REGION_ENV = ("AWS_REGION_NAME", "AWS_REGION", "AWS_DEFAULT_REGION")


def key_headers(row: Provider, api_key: str | None, model: str, token: str | None = None) -> dict[str, str]:
    """The header carrying the key: the explicit `api_key`, else the row's env vars in order; without a key,
    a bearer token (`azure_ad_token`, or the row's token env vars). A provider that needs no key (Ollama,
    local servers) gets none when none is set. For SigV4 rows a key is a Bedrock API key (bearer); without
    one the request is signed later by `sign_aws`."""
    key = api_key or env_value(row.api_key_env)
    token = token or env_value(row.token_env)
    if key is None and token is not None:
        return {"Authorization": f"Bearer {token}"}
    if key is None:
        if row.key_required and row.auth != "sigv4":
            names = ", ".join(row.api_key_env + row.token_env) or "api_key"
            raise AuthenticationError(
                f"no API key for {row.name}: pass api_key= or set {names}", llm_provider=row.name, model=model
            )
        return {}
    if row.auth in ("bearer", "sigv4"):
        return {"Authorization": f"Bearer {key}"}
    return {_HEADER[row.auth]: key}


def aws_region(region: str | None) -> str:
    """The region: the `aws_region_name` argument, else AWS_REGION_NAME / AWS_REGION / AWS_DEFAULT_REGION,
    else us-east-1."""
    return region or env_value(_REGION_ENV) or "us-east-1"


def sign_aws(
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    region: str,
    access_key: str | None,
    secret_key: str | None,
    session_token: str | None,
    model: str,
) -> dict[str, str]:
    """The SigV4 headers for a Bedrock runtime request, from the arguments or the standard AWS variables."""
    access_key = access_key or os.environ.get("AWS_ACCESS_KEY_ID")
    secret_key = secret_key or os.environ.get("AWS_SECRET_ACCESS_KEY")
    session_token = session_token or os.environ.get("AWS_SESSION_TOKEN") or None
    if not access_key or not secret_key:
        raise AuthenticationError(
            "no AWS credentials for bedrock: pass aws_access_key_id= and aws_secret_access_key= (or api_key= with "
            "a Bedrock API key), or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_BEARER_TOKEN_BEDROCK)",
            llm_provider="bedrock",
            model=model,
        )
    return sign(
        "POST",
        url,
        headers,
        body,
        access_key=access_key,
        secret_key=secret_key,
        session_token=session_token,
        region=region,
        service="bedrock",
    )
