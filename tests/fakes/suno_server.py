"""A fake Suno partner API in the sunoapi.org flavour (kie.ai speaks the same).

``POST /api/v1/generate`` checks the Bearer key and the body as the docs describe (required
booleans, custom-mode fields, per-model lengths, a callBackUrl) and answers a task id; each
``GET /api/v1/generate/record-info?taskId=`` moves the task one state on, PENDING ->
TEXT_SUCCESS -> FIRST_SUCCESS -> SUCCESS, with two songs whose ``audioUrl`` point at
``/files/...`` here: real MP3s, served to anyone (like the real CDN links). Errors are a ``code``
in a JSON body. Cues: ``at="generate"``: "401", "402", "429" (credits), "430", "455", "500",
"slow"; ``at="poll"``: "429", "430", "500", "slow"; ``at="file"``: "cut", "cut_chunked",
"404". ``hold`` keeps tasks PENDING; ``outcome`` makes new tasks end in another state
("SENSITIVE_WORD_ERROR").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from tests.fakes.audio_http import FakeService, Received, Reply, mp3_bytes

GENERATE = "/api/v1/generate"
RECORD_INFO = "/api/v1/generate/record-info"
CREDIT = "/api/v1/generate/credit"
STATES = ("PENDING", "TEXT_SUCCESS", "FIRST_SUCCESS", "SUCCESS")
MODELS = ("V3_5", "V4", "V4_5", "V4_5PLUS", "V4_5ALL", "V5")
SONG_SECONDS = (1.0, 1.5)  # the two songs of every task, told apart by length and pitch

_CODES = {"401": (401, "You do not have access permissions"),
          "402": (402, "Insufficient credits"),  # kie.ai's way of saying it
          "429": (429, "The current credits are insufficient"),
          "430": (430, "Your call frequency is too high. Please try again later."),
          "455": (455, "System maintenance"),
          "500": (500, "Server exception, please try again later")}


@dataclass
class Task:
    id: str
    body: dict
    outcome: str
    polls: int = 0


class SunoServer(FakeService):
    def __init__(self, api_key: str = "suno-test-key-abcdef0123", credit_path: str = CREDIT
                 ) -> None:
        """``credit_path``: where the credit call is (kie.ai: ``/api/v1/chat/credit``)."""
        self.api_key = api_key
        self.credit_path = credit_path
        self.tasks: dict[str, Task] = {}
        self.hold = False
        self.outcome = "SUCCESS"
        self.credits = 488
        super().__init__()

    def generate_calls(self) -> list[Received]:
        return self.requests_to(GENERATE)

    def file_requests(self) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path.startswith("/files/")]

    def handle(self, request: Received, reply: Reply) -> None:
        if request.path.startswith("/files/") and request.method == "GET":
            return self._file(request, reply)
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return reply.json(401, {"code": 401, "msg": _CODES["401"][1], "data": None})
        if request.path == GENERATE and request.method == "POST":
            return self._generate(request, reply)
        if request.path == RECORD_INFO and request.method == "GET":
            return self._record_info(request, reply)
        if request.path == self.credit_path and request.method == "GET":
            return reply.json(200, {"code": 200, "msg": "success", "data": self.credits})
        reply.json(404, {"code": 404, "msg": "Invalid request method or path", "data": None})

    def _generate(self, request: Received, reply: Reply) -> None:
        cue = self.next_cue("generate")
        if cue == "slow":
            reply.slow(self.slow_s)
        if cue in _CODES:
            code, msg = _CODES[cue]
            return reply.json(200, {"code": code, "msg": msg, "data": None})
        problem = _invalid(request.json)
        if problem:
            return reply.json(200, {"code": 400, "msg": problem, "data": None})
        task = Task(uuid.uuid4().hex, request.json, self.outcome)
        with self.lock:
            self.tasks[task.id] = task
        reply.json(200, {"code": 200, "msg": "success", "data": {"taskId": task.id}})

    def _record_info(self, request: Received, reply: Reply) -> None:
        cue = self.next_cue("poll")
        if cue == "slow":
            reply.slow(self.slow_s)
        if cue in _CODES:
            code, msg = _CODES[cue]
            return reply.json(200, {"code": code, "msg": msg, "data": None})
        task = self.tasks.get(request.query.get("taskId", ""))
        if task is None:
            return reply.json(200, {"code": 400, "msg": "taskId: no such task", "data": None})
        if not self.hold:
            task.polls += 1
        state = STATES[max(0, min(task.polls - 1, len(STATES) - 1))]  # the 4th poll: done
        made = state == "SUCCESS" and task.outcome in ("SUCCESS", "CALLBACK_EXCEPTION")
        if task.outcome == "CALLBACK_EXCEPTION" and task.polls > 1:
            state = task.outcome  # our placeholder callback failed at the text stage
        elif state == "SUCCESS":
            state = task.outcome
        songs = [self._song(task, i) for i in range(2)] if made else []
        reply.json(200, {"code": 200, "msg": "success", "data": {
            "taskId": task.id, "param": "", "status": state, "type": "GENERATE",
            "response": {"taskId": task.id, "sunoData": songs},
            "errorCode": None if state in STATES else 400,
            "errorMessage": None if state in STATES else f"{state.lower()}: the words "
                                                           "'forbidden' are not allowed"}})

    def _song(self, task: Task, index: int) -> dict:
        body = task.body
        return {"id": f"{task.id}-{index}", "audioUrl": f"{self.url}/files/{task.id}-{index}.mp3",
                "streamAudioUrl": f"{self.url}/stream/{task.id}-{index}",
                "prompt": body.get("prompt"), "modelName": "chirp-v4-5",
                "title": body.get("title") or "", "tags": body.get("style") or "",
                "createTime": "2026-12-01 12:00:00", "duration": SONG_SECONDS[index]}

    def _file(self, request: Received, reply: Reply) -> None:
        cue = self.next_cue("file")
        if cue == "404":
            return reply.bytes(404, b"Not Found", "text/plain")
        index = int(request.path.rsplit("-", 1)[1].split(".")[0])
        data = song_bytes(index)
        if cue in ("cut", "cut_chunked"):
            return reply.cut(data, "audio/mpeg", chunked=cue == "cut_chunked")
        reply.bytes(200, data, "audio/mpeg")


def song_bytes(index: int) -> bytes:
    return mp3_bytes(SONG_SECONDS[index], 330.0 + 110 * index)


def _invalid(body: object) -> str | None:
    """What sunoapi.org would say about a generate body, or None."""
    if not isinstance(body, dict):
        return "body: must be JSON"
    for name in ("customMode", "instrumental"):
        if not isinstance(body.get(name), bool):
            return f"{name}: is required and must be a boolean"
    if not body.get("callBackUrl"):
        return "callBackUrl: is required"
    model = body.get("model")
    if model not in MODELS:
        return f"model: must be one of {', '.join(MODELS)}"
    old = model in ("V3_5", "V4")
    prompt = body.get("prompt") or ""
    if body["customMode"]:
        if not body.get("style") or not body.get("title"):
            return "style and title: are required in custom mode"
        if not body["instrumental"] and not prompt:
            return "prompt: lyrics are required in custom mode unless instrumental"
        if len(prompt) > (3000 if old else 5000) or len(body["style"]) > (200 if old else 1000):
            return "prompt or style: too long"
        longest_title = 80 if old or model == "V4_5ALL" else 100
        if len(body["title"]) > longest_title:
            return f"title: at most {longest_title} characters"
    elif not prompt or len(prompt) > 500:
        return "prompt: a description of 1-500 characters is required"
    return None
