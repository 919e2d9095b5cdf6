"""One HTTP/1.1 connection of the httptools transport: an asyncio Protocol whose parser (httptools, llhttp's
C parser) hands the response's head and each piece of its body to the reader as they arrive.

Per socket read: one `data_received` call, the parser's callbacks (one `on_body` per HTTP chunk in the
read: a list's append, no Python frame), and at most one wake-up of the reader, which then takes the pieces
that arrived, joined into one bytes object of up to `TAKE` bytes per step (so the decoder is fed once per
read, or per `TAKE` bytes of a large one). aiohttp's client does a StreamReader's Python work per HTTP chunk
instead (feed_data, a deque, the waiter): with one event per chunk, as providers write them, that was most
of its cost (`rillm bench`, bare read rows).

Reads are bounded by one loop timer per connection rather than one per read (`read_timer.py`): a wait
whose time is up is marked `expired` and woken. A reader that falls behind stops the socket's reads past
`HIGH_WATER` buffered bytes (asyncio's flow control) until it catches up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import httptools

from rillm._http.common import masked_request
from rillm._http.read_timer import ReadTimer

if TYPE_CHECKING:
    from rillm._http import HttpRequest

__all__ = ["HIGH_WATER", "TAKE", "Connection", "Headers", "Message", "ResponseHead"]

HIGH_WATER = 1 << 20  # body bytes held for a reader before the socket's reads pause
# The most body bytes handed over in one step (unless one HTTP chunk is larger): the chunks a step decodes then
# die young, before the garbage collector's first generation fills (700 allocations); a 256 KiB read's
# thousand chunks outlived it and were promoted, and 100 concurrent streams spent a third of their CPU time in
# the collector's older generations (1 MiB, 16, 8 and 4 KiB steps measured, 8 KiB best or close to it).
TAKE = 8192


class Message:
    """One response's parse, shared by the async connection (`Connection`) and the sync one (`h1_sync.py`):
    the parser, its callbacks, and the body's pieces as they arrive. (No slots of its own: a class cannot
    have two bases that both have slots, and the async connection's other is the read timer.)"""

    pieces: list[bytes]
    buffered: int  # bytes fed to the parser since the pieces were last emptied (the HTTP framing's counted too)
    on_body: Callable[[bytes], None]
    parser: httptools.HttpResponseParser
    status: int
    headers: list[tuple[str, str]]
    head_done: bool
    until_eof: bool
    keep_alive: bool
    complete: bool
    received: bool
    error: str | None

    def start(self) -> None:
        """Makes ready for the next response (a new parser: the last one may have stopped mid-message)."""
        self.pieces = []
        self.buffered = 0
        # The parser's body callback is the list's own append, a C function: no Python frame per HTTP chunk
        # (with one event per chunk, as providers write them, a Python callback was a third of the cost).
        self.on_body = self.pieces.append
        self.parser = httptools.HttpResponseParser(self)  # reads its callbacks from `self` once, here
        self.status = 0
        self.headers = []
        self.head_done = False
        self.until_eof = False  # the body ends when the connection closes (no length, not chunked)
        self.keep_alive = False  # the response lets the connection carry the next request
        self.complete = False
        self.received = False  # any byte of the response arrived
        self.error = None

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.keep_alive = self.parser.should_keep_alive()  # (asked later, llhttp has reset it for the next message)
        self.head_done = True
        names = {name.lower(): value for name, value in self.headers}
        self.until_eof = "content-length" not in names and "chunked" not in names.get("transfer-encoding", "").lower()

    def on_message_complete(self) -> None:
        self.complete = True

    def take_piece(self) -> bytes:
        """The body bytes that arrived, as one piece of up to about `TAKE` bytes (the caller checked there is
        one). A larger read is handed over in steps of about `TAKE` bytes, a count of pieces reckoned from their
        mean size (the framing's bytes counted in): no Python work per piece, which is per chunk when each event
        is an HTTP chunk of its own."""
        pieces = self.pieces  # the same list always: its append is the parser's callback
        if len(pieces) == 1 or self.buffered <= TAKE:
            piece = pieces[0] if len(pieces) == 1 else b"".join(pieces)
            pieces.clear()
            self.buffered = 0
            return piece
        count = -(-len(pieces) * TAKE // self.buffered)  # rounded up: the framing's bytes must not halve a step
        piece = b"".join(pieces[:count])
        del pieces[:count]
        self.buffered = max(self.buffered - len(piece), 0) if pieces else 0
        return piece


class Headers(Mapping[str, str]):
    """A response's headers, case-insensitive; a repeated header's values joined with ", "."""

    __slots__ = ("_items", "_map")

    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items
        self._map: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            self._map[key] = f"{self._map[key]}, {value}" if key in self._map else value

    def __getitem__(self, name: str) -> str:
        return self._map[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._map)

    def __len__(self) -> int:
        return len(self._map)

    def items(self) -> Any:  # the headers as received (error_status keeps repeated ones)
        return list(self._items)


MessageT = TypeVar("MessageT", bound=Message)
PoolT = TypeVar("PoolT")


class ResponseHead(Generic[MessageT, PoolT]):
    """What the httptools transport's responses, async and sync, share: the head, kept (once the body is read
    the connection goes back to the pool and carries the next response), and the pool the connection is
    from."""

    __slots__ = ("_conn", "_done", "_headers", "_origin", "_pool", "_request", "header_list", "status_code", "whole")

    def __init__(self, conn: MessageT, origin: tuple[str, str, int], pool: PoolT, request: HttpRequest) -> None:
        self.status_code = conn.status
        self.header_list = conn.headers
        self._conn = conn
        self._origin = origin
        self._pool = pool
        self._request = request
        self._done = False  # the connection went back to the pool, or was closed
        self.whole = False  # the body had been read to its end when the response was closed
        self._headers: Headers | None = None

    @property
    def headers(self) -> Mapping[str, str]:
        if self._headers is None:
            self._headers = Headers(self.header_list)
        return self._headers

    @property
    def is_closed(self) -> bool:
        return self._done

    @property
    def request(self) -> Any:
        return masked_request(self._request)

    def __del__(self) -> None:
        """A response dropped unclosed gives its pool turn back (and closes its connection)."""
        if not getattr(self, "_done", True):
            self.close()

    def close(self) -> None:
        raise NotImplementedError


class Connection(ReadTimer, Message, asyncio.Protocol):
    """The protocol of one connection, reused for each response it carries (`start()` before each)."""

    __slots__ = (
        "buffered",
        "complete",
        "error",
        "expired",
        "head_done",
        "headers",
        "idle_since",
        "keep_alive",
        "lost",
        "on_body",
        "on_lost",
        "parser",
        "paused",
        "pieces",
        "received",
        "status",
        "transport",
        "until_eof",
        "waiter",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.on_lost: Callable[[Connection], None] | None = None  # the pool's, to forget an idle connection
        self.idle_since = 0.0
        self.start()

    def start(self) -> None:
        super().start()
        self.expired = False
        self.paused = False
        self.waiter: asyncio.Future[None] | None = None
        self.ends = None

    # -- the loop's side ----------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # (uvloop's transports are not its subclasses)

    def data_received(self, data: bytes) -> None:
        self.received = True
        self.buffered += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            if self.transport is not None:
                self.transport.abort()
        if self.buffered > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        return False  # close the transport: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if not self.complete and self.error is None:
            if self.until_eof and exc is None:
                self.complete = True
            else:
                detail = f": {exc}" if exc is not None else ""
                self.error = f"ServerDisconnectedError: the server closed the connection{detail}"
        self.cancel_timer()
        self._wake()
        if self.on_lost is not None:
            self.on_lost(self)

    # -- the reader's side --------------------------------------------------------------------------------------

    def take(self) -> bytes:
        """The body bytes that arrived, as one piece of up to `TAKE` bytes (the reader checked there is one)."""
        piece = self.take_piece()
        if self.paused and self.buffered < HIGH_WATER:
            self.paused = False
            if self.transport is not None:
                self.transport.resume_reading()
        return piece

    def wait(self, limit: float | None) -> asyncio.Future[None]:
        """A future woken by the next read (or the end); marked `expired` when `limit` seconds pass first."""
        waiter = self.waiter = self._loop.create_future()
        if limit is not None:
            self.arm(limit)
        else:
            self.ends = None
        return waiter

    def expire(self) -> None:
        self.expired = True
        self._wake()

    def abort(self) -> None:
        """Closes the connection at once (the pool forgets it in `connection_lost`)."""
        self.cancel_timer()
        if self.transport is not None:
            with contextlib.suppress(RuntimeError):  # its loop closed without shutting down: the socket went with it
                self.transport.abort()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            self.ends = None
            if not waiter.done():
                waiter.set_result(None)
