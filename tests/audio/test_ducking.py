"""Ducking measured on a real render: music goes down under voice, on time, without pumping."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio.ducking import envelope_db
from audiostudio.audio.mixer import build_plan, render, render_tracks
from audiostudio.model import Clip, Duck, Project, Track
from audiostudio.settings import cache_dir
from tests.conftest import RATE, sine


def put(folder: Path, name: str, audio: np.ndarray) -> str:
    (folder / "assets").mkdir(exist_ok=True)
    sf.write(str(folder / "assets" / name), audio, RATE, subtype="FLOAT")
    return f"assets/{name}"


def scene(folder: Path, voice_spans: list[tuple[float, float]], duck: Duck | None = None):
    music = put(folder, "m.wav", sine(200, 10.0, amp=0.25, channels=2))
    voice = put(folder, "v.wav", np.random.default_rng(0).uniform(-0.5, 0.5, (RATE * 10, 1))
                .astype(np.float32))
    voice_clips = [Clip(f"v{i}", start=s, duration=e - s, source=voice)
                   for i, (s, e) in enumerate(voice_spans)]
    project = Project(tracks=[Track("v", kind="voice", clips=voice_clips),
                              Track("m", kind="music", clips=[Clip("m1", source=music)])])
    if duck:
        project.mix.duck = duck
    return project


def music_gain_db(project: Project, folder: Path) -> np.ndarray:
    """Music track level relative to the undocked source, per 10 ms, in dB."""
    plan = build_plan(project, folder, cache=cache_dir())
    music = np.concatenate([render_tracks(plan, b0, b1, which=[1])[0]
                            for b0, b1 in plan.blocks()])
    window = RATE // 100
    rms = np.sqrt(np.mean(music[: len(music) // window * window, 0].reshape(-1, window) ** 2,
                          axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-9) / (0.25 / np.sqrt(2)))


def test_music_is_down_by_depth_when_the_voice_lands(tmp_path):
    gain = music_gain_db(scene(tmp_path, [(3.0, 6.0)]), tmp_path)
    assert gain[100] == pytest.approx(0.0, abs=0.2)  # 1 s: no voice, music untouched
    # look-ahead 150 ms + attack 80 ms: fully down 70 ms before the first syllable
    assert gain[300] == pytest.approx(-12.0, abs=0.3)
    assert gain[292] == pytest.approx(-12.0, abs=0.5)
    assert gain[284] > -11.0  # ... and not before the look-ahead
    assert gain[450] == pytest.approx(-12.0, abs=0.3)
    # after the last line the 500 ms release starts (hold only bridges gaps between lines)
    assert gain[595] == pytest.approx(-12.0, abs=0.5)
    assert gain[625] == pytest.approx(-12.0 + 12.0 * 250 / 500, abs=0.5)
    assert gain[660] == pytest.approx(0.0, abs=0.3)


def test_short_gaps_do_not_pump(tmp_path):
    gain = music_gain_db(scene(tmp_path, [(2.0, 3.0), (3.2, 4.0), (4.1, 5.0)]), tmp_path)
    assert gain[200:500].max() < -11.5  # 200 ms and 100 ms gaps < 300 ms hold


def test_long_gaps_release(tmp_path):
    gain = music_gain_db(scene(tmp_path, [(1.0, 2.0), (5.0, 6.0)]), tmp_path)
    assert gain[400] == pytest.approx(0.0, abs=0.3)


def test_depth_and_threshold_follow_the_mix_settings(tmp_path):
    gain = music_gain_db(scene(tmp_path, [(2.0, 5.0)], Duck(depth_db=-6.0)), tmp_path)
    assert gain[350] == pytest.approx(-6.0, abs=0.3)
    # a threshold above the voice level means the voice never counts as active
    gain = music_gain_db(scene(tmp_path, [(2.0, 5.0)], Duck(threshold_db=0.0)), tmp_path)
    assert np.abs(gain[50:900]).max() < 0.2


def test_muted_key_track_does_not_duck(tmp_path):
    project = scene(tmp_path, [(2.0, 5.0)])
    project.tracks[0].mute = True
    plan = build_plan(project, tmp_path, cache=cache_dir())
    assert plan.envelope is None
    mix = render(plan, 0, plan.frames)
    assert np.abs(mix[3 * RATE : 4 * RATE, 0]).max() == pytest.approx(0.25, rel=1e-3)


def test_envelope_is_data_for_drawing(tmp_path):
    plan = build_plan(scene(tmp_path, [(3.0, 6.0)]), tmp_path, cache=cache_dir())
    env = plan.envelope
    assert env is not None and len(env.times()) == len(env.gain_db) == 1000
    assert env.times()[0] == pytest.approx(0.005)
    assert env.gain_db.min() == pytest.approx(-12.0)


def test_envelope_ramps_at_constant_rate():
    levels = np.full(200, -80.0)
    levels[100:] = -10.0
    db = envelope_db(levels, Duck(lookahead_ms=0, attack_ms=100, hold_ms=0))
    assert db[99] == 0.0 and db[100] == pytest.approx(-1.2) and db[109] == pytest.approx(-12.0)
