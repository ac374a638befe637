"""ElevenLabs on 127.0.0.1: the documented paths, headers, JSON fields and audio bytes.

The real SDK is pointed at it by base URL. It records every request (``received``), checks the
``xi-api-key`` header, answers audio as chunked streams with ``request-id``,
``character-cost`` and ``maximum-concurrent-requests`` headers, refuses ``pcm_44100`` below
the Pro tier (403 ``output_format_not_allowed``) and answers 429
``too_many_concurrent_requests`` past ``max_concurrent`` audio requests in flight. ``cue()``
makes the next audio request(s) fail one way: see ``CUES``.
"""

from __future__ import annotations

import io
import itertools
from typing import Any

import numpy as np
import soundfile as sf

from tests.fakes.audio_http import FakeService, Received, Reply

KEY = "sk_test_0123456789abcdef0123456789abcdef"
VOICES = [
    {"voice_id": "JBFqnCBsd6RMkjVDRZzb", "name": "George", "category": "premade",
     "labels": {"language": "en", "accent": "british"}, "description": "warm narrator"},
    {"voice_id": "EXAVITQu4vr4xnYDxfjV", "name": "Sarah", "category": "premade",
     "labels": {"language": "en", "accent": "american"}, "description": "soft news"},
]
CHUNK = 4096


def _error(status: str, message: str, **more: Any) -> dict:
    return {"detail": {"status": status, "code": status, "message": message, **more}}


# cue -> (HTTP status, JSON body); "slow", "cut" (a chunked stream without its last chunk)
# and "short" (fewer bytes than its Content-Length) are behaviours.
CUES: dict[str, tuple[int, Any]] = {
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
}


def key_of(request: Received) -> str | None:
    return request.headers.get("xi-api-key")


def tone(seconds: float, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2")


def audio_bytes(output_format: str, seconds: float) -> tuple[bytes, str]:
    """Mono 16-bit at 44.1 kHz, as the service sends: raw for pcm_*, else MP3."""
    samples = tone(seconds)
    if output_format.startswith("pcm_"):
        return samples.tobytes(), "audio/pcm"
    out = io.BytesIO()
    sf.write(out, samples, 44100, format="MP3")
    return out.getvalue(), "audio/mpeg"


class FakeElevenLabs(FakeService):
    def __init__(self, tier: str = "pro", max_concurrent: int = 10) -> None:
        self.tier = tier
        self.max_concurrent = max_concurrent
        self.work_s = 0.0  # each audio answer takes this long (so requests overlap)
        self.in_flight = 0
        self.most_in_flight = 0
        self._ids = itertools.count(1)
        super().__init__()

    def audio_requests(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.method == "POST"]

    def handle(self, request: Received, reply: Reply) -> None:
        if key_of(request) != KEY:
            return reply.json(*CUES["bad_key"])
        if request.method == "GET":
            return self._get(request, reply)
        body = request.json or {}
        path = request.path
        if path.startswith("/v1/text-to-speech/") and path.endswith("/stream"):
            if path.split("/")[3] not in {v["voice_id"] for v in VOICES}:
                return reply.json(*CUES["voice_missing"])
            seconds = max(0.3, min(20.0, len(body.get("text", "")) * 0.05))
        elif path == "/v1/sound-generation":
            seconds = body.get("duration_seconds") or 2.0
        elif path == "/v1/music":
            if "seed" in body and "prompt" in body:  # as the service does
                return reply.json(400, _error("invalid_parameters", "seed cannot be used "
                                              "with prompt", param="seed"))
            seconds = (body.get("music_length_ms") or 10_000) / 1000
        else:
            return reply.json(404, {"detail": "Not Found"})
        output_format = request.query.get("output_format", "mp3_44100_128")
        if output_format == "pcm_44100" and self.tier not in ("pro", "scale", "business"):
            return reply.json(403, _error(
                "output_format_not_allowed", "Requested output format pcm_44100 (PCM at "
                "44100hz) is only allowed for Pro tier and above."))
        cue = self.next_cue()
        if cue in CUES:
            return reply.json(*CUES[cue])
        with self.lock:
            if self.in_flight >= self.max_concurrent:
                return reply.json(*CUES["slots_busy"])
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            reply.slow(self.slow_s if cue == "slow" else self.work_s)
            self._audio(request, reply, output_format, seconds, cue)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _get(self, request: Received, reply: Reply) -> None:
        if request.path == "/v1/voices":
            return reply.json(200, {"voices": VOICES})
        if request.path == "/v1/user/subscription":
            return reply.json(200, {"tier": self.tier, "character_count": 1200,
                                    "character_limit": 100_000, "status": "active"})
        reply.json(404, {"detail": "Not Found"})

    def _audio(self, request: Received, reply: Reply, output_format: str, seconds: float,
               cue: str | None) -> None:
        data, content_type = audio_bytes(output_format, seconds)
        headers = {"request-id": f"req-{next(self._ids)}",
                   "maximum-concurrent-requests": str(self.max_concurrent),
                   "current-concurrent-requests": str(self.in_flight)}
        if "text-to-speech" in request.path:
            headers["character-cost"] = str(len(request.json["text"]))
        if cue in ("cut", "short"):
            return reply.cut(data, content_type, chunked=cue == "cut", headers=headers)
        h = reply.handler  # the service streams: chunked, as it is generated
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            h.send_header(name, value)
        h.end_headers()
        for start in range(0, len(data), CHUNK):
            piece = data[start:start + CHUNK]
            h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        h.wfile.write(b"0\r\n\r\n")
