"""The HTTP request of one call, built from its provider row: the URL, the headers that carry the
credentials, the body in the provider's dialect (`translate`), and for SigV4 rows the AWS signature over
all of them. Nothing here sends anything; `completion()` hands the `HttpRequest` to the transport.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx

from rillm._http import HttpRequest
from rillm.exceptions import BadRequestError
from rillm.providers import Provider, env_value, translate
from rillm.providers.auth import aws_region, key_headers, sign_aws

__all__ = ["build_request", "endpoint"]


def build_request(
    row: Provider,
    model: str,
    messages: list[dict[str, Any]],
    params: dict[str, Any],
    *,
    stream: bool,
    secrets: Mapping[str, str | None],
    timeout: httpx.Timeout,
    api_base: str | None = None,
    api_version: str | None = None,
    aws_region_name: str | None = None,
    extra_headers: Mapping[str, str] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> HttpRequest:
    """The request for `model` (the provider's own name) on `row`. `params` are the OpenAI-named parameters
    the row supports; `extra_body` is merged over the translated body and `extra_headers` over the
    credential headers, as given. `stream` asks for a streamed response (False for a faked stream).
    `secrets` holds the credential arguments by name (api_key, azure_ad_token, aws_*); the row's
    environment variables stand in for the missing ones."""
    body = translate.build_body(row.dialect, model, messages, params, stream=stream)
    body.update(extra_body or {})
    data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    region = aws_region(aws_region_name) if row.auth == "sigv4" else None
    url = endpoint(row, model, stream=stream, api_base=api_base, api_version=api_version, region=region)
    headers = {
        "Content-Type": "application/json",
        **row.headers,
        **key_headers(row, secrets.get("api_key"), model, secrets.get("azure_ad_token")),
    }
    headers.update(extra_headers or {})
    # SigV4 rows are signed, unless a Bedrock API key (or the caller's own Authorization header) stands in.
    if region is not None and "Authorization" not in headers:
        signed = sign_aws(
            url,
            headers,
            data,
            region=region,
            access_key=secrets.get("aws_access_key_id"),
            secret_key=secrets.get("aws_secret_access_key"),
            session_token=secrets.get("aws_session_token"),
            model=model,
        )
        headers.update(signed)
    known = tuple(value for value in secrets.values() if value)
    return HttpRequest(url, data, headers, timeout, row.name, model, secrets=known)


def endpoint(
    row: Provider,
    model: str,
    *,
    stream: bool,
    api_base: str | None = None,
    api_version: str | None = None,
    region: str | None = None,
) -> str:
    """The URL to POST to: `api_base` (argument, then the row's env vars, then its default) plus the row's
    path, unless the base already ends with that path (a full URL given as api_base is used as it is)."""
    base = api_base or env_value(row.api_base_env) or row.api_base
    if not base:
        names = " or ".join(row.api_base_env) or "api_base"
        raise BadRequestError(
            f"{row.name} has no default URL: pass api_base= or set {names}", model=model, llm_provider=row.name
        )
    base = base.rstrip("/").replace("{region}", region or "us-east-1")
    path = row.stream_path if stream and row.stream_path else row.path
    path = path.replace("{model}", quote(model, safe=""))
    url = base if base.endswith(path.split("?")[0]) else base + path
    version = api_version or env_value(row.api_version_env) or row.api_version
    if version:
        url += ("&" if "?" in url else "?") + "api-version=" + quote(version, safe="")
    return url
