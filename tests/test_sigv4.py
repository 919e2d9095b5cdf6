"""AWS Signature Version 4 signing (rillm.providers.sigv4) against AWS's published vectors and botocore's output.

The vectors, and where each was published, are in tests/vectors/sigv4.json. Nothing here touches the
network or imports botocore: its values were computed once and stored with the others.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from rillm.providers import sigv4

DATA = json.loads((Path(__file__).parent / "vectors" / "sigv4.json").read_text(encoding="utf-8"))
ACCESS_KEY: str = DATA["credentials"]["access_key"]
SECRET_KEY: str = DATA["credentials"]["secret_key"]
UTC = datetime.timezone.utc


def vectors(*, signable_only: bool = False) -> list[Any]:
    """Every vector with its group's region, service and date filled in, as a pytest param named for it."""
    params = []
    for group in DATA["groups"]:
        if signable_only and not group["sign"]:
            continue
        shared = {key: group[key] for key in ("region", "service", "amz_date") if key in group}
        params += [pytest.param({**shared, **v}, id=f"{group['name']}/{v['name']}") for v in group["vectors"]]
    return params


def vector(name: str) -> dict[str, Any]:
    (found,) = [p.values[0] for p in vectors() if p.values[0]["name"] == name]
    return dict(found)


def sign(v: dict[str, Any], headers: dict[str, str], **kw: Any) -> dict[str, str]:
    """`sigv4.sign` on a vector's request and scope, at the vector's time unless `now` is given."""
    kw.setdefault("now", datetime.datetime.strptime(v["amz_date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC))
    kw.setdefault("session_token", v.get("session_token"))
    return sigv4.sign(
        v["method"],
        v["url"],
        headers,
        v["body"].encode(),
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        region=v["region"],
        service=v["service"],
        **kw,
    )


@pytest.mark.parametrize("v", vectors())
def test_each_stage_matches_the_vector(v: dict[str, Any]) -> None:
    request = sigv4.canonical_request(v["method"], v["url"], v["headers"], v["body"].encode())
    assert request == v["canonical_request"]
    scope = {"amz_date": v["amz_date"], "region": v["region"], "service": v["service"]}
    assert sigv4.string_to_sign(request, **scope) == v["string_to_sign"]
    assert sigv4.authorization(request, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **scope) == v["authorization"]


@pytest.mark.parametrize("v", vectors(signable_only=True))
def test_sign_returns_the_vectors_headers_and_never_the_secret(v: dict[str, Any]) -> None:
    # The vector's headers already hold an X-Amz-Date (and token): sign() must replace, not repeat, them.
    added = sign(v, v["headers"])
    expected = {"Authorization": v["authorization"], "X-Amz-Date": v["amz_date"]}
    if "session_token" in v:
        expected["X-Amz-Security-Token"] = v["session_token"]
    assert added == expected
    assert not any(SECRET_KEY in value for value in added.values())


def test_bedrock_request_as_the_caller_builds_it() -> None:
    # The caller passes only its own headers (and may pass stale signing headers from a retry).
    v = vector("bedrock-converse-stream-session-token")
    headers = {"Content-Type": "application/json", "Accept": "application/vnd.amazon.eventstream"}
    stale = {"authorization": "AWS4-HMAC-SHA256 stale", "x-amz-date": "20000101T000000Z", "X-Amz-Security-Token": "x"}
    assert (
        sign(v, headers)
        == sign(v, {**headers, **stale})
        == {
            "Authorization": v["authorization"],
            "X-Amz-Date": "20240620T093000Z",
            "X-Amz-Security-Token": v["session_token"],
        }
    )
    assert "SignedHeaders=accept;content-type;host;x-amz-date;x-amz-security-token," in v["authorization"]


def test_a_session_token_is_signed() -> None:
    # The suite's post-sts-header-after leaves the token unsigned; given the token, sign() signs it and
    # lands on post-sts-header-before.
    after, before = vector("post-sts-header-after"), vector("post-sts-header-before")
    assert (
        sign(after, after["headers"], session_token=before["session_token"])["Authorization"]
        == (before["authorization"])
    )
    assert sign(after, after["headers"], session_token="")["Authorization"] == after["authorization"]


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/model/anthropic.claude-v2%3A1/invoke", "/model/anthropic.claude-v2%253A1/invoke"),
        ("/model/anthropic.claude-v2:1/invoke", "/model/anthropic.claude-v2%3A1/invoke"),
        ("/a%2Fb/c", "/a%252Fb/c"),
        ("", "/"),
        ("/a/./b/../../c//d/", "/c/d/"),
        ("/..", "/"),
    ],
)
def test_canonical_uri_normalises_and_encodes_the_sent_path_again(path: str, canonical: str) -> None:
    assert sigv4.canonical_uri(path) == canonical


@pytest.mark.parametrize(
    ("query", "canonical"),
    [
        ("", ""),
        ("b=2&a=x%20y&a=1&c", "a=1&a=x%20y&b=2&c="),
        ("q=a+b&r=a b", "q=a%2Bb&r=a%20b"),
        ("k=%7e%2f&eq=a=b", "eq=a%3Db&k=~%2F"),
    ],
)
def test_canonical_query_string_encodes_once_and_sorts(query: str, canonical: str) -> None:
    assert sigv4.canonical_query_string(query) == canonical


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Bedrock-Runtime.us-east-1.amazonaws.com:443/x", "bedrock-runtime.us-east-1.amazonaws.com"),
        ("http://localhost:8080/x", "localhost:8080"),
        ("http://user@localhost:80/x", "localhost"),
    ],
)
def test_host_is_derived_from_the_url_when_absent(url: str, host: str) -> None:
    request = sigv4.canonical_request("GET", url, {}, b"")
    assert f"\nhost:{host}\n\nhost\n" in request


def test_signing_key_matches_the_published_derivation() -> None:
    v = vector("iam-list-users")
    assert sigv4.signing_key(SECRET_KEY, "20150830", "us-east-1", "iam").hex() == v["signing_key"]


def test_now_is_read_as_utc() -> None:
    v = vector("get-vanilla")
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    assert sign(v, v["headers"], now=datetime.datetime(2015, 8, 30, 14, 36, tzinfo=plus_two)) == sign(v, v["headers"])
    assert sign(v, v["headers"], now=datetime.datetime(2015, 8, 30, 12, 36)) == sign(v, v["headers"])


def test_now_defaults_to_the_current_time() -> None:
    v = vector("get-vanilla")
    before = datetime.datetime.now(UTC).replace(microsecond=0)
    stamp = sign(v, v["headers"], now=None)["X-Amz-Date"]
    signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before <= signed_at <= datetime.datetime.now(UTC)
