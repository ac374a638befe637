"""A fake Stability AI Stable Audio service: ``POST /v2beta/audio/stable-audio-2/text-to-audio``
and ``GET /v1/user/balance``.

It checks what the real one checks (Bearer key, multipart fields and their ranges per model),
answers with real WAV or MP3 bytes of the asked duration and the ``seed`` / ``finish-reason``
headers, and errors as ``{"id", "name", "errors"}``. Cues for the next calls: "401", "402",
"403", "422", "429", "500", "slow", "filtered", "cut" (short of Content-Length), "cut_chunked".
"""

from __future__ import annotations

import uuid

from tests.fakes.audio_http import FakeService, Received, Reply, mp3_bytes, wav_bytes

PATH = "/v2beta/audio/stable-audio-2/text-to-audio"
BALANCE = "/v1/user/balance"
STEPS = {"stable-audio-2": (30, 100), "stable-audio-2.5": (4, 8)}

_ERRORS = {
    "401": (401, "unauthorized", "authorization: invalid or missing API key"),
    "402": (402, "payment_required", "You lack sufficient credits to make this request."),
    "403": (403, "content_moderation", "Your request was flagged by our content moderation."),
    "422": (422, "invalid_prompt", "prompt: contains words the model cannot use"),
    "429": (429, "rate_limit_exceeded", "You have exceeded the rate limit of 150 requests "
            "within a 10 second period."),
    "500": (500, "internal_error", "An unexpected server error occurred."),
}


class StabilityServer(FakeService):
    def __init__(self, api_key: str = "sk-stab-test-0123456789") -> None:
        self.api_key = api_key
        self.credits = 118.5
        super().__init__()

    def generations(self) -> list[Received]:
        return self.requests_to(PATH)

    def handle(self, request: Received, reply: Reply) -> None:
        route = (request.method, request.path)
        if route not in (("POST", PATH), ("GET", BALANCE)):
            return _error(reply, 404, "not_found", f"{request.path}: no such endpoint")
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(reply, 401, "unauthorized", "authorization: invalid or missing")
        if request.path == BALANCE:
            return reply.json(200, {"credits": self.credits})
        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            return _error(reply, 400, "bad_request", "content-type: must be multipart/form-data")
        cue = self.next_cue()
        if cue in _ERRORS:
            status, name, message = _ERRORS[cue]
            return _error(reply, status, name, message)
        if cue == "slow":
            reply.slow(self.slow_s)
        problem = _invalid(request.form)
        if problem:
            return _error(reply, 400, "bad_request", problem)
        form = request.form
        seed = form.get("seed", "0")
        fmt = form.get("output_format", "mp3")
        freq = 200 + int(seed) % 500
        data = (wav_bytes if fmt == "wav" else mp3_bytes)(float(form["duration"]), freq)
        content_type = "audio/wav" if fmt == "wav" else "audio/mpeg"
        headers = {"seed": seed, "finish-reason":
                   "CONTENT_FILTERED" if cue == "filtered" else "SUCCESS"}
        if cue in ("cut", "cut_chunked"):
            return reply.cut(data, content_type, chunked=cue == "cut_chunked", headers=headers)
        reply.bytes(200, data, content_type, headers)


def _error(reply: Reply, status: int, name: str, message: str) -> None:
    reply.json(status, {"id": uuid.uuid4().hex, "name": name, "errors": [message]})


def _invalid(form: dict[str, str]) -> str | None:
    """What the real service would say about the form, or None."""
    if not form.get("prompt", "").strip():
        return "prompt: cannot be empty"
    model = form.get("model", "stable-audio-2")
    if model not in STEPS:
        return f"model: must be one of {', '.join(STEPS)}"
    if form.get("output_format", "mp3") not in ("mp3", "wav"):
        return "output_format: must be mp3 or wav"
    try:
        duration = float(form.get("duration", "190"))
        seed = int(form.get("seed", "0"))
        steps = int(form["steps"]) if "steps" in form else None
        cfg = float(form["cfg_scale"]) if "cfg_scale" in form else None
    except ValueError as exc:
        return f"form: {exc}"
    if not 1 <= duration <= 190:
        return "duration: must be between 1 and 190"
    if not 0 <= seed <= 4294967294:
        return "seed: must be between 0 and 4294967294"
    low, high = STEPS[model]
    if steps is not None and not low <= steps <= high:
        return f"steps: must be between {low} and {high} for {model}"
    if cfg is not None and not 1 <= cfg <= 25:
        return "cfg_scale: must be between 1 and 25"
    return None
