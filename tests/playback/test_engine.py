"""The audio engine's process: plays the export's samples whatever the window's thread does."""

import threading
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from audiostudio.audio.mixer import build_plan
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model.store import load_project
from audiostudio.playback.engine import PlaybackEngine, pack
from audiostudio.settings import cache_dir
from tests.conftest import RATE, SAMPLE_PROJECT


def _packed_sample() -> bytes:
    loaded = load_project(SAMPLE_PROJECT)
    plan = build_plan(loaded.project, loaded.folder, export=False, cache=cache_dir())
    return pack(plan, loaded.project.mix.true_peak_ceiling_dbtp)


def _hog_the_gil(stop: threading.Event) -> None:
    """Pure Python: holds the interpreter lock as a window repainting in Python does."""
    while not stop.is_set():
        sum(i * i for i in range(2000))


def test_the_engine_plays_the_export_while_this_process_is_busy(tmp_path):
    loaded = load_project(SAMPLE_PROJECT)
    export_project(loaded.project, loaded.folder, tmp_path,
                   ExportOptions(bit_depth="32f", normalize=False), cache=cache_dir())
    mix, _ = sf.read(str(tmp_path / "mix.wav"), dtype="float32", always_2d=True)
    engine = PlaybackEngine(RATE, "none", record=True)
    try:
        engine.set_mix(_packed_sample())
        engine.set_gain(0.0, ramp=False)  # as the export without normalisation
        stop = threading.Event()
        hogs = [threading.Thread(target=_hog_the_gil, args=(stop,)) for _ in range(2)]
        for hog in hogs:
            hog.start()
        try:
            engine.play(RATE)
            deadline = time.monotonic() + 20
            while engine.position() < 3 * RATE and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            for hog in hogs:
                hog.join()
        engine.pause()
        heard, underrun_at = engine.recording()
        assert len(heard) >= 2 * RATE
        assert underrun_at == []
        np.testing.assert_allclose(heard, mix[RATE:RATE + len(heard)], atol=2e-6)
    finally:
        engine.close()


def test_two_engines_play_side_by_side(tmp_path):
    packed = _packed_sample()
    first, second = (PlaybackEngine(RATE, "none", record=True) for _ in range(2))
    try:
        for engine in (first, second):
            engine.set_mix(packed)
            engine.set_gain(0.0, ramp=False)
        first.play(0)
        second.play(5 * RATE)
        deadline = time.monotonic() + 20
        while first.position() < RATE // 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        first.pause()
        second.pause()
        one, two = first.recording()[0], second.recording()[0]
        assert len(one) and len(two)
        assert not np.array_equal(one[:1000], two[:1000])  # each played its own position
    finally:
        first.close()
        second.close()


def test_the_engine_says_why_it_cannot_open_an_audio_file(tmp_path):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    engine = PlaybackEngine(RATE, "none")
    try:
        engine.audition(Path(broken))
        status = engine.status()
        assert not status.playing
        assert [note for note in status.notes if note.startswith("Playback: ")], status.notes
    finally:
        engine.close()
