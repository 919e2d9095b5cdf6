"""The pycurl transport (sync only; the `pycurl` extra): libcurl undoes the chunked framing in C and hands
each piece of body to a write callback, so a stream whose events arrive one per socket read costs a third
of urllib3's CPU time per read (the README's benchmark table: the bare read rows).

Each response drives its own libcurl multi handle (pull style: perform, take what the write callback
collected, wait on the socket for the next read), and every handle shares one connection cache (a
CurlShare), so connections are reused across requests and threads as a pool would. libcurl keeps up to
`max_keepalive_connections` idle connections; it opens as many as there are streams.

The deadline hook bounds each wait: before each read it gives the longest the wait may take, and the wait
on the socket is cut there. Proxies come from the environment, as libcurl (and httpx) read them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, NoReturn

import pycurl

from rillm._http import HttpRequest, NextReadTimeout, limits
from rillm._http.common import BodyError, error_status, masked_request, read_limit, transport_error
from rillm._http.tls import Tls
from rillm.exceptions import APIError

__all__ = ["PycurlResponse", "PycurlTransport"]

# libcurl's errors before a response, by code: (the name rillm reports, whether it is a timeout).
_CONNECT = {
    pycurl.E_COULDNT_CONNECT: ("ConnectError", False),
    pycurl.E_COULDNT_RESOLVE_HOST: ("ConnectError", False),
    pycurl.E_OPERATION_TIMEDOUT: ("ConnectTimeout", True),
}


class PycurlTransport:
    """One connection cache shared by every request's handles (libcurl locks it between threads)."""

    name = "pycurl"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._share: Any = None

    def share(self) -> Any:
        with self._lock:
            if self._share is None:
                share = pycurl.CurlShare()
                share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_CONNECT)
                share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_DNS)
                self._share = share
            return self._share

    def send(self, request: HttpRequest) -> PycurlResponse:
        """Sends the request and returns the response with its body unread; raises for an error status."""
        response = PycurlResponse(request, self.share())
        response.start()
        if response.status_code >= 400:
            try:
                body = response.read()
            except BodyError as exc:
                raise transport_error("ReadError", str(exc), request, timeout=False, limit=None) from None
            raise error_status(request, response.status_code, response.headers.items(), body)
        return response

    async def asend(self, request: HttpRequest) -> NoReturn:
        raise TypeError("the pycurl transport is sync only")

    def close(self) -> None:
        with self._lock:
            share, self._share = self._share, None
        if share is not None:
            share.close()


