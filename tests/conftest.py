"""Shared fixtures: every test run gets its own cache and config dirs, never the user's."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

RATE = 48000
THREAD_GRACE_S = 2.0  # a worker told to stop gets this long to finish before the test fails
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # GUI tests never need a screen


@pytest.fixture(autouse=True, scope="session")
def _isolated_dirs(tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("user-dirs")
    os.environ["XDG_CACHE_HOME"] = str(base / "cache")
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")
    os.environ.pop("AUDIOSTUDIO_CACHE_DIR", None)
    # Windows under test preview into the null output, never a developer's speakers (the
    # real device path is tested against a private PulseAudio server, in its own process).
    os.environ["AUDIOSTUDIO_OUTPUT_DEVICE"] = "none"
    # API keys never touch a developer's keyring: no backend, so the 0600 file (tests that
    # need a keyring install an in-memory one).
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"


@pytest.fixture(autouse=True)
def _no_leaked_threads():
    """Fail a test that leaves threads running (its own, or busy Qt pool workers)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S

    def started_here() -> list[threading.Thread]:
        # Dummy threads are Qt's (or other foreign) threads that once ran Python: an idle Qt
        # pool keeps them for reuse, so the pool's own busy count below judges them.
        return [t for t in threading.enumerate() if t not in before and t.is_alive()
                and not isinstance(t, threading._DummyThread)]

    for thread in started_here():
        thread.join(max(0.0, deadline - time.monotonic()))
    leaked = [t.name for t in started_here()]
    busy = 0
    if "PySide6.QtCore" in sys.modules:  # only tests that use Qt can leave Qt workers
        from PySide6.QtCore import QThreadPool

        pool = QThreadPool.globalInstance()
        pool.waitForDone(max(0, round((deadline - time.monotonic()) * 1000)))
        busy = pool.activeThreadCount()
    if leaked or busy:
        pytest.fail(f"threads still running after the test: {leaked}, busy Qt pool workers: "
                    f"{busy}", pytrace=False)


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
