"""The end-to-end benchmarks' server: a workload's stream over real HTTP on 127.0.0.1, in a process of its own
so that its CPU time is not the client's.

`python -m rillm._bench.serve WORKLOAD N` builds the workload, prints the port it listens on, and answers
every POST (any path: each provider's own path works) with a 200 whose body is the stream, each event
written separately as one HTTP/1.1 chunk with TCP_NODELAY, as a provider's server flushes each event. The
connection is kept alive, so clients that reuse connections (all of them do) pay for one connect. It
stops when its standard input closes (the benchmark process exiting, however it exits).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rillm._bench.workloads import workload

__all__ = ["Server", "serve"]


class Server:
    """The server process for one workload, as a context manager: `url` is its base URL."""

    def __init__(self, name: str, n: int) -> None:
        self.name, self.n = name, n
        self._process: subprocess.Popen[bytes] | None = None
        self.url = ""

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "rillm._bench.serve", self.name, str(self.n)]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self._process.stdout is not None
        line = self._process.stdout.readline().decode().strip()
        if not line.isdigit():
            self._process.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{line}"
        return self

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


def _handler(chunks: list[bytes], content_type: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            self.send_response(200)
            self.send_header("content-type", content_type)
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            send = self.connection.sendall
            for chunk in chunks:
                send(chunk)
            send(b"0\r\n\r\n")

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: one line per request would be written to the benchmark's terminal."""

    return Handler


def serve(name: str, n: int) -> None:
    """Serves the workload until standard input closes."""
    load = workload(name, n)
    # Each event framed as one HTTP/1.1 chunk, made once: the loop that writes them does nothing else.
    chunks = [f"{len(event):x}\r\n".encode() + event + b"\r\n" for event in load.events]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(chunks, load.content_type))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.buffer.read()  # until the parent closes the pipe (or exits)
    server.shutdown()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]))
