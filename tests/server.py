"""A real HTTP/1.1 server on 127.0.0.1 that replays recorded provider streams, with faults, for end-to-end tests.

Tests queue a `Reply` (usually a recording from tests/fixtures/streams) and point a client at `ReplayServer.url`;
the next request gets that reply, and the returned `Served` record tells the test what the server saw.

Design
------
- Plain sockets, one daemon thread per connection plus one accepting thread. The server lives in the test
  process but outside any event loop, so it serves `httpx.Client` and `httpx.AsyncClient` alike (an asyncio
  server would deadlock a sync client calling from the loop's own thread). A hand-written HTTP/1.1 writer
  (not `http.server`) because the faults need byte-exact control of what reaches the wire and when.
- Every blocking wait (reading a request, a stall, the delay between pieces) is a `select` on the client socket
  and on a wake-up socket that `stop()` makes readable for good, so `stop()` interrupts everything at once and a
  client that goes away mid-stall is noticed at once. A send blocked on a client that stopped reading is ended by
  `stop()` shutting the socket down.
- Keep-alive: after a reply that completed normally the connection waits for the next request (so `connections`
  shows whether a client reuses its connections). After a fault that breaks the message it is closed.
- Each body piece is one `sendall` (one chunk in chunked encoding) with TCP_NODELAY, so pieces reach the client as
  separate segments, without Nagle's delay.

What each fault does on the wire (offsets count body bytes, i.e. `Reply.body` bytes, not chunk framing; an offset
past the end of the body fires at its end, before the terminating 0-chunk; a fault offset inside a piece splits it)
-------------------------------------------------------------------------------------------------------------
- `stall_before`: nothing is sent for that long after the request was read, not even the status line.
- `stall_after` + `stall`: after N body bytes, nothing is sent for `stall` seconds; then the rest follows, unless the
  client closed the connection meanwhile (then the reply ends there).
- `reset_after`: after N body bytes (once the kernel has handed them to the client), SO_LINGER on with timeout 0
  and close, so the kernel sends a TCP RST instead of a FIN: the client's next read fails with ECONNRESET.
- `truncate_after`: after N body bytes, a clean close (FIN) in the middle of the HTTP message: chunked replies lack
  the terminating 0-chunk, Content-Length replies are shorter than declared.

`Served.client_closed` means: the client abandoned the connection before it had consumed the whole reply. The
server sees that as (a) a write failing with EPIPE/ECONNRESET, (b) the socket turning readable at EOF or with a
reset during `stall_before`, a stall or the delay between pieces (which also ends the wait at once), or (c) a reset
within `SETTLE` seconds after the last byte of a complete reply was written: Linux answers with an RST when a client
closes a socket that still holds unread reply bytes, or when bytes arrive after it closed. A clean FIN after a
complete reply (a client that read everything and then closed its keep-alive connection) is not client_closed, and
neither is anything after a fault that made the server itself close the connection. "Consumed" is as TCP sees it:
bytes that the client library already pulled into its own buffers count as read, so closing early after httpx has
slurped a small reply whole is not seen. To test an early close, keep the server sending while the client leaves
(`stall_after`, or `piece_size` with a `delay`). Because of (c), `Served.finished` is set up to `SETTLE` seconds
after a complete reply (at once if the client sends its next request or closes).
"""

from __future__ import annotations

import contextlib
import http
import json
import os
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

FIXTURES = Path(os.environ.get("RILLM_FIXTURES", Path(__file__).resolve().parent / "fixtures" / "streams"))
CONTENT_TYPES = {
    ".sse": "text/event-stream",
    ".ndjson": "application/x-ndjson",
    ".json": "application/json",
    ".bin": "application/vnd.amazon.eventstream",
}
# How long after a complete reply the server keeps watching for a reset (see the module docstring, case (c)).
SETTLE = 0.1
# How long a reset waits at most for the kernel to hand the bytes already written to the client.
DRAIN = 1.0
MAX_HEAD = 64 * 1024
_GONE_ERRORS = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


@dataclass
class Fault:
    """What goes wrong while a reply is served; all optional, combinable (stall_after with a reset or truncation)."""

    stall_before: float = 0.0  # seconds to wait before sending the status line
    stall_after: int | None = None  # after this many body bytes, wait `stall` s, then go on unless the client left
    stall: float = 0.0
    reset_after: int | None = None  # after this many body bytes, abort the connection with a TCP RST
    truncate_after: int | None = None  # after this many body bytes, close cleanly (FIN) mid-message


@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)  # e.g. content-type; may override framing headers
    piece_size: int | None = None  # send the body in pieces of this many bytes, each its own chunk, flushed
    delay: float = 0.0  # seconds between pieces
    chunked: bool | None = None  # Transfer-Encoding: chunked, or Content-Length; None: chunked only for a 2xx
    fault: Fault = field(default_factory=Fault)


