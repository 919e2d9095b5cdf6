"""The end-to-end benchmarks' server: a workload's stream over real HTTP/1.1 on 127.0.0.1, in a process of its
own so that its CPU time is not the client's.

`python -m rillm._bench.serve WORKLOAD N` builds the workload, prints the port it listens on, and answers
every POST (any path: each provider's own path works) with a 200 whose chunked body is the stream, written
in one of two ways, chosen by the path's first segment (a base URL `Server.url(writes)` gives):

  /4k/...     the stream in 4 KiB writes (one HTTP chunk each): a client reading as fast as it can
  otherwise   each event written separately as one HTTP chunk, with TCP_NODELAY, as a provider's server
              flushes each event token by token: a client that keeps up reads one event per socket read

Connections are kept alive (clients that reuse them pay for one connect) and any number are served at once
(one asyncio loop, each connection writing until the kernel's buffer is full, then waiting: the benchmarks
with 1,000 concurrent streams need no thread per connection). It stops when its standard input closes
(the benchmark process exiting, however it exits).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

from rillm._bench.workloads import workload

__all__ = ["WRITES", "Server", "serve"]

# The write patterns, by name: the path prefix that asks for each.
WRITES = {"event": "/event", "4k": "/4k"}
_PIECE = 4096


class Server:
    """The server process for one workload, as a context manager: `url(writes)` is a base URL."""

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0

    def url(self, writes: str = "event") -> str:
        return f"http://127.0.0.1:{self.port}{WRITES[writes]}"

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "rillm._bench.serve", self.name, str(self.n)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            self._process.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.port = int(line)
        return self

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user + system), from /proc; 0.0 where there is none."""
        if self._process is None:
            return 0.0
        try:
            with open(f"/proc/{self._process.pid}/stat", encoding="ascii") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc_info: object) -> None:
        process, self._process = self._process, None
        if process is not None:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()


def _framed(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


class _Connection(asyncio.Protocol):
    """One client connection: reads a request (headers and a Content-Length body), answers it, waits for the
    next. Writes respect the transport's flow control, so a slow reader holds at most one buffer's worth."""

    def __init__(self, head: bytes, bodies: dict[str, list[bytes]]) -> None:
        self.head, self.bodies = head, bodies
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.resumed: asyncio.Future[None] | None = None
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.busy:
            self._next_request()

    def _next_request(self) -> None:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
        length = 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        path = head[0].split(" ")[1] if " " in head[0] else "/"
        pieces = self.bodies["4k"] if path.startswith(WRITES["4k"] + "/") else self.bodies["event"]
        self.busy = True
        asyncio.get_running_loop().create_task(self._answer(pieces))

    async def _answer(self, pieces: list[bytes]) -> None:
        transport = self.transport
        assert transport is not None
        transport.write(self.head)
        for piece in pieces:
            if transport.is_closing():
                return
            transport.write(piece)
            if self.resumed is not None:
                await self.resumed
        transport.write(b"0\r\n\r\n")
        self.busy = False
        self._next_request()

    def pause_writing(self) -> None:
        self.resumed = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        resumed, self.resumed = self.resumed, None
        if resumed is not None and not resumed.done():
            resumed.set_result(None)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.resume_writing()


async def _serve(name: str, n: int) -> None:
    load = workload(name, n)
    stream = load.stream
    # Made once: the loop that writes them does nothing else.
    bodies = {
        "event": [_framed(event) for event in load.events],
        "4k": [_framed(stream[i : i + _PIECE]) for i in range(0, len(stream), _PIECE)],
    }
    head = (f"HTTP/1.1 200 OK\r\ncontent-type: {load.content_type}\r\ntransfer-encoding: chunked\r\n\r\n").encode()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(head, bodies), "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    # Until the parent closes the pipe (or exits).
    await loop.run_in_executor(None, sys.stdin.buffer.read)
    server.close()


def serve(name: str, n: int) -> None:
    """Serves the workload until standard input closes."""
    asyncio.run(_serve(name, n))


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
