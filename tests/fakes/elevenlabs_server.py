"""ElevenLabs on 127.0.0.1: the documented paths, headers, JSON fields and audio bytes.

The real SDK is pointed at it by base URL. It records every request (``received``), checks the
``xi-api-key`` header, answers audio as chunked streams with ``request-id``,
``character-cost`` and ``maximum-concurrent-requests`` headers, refuses ``pcm_44100`` below
the Pro tier (403 ``output_format_not_allowed``) and answers 429
``too_many_concurrent_requests`` past ``max_concurrent`` audio requests in flight. ``cue()``
makes the next audio request(s) fail one way: see ``CUES``.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import numpy as np
import soundfile as sf

KEY = "sk_test_0123456789abcdef0123456789abcdef"
VOICES = [
    {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "name": "George", "category": "premade",
     "labels": {"language": "en", "accent": "british"}, "description": "warm narrator"},
    {"voice_id": "EXAVITQu4vr4xnYDxfjV", "name": "Sarah", "category": "premade",
     "labels": {"language": "en", "accent": "american"}, "description": "soft news"},
]


def _error(status: str, message: str, **more: Any) -> dict:
    return {"detail": {"status": status, "code": status, "message": message, **more}}


# cue -> (HTTP status, JSON body), or a behaviour named by the string.
CUES: dict[str, tuple[int, Any] | str] = {
    "bad_key": (401, _error("invalid_api_key", "Invalid API key")),
    "quota": (401, _error("quota_exceeded", "You have 12 credits remaining, while 40 are "
                                            "required for this request.")),
    "voice_missing": (404, _error("voice_not_found", "A voice with the voice_id was not found.")),
    "bad_field": (422, {"detail": [{"loc": ["body", "voice_settings", "stability"],
                                    "msg": "Input should be less than or equal to 1",
                                    "type": "less_than_equal"}]}),
    "bad_param": (400, _error("invalid_parameters", "Unsupported model for this endpoint",
                              param="model_id")),
    "slots_busy": (429, _error("too_many_concurrent_requests", "Too many concurrent "
                                                               "requests for your plan.")),
    "system_busy": (429, _error("system_busy", "The system is experiencing heavy traffic.")),
    "server_error": (500, {"detail": "Internal Server Error"}),
    "slow": "slow",  # waits ``slow_s`` before answering
    "cut": "cut",  # a chunked stream that stops before its last chunk
    "short": "short",  # fewer bytes than its Content-Length
}


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # the JSON sent, or None

    @property
    def key(self) -> str | None:
        return self.headers.get("xi-api-key")


@dataclass
class FakeElevenLabs:
    tier: str = "pro"
    max_concurrent: int = 10
    work_s: float = 0.0  # each audio answer takes this long (to overlap requests)
    slow_s: float = 5.0
    received: list[Received] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._released = threading.Event()  # set on close: a slow answer stops waiting
        self._connections: set[socket.socket] = set()  # kept alive by the client's pool
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = False  # closing waits for the handlers
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,),
                                        daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeElevenLabs:
        self._thread.start()
        return self

    def close(self) -> None:
        self._released.set()
        self._server.shutdown()
        with self._lock:  # a kept-alive connection's handler waits for its next request
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join(5)

    def cue(self, *names: str) -> None:
        with self._lock:
            self.cues.extend(names)

    def audio_requests(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    # --- used by the handler --------------------------------------------------------------
    def _next_cue(self) -> str | None:
        with self._lock:
            return self.cues.pop(0) if self.cues else None

    def _enter(self) -> bool:
        with self._lock:
            if self.in_flight >= self.max_concurrent:
                return False
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return True

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def tone(seconds: float, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")


def audio_bytes(output_format: str, seconds: float) -> tuple[bytes, str]:
    samples = tone(seconds)
    if output_format.startswith("pcm_"):
        return samples.tobytes(), "audio/pcm"
    out = io.BytesIO()
    sf.write(out, samples, 44100, format="MP3")
    return out.getvalue(), "audio/mpeg"


def _handler_for(fake: FakeElevenLabs) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # chunked answers, as the service streams them

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            with fake._lock:
                fake._connections.add(self.connection)

        def finish(self) -> None:
            with fake._lock:
                fake._connections.discard(self.connection)
            super().finish()

        def _json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> Received:
            url = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            received = Received(self.command, url.path,
                                {k: v[0] for k, v in parse_qs(url.query).items()},
                                {k.lower(): v for k, v in self.headers.items()},
                                json.loads(raw) if raw else None)
            with fake._lock:
                fake.received.append(received)
            return received

        def do_GET(self) -> None:
            received = self._record()
            if received.key != KEY:
                return self._json(*CUES["bad_key"])
            if received.path == "/v1/voices":
                return self._json(200, {"voices": VOICES})
            if received.path == "/v1/user/subscription":
                return self._json(200, {"tier": fake.tier, "character_count": 1200,
                                        "character_limit": 100_000, "status": "active"})
            if received.path == "/v1/models":
                return self._json(200, [{"model_id": "eleven_v3",
                                         "maximum_text_length_per_request": 5000}])
            self._json(404, {"detail": "Not Found"})

        def do_POST(self) -> None:
            received = self._record()
            if received.key != KEY:
                return self._json(*CUES["bad_key"])
            body = received.body or {}
            path = received.path
            if path.startswith("/v1/text-to-speech/"):
                voice = path.split("/")[3]
                if voice not in {v["voice_id"] for v in VOICES}:
                    return self._json(*CUES["voice_missing"])
                seconds = max(0.3, min(20.0, len(body.get("text", "")) * 0.05))
            elif path == "/v1/sound-generation":
                seconds = body.get("duration_seconds") or 2.0
            elif path == "/v1/music":
                if "seed" in body and "prompt" in body:  # as the service does
                    return self._json(400, _error("invalid_parameters", "seed cannot be "
                                                  "used with prompt", param="seed"))
                seconds = (body.get("music_length_ms") or 10_000) / 1000
            else:
                return self._json(404, {"detail": "Not Found"})
            output_format = received.query.get("output_format", "mp3_44100_128")
            if output_format == "pcm_44100" and fake.tier not in ("pro", "scale", "business"):
                return self._json(403, _error(
                    "output_format_not_allowed", "Requested output format pcm_44100 (PCM at "
                    "44100hz) is only allowed for Pro tier and above."))
            cue = fake._next_cue()
            if isinstance(CUES.get(cue or ""), tuple):
                return self._json(*CUES[cue])
            if not fake._enter():
                return self._json(*CUES["slots_busy"])
            try:
                if cue == "slow":
                    fake._released.wait(fake.slow_s)
                elif fake.work_s:
                    fake._released.wait(fake.work_s)
                self._audio(received, output_format, seconds, cue)
            finally:
                fake._leave()

        def _audio(self, received: Received, output_format: str, seconds: float,
                   cue: str | None) -> None:
            data, content_type = audio_bytes(output_format, seconds)
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("request-id", f"req-{next(fake._ids)}")
            self.send_header("maximum-concurrent-requests", str(fake.max_concurrent))
            self.send_header("current-concurrent-requests", str(fake.in_flight))
            if "text" in (received.body or {}) and "text-to-speech" in received.path:
                self.send_header("character-cost", str(len(received.body["text"])))
            if cue == "short":
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.close_connection = True
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
            for index, chunk in enumerate(chunks):
                if cue == "cut" and index == len(chunks) // 2:
                    self.wfile.flush()
                    self.close_connection = True
                    return  # no last chunk: the connection just closes
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")

    return Handler
