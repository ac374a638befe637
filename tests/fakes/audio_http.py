"""What the fake REST services share: a stdlib HTTP server on 127.0.0.1 in a thread that records
every request, answers from a queue of cues (errors, slowness, cut bodies), and real audio bytes.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import subprocess
import sys
import threading
from collections import deque
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import imageio_ffmpeg
import numpy as np
import soundfile as sf


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    form: dict[str, str] = field(default_factory=dict)  # multipart/form-data fields
    json: Any = None


@lru_cache(maxsize=32)
def wav_bytes(seconds: float, freq: float = 440.0, rate: int = 44100) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    tone = 0.3 * np.sin(2 * np.pi * freq * t)
    out = io.BytesIO()
    sf.write(out, np.stack([tone, tone], axis=1).astype(np.float32), rate, format="WAV",
             subtype="PCM_16")
    return out.getvalue()


@lru_cache(maxsize=32)
def mp3_bytes(seconds: float, freq: float = 440.0) -> bytes:
    """A real MP3 (ffmpeg's LAME) of a stereo tone."""
    done = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "wav", "-i", "pipe:0",
         "-f", "mp3", "-b:a", "128k", "pipe:1"],
        input=wav_bytes(seconds, freq), capture_output=True, check=True)
    return done.stdout


class FakeService:
    """Subclasses implement ``handle``; cues (``cue("429", "cut")``) apply, in order, to the
    next requests of a route (``at``: a name the subclass chooses; "" by default)."""

    slow_s = 5.0  # how long a "slow" answer waits (far past the tests' read timeouts)

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.cues: dict[str, deque[str]] = {}
        self.lock = threading.Lock()
        self.connections: set[socket.socket] = set()
        self.released = threading.Event()  # set on close: slow answers stop waiting
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with service.lock:
                    service.connections.add(self.connection)

            def finish(self) -> None:
                with service.lock:
                    service.connections.discard(self.connection)
                super().finish()

            def do_GET(self) -> None:
                service._serve(self)

            do_POST = do_GET

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def __enter__(self) -> FakeService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
        with self.lock:  # kept-alive connections: their handler threads end on EOF
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)

    def cue(self, *cues: str, at: str = "") -> None:
        with self.lock:
            self.cues.setdefault(at, deque()).extend(cues)

    def next_cue(self, at: str = "") -> str | None:
        with self.lock:
            queue = self.cues.get(at)
            return queue.popleft() if queue else None

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    # --- serving ------------------------------------------------------------------------------
    def handle(self, request: Received, reply: Reply) -> None:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        request = Received(
            handler.command, url.path, {k: v[0] for k, v in parse_qs(url.query).items()},
            {k.lower(): v for k, v in handler.headers.items()}, body)
        content_type = request.headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            request.form = _form_fields(content_type, body)
        elif content_type.startswith("application/json") and body:
            request.json = json.loads(body)
        with self.lock:
            self.received.append(request)
        self.handle(request, Reply(handler, self.released))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # a client that hung up is the test


class Reply:
    """How a fake answers: JSON, whole audio, or audio that stops half-way."""

    def __init__(self, handler: BaseHTTPRequestHandler, released: threading.Event) -> None:
        self.handler = handler
        self.released = released

    def json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.bytes(status, json.dumps(body).encode(), "application/json", headers)

    def bytes(self, status: int, data: bytes, content_type: str,
              headers: dict[str, str] | None = None) -> None:
        h = self.handler
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(data)

    def cut(self, data: bytes, content_type: str, chunked: bool,
            headers: dict[str, str] | None = None) -> None:
        """Send half of ``data`` and hang up: with a Content-Length that promised all of it, or
        chunked without the final empty chunk."""
        h = self.handler
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Connection", "close")
        if chunked:
            h.send_header("Transfer-Encoding", "chunked")
        else:
            h.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            h.send_header(name, value)
        h.end_headers()
        half = data[: len(data) // 2]
        if chunked:
            for start in range(0, len(half), 8192):
                piece = half[start:start + 8192]
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        else:
            h.wfile.write(half)
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)

    def slow(self, seconds: float) -> None:
        """Wait before answering: ``seconds``, or until the fake closes."""
        self.released.wait(seconds)


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields[str(name)] = part.get_payload(decode=True).decode()
    return fields
