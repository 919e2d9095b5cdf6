"""`rillm chat --mock`: a bundled real recording, served by a local HTTP server on 127.0.0.1 in this process,
to `completion(stream=True)` with `api_base=` pointing at it. So the real request building, transport,
decoder, stream wrapper and builder all run; only the provider is a recording.

The server answers any POST with the recording of the model's dialect (`recordings/`, one per dialect; see
the MANIFEST.md there), each event written on its own after a short pause, as a provider streams them.
"""

from __future__ import annotations

import os
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any

__all__ = ["MOCK_CREDENTIALS", "RECORDINGS", "MockServer", "Recording", "recording", "split_events"]

# Request dialect (the provider table's) -> the bundled file.
RECORDINGS = {
    "openai": "openai.sse",
    "anthropic": "anthropic.sse",
    "gemini": "gemini.sse",
    "cohere": "cohere.sse",
    "bedrock": "bedrock.bin",
    "bedrock_invoke": "bedrock_invoke.bin",
    "ollama": "ollama.ndjson",
}
CONTENT_TYPES = {
    ".sse": "text/event-stream",
    ".ndjson": "application/x-ndjson",
    ".bin": "application/vnd.amazon.eventstream",
}
# What the mock call authenticates with: the local server checks nothing, but rillm builds the request as it
# would for the provider (a key header, or a SigV4 signature for Bedrock).
MOCK_CREDENTIALS: dict[str, Any] = {"api_key": "mock-key"}
MOCK_AWS: dict[str, Any] = {
    "aws_access_key_id": "MOCK",
    "aws_secret_access_key": "mock",
    "aws_region_name": "us-east-1",
}
# The whole recording is paced to take about this long, at most PAUSE per event; RILLM_MOCK_PAUSE (seconds
# between events) overrides it, e.g. 0 for tests.
DURATION, PAUSE = 2.5, 0.03


@dataclass(frozen=True)
class Recording:
    name: str  # the file in recordings/
    data: bytes
    content_type: str

    @property
    def events(self) -> list[bytes]:
        return split_events(self.data, self.content_type)


def recording(dialect: str) -> Recording:
    """The bundled recording for a request dialect of the provider table."""
    name = RECORDINGS[dialect]
    data = resources.files("rillm.cli").joinpath(f"recordings/{name}").read_bytes()
    return Recording(name, data, CONTENT_TYPES[name[name.rindex(".") :]])


def credentials(dialect: str) -> dict[str, Any]:
    return MOCK_AWS if dialect.startswith("bedrock") else MOCK_CREDENTIALS


def split_events(data: bytes, content_type: str) -> list[bytes]:
    """The recording's events, each with its own line ends: SSE events end at a blank line (LF or CRLF),
    NDJSON events at a line end, event-stream messages after the length their prelude gives."""
    if content_type == "application/vnd.amazon.eventstream":
        events, at = [], 0
        while at + 4 <= len(data):
            (total,) = struct.unpack_from(">I", data, at)
            events.append(data[at : at + max(total, 4)])
            at += max(total, 4)
        return events + ([data[at:]] if at < len(data) else [])
    pattern = rb"(?<=\n)" if content_type == "application/x-ndjson" else rb"(?<=\r\n\r\n)|(?<=\n\n)"
    return [event for event in re.split(pattern, data) if event]


class MockServer:
    """The local server, as a context manager: `url` is its base URL. It serves `recording` to every POST."""

    def __init__(self, served: Recording, pause: float | None = None) -> None:
        self.recording = served
        events = served.events
        if pause is None:
            configured = os.environ.get("RILLM_MOCK_PAUSE")
            pause = float(configured) if configured else min(PAUSE, DURATION / max(1, len(events)))
        self.pause = pause
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(events, served.content_type, self.pause))
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> MockServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(events: list[bytes], content_type: str, pause: float) -> type[BaseHTTPRequestHandler]:
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
            try:
                for event in events:
                    self.connection.sendall(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                    time.sleep(pause)
                self.connection.sendall(b"0\r\n\r\n")
            except OSError:  # the client left (Ctrl-C, or it stopped reading): nothing to serve any more
                self.close_connection = True

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the terminal shows the chat, not the server's log."""

    return Handler
