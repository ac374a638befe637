"""The real output path: QAudioSink -> a PulseAudio null sink, recorded from its monitor and
compared with what `audiostudio render` writes for the same project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import RATE, SAMPLE_PROJECT

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pulse(tmp_path_factory):
    """A private PulseAudio server with one null sink at 48 kHz float (bit-exact monitor)."""
    if not shutil.which("pulseaudio"):
        pytest.fail("pulseaudio is not installed: ./setup.sh installs it")
    home = tmp_path_factory.mktemp("pulse")
    env = {**os.environ, "XDG_RUNTIME_DIR": str(home / "run"), "HOME": str(home),
           "XDG_CONFIG_HOME": str(home / "config"), "QT_QPA_PLATFORM": "offscreen",
           "AUDIOSTUDIO_OUTPUT_DEVICE": ""}  # the system's default: this server's null sink
    (home / "run").mkdir(mode=0o700)
    subprocess.run(
        ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
         "--load=module-null-sink sink_name=nullsink rate=48000 format=float32le channels=2 "
         "norewinds=1", "--load=module-native-protocol-unix"],
        env=env, check=True, capture_output=True, timeout=30)
    try:
        deadline = time.monotonic() + 10
        while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode:
            assert time.monotonic() < deadline, "the PulseAudio server did not come up"
            time.sleep(0.1)
        yield env
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=30)


@pytest.mark.sound_server
def test_the_device_plays_the_exported_mix(pulse, tmp_path):
    out = tmp_path / "export"
    subprocess.run([sys.executable, "-m", "audiostudio", "render", str(SAMPLE_PROJECT), "-o",
                    str(out), "--bit-depth", "32f"], check=True, env=pulse, cwd=ROOT,
                   capture_output=True, timeout=120)
    exported, _ = sf.read(str(out / "mix.wav"), dtype="float32", always_2d=True)

    reference = exported[6 * RATE:8 * RATE]  # two of the three seconds played
    # Qt's PulseAudio output pads a late server request with silence (playback/qt_sink.py):
    # with 40 ms buffers 1 play in 10 had such a run here; with the engine's 60 + 60 ms, 0 of 28
    # (2026-12-01). A loaded CI machine may still lose one: the test passes on the first clean
    # play of three, and reports every play when it fails.
    problems: list[list[str]] = []
    for attempt in range(3):
        problems.append(play_and_compare(pulse, tmp_path / f"monitor-{attempt}.f32", reference))
        if not problems[-1]:
            break
    assert not problems[-1], problems


def play_and_compare(pulse: dict, recording: Path, reference: np.ndarray) -> list[str]:
    """Play 6-9 s of the sample through the device from the window (Space, Space) while
    recording the monitor; what differs from ``reference`` (the export's 6-8 s), as messages
    (empty: the same)."""
    with recording.open("wb") as sink:
        parec = subprocess.Popen(
            ["parec", "--device=nullsink.monitor", "--rate=48000", "--channels=2",
             "--format=float32le", "--raw"], stdout=sink, env=pulse)
        try:
            time.sleep(0.3)
            played = subprocess.run(
                [sys.executable, "-m", "tests.playback.window_play", str(SAMPLE_PROJECT),
                 "6.0", "3.0"], env=pulse, cwd=ROOT, capture_output=True, text=True,
                timeout=60)
            time.sleep(0.3)
        finally:
            parec.terminate()
            parec.wait(10)
    assert played.returncode == 0, played.stderr[-3000:]
    result = json.loads(played.stdout.strip().splitlines()[-1])
    problems = []
    if result["error"] is not None or result["underruns"] or result["playing"] is not True:
        problems.append(f"player: {result}")
    if not result["press_to_device_ms"] or result["press_to_device_ms"] >= 150:
        problems.append(f"press to device {result['press_to_device_ms']} ms")

    heard = np.fromfile(recording, "<f4").reshape(-1, 2)
    # Align: the recording is silent until playback starts; refine around that by residual.
    guess = int(np.argmax(np.abs(heard[:, 0]) > 0)) - int(np.argmax(np.abs(reference[:, 0]) > 0))
    probe = reference[:RATE // 2, 0]
    at = min(range(max(0, guess - 500), guess + 500),
             key=lambda k: float(np.sum((heard[k:k + len(probe), 0] - probe) ** 2)))
    aligned = heard[at:at + len(reference)]
    if len(aligned) < len(reference):
        return [*problems, f"only {len(aligned)} frames recorded"]
    level_db = 10 * np.log10(np.mean(aligned ** 2) / np.mean(reference ** 2))
    residual_db = 10 * np.log10(np.mean((aligned - reference) ** 2) / np.mean(reference ** 2)
                                + 1e-30)
    if abs(level_db) >= 0.5:
        problems.append(f"level {level_db:.2f} dB")
    if residual_db >= -40:
        problems.append(f"residual {residual_db:.1f} dB")
    # No dropouts: the played stretch holds no run of silence the export does not have.
    silent = np.abs(aligned).max(axis=1) == 0
    ref_silent = np.abs(reference).max(axis=1) == 0
    if (silent & ~ref_silent).any():
        problems.append(f"{int((silent & ~ref_silent).sum())} frames dropped out")
    return problems
