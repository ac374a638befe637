"""How one Suno partner API spells things: paths, request body, task states, song fields, error
codes. Everything partner-specific lives here, so another partner is one more ``SunoFlavour``.

The sunoapi.org flavour (kie.ai serves the same API with a few other codes: ``KIE_AI``):
``POST /api/v1/generate`` {prompt, style, title, negativeTags, customMode, instrumental, model,
callBackUrl}
-> ``{"code": 200, "data": {"taskId"}}``; ``GET /api/v1/generate/record-info?taskId=`` ->
``{"code": 200, "data": {"status", "response": {"sunoData": [{"id", "audioUrl", "duration"}]},
"errorMessage"}}``. Errors are a ``code`` in the JSON body (HTTP status may be 200).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    ProviderError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
)


@dataclass(frozen=True)
class Song:
    """What to make, in the partner-neutral words the provider uses."""

    model: str
    instrumental: bool
    description: str | None = None  # Suno writes the lyrics (non-custom mode)
    lyrics: str | None = None  # custom mode: these lyrics (none for an instrumental)
    style: str | None = None  # set: custom mode, in this style, titled ``title``
    title: str | None = None
    negative_tags: str | None = None  # custom mode: styles and sounds to keep out


@dataclass(frozen=True)
class Made:
    id: str | None
    audio_url: str
    duration: float | None


@dataclass(frozen=True)
class SunoFlavour:
    name: str
    generate_path: str
    status_path: str
    credit_path: str  # GET -> {"code": 200, "data": credits left}
    task_param: str
    models: tuple[str, ...]
    default_model: str
    credits_per_task: float
    callback_url: str  # required by the service; nothing listens, we poll
    progress: dict[str, float]  # waiting states -> how far along
    done: frozenset[str]
    callback_failed: frozenset[str]  # only the placeholder callback failed: the songs still come
    refused: frozenset[str]  # the prompt or lyrics were refused (content)
    failed: frozenset[str]
    codes: dict[int, str]  # body code -> key / credits / rate / too_long / path / maintenance / bad
    busy_codes: frozenset[int]  # "polling too often": wait longer, keep polling
    # limits per model family: (description, lyrics, style, title) characters
    limits: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)

    def max_lengths(self, model: str) -> tuple[int, int, int, int]:
        return self.limits.get(model, self.limits["*"])

    def generate_body(self, song: Song) -> dict[str, Any]:
        """Custom mode: the prompt is the lyrics (none for an instrumental), with style and
        title; else the prompt is the description and nothing more is sent."""
        custom = song.style is not None
        body: dict[str, Any] = {
            "customMode": custom, "instrumental": song.instrumental, "model": song.model,
            "callBackUrl": self.callback_url,
        }
        prompt = song.lyrics if custom else song.description
        if prompt:
            body["prompt"] = prompt
        if custom:
            body["style"], body["title"] = song.style, song.title
            if song.negative_tags:
                body["negativeTags"] = song.negative_tags
        return body

    def task_id(self, body: dict[str, Any]) -> str | None:
        data = body.get("data")
        task = data.get("taskId") if isinstance(data, dict) else None
        return task if isinstance(task, str) and task else None

    def status(self, body: dict[str, Any]) -> tuple[str, str]:
        """(state, the service's error message or "")."""
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        return str(data.get("status", "")), str(data.get("errorMessage") or "")

    def songs(self, body: dict[str, Any]) -> list[Made]:
        data = body.get("data") if isinstance(body.get("data"), dict) else {}
        response = data.get("response") or {}
        if isinstance(response, str):  # some deployments send it JSON-encoded
            try:
                response = json.loads(response)
            except ValueError:
                return []
        made = []
        for item in (response.get("sunoData") or []) if isinstance(response, dict) else []:
            url = item.get("audioUrl") or item.get("audio_url") if isinstance(item, dict) else None
            if url:
                duration = item.get("duration")
                made.append(Made(item.get("id"), str(url),
                                 float(duration) if isinstance(duration, int | float) else None))
        return made

    def error(self, code: int, message: str, provider: str) -> ProviderError:
        """The error for a body ``code`` (or HTTP status) other than 200."""
        detail = f" ({message})" if message else ""
        meaning = self.codes.get(code, "bad" if 400 <= code < 500 else "failed")
        if meaning == "key":
            return AuthenticationError("the API key was refused: check SUNO_API_KEY or the key "
                                       "in Preferences", provider)
        if meaning == "credits":
            return QuotaExceededError(f"the account has too few credits left{detail}: top up "
                                      f"at {self.name}", provider)
        if meaning == "rate":
            return RateLimitedError(f"too many requests{detail}: backing off", provider)
        if meaning == "too_long":
            return BadRequestError(f"too long{detail}: shorten the prompt or lyrics", provider,
                                   field="prompt")
        if meaning == "path":
            return BadRequestError(f"no such endpoint: check the Suno base URL{detail}",
                                   provider)
        if meaning == "maintenance":
            return ServiceError(f"the service is down for maintenance{detail}", provider)
        if meaning == "bad":
            return BadRequestError(f"refused{detail}", provider,
                                   field=_field_named(message, BODY_FIELDS))
        return ServiceError(f"the service failed (code {code}){detail}", provider)


BODY_FIELDS = ("prompt", "style", "title", "negativeTags", "customMode", "instrumental",
               "model")

SUNOAPI_ORG = SunoFlavour(
    name="sunoapi.org",
    generate_path="/api/v1/generate",
    status_path="/api/v1/generate/record-info",
    credit_path="/api/v1/generate/credit",
    task_param="taskId",
    models=("V4_5", "V4_5PLUS", "V4_5ALL", "V5", "V4", "V3_5"),
    default_model="V4_5",
    credits_per_task=12.0,
    callback_url="https://callback.invalid/audiostudio-polls",  # .invalid never resolves
    progress={"PENDING": 0.05, "TEXT_SUCCESS": 0.25, "FIRST_SUCCESS": 0.5},
    done=frozenset({"SUCCESS"}),
    refused=frozenset({"SENSITIVE_WORD_ERROR"}),
    callback_failed=frozenset({"CALLBACK_EXCEPTION"}),
    failed=frozenset({"CREATE_TASK_FAILED", "GENERATE_AUDIO_FAILED"}),
    codes={401: "key", 429: "credits", 405: "rate", 430: "rate", 413: "too_long", 404: "path",
           455: "maintenance"},
    busy_codes=frozenset({430}),
    limits={"V3_5": (500, 3000, 200, 80), "V4": (500, 3000, 200, 80),
            "V4_5ALL": (500, 5000, 1000, 80), "*": (500, 5000, 1000, 100)},
)


def _field_named(message: str, names: tuple[str, ...]) -> str | None:
    lowered = message.lower()
    return next((n for n in names if n.lower() in lowered), None)

# kie.ai serves the same API; it says "no credits" as 402 and "too many requests" as 429, has
# its credit call elsewhere, and takes titles of 80 characters with every model. (Credits per
# task: as sunoapi.org, an estimate.)
KIE_AI = replace(SUNOAPI_ORG, name="kie.ai", credit_path="/api/v1/chat/credit",
                 codes={401: "key", 402: "credits", 429: "rate", 404: "path", 455: "maintenance"},
                 busy_codes=frozenset({429}),
                 limits={"V3_5": (500, 3000, 200, 80), "V4": (500, 3000, 200, 80),
                         "*": (500, 5000, 1000, 80)})

FLAVOURS = (SUNOAPI_ORG, KIE_AI)


def flavour_for(base_url: str) -> SunoFlavour:
    """The flavour an origin speaks (by its host name); sunoapi.org's for any other host."""
    host = (urlsplit(base_url).hostname or "").lower()
    return next((f for f in FLAVOURS if host == f.name or host.endswith("." + f.name)),
                SUNOAPI_ORG)
