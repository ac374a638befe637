"""ElevenLabs: voice (text to speech), sound effects and music, through the official SDK.

Every audio call is streamed (``with_raw_response``, so the ``request-id``, ``character-cost``
and ``maximum-concurrent-requests`` headers are read) and written to the work folder as it
arrives; a stream that breaks off is an error and leaves nothing (the service deletes the
work folder). The SDK does not retry streamed calls, so the GenerationService's retries apply:
errors are mapped onto ``audiostudio.errors`` here, never shown as the SDK's text (which lists
headers). Raw ``pcm_*`` answers are wrapped as WAV; MP3 is kept as sent (libsndfile reads it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from audiostudio.errors import (
    AuthenticationError,
    BadRequestError,
    CancelledError,
    ContentRefusedError,
    ProviderError,
    ProviderTimeoutError,
    QuotaExceededError,
    RateLimitedError,
    ServiceError,
    SlotsBusyError,
)
from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption
from audiostudio.providers.config import ProviderConfig, service

NAME = "elevenlabs"
# Characters one request may carry, per TTS model (refused by the service beyond).
TEXT_LIMITS = {"eleven_v3": 5_000, "eleven_multilingual_v2": 10_000,
               "eleven_flash_v2_5": 40_000, "eleven_turbo_v2_5": 40_000}
CREDITS_PER_CHARACTER = {"eleven_flash_v2_5": 0.5, "eleven_turbo_v2_5": 0.5}
NO_STITCHING = frozenset({"eleven_v3"})  # the service ignores request ids for v3
# Best first; pcm_44100 needs Pro, mp3_44100_192 Creator. A 403 for one moves to the next.
OUTPUT_FORMATS = ("pcm_44100", "mp3_44100_192", "mp3_44100_128")
BYTES_PER_SECOND = {"pcm_44100": 88_200, "mp3_44100_192": 24_000, "mp3_44100_128": 16_000}
PLAN_CONCURRENCY = {"free": 2, "starter": 3, "creator": 5, "pro": 10, "scale": 15,
                    "business": 15}
SFX_SECONDS = (0.5, 30.0)
MUSIC_MS = (3_000, 600_000)
DEFAULT_VOICE = "JBFqnCBsd6RMkjVDRZzb"  # "George", a premade voice every account has
VOICES_RETRY_S = 60.0  # after a failed voice listing, ask again no sooner than this
VOICES_TIMEOUT_S = 5.0
SLOTS_BUSY = ("too_many_concurrent_requests", "concurrent_limit_exceeded")
FORMAT_REFUSED = ("output_format_not_allowed", "subscription_required")


@dataclass(frozen=True)
class Account:
    plan: str | None
    credits_used: int | None
    credits_limit: int | None
    concurrency: int | None

    @property
    def credits_left(self) -> int | None:
        if self.credits_used is None or self.credits_limit is None:
            return None
        return max(0, self.credits_limit - self.credits_used)


def plan_concurrency(tier: str | None) -> int | None:
    tier = (tier or "").lower()
    return next((n for plan, n in PLAN_CONCURRENCY.items() if tier.startswith(plan)), None)


class ElevenLabsProvider:
    name = NAME
    title = "ElevenLabs"
    kinds = frozenset({"voice", "sfx", "music"})
    default_models: ClassVar[dict[str, str]] = {
        "voice": "eleven_v3", "sfx": "eleven_text_to_sound_v2", "music": "music_v1"}

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._client: Any = None
        self._refused_formats: set[str] = set()  # 403 once: never asked for again
        self._learned_limit: int | None = None  # from the header or the plan
        self._voices: list[VoiceOption] | None = None
        self._voices_failed_at = -VOICES_RETRY_S

    def __repr__(self) -> str:  # the config's repr already leaves the key out; say so plainly
        return f"ElevenLabsProvider({self.config.base_url}, key {self.config.key_source})"

    # --- what the app asks without generating -----------------------------------------------
    def unavailable_reason(self) -> str | None:
        return None if self.config.api_key else service(NAME).key_hint()

    def max_concurrency(self) -> int | None:
        return self.config.concurrency or self._learned_limit

    def stitches(self, model: str | None) -> bool:
        return model not in NO_STITCHING

    def engine_version(self, kind: str) -> str:
        return "elevenlabs-1"  # the model is part of the request; this is our side's mapping

    def default_voice(self) -> str:
        return DEFAULT_VOICE

    def voices(self) -> list[VoiceOption]:
        """The account's voices, asked once (cached); none without a key or while it fails."""
        if self._voices is not None or not self.config.api_key:
            return self._voices or []
        if time.monotonic() - self._voices_failed_at < VOICES_RETRY_S:
            return []
        try:
            # Asked from the window's thread: a short wait, no SDK retries with sleeps.
            answer = self._sdk().voices.get_all(
                request_options={"timeout_in_seconds": VOICES_TIMEOUT_S, "max_retries": 0})
        except Exception:  # the inspector then offers ids; generate says why
            self._voices_failed_at = time.monotonic()
            return []
        self._voices = [
            VoiceOption(v.voice_id, v.name or v.voice_id, (v.labels or {}).get("language", "en"),
                        v.description or ", ".join((v.labels or {}).values()))
            for v in answer.voices]
        return self._voices

    def params(self) -> list[ParamSpec]:
        voice, sfx = ("voice",), ("sfx",)
        return [
            ParamSpec("stability", "float", 0.5, 0.0, 1.0, kinds=voice,
                      description="low: more expressive, high: steadier"),
            ParamSpec("similarity_boost", "float", 0.75, 0.0, 1.0, kinds=voice,
                      description="how closely to keep to the voice"),
            ParamSpec("style", "float", 0.0, 0.0, 1.0, kinds=voice),
            ParamSpec("use_speaker_boost", "bool", True, kinds=voice),
            ParamSpec("speed", "float", 1.0, 0.7, 1.2, kinds=voice),
            ParamSpec("prompt_influence", "float", 0.3, 0.0, 1.0, kinds=sfx,
                      description="how literally the prompt is followed"),
            ParamSpec("loop", "bool", False, kinds=sfx, description="seamless loop"),
        ]

    def estimate_cost(self, request: Resolved) -> Cost:
        if request.kind == "voice":
            rate = CREDITS_PER_CHARACTER.get(request.model or "", 1.0)
            amount = rate * len(request.text or "")
        elif request.kind == "sfx":  # 40 credits a second asked for; about 200 when automatic
            amount = 40.0 * request.duration if request.duration else 200.0
        else:  # music: priced by length; about 30 s when the service chooses
            amount = 50.0 * (request.duration or 30.0)
        return Cost(round(amount * request.variants, 1), "credits")

    def account(self) -> Account:
        """Plan and credits (``GET /v1/user/subscription``): the cheap authenticated call."""
        try:
            sub = self._sdk().user.subscription.get()
        except Exception as exc:  # mapped, never shown as the SDK's text (it lists headers)
            raise self._mapped(exc, None) from None
        self._learned_limit = self._learned_limit or plan_concurrency(sub.tier)
        return Account(sub.tier, sub.character_count, sub.character_limit,
                       self.max_concurrency())

    # --- generating -------------------------------------------------------------------------
    def generate(self, request: Resolved, seed: int, workdir: Path, progress: Progress,
                 cancelled: Cancelled) -> list[ProviderResult]:
        self._check(request)
        results = []
        for variant in range(request.variants):
            def part(fraction: float, v: int = variant) -> None:
                progress((v + fraction) / request.variants)

            results.append(self._one(request, seed + variant, variant, workdir, part, cancelled))
        return results

    def _check(self, request: Resolved) -> None:
        """Refuse here what the service would refuse (and maybe charge for), saying why."""
        if not self.config.api_key:
            raise AuthenticationError(f"no API key. {service(NAME).key_hint()}", NAME)
        if request.kind == "voice":
            limit = TEXT_LIMITS.get(request.model or "")
            length = len(request.text or "")
            if limit and length > limit:
                longest = max(TEXT_LIMITS, key=TEXT_LIMITS.__getitem__)
                raise BadRequestError(
                    f"this line has {length:,} characters; {request.model} takes at most "
                    f"{limit:,} per request: split it into several lines, or choose "
                    f"{longest} ({TEXT_LIMITS[longest]:,})", NAME, field="text")
        elif request.kind == "sfx" and request.duration is not None:
            low, high = SFX_SECONDS
            if not low <= request.duration <= high:
                raise BadRequestError(f"sound effects last {low:g} to {high:g} seconds "
                                      "(or automatic)", NAME, field="duration")
        elif request.kind == "music" and request.duration is not None:
            low, high = (ms / 1000 for ms in MUSIC_MS)
            if not low <= request.duration <= high:
                raise BadRequestError(f"music lasts {low:g} to {high:g} seconds (or "
                                      "automatic)", NAME, field="duration")

    def _one(self, request: Resolved, seed: int, variant: int, workdir: Path,
             progress: Progress, cancelled: Cancelled) -> ProviderResult:
        sent_seed: int | None = seed if request.kind == "voice" else None
        while True:
            output_format = self._format()
            call = self._call(request, sent_seed, output_format)
            raw = workdir / f"elevenlabs-{variant}.part"
            try:
                headers = self._receive(call, request, raw,
                                        self._expected_bytes(request, output_format),
                                        progress, cancelled)
                break
            except FormatRefused:
                with self._lock:
                    self._refused_formats.add(output_format)
                raw.unlink(missing_ok=True)
        self._learn_limit(headers)
        audio = _store(raw, output_format, workdir / f"elevenlabs-{variant}")
        cost = headers.get("character-cost")
        return ProviderResult(
            audio, sent_seed, variant, headers.get("request-id"),
            Cost(float(cost), "credits") if cost else self.estimate_cost(
                _one_variant(request)))

    def _format(self) -> str:
        with self._lock:
            left = [f for f in OUTPUT_FORMATS if f not in self._refused_formats]
        if not left:
            raise AuthenticationError("the account allows none of the audio formats "
                                      f"{', '.join(OUTPUT_FORMATS)}", NAME)
        return left[0]

    def _call(self, request: Resolved, seed: int | None, output_format: str
              ) -> Callable[[], AbstractContextManager[Any]]:
        """The SDK call for ``request`` (not yet made): a context manager of the raw answer."""
        sdk = self._sdk()
        params = request.params
        if request.kind == "voice":
            from elevenlabs import VoiceSettings

            settings = VoiceSettings(**{k: params[k] for k in (
                "stability", "similarity_boost", "style", "use_speaker_boost", "speed")
                if k in params})
            stitching = {}
            if self.stitches(request.model):
                stitching = {k: list(v) for k, v in (
                    ("previous_request_ids", request.previous_request_ids),
                    ("next_request_ids", request.next_request_ids)) if v}
            return lambda: sdk.text_to_speech.with_raw_response.stream(
                request.voice or DEFAULT_VOICE, text=request.text or "",
                model_id=request.model, output_format=output_format, voice_settings=settings,
                seed=seed, **stitching)
        if request.kind == "sfx":
            extra = {k: params[k] for k in ("prompt_influence", "loop") if k in params}
            return lambda: sdk.text_to_sound_effects.with_raw_response.convert(
                text=request.prompt or "", model_id=request.model, output_format=output_format,
                duration_seconds=request.duration, **extra)
        # The service refuses a seed together with a prompt: a seeded music prompt goes
        # without it (the take records seed null), rather than being refused by us.
        length = {"music_length_ms": round(request.duration * 1000)} if request.duration else {}
        prompt = request.prompt or ""
        if request.lyrics:
            prompt = f"{prompt}\nLyrics:\n{request.lyrics}".strip()
        return lambda: sdk.music.with_raw_response.compose(
            prompt=prompt, model_id=request.model, output_format=output_format,
            **length)

    def _receive(self, call: Callable[[], AbstractContextManager[Any]], request: Resolved,
                 target: Path, expected: float, progress: Progress, cancelled: Cancelled
                 ) -> dict[str, str]:
        """Stream the answer into ``target``; its headers. Any early end is an error."""
        import httpx

        got = 0
        try:
            with call() as response, target.open("wb") as out:
                headers = {k.lower(): v for k, v in response.headers.items()}
                chunks: Iterator[bytes] = response.data
                for chunk in chunks:
                    if cancelled():
                        raise CancelledError("Generation cancelled")
                    out.write(chunk)
                    got += len(chunk)
                    progress(min(0.95, got / expected))
        except httpx.TimeoutException:
            raise ProviderTimeoutError(
                f"no answer within {self.config.read_timeout_s:g} s (read timeout; raise "
                f"providers.{NAME}.read_timeout_s in the settings for very long lines)",
                NAME) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if got:
                raise ServiceError(f"the audio stream broke off after {got:,} bytes: nothing "
                                   "was kept; generating again fetches it in full", NAME) from None
            raise ServiceError(f"the connection broke ({type(exc).__name__})", NAME) from None
        except httpx.TransportError as exc:
            raise ServiceError(f"cannot reach {self.config.base_url} ({type(exc).__name__})",
                               NAME) from None
        except (ProviderError, CancelledError):
            raise
        except Exception as exc:  # the SDK's ApiError, mapped (key-free)
            raise self._mapped(exc, request) from None
        if not got:
            raise ServiceError("the service answered with no audio", NAME)
        progress(1.0)
        return headers

    def _expected_bytes(self, request: Resolved, output_format: str) -> float:
        """About how many bytes the answer has, for progress only."""
        if request.kind == "voice":
            seconds = max(1.0, len(request.text or "") / 15)  # ~15 characters a second
        else:
            seconds = request.duration or (5.0 if request.kind == "sfx" else 30.0)
        return seconds * BYTES_PER_SECOND[output_format]

    def _learn_limit(self, headers: dict[str, str]) -> None:
        value = headers.get("maximum-concurrent-requests")
        if value and value.isdigit() and int(value) > 0:
            self._learned_limit = int(value)

    # --- the SDK and its errors -----------------------------------------------------------
    def _sdk(self) -> Any:
        with self._lock:
            if self._client is None:
                import httpx
                from elevenlabs.client import ElevenLabs

                # One Timeout object for the client and every call: the SDK hands its
                # ``timeout`` to each request, and a float would make connect wait as long
                # as a read.
                timeout = httpx.Timeout(self.config.read_timeout_s,
                                        connect=self.config.connect_timeout_s)
                self._client = ElevenLabs(
                    api_key=self.config.api_key, base_url=self.config.base_url,
                    timeout=timeout,  # type: ignore[arg-type]
                    httpx_client=httpx.Client(timeout=timeout, follow_redirects=True))
            return self._client

    def _mapped(self, exc: Exception, request: Resolved | None) -> ProviderError:
        """The SDK's error as one of ours, in words, with no header or key in it."""
        import httpx
        from elevenlabs.core.api_error import ApiError

        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError("no answer in time", NAME)
        if isinstance(exc, httpx.TransportError):
            return ServiceError(f"cannot reach {self.config.base_url} ({type(exc).__name__})",
                                NAME)
        if not isinstance(exc, ApiError):
            return ServiceError(f"unexpected answer ({type(exc).__name__})", NAME)
        status = exc.status_code or 0
        code, message, param = _detail(exc.body)
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        retry_after = _seconds(headers.get("retry-after"))
        said = f"{message} ({code})" if message and code else message or code or f"HTTP {status}"
        if status == 403 and code in FORMAT_REFUSED and request is not None:
            return FormatRefused(said, NAME)
        if status == 401 and code == "quota_exceeded":
            return QuotaExceededError(f"out of credits: {said}", NAME)
        if status in (401, 403):
            return AuthenticationError(f"the API key was refused: {said}. Check it in "
                                       f"Preferences > Providers or {service(NAME).key_env}",
                                       NAME)
        if status == 404 and code == "voice_not_found":
            voice = request.voice if request is not None else None
            return BadRequestError(f"this account has no voice '{voice}' ({said}): choose "
                                   "another voice", NAME, field="voice")
        if status == 429 and code in SLOTS_BUSY:
            return SlotsBusyError(f"every concurrent request of the plan is in use: {said}",
                                  NAME, retry_after)
        if status == 429:
            return RateLimitedError(f"the service is busy: {said}", NAME, retry_after)
        if status in (400, 404, 422) and code and ("policy" in code or "moderation" in code):
            return ContentRefusedError(said, NAME)
        if status in (400, 404, 422):
            return BadRequestError(said, NAME, field=param)
        if status >= 500:
            return ServiceError(f"the service failed: {said}", NAME)
        return ServiceError(f"unexpected answer: {said}", NAME)


