"""MP3 stems: the encoder's overshoot over the true-peak ceiling is measured on the decoded
files and said, never silently delivered."""

import numpy as np
import pytest

from audiostudio.audio.decode import read_all
from audiostudio.audio.loudness import measure_file
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model import Clip, Project, Track
from audiostudio.model.assets import import_asset
from audiostudio.settings import cache_dir
from audiostudio.ui.export_dialog import summary
from tests.conftest import RATE


def _scene(folder, write_wav) -> Project:
    """Loud broadband noise (rain, wind: what MP3 overshoots most) and a quiet tone."""
    noise = np.random.default_rng(3).standard_normal((6 * RATE, 2)).astype(np.float32) * 0.1
    t = np.arange(6 * RATE) / RATE
    tone = (0.01 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    tracks = [Track(f"t-{name}", name=name, kind="sfx", clips=[
        Clip(f"c-{name}", start=0.0, source=import_asset(folder, write_wav(f"{name}.wav", audio)),
             source_duration=6.0)]) for name, audio in (("rain", noise), ("tone", tone))]
    return Project(name="Overshoot", sample_rate_hz=RATE, tracks=tracks)


def _export(project, folder, out, **options):
    # hot: the limiter holds the rain at the ceiling, where the encoder's filters overshoot
    return export_project(project, folder, out, ExportOptions(
        stems=True, stems_format="mp3", target_lufs=-6.0, true_peak_dbtp=-1.0,
        auto_level=False, **options), cache=cache_dir())


def test_an_mp3_stem_over_the_ceiling_is_encoded_again_with_a_margin(tmp_path, write_wav):
    folder = tmp_path / "scene"
    project = _scene(folder, write_wav)
    report = _export(project, folder, tmp_path / "out")
    rain, tone = report["tracks"]
    decoded = {t["name"]: measure_file(tmp_path / "out" / t["stem"]) for t in (rain, tone)}
    assert decoded["rain"].true_peak_dbtp <= -1.0 and decoded["tone"].true_peak_dbtp <= -1.0
    # the encoder overshot by ~2 dB: the rain alone got a margin, the quiet tone none
    assert 1.0 < rain["mp3_margin_db"] < 4.0 and tone["mp3_margin_db"] is None
    assert rain["over_ceiling_dbtp"] is None and not report["warnings"]
    assert "MP3 stems: 1 limited up to" in summary(report)  # the export dialog says so
    # still the rain, in time, quieter by at most the margin (on noise held at the ceiling
    # the limiter takes about that much everywhere)
    lost = rain["integrated_lufs"] - decoded["rain"].integrated_lufs
    assert 0.0 < lost < rain["mp3_margin_db"] + 1.0, (lost, rain["mp3_margin_db"])
    mix, _ = read_all(tmp_path / "out" / "mix.wav")
    stem, _ = read_all(tmp_path / "out" / rain["stem"])
    at, width, reach = 2 * RATE, RATE, 200  # noise matches itself at one lag only
    found = np.correlate(stem[at - reach:at + width + reach, 0], mix[at:at + width, 0])
    assert int(np.argmax(found)) == reach


def test_an_mp3_stem_the_margin_cannot_fix_is_measured_and_warned(tmp_path, write_wav,
                                                                   monkeypatch):
    """With a single try (no encoding again), the overshoot is reported as decoded."""
    from audiostudio.export import render

    monkeypatch.setattr(render, "MP3_MAX_TRIES", 1)
    folder = tmp_path / "scene"
    project = _scene(folder, write_wav)
    out = tmp_path / "out"
    report = _export(project, folder, out)
    rain, tone = report["tracks"]
    decoded = {t["name"]: measure_file(out / t["stem"]).true_peak_dbtp for t in (rain, tone)}
    assert decoded["rain"] > -1.0 + 0.5  # the overshoot is real (the WAV mix stays under)
    assert report["true_peak_dbtp"] <= -1.0
    assert rain["over_ceiling_dbtp"] == pytest.approx(decoded["rain"], abs=0.02)
    assert tone["over_ceiling_dbtp"] is None and decoded["tone"] < -1.0
    warned = [w for w in report["warnings"] if w["track_id"] == "t-rain"]
    assert len(warned) == 1 and "over the -1 dBTP ceiling" in warned[0]["message"]
    assert warned[0]["where"] == f"stem {rain['stem']}"
    assert not [w for w in report["warnings"] if w["track_id"] == "t-tone"]
    assert f"Note: stem {rain['stem']}: peaks at" in summary(report)