@dataclass
class Request:
    """What the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names; repeated headers joined with ", "
    body: bytes
    version: str = "HTTP/1.1"

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Served:
    """The outcome of one reply, filled in by the server thread (see the module docstring for `client_closed`)."""

    reply: Reply
    path: str | None = None  # the path this reply was queued for, None for any
    bytes_sent: int = 0  # body bytes written (payload bytes, without chunk framing)
    client_closed: bool = False
    finished: threading.Event = field(default_factory=threading.Event)  # set when the handler is done with the reply
    received: threading.Event = field(default_factory=threading.Event)  # set when the request arrived
    _request: Request | None = field(default=None, repr=False)

    @property
    def request(self) -> Request:
        """The request this reply answered; an error if none arrived yet (so a test mistake is loud)."""
        if self._request is None:
            raise AssertionError(f"no request has been served this reply yet (queued for {self.path or 'any path'})")
        return self._request


def _readable(socks: list[socket.socket], timeout: float | None = None) -> list[socket.socket]:
    """The sockets of `socks` that are readable (or closed) within `timeout` seconds (None: no limit). poll(),
    not select(): a test with a thousand open connections has descriptors past select()'s limit of 1024."""
    if not hasattr(select, "poll"):
        return select.select(socks, [], [], timeout)[0]
    poller = select.poll()
    by_fd = {}
    for sock in socks:
        by_fd[sock.fileno()] = sock
        poller.register(sock, select.POLLIN | select.POLLPRI)
    events = poller.poll(None if timeout is None else max(0.0, timeout) * 1000)
    return [by_fd[fd] for fd, _ in events if fd in by_fd]


class _Stopping(Exception):
    """The server is stopping."""


class _PeerGone(Exception):
    """The client closed or reset the connection."""


class _BadRequest(Exception):
    pass


