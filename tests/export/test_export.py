"""Export on real audio: write it, decode it, measure it."""

import json
import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from audiostudio.errors import CancelledError, ExportError
from audiostudio.export.naming import stem_names
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model import Clip, Project, Track
from audiostudio.model.store import load_project
from audiostudio.settings import cache_dir
from tests.conftest import RATE, SAMPLE_PROJECT, sine


def true_peak_db(x: np.ndarray) -> float:
    """Independent check: 8x oversampled peak."""
    return 20 * np.log10(np.abs(resample_poly(x, 8, 1, axis=0)).max())


@pytest.fixture(scope="module")
def sample_export(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    loaded = load_project(SAMPLE_PROJECT)
    report = export_project(loaded.project, loaded.folder, out,
                            ExportOptions(formats=("wav", "mp3"), stems=True), cache=cache_dir())
    return loaded.project, out, report


def test_mix_meets_loudness_target_and_ceiling(sample_export):
    _project, out, report = sample_export
    mix, rate = sf.read(str(out / "mix.wav"), always_2d=True)
    assert rate == RATE and len(mix) == 24 * RATE
    measured = pyloudnorm.Meter(rate).integrated_loudness(mix)
    assert measured == pytest.approx(-16.0, abs=0.3)
    assert report["integrated_lufs"] == pytest.approx(measured, abs=0.05)
    assert true_peak_db(mix) <= -1.0 + 0.02
    assert report["true_peak_dbtp"] <= -1.0
    assert sf.info(str(out / "mix.wav")).subtype == "PCM_24"


def test_stems_line_up_and_sum_to_the_mix(sample_export):
    _project, out, _report = sample_export
    names = sorted(p.name for p in (out / "stems").iterdir())
    assert names == ["01-narration.wav", "02-sfx.wav", "03-music-bed.wav"]
    mix, _ = sf.read(str(out / "mix.wav"), always_2d=True)
    stems = [sf.read(str(out / "stems" / n), always_2d=True)[0] for n in names]
    assert {len(s) for s in stems} == {len(mix)}
    np.testing.assert_allclose(sum(stems), mix, atol=len(stems) * 2.0**-23 + 1e-6)
    # the first voice line starts at 1.5 s: nothing before sample 72000 in the voice stem
    voice = stems[0]
    assert not voice[:72000].any() and voice[72000:72480].any()
    assert not any(
        np.abs(s).max() > 10 ** (-1 / 20) for s in stems
    )  # no stem clips either


def test_stems_carry_the_ducking(sample_export):
    _, out, _ = sample_export
    music, _ = sf.read(str(out / "stems" / "03-music-bed.wav"), always_2d=True)

    def rms_db(a: float, b: float) -> float:
        seg = music[int(a * RATE) : int(b * RATE)]
        return 10 * np.log10(np.mean(seg**2))

    # The bed repeats a 2 s bar envelope: compare a voice-free bar with one under narration.
    free = rms_db(10.0, 12.0)
    ducked = rms_db(14.0, 16.0)
    assert free - ducked == pytest.approx(12.0, abs=1.5)


def test_report_has_the_figures(sample_export):
    _project, out, report = sample_export
    on_disk = json.loads((out / "report.json").read_text())
    assert on_disk == report
    for key in ("integrated_lufs", "lra", "true_peak_dbtp", "sample_peak_dbfs", "duration_s",
                "target_lufs", "true_peak_ceiling_dbtp"):
        assert key in report
    assert report["target_lufs"] == -16.0 and report["true_peak_ceiling_dbtp"] == -1.0
    assert [t["name"] for t in report["tracks"]] == ["Narration", "SFX", "Music Bed"]
    assert all(t["sample_peak_dbfs"] <= -1.0 and t["rms_dbfs"] < -10 for t in report["tracks"])
    for track in report["tracks"]:  # the figures are those of the written stems
        stem, _ = sf.read(str(out / track["stem"]))
        assert track["sample_peak_dbfs"] == pytest.approx(20 * np.log10(np.abs(stem).max()),
                                                          abs=0.01)


def test_decoded_mp3_stays_under_the_ceiling(sample_export):
    _, out, report = sample_export
    mp3, rate = sf.read(str(out / "mix.mp3"), always_2d=True)
    assert rate == RATE
    assert true_peak_db(mp3) <= -1.0 + 0.05
    assert report["mp3"]["true_peak_dbtp"] <= -1.0
    kbps = (out / "mix.mp3").stat().st_size * 8 / 24 / 1000
    assert 180 < kbps < 200
    # it lines up with the WAV to the sample: a video editor gets both in sync
    mix, _ = sf.read(str(out / "mix.wav"), always_2d=True)
    assert len(mp3) == len(mix)
    seg = slice(2 * RATE, 4 * RATE)
    lags = range(-200, 1200)
    best = max(lags, key=lambda d: float(np.dot(mix[seg, 0], mp3[2 * RATE + d : 4 * RATE + d, 0])))
    assert best == 0


def _scene(folder: Path, tracks: list[Track]) -> Project:
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    return Project(tracks=tracks)


def _asset(folder: Path, name: str, audio: np.ndarray) -> str:
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    sf.write(str(folder / "assets" / name), audio, RATE, subtype="FLOAT")
    return f"assets/{name}"


@pytest.mark.parametrize("phase", ["Measuring loudness", "Writing mix and stems"])
def test_failed_export_leaves_previous_files_alone(tmp_path, phase):
    proj_dir = tmp_path / "p"
    src = _asset(proj_dir, "a.wav", sine(300, 5.0, channels=2))
    project = Project(tracks=[Track("t", name="A", clips=[Clip("c", source=src)])])
    out = tmp_path / "out"
    out.mkdir()
    (out / "mix.wav").write_bytes(b"previous render")
    (out / "notes.txt").write_text("mine")
    seen: list[str] = []

    def progress(fraction: float, label: str) -> None:
        seen.append(label)

    def cancel_midway() -> bool:  # a few blocks into the chosen phase
        return seen.count(phase) > 3

    with pytest.raises(CancelledError):
        export_project(project, proj_dir, out, ExportOptions(stems=True), progress=progress,
                       cancelled=cancel_midway, cache=cache_dir())
    assert phase in seen
    assert (out / "mix.wav").read_bytes() == b"previous render"
    assert (out / "notes.txt").read_text() == "mine"
    leftovers = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert leftovers == ["mix.wav", "notes.txt"]  # no .partial files, no stems


def test_options_bit_depth_rate_and_no_normalize(tmp_path):
    proj_dir = tmp_path / "p"
    src = _asset(proj_dir, "a.wav", sine(300, 2.0, amp=0.1, channels=2))
    project = Project(tracks=[Track("t", name="A", clips=[Clip("c", source=src)])])
    out = tmp_path / "o"
    report = export_project(project, proj_dir, out, ExportOptions(
        bit_depth="16", sample_rate=44100, normalize=False), cache=cache_dir())
    info = sf.info(str(out / "mix.wav"))
    assert (info.samplerate, info.subtype, info.frames) == (44100, "PCM_16", 88200)
    assert report["normalization_gain_db"] == 0.0 and report["target_lufs"] is None
    mix, _ = sf.read(str(out / "mix.wav"))
    assert np.abs(mix).max() == pytest.approx(0.1, abs=1e-3)  # untouched: no gain applied
    report = export_project(project, proj_dir, out, ExportOptions(
        bit_depth="32f", target_lufs=-23.0), cache=cache_dir())
    assert sf.info(str(out / "mix.wav")).subtype == "FLOAT"
    mix, _ = sf.read(str(out / "mix.wav"))
    assert pyloudnorm.Meter(RATE).integrated_loudness(mix) == pytest.approx(-23.0, abs=0.05)


def test_silence_has_no_loudness_and_gets_no_gain(tmp_path):
    proj_dir = tmp_path / "p"
    src = _asset(proj_dir, "s.wav", np.zeros((RATE * 2, 2), np.float32))
    project = Project(tracks=[Track("t", clips=[Clip("c", source=src)])])
    report = export_project(project, proj_dir, tmp_path / "o", cache=cache_dir())
    assert report["integrated_lufs"] is None and report["normalization_gain_db"] == 0.0
    assert json.loads((tmp_path / "o" / "report.json").read_text())["integrated_lufs"] is None
    assert not sf.read(str(tmp_path / "o" / "mix.wav"))[0].any()


def test_muted_and_reference_tracks_get_no_stem(tmp_path):
    proj_dir = tmp_path / "p"
    src = _asset(proj_dir, "a.wav", sine(300, 1.0, channels=2))
    project = Project(tracks=[
        Track("1", name="Voice", clips=[Clip("a", source=src)]),
        Track("2", name="Voice", clips=[Clip("b", source=src)]),
        Track("3", name="Muted", mute=True, clips=[Clip("c", source=src)]),
        Track("4", name="Reference", in_mix=False, clips=[Clip("d", source=src)]),
    ])
    export_project(project, proj_dir, tmp_path / "o", ExportOptions(stems=True), cache=cache_dir())
    names = sorted(p.name for p in (tmp_path / "o" / "stems").iterdir())
    assert names == ["01-voice.wav", "02-voice-2.wav"]


def test_empty_project_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="Nothing to export"):
        export_project(Project(), tmp_path, tmp_path / "o", cache=cache_dir())


