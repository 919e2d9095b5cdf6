"""AWS Signature Version 4 request signing (header form), for Bedrock's runtime endpoints.

Follows the IAM User Guide, "Create a signed AWS API request" (docs.aws.amazon.com/IAM/latest/UserGuide/
reference_sigv-create-signed-request.html), steps 1-5, and matches botocore's `SigV4Auth`, which is what
Bedrock's own SDK sends. Only the non-S3 rules are implemented: the path is normalised and its segments
are encoded once more, the payload is always hashed, and no `X-Amz-Content-Sha256` header is added (S3's
signer adds one; `SigV4Auth` does not). Presigned URLs and unsigned or chunked payloads are out of scope.

Each stage is a function of its own (`canonical_request`, `string_to_sign`, `signing_key`,
`authorization`) so that tests can check it against AWS's published intermediate values.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import SplitResult, quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"

# The headers `sign` returns: copies the caller passes (say, from a request being retried) are replaced,
# never signed alongside, as botocore's `_modify_request_before_signing` does.
_OWN_HEADERS = frozenset({"authorization", "x-amz-date", "x-amz-security-token"})

# The port a Host header leaves out (RFC 9110 section 7.2), as botocore's `_host_from_url` does.
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def _uri_encode(text: str) -> str:
    """UriEncode() of the IAM guide's function table: every byte but A-Z a-z 0-9 - _ . ~ becomes %XX with
    upper-case hex, so a space is %20 (never +) and a slash is %2F. `quote` with nothing extra marked safe
    is exactly that, for the UTF-8 bytes of `text`."""
    return quote(text, safe="")


def canonical_uri(path: str) -> str:
    """Step 1's CanonicalURI for a non-S3 service: the path as sent, normalised, each segment URI-encoded
    once more.

    Normalising removes `.` and `..` segments (RFC 3986 section 5.2.4) and empty ones (repeated slashes),
    keeping a trailing slash; an empty path is `/` (the test suite's get-slash*, get-relative* cases).
    Encoding the sent segment again is the guide's "double-encoded" rule: `v2%3A1` becomes `v2%253A1`.
    The 2015 test suite's get-space and get-utf8 send raw characters on the request line (`/example space/`),
    which this encodes once, to the suite's `/example%20space/`; botocore does the same with both forms.
    """
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment not in ("", "."):
            segments.append(segment)
    trailing = "/" if path.endswith("/") and segments else ""
    return "/" + "/".join(_uri_encode(segment) for segment in segments) + trailing


def canonical_query_string(query: str) -> str:
    """Step 1's CanonicalQueryString: each name and value URI-encoded, sorted by name then value.

    The query as sent is percent-decoded first, so that an already-encoded value is not encoded twice
    (query strings, unlike paths, are encoded once); `+` is kept as a literal plus, since SigV4 never
    reads it as a space. A name without `=` gets an empty value (`Param1` signs as `Param1=`).
    """
    pairs = []
    for pair in query.split("&") if query else ():
        name, _, value = pair.partition("=")
        pairs.append((_uri_encode(unquote(name)), _uri_encode(unquote(value))))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _canonical_headers(headers: Mapping[str, str]) -> tuple[str, str]:
    """Step 1's CanonicalHeaders and SignedHeaders: lower-case names, sorted; each value trimmed with runs
    of whitespace collapsed to one space; names differing only in case joined with `,` as repeated
    headers are. Every header given is signed."""
    values: dict[str, list[str]] = {}
    for name, value in headers.items():
        values.setdefault(name.lower(), []).append(" ".join(value.split()))
    names = sorted(values)
    return "".join(f"{name}:{','.join(values[name])}\n" for name in names), ";".join(names)


def _host(url: SplitResult) -> str:
    """The Host header an HTTP client sends for `url`: no user info, no default port."""
    host = url.netloc.rpartition("@")[2].lower()
    default_port = _DEFAULT_PORTS.get(url.scheme)
    return host[: -len(default_port)] if default_port and host.endswith(default_port) else host


def canonical_request(method: str, url: str, headers: Mapping[str, str], body: bytes) -> str:
    """Step 1, the canonical request, signing exactly `headers` plus `host` (derived from `url`) if absent.

    The last two lines are SignedHeaders and the hex SHA-256 of `body` (HashedPayload).
    """
    parts = urlsplit(url)
    signed = dict(headers)
    if not any(name.lower() == "host" for name in signed):
        signed["host"] = _host(parts)
    header_block, signed_headers = _canonical_headers(signed)
    return "\n".join(
        [
            method.upper(),
            canonical_uri(parts.path),
            canonical_query_string(parts.query),
            header_block,
            signed_headers,
            hashlib.sha256(body).hexdigest(),
        ]
    )


def _credential_scope(amz_date: str, region: str, service: str) -> str:
    """Step 3's CredentialScope: the date of `amz_date` (YYYYMMDD), region, service, `aws4_request`."""
    return f"{amz_date[:8]}/{region}/{service}/aws4_request"


def string_to_sign(canonical_request: str, *, amz_date: str, region: str, service: str) -> str:
    """Steps 2-3: the algorithm, the request time (`X-Amz-Date`, YYYYMMDD'T'HHMMSS'Z'), the credential
    scope and the hex SHA-256 of the canonical request, one a line."""
    digest = hashlib.sha256(canonical_request.encode()).hexdigest()
    return "\n".join([ALGORITHM, amz_date, _credential_scope(amz_date, region, service), digest])


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    """Step 4's key derivation: HMAC-SHA256 chained from "AWS4" + secret over the date (YYYYMMDD), the
    region, the service and `aws4_request`. The key is scoped to one day, region and service."""
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def authorization(
    canonical_request: str, *, access_key: str, secret_key: str, amz_date: str, region: str, service: str
) -> str:
    """Steps 4-5: the Authorization header value for a canonical request built by `canonical_request`
    (its SignedHeaders line is read back from it, so the two cannot disagree)."""
    to_sign = string_to_sign(canonical_request, amz_date=amz_date, region=region, service=service)
    key = signing_key(secret_key, amz_date[:8], region, service)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    signed_headers = canonical_request.split("\n")[-2]
    scope = _credential_scope(amz_date, region, service)
    return f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"


def sign(
    method: str,
    url: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    session_token: str | None = None,
    region: str,
    service: str,
    now: datetime.datetime | None = None,
) -> dict[str, str]:
    """The headers to add to a request so that AWS accepts it: `Authorization`, `X-Amz-Date`, and
    `X-Amz-Security-Token` when there is a session token.

    `url` is the full URL with its path percent-encoded exactly as it will be sent (a Bedrock model id's
    `:` as `%3A`); `headers` are all the headers that will be sent, and all are signed, with `host` derived
    from `url` when absent. Any `Authorization`, `X-Amz-Date` or `X-Amz-Security-Token` in `headers` is
    ignored: send the returned values instead. The session token is signed, as botocore's `SigV4Auth`
    signs it. `now` defaults to the current time; a naive `now` is taken as UTC.
    No `X-Amz-Content-Sha256` is returned: botocore adds it only for S3, never for Bedrock.
    """
    stamp = now if now is not None else datetime.datetime.now(datetime.timezone.utc)
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(datetime.timezone.utc)
    added = {"X-Amz-Date": stamp.strftime("%Y%m%dT%H%M%SZ")}
    if session_token:
        added["X-Amz-Security-Token"] = session_token
    signed = {name: value for name, value in headers.items() if name.lower() not in _OWN_HEADERS}
    signed.update(added)
    request = canonical_request(method, url, signed, body)
    value = authorization(
        request,
        access_key=access_key,
        secret_key=secret_key,
        amz_date=added["X-Amz-Date"],
        region=region,
        service=service,
    )
    return {"Authorization": value, **added}