class _Conn:
    """A client connection: a buffered reader whose every wait can be cut short by the server's wake-up socket."""

    def __init__(self, sock: socket.socket, wake: socket.socket) -> None:
        self.sock = sock
        self.wake = wake
        self.buffer = b""
        self.closed = False

    # -- reading ---------------------------------------------------------------------------------------------------

    def _fill(self) -> None:
        readable = _readable([self.sock, self.wake])
        if self.wake in readable:
            raise _Stopping
        try:
            data = self.sock.recv(65536)
        except _GONE_ERRORS as exc:
            raise _PeerGone from exc
        if not data:
            raise _PeerGone
        self.buffer += data

    def read_until(self, marker: bytes, limit: int = MAX_HEAD) -> bytes:
        while (end := self.buffer.find(marker)) < 0:
            if len(self.buffer) > limit:
                raise _BadRequest("request head too large")
            self._fill()
        data, self.buffer = self.buffer[:end], self.buffer[end + len(marker) :]
        return data

    def read_exact(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._fill()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def read_chunked(self) -> bytes:
        body = b""
        while True:
            size_line = self.read_until(b"\r\n").split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as exc:
                raise _BadRequest(f"bad chunk size {size_line!r}") from exc
            if size == 0:
                while self.read_until(b"\r\n"):  # trailer fields, up to the empty line
                    pass
                return body
            body += self.read_exact(size)
            if self.read_exact(2) != b"\r\n":
                raise _BadRequest("chunk not followed by CRLF")

    # -- waiting ---------------------------------------------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        """Sleep, but raise _PeerGone as soon as the client closes and _Stopping as soon as the server stops."""
        deadline = time.monotonic() + seconds
        watched = [self.sock, self.wake]
        while (remaining := deadline - time.monotonic()) > 0:
            readable = _readable(watched, remaining)
            if self.wake in readable:
                raise _Stopping
            if self.sock in readable and self.peer_gone() is not False:
                raise _PeerGone
            if self.sock in readable:
                watched = [self.wake]  # the client sent more (pipelining): no longer a signal, stop polling it

    def peer_gone(self) -> bool | None:
        """On a readable socket: True at EOF, None on a reset, False if the client sent data."""
        try:
            return self.sock.recv(1, socket.MSG_PEEK) == b""
        except _GONE_ERRORS:
            return None
        except BlockingIOError:
            return False

    def settle(self, seconds: float) -> bool:
        """After a complete reply: whether the client reset the connection within `seconds` (reply not consumed)."""
        readable = _readable([self.sock, self.wake], seconds)
        return self.sock in readable and self.peer_gone() is None

    # -- writing and ending ----------------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        # SO_LINGER with timeout 0 makes close() send an RST and drop whatever is still queued, so first let the
        # kernel hand the bytes already written to the client (the client reads them, then gets ECONNRESET).
        self._drain(DRAIN)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close()

    def truncate(self) -> None:
        # shutdown() queues the FIN behind the data already written; close() alone would too, unless unread
        # request bytes were left, in which case Linux sends an RST instead.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        self.close()

    def close(self) -> None:
        self.closed = True
        self.sock.close()

    def _drain(self, timeout: float) -> None:
        """Wait until the socket's send queue is empty (Linux SIOCOUTQ); elsewhere, do not wait."""
        try:
            import fcntl
            import termios

            request = termios.TIOCOUTQ
        except (ImportError, AttributeError):
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            queued = struct.unpack("i", fcntl.ioctl(self.sock.fileno(), request, b"\0\0\0\0"))[0]
            if queued == 0:
                return
            time.sleep(0.002)


class ReplayServer:
    """See the module docstring. Use as a context manager, or `start()` and `stop()`."""

    def __init__(self, fixtures: Path | str | None = None) -> None:
        self.fixtures = Path(fixtures) if fixtures is not None else FIXTURES
        self.url = ""
        self.requests: list[Request] = []
        self.connections = 0
        # The reply for a request when none is queued (None: a 500 saying so), for tests sending many.
        self.fallback: Reply | None = None
        self._lock = threading.Lock()
        self._queue: list[Served] = []
        self._open: set[socket.socket] = set()
        self._threads: set[threading.Thread] = set()
        self._listener: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = False

    # -- life cycle ------------------------------------------------------------------------------------------------

    def start(self) -> ReplayServer:
        # A backlog for a thousand clients connecting at once (the hygiene and concurrency tests): with Python's
        # default of 128 the kernel refuses the overflow while the accept thread waits for the GIL, and the
        # clients see connections reset.
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=2048)
        self._wake_r, self._wake_w = socket.socketpair()
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._accepting = threading.Thread(target=self._accept_loop, name="replay-accept", daemon=True)
        self._accepting.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Close the listening socket and every connection, ending any stall at once; join the threads."""
        if self._wake_w is None:
            return
        with self._lock:  # under the lock, so no connection is accepted after the shutdowns below
            self._stopping = True
            self._wake_w.send(b"x")  # never read, so every select() on the wake-up socket returns from now on
            for sock in self._open:  # ends a sendall() blocked on a client that stopped reading
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        assert self._accepting is not None and self._listener is not None
        self._accepting.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if not any(thread.is_alive() for thread in threads):  # a thread still running may yet select() on it
            assert self._wake_r is not None
            self._wake_r.close()
            self._wake_w.close()
            self._wake_w = None

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- queuing replies -------------------------------------------------------------------------------------------

    def reply(self, reply: Reply, *, path: str | None = None) -> Served:
        """Queue `reply` for the next request (for the next one whose path, without query, is `path`)."""
        served = Served(reply=reply, path=path)
        with self._lock:
            self._queue.append(served)
        return served

    def reply_file(self, name: str, **kwargs: Any) -> Served:
        """Queue a recording from the fixtures folder, e.g. "anthropic/text-basic.sse", with its content type."""
        path = kwargs.pop("path", None)
        source = self.fixtures / name
        headers = {"content-type": CONTENT_TYPES.get(source.suffix, "application/octet-stream")}
        headers.update(kwargs.pop("headers", {}))
        return self.reply(Reply(body=source.read_bytes(), headers=headers, **kwargs), path=path)

    @property
    def open_connections(self) -> int:
        """How many client connections the server holds open now."""
        with self._lock:
            return len(self._open)

    @property
    def pending(self) -> int:
        """How many queued replies no request has taken yet."""
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        """Drop the queued replies and the recorded requests (between tests sharing one server)."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.fallback = None

    def wait_closed(self, served: Served, timeout: float = 5.0) -> bool:
        """Wait until the server is done with `served`, then return its `client_closed`."""
        served.finished.wait(timeout)
        return served.client_closed

    # -- serving ---------------------------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None and self._wake_r is not None
        while True:
            readable = _readable([self._listener, self._wake_r])
            if self._wake_r in readable:
                return
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            thread = threading.Thread(target=self._serve_connection, args=(sock,), name="replay-conn", daemon=True)
            with self._lock:
                if self._stopping:
                    sock.close()
                    return
                self.connections += 1
                self._open.add(sock)
                self._threads.add(thread)
            thread.start()

    def _serve_connection(self, sock: socket.socket) -> None:
        assert self._wake_r is not None
        conn = _Conn(sock, self._wake_r)
        try:
            while self._serve_one(conn):
                pass
        finally:
            with self._lock:
                self._open.discard(sock)
                self._threads.discard(threading.current_thread())
            if not conn.closed:
                conn.close()

    def _serve_one(self, conn: _Conn) -> bool:
        """Read one request and answer it; whether the connection stays open for another."""
        try:
            request = _read_request(conn)
        except (_Stopping, _PeerGone, OSError):
            return False
        except _BadRequest as exc:
            with contextlib.suppress(OSError):
                conn.send(_simple_head(400, len(str(exc))) + str(exc).encode())
            return False
        served = self._take(request)
        closing = request.headers.get("connection", "").lower() == "close" or request.version == "HTTP/1.0"
        return self._respond(conn, served, closing=closing) and not closing

    def _take(self, request: Request) -> Served:
        with self._lock:
            self.requests.append(request)
            for index, served in enumerate(self._queue):
                if served.path is None or served.path == request.path:
                    del self._queue[index]
                    break
            else:
                if self.fallback is not None:
                    served = Served(reply=self.fallback)
                    served._request = request
                    served.received.set()
                    return served
                message = f"no reply queued for {request.method} {request.path}"
                body = json.dumps({"error": {"message": message}}).encode()
                served = Served(reply=Reply(body=body, status=500, headers={"content-type": "application/json"}))
        served._request = request
        served.received.set()
        return served

    def _respond(self, conn: _Conn, served: Served, *, closing: bool) -> bool:
        """Send `served.reply`; whether the message completed (so the connection may be kept)."""
        reply = served.reply
        try:
            if reply.fault.stall_before:
                conn.wait(reply.fault.stall_before)
            conn.send(_head(reply, closing=closing))
            if not _send_body(conn, served):
                return False
            if closing:  # the client waits for our FIN; send it now rather than after the settling time
                conn.sock.shutdown(socket.SHUT_WR)
            if conn.settle(SETTLE):
                served.client_closed = True
                return False
            return True
        except (_PeerGone, *_GONE_ERRORS):
            served.client_closed = not self._stopping  # stop() shutting the socket down is no client's doing
            return False
        except (_Stopping, OSError):
            return False
        finally:
            served.finished.set()