def test_stem_names():
    assert stem_names(["Narration", "Music Bed #2", "", "Narration", "Ça va?"]) == [
        "01-narration.wav", "02-music-bed-2.wav", "03-track.wav", "04-narration-2.wav",
        "05-ca-va.wav"]


def test_sample_project_is_untouched_by_export(sample_export, tmp_path):
    # rendering reads the project; it never writes into the project folder
    shutil.copytree(SAMPLE_PROJECT, tmp_path / "copy")
    before = sorted(p.name for p in (tmp_path / "copy").rglob("*"))
    loaded = load_project(tmp_path / "copy")
    export_project(loaded.project, loaded.folder, tmp_path / "out", cache=cache_dir())
    assert sorted(p.name for p in (tmp_path / "copy").rglob("*")) == before


def test_a_write_failing_on_an_output_thread_is_a_clear_error(tmp_path, monkeypatch):
    from audiostudio.export import wavfile

    proj_dir = tmp_path / "p"
    tracks = [Track(f"t{i}", name=f"T{i}", clips=[Clip(f"c{i}", source=_asset(
        proj_dir, f"{i}.wav", sine(200 + 100 * i, 4.0, channels=2)))]) for i in range(4)]
    written: list[int] = []
    real_write = wavfile.WavWriter.write

    def write(self, block):
        written.append(len(block))
        if len(written) > 12:  # a few blocks in, on whichever thread holds this file
            raise OSError(28, "No space left on device")
        real_write(self, block)

    monkeypatch.setattr(wavfile.WavWriter, "write", write)
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="No space left on device"):
        export_project(Project(tracks=tracks), proj_dir, out, ExportOptions(stems=True),
                       cache=cache_dir())
    assert not [p for p in out.rglob("*") if p.is_file()]  # nothing half-written is left
