"""The built-in offline provider: the default, needs no key and no network.

voice: Piper (a neural en_US voice shipped as a wheel), CMU Flite (four English voices and
characters made from them) and eSpeak NG (100+ voices/languages), see voice_catalogue.py;
sfx: procedural synthesis by prompt words; music: procedural beds and stings. Everything is
deterministic for a seed, so the cache and the tests can rely on it.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
import soundfile as sf

from audiostudio.errors import BadRequestError
from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption

RATE = 48000
_REVISION = "1"


class OfflineProvider:
    name = "offline"
    kinds = frozenset({"voice", "sfx", "music"})
    default_models: ClassVar[dict[str, str]] = {}  # one engine per kind, no models

    def engine_version(self, kind: str) -> str:
        if kind == "voice":
            from audiostudio.providers.offline import voices

            engine = voices.ENGINE_VERSION
        else:  # sfx and music import scipy.signal (~0.5 s): only when asked, as voices
            from audiostudio.providers.offline import music, sfx

            engine = f"{kind}-{(sfx if kind == 'sfx' else music).VERSION}"
        return f"offline-{_REVISION}/{engine}"

    def voices(self) -> list[VoiceOption]:
        from audiostudio.providers.offline import voices

        missing = voices.missing_engines()
        return [VoiceOption(v.id, v.name, v.language, v.description, v.gender, v.engine,
                            missing.get(v.engine, "")) for v in voices.VOICES]

    def default_voice(self) -> str:
        from audiostudio.providers.offline import voices

        return voices.DEFAULT_VOICE

    def spoken_as(self, voice_id: str) -> str | None:
        """The voice an id it does not list is spoken with: a dropped one's successor (old
        projects keep working), an ``espeak:<voice>[+variant]`` id itself; None: unknown."""
        from audiostudio.providers.offline import voices

        if voice_id in voices.REPLACED:
            return voices.REPLACED[voice_id]
        try:
            voices.voice_info(voice_id)
        except voices.VoiceError:
            return None
        return voice_id

    def params(self) -> list[ParamSpec]:
        return [
            ParamSpec("speed", "float", 1.0, 0.5, 2.0, description="speaking rate",
                      kinds=("voice",)),
            ParamSpec("pitch", "float", 0.0, -12.0, 12.0, description="semitones",
                      kinds=("voice",)),
            ParamSpec("volume_db", "float", 0.0, -24.0, 12.0, kinds=("voice",)),
        ]

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(0.0, "credits")

    def generate(
        self,
        request: Resolved,
        seed: int,
        workdir: Path,
        progress: Progress,
        cancelled: Cancelled,
    ) -> list[ProviderResult]:
        results = []
        for variant in range(request.variants):
            audio = self._render(request, seed, variant, cancelled)
            path = workdir / f"offline-{variant}.wav"
            sf.write(str(path), audio, RATE, subtype="FLOAT")
            results.append(ProviderResult(path, seed, variant, None, Cost(0.0, "credits")))
            progress((variant + 1) / request.variants)
        return results

    def _render(
        self, request: Resolved, seed: int, variant: int, cancelled: Cancelled
    ) -> np.ndarray:
        if request.kind == "voice":
            from audiostudio.providers.offline import voices

            if not (request.text or "").strip():
                raise BadRequestError("a voice line needs text", self.name, field="text")
            # A voice request's duration is the length to fit the line to (a `fit` request).
            return voices.speak(request.text or "", request.voice or voices.DEFAULT_VOICE,
                                request.params, RATE, cancelled, fit_to=request.duration)
        prompt = (request.prompt or "").strip()
        if not prompt:
            raise BadRequestError(f"a {request.kind} clip needs a prompt", self.name,
                                  field="prompt")
        if request.duration is not None and not 0 < request.duration <= 600:
            raise BadRequestError("must be between 0 and 600 seconds", self.name,
                                  field="duration")
        from audiostudio.providers.offline import music, sfx

        if request.kind == "sfx":
            return sfx.synthesize(prompt, request.duration, seed + variant, RATE)
        return music.compose(prompt, request.duration, seed, RATE, variant=variant)