def _read_request(conn: _Conn) -> Request:
    head = conn.read_until(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, version = lines[0].split(" ")
    except ValueError as exc:
        raise _BadRequest(f"bad request line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {line!r}")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = conn.read_chunked()
    else:
        length = headers.get("content-length", "0")
        if not length.isdigit():
            raise _BadRequest(f"bad Content-Length {length!r}")
        body = conn.read_exact(int(length))
    url = urlsplit(target)
    query = parse_qs(url.query, keep_blank_values=True)
    return Request(method=method, path=url.path, query=query, headers=headers, body=body, version=version)


def _is_chunked(reply: Reply) -> bool:
    return reply.chunked if reply.chunked is not None else 200 <= reply.status < 300


def _status_line(status: int) -> bytes:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    return f"HTTP/1.1 {status} {phrase}\r\n".encode()


def _head(reply: Reply, *, closing: bool) -> bytes:
    headers = dict(reply.headers)
    names = {name.lower() for name in headers}
    if closing and "connection" not in names:
        headers["Connection"] = "close"
    if "transfer-encoding" not in names and "content-length" not in names:
        if _is_chunked(reply):
            headers["Transfer-Encoding"] = "chunked"
        else:
            headers["Content-Length"] = str(len(reply.body))
    lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return _status_line(reply.status) + lines.encode("latin-1") + b"\r\n"


def _simple_head(status: int, length: int) -> bytes:
    return _status_line(status) + f"Content-Length: {length}\r\nConnection: close\r\n\r\n".encode()


def _segments(reply: Reply) -> Iterator[tuple[int, int]]:
    """The (start, end) of each write: pieces of `piece_size`, split again at every fault offset."""
    size = len(reply.body)
    fault = reply.fault
    cuts = {min(offset, size) for offset in (fault.stall_after, fault.reset_after, fault.truncate_after) if offset}
    step = reply.piece_size or size or 1
    cuts.update(range(step, size, step))
    start = 0
    for end in [*sorted(cut for cut in cuts if 0 < cut < size), size]:
        if end > start:
            yield start, end
        start = end


def _send_body(conn: _Conn, served: Served) -> bool:
    """Send the body with its faults; whether the HTTP message completed."""
    reply = served.reply
    fault = reply.fault
    size = len(reply.body)
    chunked = _is_chunked(reply)
    step = reply.piece_size or size or 1
    stalled = False
    for start, end in [*_segments(reply), (size, size)]:  # the last pass fires the faults at the end of the body
        if fault.stall_after is not None and not stalled and start >= min(fault.stall_after, size):
            stalled = True
            conn.wait(fault.stall)
        if fault.reset_after is not None and start >= min(fault.reset_after, size):
            conn.reset()
            return False
        if fault.truncate_after is not None and start >= min(fault.truncate_after, size):
            conn.truncate()
            return False
        if start == end:
            break
        if reply.delay and start > 0 and start % step == 0:  # a new piece, not a fault's split of one
            conn.wait(reply.delay)
        data = reply.body[start:end]
        conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
        served.bytes_sent = end
    if chunked:
        conn.send(b"0\r\n\r\n")
    return True