class FormatRefused(ProviderError):
    """A 403 for the output format: the plan does not include it (handled by falling back)."""


def _detail(body: Any) -> tuple[str | None, str | None, str | None]:
    """(code, message, param) of an error body: ``{"detail": {...}}`` with ``code`` (or the
    legacy ``status``), or a validation list ``{"detail": [{"loc": [...], "msg": ...}]}``."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        loc = [str(p) for p in first.get("loc", []) if p not in ("body", "query", "path")]
        return first.get("type"), first.get("msg"), ".".join(loc) or None
    if isinstance(detail, dict):
        code = detail.get("code") or detail.get("status")
        return code, detail.get("message"), detail.get("param")
    return None, str(detail)[:200] if detail else None, None


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _one_variant(request: Resolved) -> Resolved:
    from dataclasses import replace

    return replace(request, variants=1)


def _store(raw: Path, output_format: str, stem: Path) -> Path:
    """The answer as a file libsndfile reads: raw 16-bit PCM wrapped as WAV, MP3 as sent."""
    if output_format.startswith("pcm_"):
        import numpy as np
        import soundfile as sf

        rate = int(output_format.split("_")[1])
        body = raw.read_bytes()
        if len(body) % 2:
            raise ServiceError("the 16-bit PCM answer ended mid-sample", NAME)
        data = np.frombuffer(body, dtype="<i2")
        target = stem.with_suffix(".wav")
        sf.write(str(target), data, rate, subtype="PCM_16")
        raw.unlink()
        return target
    return raw.rename(stem.with_suffix(".mp3"))
