"""Stability AI Stable Audio 2 / 2.5 (text to audio) over its REST API with ``requests``."""

from __future__ import annotations

from pathlib import Path

from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption
from audiostudio.providers.config import ProviderConfig

DEFAULT_URL = "https://api.stability.ai"


class StabilityProvider:
    name = "stability"
    kinds = frozenset({"sfx", "music"})
    default_model: str | None = "stable-audio-2.5"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def engine_version(self, kind: str) -> str:
        return "stability-1"

    def voices(self) -> list[VoiceOption]:
        return []

    def default_voice(self) -> str | None:
        return None

    def params(self) -> list[ParamSpec]:
        return []

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(20.0 * request.variants, "credits")

    def generate(self, request: Resolved, seed: int, workdir: Path, progress: Progress,
                 cancelled: Cancelled) -> list[ProviderResult]:
        raise NotImplementedError("work in progress")
