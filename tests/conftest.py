"""Shared fixtures: every test run gets its own cache and config dirs, never the user's."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

RATE = 48000
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI tests never need a screen


@pytest.fixture(autouse=True, scope="session")
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("user-dirs")
    os.environ["XDG_CACHE_HOME"] = str(base / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")
    os.environ.pop("AUDIOSTUDIO_CACHE_DIR", None)


@pytest.fixture
def write_wav(tmp_path: Path):
    """Write float audio to a WAV (or other format by extension) and return its path."""

    def write(name: str, audio: np.ndarray, rate: int = RATE, subtype: str | None = None) -> Path:
        path = tmp_path / name
        sf.write(str(path), audio, rate, subtype=subtype)
        return path

    return write


def sine(freq: float, seconds: float, amp: float = 0.5, rate: int = RATE, channels: int = 1):
    t = np.arange(round(seconds * rate)) / rate
    wave = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.repeat(wave[:, None], channels, axis=1)


SAMPLE_PROJECT = Path(__file__).resolve().parent.parent / "resources" / "sample-project"
