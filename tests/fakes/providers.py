"""A provider that makes real (tiny) WAV files, counts its calls and fails on cue."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import ClassVar

import numpy as np
import soundfile as sf

from audiostudio.providers.base import Cost, ParamSpec, ProviderResult, Resolved, VoiceOption


class FakeProvider:
    name = "fake"
    kinds = frozenset({"voice", "sfx", "music"})
    default_models: ClassVar[dict[str, str]] = dict.fromkeys(("voice", "sfx", "music"), "fake-1")

    def __init__(self, failures: list[Exception] | None = None, work_s: float = 0.0,
                 fail_prompts: dict[str, Exception] | None = None) -> None:
        self.failures = list(failures or [])  # raised by the next calls, in order
        self.fail_prompts = fail_prompts or {}
        self.work_s = work_s
        self.calls = 0
        self.running = 0
        self.max_running = 0
        self.version = "1"
        self.lock = threading.Lock()

    def engine_version(self, kind: str) -> str:
        return f"fake-{self.version}"

    def voices(self) -> list[VoiceOption]:
        return [VoiceOption("fake:a", "A")]

    def default_voice(self) -> str:
        return "fake:a"

    def params(self) -> list[ParamSpec]:
        return [ParamSpec("warmth", "float", 0.5, 0.0, 1.0)]

    def estimate_cost(self, request: Resolved) -> Cost:
        return Cost(10.0 * request.variants, "credits")

    def generate(self, request, seed, workdir: Path, progress, cancelled):
        with self.lock:
            self.calls += 1
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            failure = self.failures.pop(0) if self.failures else None
        try:
            if failure:
                raise failure
            text = request.text or request.prompt or ""
            if text in self.fail_prompts:
                raise self.fail_prompts[text]
            end = time.monotonic() + self.work_s
            while time.monotonic() < end:
                if cancelled():
                    from audiostudio.errors import CancelledError

                    raise CancelledError("stopped")
                time.sleep(0.005)
            results = []
            for v in range(request.variants):
                freq = 200 + (seed % 500) + 50 * v
                t = np.arange(24000) / 48000
                path = workdir / f"{v}.wav"
                sf.write(str(path), (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32),
                         48000)
                results.append(ProviderResult(path, seed, v, f"req-{self.calls}",
                                              Cost(10.0, "credits")))
                progress((v + 1) / request.variants)
            return results
        finally:
            with self.lock:
                self.running -= 1
