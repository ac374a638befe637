"""Stability AI Stable Audio 2 / 2.5, text to audio, over its REST API with ``requests``.

``POST {origin}/v2beta/audio/stable-audio-2/text-to-audio`` takes a multipart form and, asked
with ``Accept: audio/*``, answers with the audio itself (its seed and finish reason in headers).
One call makes one sound, so each variant is a call of its own, seeded ``seed + variant``.
Errors are JSON ``{"id", "name", "errors": [...]}``; what the status means is mapped in
``_error`` below. Values the service would refuse are refused here first, for free.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import requests

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    ContentRefusedError,
    ProviderError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
)
from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.account import Account
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption
from audiostudio.providers.config import ProviderConfig, service
from audiostudio.providers.http_audio import json_body, masked, retry_after, save_audio, send

NAME = "stability"
PATH = "/v2beta/audio/stable-audio-2/text-to-audio"
BALANCE_PATH = "/v1/user/balance"  # {"credits": float}
MODELS = ("stable-audio-2.5", "stable-audio-2")
STEPS = {"stable-audio-2": (30, 100), "stable-audio-2.5": (4, 8)}
CREDITS = {"stable-audio-2.5": 20.0, "stable-audio-2": 23.0}  # 2.5 is flat; 2 is 20-23
DEFAULT_DURATION = {"sfx": 6.0, "music": 30.0}  # never the 190 s maximum: that costs time
DURATION_RANGE = (1.0, 190.0)
CFG_RANGE = (1.0, 25.0)
MAX_PROMPT = 10_000
DEFAULT_CONCURRENCY = 4  # the account may send 150 requests per 10 s; a sound takes seconds
SEED_MODULUS = 4_294_967_295  # the service takes seeds 0 .. 4294967294
FORM_FIELDS = ("prompt", "duration", "seed", "steps", "cfg_scale", "output_format", "model")


class StabilityProvider:
    name = NAME
    title = service(NAME).title  # one name in the inspector, Preferences and the CLI
    kinds = frozenset({"sfx", "music"})
    default_models: ClassVar[dict[str, str]] = {"sfx": MODELS[0], "music": MODELS[0]}

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def unavailable_reason(self) -> str | None:
        return None if self.config.api_key else service(NAME).key_hint()

    def max_concurrency(self) -> int:
        return self.config.concurrency or DEFAULT_CONCURRENCY

    def __repr__(self) -> str:
        return f"StabilityProvider({self.config.base_url!r}, key from {self.config.key_source})"

    def engine_version(self, kind: str) -> str:
        return "stability-v2beta-1"  # the model is part of the request, not of this

    def voices(self) -> list[VoiceOption]:
        return []

    def default_voice(self) -> str | None:
        return None

    def params(self) -> list[ParamSpec]:
        return [
            ParamSpec("steps", "int", None, 4, 100, description=(
                "diffusion steps (stable-audio-2: 30-100, 2.5: 4-8); unset: the service's "
                "default"), kinds=("sfx", "music")),
            ParamSpec("cfg_scale", "float", None, *CFG_RANGE, description=(
                "how closely to follow the prompt; unset: the service's default"),
                kinds=("sfx", "music")),
            ParamSpec("output_format", "choice", "wav", choices=("wav", "mp3"),
                      description="what the service sends: lossless WAV or smaller MP3",
                      kinds=("sfx", "music")),
        ]

    def account(self) -> Account:
        """The credit balance (``GET /v1/user/balance``): the cheap authenticated call."""
        response = send("GET", self.config.base_url.rstrip("/") + BALANCE_PATH,
                        provider=self.name, headers={**self._auth(), "Accept": "application/json"},
                        timeout=(self.config.connect_timeout_s, self.config.read_timeout_s))
        with response:
            if response.status_code != 200:
                raise self._error(response)
            credits = json_body(response).get("credits")
        return Account(None, float(credits) if isinstance(credits, int | float) else None,
                       self.max_concurrency())

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(CREDITS.get(request.model or "", max(CREDITS.values())) * request.variants,
                    "credits")

    def generate(self, request: Resolved, seed: int, workdir: Path, progress: Progress,
                 cancelled: Cancelled) -> list[ProviderResult]:
        form = self.form(request)
        cost = Cost(CREDITS[form["model"]], "credits")
        results = []
        for variant in range(request.variants):
            variant_seed = (seed + variant) % SEED_MODULUS
            path = self._call({**form, "seed": str(variant_seed)}, workdir, f"stability-{variant}",
                              cancelled, lambda f, v=variant: progress((v + f) / request.variants))
            results.append(ProviderResult(path, variant_seed, variant, None, cost))
        return results

    def form(self, request: Resolved) -> dict[str, str]:
        """The form fields for ``request`` (without the seed), refusing what the service would."""
        if request.kind not in self.kinds:
            raise BadRequestError(f"Stable Audio makes sound effects and music, not {request.kind}",
                                  self.name, field="kind")
        prompt = (request.prompt or "").strip()
        if not prompt:
            raise BadRequestError("describe the sound to make", self.name, field="prompt")
        if len(prompt) > MAX_PROMPT:
            raise BadRequestError(f"{len(prompt)} characters; Stable Audio takes at most "
                                  f"{MAX_PROMPT}: shorten it", self.name, field="prompt")
        model = request.model or self.default_models[request.kind]
        if model not in MODELS:
            raise BadRequestError(f"'{model}' is not a Stable Audio model (use one of: "
                                  f"{', '.join(MODELS)})", self.name, field="model")
        duration = request.duration if request.duration is not None \
            else DEFAULT_DURATION[request.kind]
        _check_range("duration", duration, DURATION_RANGE, "seconds")
        params: dict[str, Any] = request.params
        output_format = params.get("output_format") or "wav"
        if output_format not in ("wav", "mp3"):
            raise BadRequestError(f"'{output_format}' is not wav or mp3", self.name,
                                  field="output_format")
        form = {"prompt": prompt, "duration": f"{duration:g}", "model": model,
                "output_format": output_format}
        if params.get("steps") is not None:
            _check_range("steps", params["steps"], STEPS[model], f"steps for {model}")
            form["steps"] = str(int(params["steps"]))
        if params.get("cfg_scale") is not None:
            _check_range("cfg_scale", params["cfg_scale"], CFG_RANGE, "")
            form["cfg_scale"] = f"{float(params['cfg_scale']):g}"
        return form

    def _call(self, form: dict[str, str], workdir: Path, stem: str, cancelled: Cancelled,
              progress: Progress) -> Path:
        response = send(
            "POST", self.config.base_url.rstrip("/") + PATH, provider=self.name,
            timeout=(self.config.connect_timeout_s, self.config.read_timeout_s),
            headers={**self._auth(), "Accept": "audio/*"},
            files={name: (None, value) for name, value in form.items()},  # multipart form
        )
        if response.status_code != 200:
            with response:
                raise self._error(response)
        if response.headers.get("finish-reason", "SUCCESS") == "CONTENT_FILTERED":
            response.close()
            raise ContentRefusedError("the prompt was filtered by Stability's content "
                                      "moderation: reword it", self.name)
        return save_audio(response, workdir, stem, provider=self.name, cancelled=cancelled,
                          progress=progress)

    def _auth(self) -> dict[str, str]:
        if not self.config.api_key:
            raise AuthenticationError(f"no API key. {service(NAME).key_hint()}", self.name)
        return {"Authorization": f"Bearer {self.config.api_key}"}

    def _error(self, response: requests.Response) -> ProviderError:
        body = json_body(response)
        name = str(body.get("name", ""))
        errors = body.get("errors") or []
        detail = masked("; ".join(str(e) for e in errors) if isinstance(errors, list)
                        else str(errors), self.config.api_key)
        status = response.status_code
        if status == 401:
            return AuthenticationError("the API key was refused: check STABILITY_API_KEY or "
                                       "the key in Preferences", self.name)
        if status == 402 or name == "payment_required":
            return QuotaExceededError("the account is out of credits: buy more at "
                                      "platform.stability.ai/account/credits", self.name)
        if status == 403 or name == "content_moderation":
            return ContentRefusedError(f"refused by content moderation: reword the prompt "
                                       f"({detail or name})", self.name)
        if status == 429:
            return RateLimitedError("too many requests: backing off", self.name,
                                    retry_after(response))
        if status >= 500:
            return ServiceError(f"the service failed (HTTP {status}) {detail}".rstrip(),
                                self.name)
        if status == 404:  # not retried: a wrong origin stays wrong
            return BadRequestError(f"no such endpoint (HTTP 404): check the Stability base URL "
                                   f"({self.config.base_url})", self.name)
        return BadRequestError(detail or name or f"refused (HTTP {status})", self.name,
                               field=_field_named(detail))


def _check_range(field: str, value: Any, bounds: tuple[float, float], unit: str) -> None:
    low, high = bounds
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadRequestError(f"'{value}' is not a number", StabilityProvider.name,
                              field=field) from None
    if not low <= number <= high:
        raise BadRequestError(f"{number:g} is outside {low:g}-{high:g} {unit}".rstrip(),
                              StabilityProvider.name, field=field)


def _field_named(detail: str) -> str | None:
    """The first form field a service message names ("duration: must be ..." -> duration)."""
    words = set(re.findall(r"[a-z_]+", detail.lower()))
    return next((f for f in FORM_FIELDS if f in words), None)
