"""Suno songs through a partner API (sunoapi.org flavour; kie.ai speaks the same)."""

from __future__ import annotations

from pathlib import Path

from audiostudio.progress import Cancelled, Progress
from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption
from audiostudio.providers.config import ProviderConfig

DEFAULT_URL = "https://api.sunoapi.org"


class SunoProvider:
    name = "suno"
    kinds = frozenset({"music"})
    default_model: str | None = "V4_5"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    def engine_version(self, kind: str) -> str:
        return "suno-1"

    def voices(self) -> list[VoiceOption]:
        return []

    def default_voice(self) -> str | None:
        return None

    def params(self) -> list[ParamSpec]:
        return []

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(12.0, "credits")

    def generate(self, request: Resolved, seed: int, workdir: Path, progress: Progress,
                 cancelled: Cancelled) -> list[ProviderResult]:
        raise NotImplementedError("work in progress")