class PycurlResponse:
    """An open response read through its own multi handle."""

    __slots__ = (
        "_active",
        "_easy",
        "_failure",
        "_head",
        "_multi",
        "_pieces",
        "_request",
        "headers",
        "is_closed",
        "status_code",
    )

    def __init__(self, request: HttpRequest, share: Any) -> None:
        import httpx

        self._request = request
        self._pieces: list[bytes] = []
        self._head: list[bytes] = []
        self.status_code = 0
        self.headers: Mapping[str, str] = httpx.Headers()
        self.is_closed = False
        self._active = True
        self._failure: BodyError | None = None  # how the transfer failed, raised once its pieces are read
        easy = self._easy = pycurl.Curl()
        easy.setopt(pycurl.SHARE, share)
        easy.setopt(pycurl.URL, request.url)
        if request.method == "POST":
            easy.setopt(pycurl.POSTFIELDS, request.body)
        elif request.method != "GET":
            easy.setopt(pycurl.CUSTOMREQUEST, request.method)
            easy.setopt(pycurl.POSTFIELDS, request.body)
        # "Expect:" and "Content-Type:" empty: libcurl adds neither (it would wait for a 100 on large bodies).
        headers = [f"{name}: {value}" for name, value in request.headers.items()]
        sent = {name.lower() for name in request.headers}
        headers += [f"{name}:" for name in ("Expect", "Content-Type", "Accept") if name.lower() not in sent]
        easy.setopt(pycurl.HTTPHEADER, headers)
        easy.setopt(pycurl.WRITEFUNCTION, self._pieces.append)
        easy.setopt(pycurl.HEADERFUNCTION, self._head.append)
        easy.setopt(pycurl.NOSIGNAL, 1)
        easy.setopt(pycurl.MAXCONNECTS, limits(request)[1])
        _tls_options(easy, request.tls)
        if request.timeout.connect is not None:
            easy.setopt(pycurl.CONNECTTIMEOUT_MS, max(1, int(request.timeout.connect * 1000)))
        self._multi = pycurl.CurlMulti()
        self._multi.add_handle(easy)

    @property
    def request(self) -> Any:
        return masked_request(self._request)

    def start(self) -> None:
        """Drives the transfer until the status and headers are in (the body is read by `iter_bytes`)."""
        limit = self._request.timeout.read
        try:
            while self._easy.getinfo(pycurl.RESPONSE_CODE) == 0 or not self._head_done():
                if not self._step(limit):
                    break
        except BodyError as exc:
            self.close()
            raise self._before_response(exc) from None
        self.status_code = int(self._easy.getinfo(pycurl.RESPONSE_CODE))
        if self.status_code == 0:
            self.close()
            if self._failure is not None:
                raise self._before_response(self._failure)
            raise transport_error("ConnectError", "no response", self._request, timeout=False, limit=None)
        self._parse_head()

    def _head_done(self) -> bool:
        return bool(self._pieces) or (bool(self._head) and self._head[-1] in (b"\r\n", b"\n"))

    def _parse_head(self) -> None:
        import httpx

        items: list[tuple[str, str]] = []
        for line in self._head:
            text = line.decode("latin-1").rstrip("\r\n")
            if text.startswith("HTTP/"):
                items = []  # a new block (after a 1xx): the last one is the response's
            elif ":" in text:
                name, _, value = text.partition(":")
                items.append((name.strip(), value.strip()))
        self.headers = httpx.Headers(items)

    def _step(self, limit: float | None) -> bool:
        """One read: performs, then waits on the socket (up to `limit` seconds) when nothing came. Returns
        False once the transfer is over (`_failure` says how, when it failed); raises BodyError when the wait
        timed out."""
        multi = self._multi
        status, active = multi.perform()
        while status == pycurl.E_CALL_MULTI_PERFORM:
            status, active = multi.perform()
        if not active:
            self._active = False
            self._failure = self._failed()
            return False
        if self._pieces:
            return True
        end = None if limit is None else time.monotonic() + limit
        while True:
            left = None if end is None else end - time.monotonic()
            if left is not None and left <= 0:
                raise BodyError("ReadTimeout", limit)
            if multi.select(1.0 if left is None else min(left, 1.0)) > 0:
                return True

    def _failed(self) -> BodyError | None:
        _queued, _done, failed = self._multi.info_read()
        if not failed:
            return None
        _handle, code, message = failed[0]
        return BodyError(f"{_code_name(code)}: {message}", self._request.timeout.read if code == 28 else None)

    def _before_response(self, exc: BodyError) -> APIError:
        message = str(exc)
        for code, (kind, timeout) in _CONNECT.items():
            if message.startswith(_code_name(code)):
                limit = self._request.timeout.connect if timeout else None
                return transport_error(kind, message, self._request, timeout=timeout, limit=limit)
        if exc.timeout is not None:
            return transport_error("ReadTimeout", "", self._request, timeout=True, limit=exc.timeout)
        return transport_error("ReadError", message, self._request, timeout=False, limit=None)

    def iter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        read_timeout = self._request.timeout.read
        pieces = self._pieces
        try:
            while True:
                if pieces:
                    # What libcurl handed over since the last read, in one piece (one feed for the decoder).
                    piece = pieces[0] if len(pieces) == 1 else b"".join(pieces)
                    pieces.clear()
                    yield piece
                if not self._active:
                    break
                limit = read_timeout if next_read_timeout is None else read_limit(read_timeout, next_read_timeout())
                if limit is not None and limit <= 0:
                    raise BodyError("ReadTimeout", limit)
                self._step(limit)
            if pieces:
                yield b"".join(pieces)
                pieces.clear()
            if self._failure is not None:
                raise self._failure
        finally:
            self._release()

    def aiter_bytes(self, next_read_timeout: NextReadTimeout | None = None) -> AsyncIterator[bytes]:
        raise TypeError("the pycurl transport is sync only")

    def read(self) -> bytes:
        return b"".join(self.iter_bytes())

    async def aread(self) -> bytes:
        raise TypeError("the pycurl transport is sync only")

    def _release(self) -> None:
        """Ends the transfer: a finished one leaves its connection in the shared cache; an unfinished one is
        closed (libcurl closes a connection whose transfer was cut short)."""
        if self.is_closed:
            return
        self.is_closed = True
        self._multi.remove_handle(self._easy)
        self._easy.close()
        self._multi.close()

    def close(self) -> None:
        self._release()

    async def aclose(self) -> None:
        self._release()


def _tls_options(easy: Any, tls: Tls) -> None:
    """The call's TLS settings (`tls.py`) as libcurl's options; libcurl keeps connections made under other
    ones apart. Left alone, libcurl verifies against the CA bundle of its build."""
    if tls.ca_bundle is not None:
        easy.setopt(pycurl.CAINFO, tls.ca_bundle)
    if not tls.verify:
        easy.setopt(pycurl.SSL_VERIFYPEER, 0)
        easy.setopt(pycurl.SSL_VERIFYHOST, 0)
    if tls.certificate is not None:
        easy.setopt(pycurl.SSLCERT, tls.certificate)
    if tls.security_level is not None:
        easy.setopt(pycurl.SSL_CIPHER_LIST, tls.security_level)


def _code_name(code: int) -> str:
    for name in ("E_COULDNT_CONNECT", "E_COULDNT_RESOLVE_HOST", "E_OPERATION_TIMEDOUT", "E_GOT_NOTHING"):
        if getattr(pycurl, name) == code:
            return {"E_OPERATION_TIMEDOUT": "Timeout"}.get(name, name[2:].title().replace("_", ""))
    return f"curl error {code}"
