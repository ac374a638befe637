"""A mix that sounds right by default, and says so when it does not: auto-level by kind and
the delivered loudness, measured on the files written (pyloudnorm on the decoded audio)."""

import json

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from audiostudio.audio.master import premaster_loudness
from audiostudio.audio.mixer import build_plan
from audiostudio.cli import main
from audiostudio.errors import ExportError
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model import Clip, Track
from audiostudio.model.assets import import_asset
from audiostudio.model.store import save_project
from audiostudio.settings import Settings, cache_dir
from tests.conftest import RATE

LINES = ((2.0, 4.0), (9.0, 4.0))  # (start, length) of the normal line and the whisper
METER = pyloudnorm.Meter(RATE)


def _t(seconds: float) -> np.ndarray:
    return np.arange(round(seconds * RATE)) / RATE


def _line(seconds: float, amp: float) -> np.ndarray:
    """Syllables of a harmonic voice: 200 ms on, 100 ms off."""
    t = _t(seconds)
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((160, 320, 480, 800), 1))
    return (tone * ((t % 0.3) < 0.2) * amp).astype(np.float32)


def _whisper(seconds: float, amp: float) -> np.ndarray:
    """Breathy noise syllables, band-limited to the voice band (a whisper has no pitch)."""
    t = _t(seconds)
    noise = np.random.default_rng(5).standard_normal(len(t))
    kernel = np.hanning(31) / np.hanning(31).sum()
    band = np.convolve(noise, kernel, mode="same") - np.convolve(noise, np.ones(301) / 301,
                                                                 mode="same")
    return (band * ((t % 0.3) < 0.2) * amp).astype(np.float32)


def _bed(seconds: float, amp: float) -> np.ndarray:
    """A loud stereo pad: a chord and a little noise."""
    t = _t(seconds)
    chord = sum(np.sin(2 * np.pi * f * t + k) for k, f in enumerate((110, 220, 277, 330, 440)))
    noise = np.random.default_rng(6).standard_normal((len(t), 2)) * 0.1
    return ((chord[:, None] / 5 + noise) * amp).astype(np.float32)


def _knocks(seconds: float, amp: float) -> np.ndarray:
    t = _t(seconds)
    decay = np.exp(-((t % 0.5) * 40)) * np.sin(2 * np.pi * 150 * t)
    return (decay * amp).astype(np.float32)


def _scene(folder, write_wav):
    """Generated assets at very different levels, as services deliver them: a bed at about
    -13 LUFS, a normal line at -26, a whisper at -49, quiet knocks at -40."""
    def asset(name, audio):
        return import_asset(folder, write_wav(name, audio))

    project = Settings().blank_project("Levels")  # a new project: the defaults
    voice = Track("t-voice", name="Voice", kind="voice", clips=[
        Clip(f"c-line{i}", start=start, source=asset(f"line{i}.wav", audio),
             source_duration=length)
        for i, ((start, length), audio) in enumerate(zip(
            LINES, (_line(4.0, 0.08), _whisper(4.0, 0.02)), strict=True))])
    sfx = Track("t-sfx", name="SFX", kind="sfx", clips=[
        Clip("c-knock", start=14.0, source=asset("knock.wav", _knocks(2.0, 0.1)),
             source_duration=2.0)])
    music = Track("t-music", name="Music", kind="music", clips=[
        Clip("c-bed", start=0.0, source=asset("bed.wav", _bed(18.0, 0.5)), source_duration=18.0)])
    project.tracks = [voice, sfx, music]
    return project


@pytest.fixture
def scene(tmp_path, write_wav):
    folder = tmp_path / "scene"
    return _scene(folder, write_wav), folder


def _stems(out):
    return {p.stem.split("-", 1)[1]: sf.read(str(p), always_2d=True)[0]
            for p in (out / "stems").glob("*.wav")}


def _segment_lufs(audio: np.ndarray, start: float, length: float) -> float:
    return METER.integrated_loudness(audio[round(start * RATE):round((start + length) * RATE)])


def test_defaults_put_dialogue_over_the_ducked_bed_even_a_whisper(scene, tmp_path):
    project, folder = scene
    out = tmp_path / "out"
    report = export_project(project, folder, out, ExportOptions(stems=True), cache=cache_dir())
    stems = _stems(out)
    for start, length in LINES:
        voice = _segment_lufs(stems["voice"], start + 0.5, length - 1.0)
        music = _segment_lufs(stems["music"], start + 0.5, length - 1.0)
        assert voice - music >= 10.0, (start, voice, music)
    # the whisper comes out at the level of the normal line, well over the bed
    normal, whisper = (_segment_lufs(stems["voice"], s, n) for s, n in LINES)
    assert abs(normal - whisper) < 2.0
    # the quiet knocks are brought up to sit under the dialogue, not 30 dB under the bed
    knocks = _segment_lufs(stems["sfx"], 14.0, 2.0)
    assert normal - 9.0 < knocks < normal - 3.0
    assert report["auto_level"] is True
    assert report["dialogue_to_music_lu"] >= 10.0
    voice_report = next(t for t in report["tracks"] if t["id"] == "t-voice")
    assert voice_report["kind"] == "voice"
    assert voice_report["integrated_lufs"] == pytest.approx(
        METER.integrated_loudness(stems["voice"]), abs=0.3)
    assert voice_report["speech_gated_lufs"] >= voice_report["integrated_lufs"]
    assert next(t for t in report["tracks"] if t["id"] == "t-music")["speech_gated_lufs"] is None

    # The same scene without auto-level (the CLI's --no-auto-level): the whisper drowns.
    plain = tmp_path / "plain"
    report = export_project(project, folder, plain, ExportOptions(stems=True, auto_level=False),
                            cache=cache_dir())
    stems = _stems(plain)
    start, length = LINES[1]
    assert _segment_lufs(stems["voice"], start, length) < _segment_lufs(stems["music"], start,
                                                                        length)
    assert report["auto_level"] is False and report["dialogue_to_music_lu"] < 10.0


def _hot_scene(folder, write_wav):
    """Noise with strong hits four times a second (peak to loudness 24 dB): normalised to
    -16 LUFS its hits go ~9 dB over a -1 dBTP ceiling, so the limiter takes away loudness a
    plain normalisation gain counted on."""
    t = _t(10.0)
    rng = np.random.default_rng(8)
    noise = np.convolve(rng.standard_normal(len(t)), np.ones(8) / 8, mode="same")
    spikes = (np.sin(2 * np.pi * 300 * t) * np.exp(-((t % 0.25) * 400))) * 20.0
    audio = ((noise + spikes) * 0.05).astype(np.float32)
    project = Settings().blank_project("Hot")
    project.tracks = [Track("t-m", name="Music", kind="music", clips=[
        Clip("c-hot", source=import_asset(folder, write_wav("hot.wav", audio)),
             source_duration=10.0)])]
    return project


@pytest.fixture
def hot(tmp_path, write_wav):
    folder = tmp_path / "hot"
    return _hot_scene(folder, write_wav), folder


@pytest.mark.parametrize("target", [-16.0, -14.0])
def test_a_hot_mix_is_delivered_at_its_target_under_the_ceiling(hot, tmp_path, target):
    project, folder = hot
    out = tmp_path / "out"
    report = export_project(project, folder, out, ExportOptions(target_lufs=target),
                            cache=cache_dir())
    mix, _rate = sf.read(str(out / "mix.wav"), always_2d=True)
    assert METER.integrated_loudness(mix) == pytest.approx(target, abs=0.2)
    assert 20 * np.log10(np.abs(resample_poly(mix, 8, 1, axis=0)).max()) <= -1.0 + 0.05
    assert report["target_met"] is True and report["target_reason"] is None
    # the limiter worked hard: the gain delivered is well over the plain normalisation gain
    plain = target - report["pre_normalization_lufs"]
    assert report["normalization_gain_db"] > plain + 0.5
    # live preview plays at the very gain the export used
    plan = build_plan(project, folder, export=False, cache=cache_dir())
    preview = premaster_loudness(plan, None, target, project.mix.true_peak_ceiling_dbtp)
    assert preview.norm_db == pytest.approx(report["normalization_gain_db"], abs=0.01)


def test_a_target_the_ceiling_makes_impossible_is_reported(hot, tmp_path, capsys):
    project, folder = hot
    project.mix.target_lufs, project.mix.true_peak_ceiling_dbtp = -5.0, -9.0
    save_project(project, folder)
    out = tmp_path / "out"
    assert main(["render", str(folder), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["target_met"] is False
    assert "ceiling" in report["target_reason"]
    assert report["integrated_lufs"] < -5.5
    lines = [line for line in capsys.readouterr().err.splitlines() if "LUFS target" in line]
    assert len(lines) == 1 and "-9 dBTP ceiling" in lines[0]


def test_mp3_report_figures_are_the_decoded_mp3s(hot, tmp_path):
    project, folder = hot
    out = tmp_path / "out"
    report = export_project(project, folder, out,
                            ExportOptions(formats=("mp3",), stems=True, stems_format="mp3",
                                          target_lufs=-14.0), cache=cache_dir())
    mp3, _ = sf.read(str(out / "mix.mp3"), always_2d=True)
    measured = METER.integrated_loudness(mp3)
    assert report["file"] == "mix.mp3" and report["integrated_lufs"] == report["mp3"][
        "integrated_lufs"]
    assert report["integrated_lufs"] == pytest.approx(measured, abs=0.1)
    assert measured == pytest.approx(-14.0, abs=0.2) and report["target_met"] is True
    assert report["true_peak_dbtp"] <= -1.0
    assert report["files"] == ["mix.mp3", "stems/01-music.mp3"]
    stem, _ = sf.read(str(out / "stems" / "01-music.mp3"), always_2d=True)
    assert abs(len(stem) - len(mp3)) < RATE // 10 and METER.integrated_loudness(stem) > -20


@pytest.mark.parametrize(("options", "words"), [
    (ExportOptions(target_lufs=-80.0), "between -70 and -5 LUFS, not -80"),
    (ExportOptions(target_lufs=-3.0), "between -70 and -5 LUFS, not -3"),
    (ExportOptions(true_peak_dbtp=-12.0), "between -9 and 0 dBTP, not -12"),
    (ExportOptions(true_peak_dbtp=0.5), "between -9 and 0 dBTP, not 0.5"),
    (ExportOptions(sample_rate=4000), "between 8000 and 384000 Hz, not 4000"),
    (ExportOptions(sample_rate=400000), "between 8000 and 384000 Hz, not 400000"),
    (ExportOptions(formats=("wav", "mp3"), sample_rate=22050), "MP3 needs"),
    (ExportOptions(stems=True, stems_format="mp3", sample_rate=96000), "the stems cannot be"),
])
def test_impossible_options_are_refused_before_any_work(hot, tmp_path, options, words):
    project, folder = hot
    out = tmp_path / "out"
    with pytest.raises(ExportError, match=words):
        export_project(project, folder, out, options, cache=cache_dir())
    assert not out.exists()  # refused up front: nothing rendered, nothing written


def test_the_cli_refuses_out_of_range_values_in_one_line(hot, tmp_path, capsys):
    project, folder = hot
    save_project(project, folder)
    for flag, value in (("--target-lufs", "-90"), ("--true-peak", "1"), ("--sample-rate", "100")):
        assert main(["render", str(folder), "-o", str(tmp_path / "o"), flag, value]) == 1
        err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
        assert len(err) == 1 and "must be between" in err[0]
    assert not (tmp_path / "o").exists()


def test_an_sfx_track_can_duck_the_music_too(scene, tmp_path):
    project, folder = scene
    sfx = project.tracks[1]
    assert sfx.duck_role == "none"  # off by default
    plain = tmp_path / "plain"
    first = export_project(project, folder, plain, ExportOptions(stems=True), cache=cache_dir())
    sfx.duck = "key"
    keyed = tmp_path / "keyed"
    second = export_project(project, folder, keyed, ExportOptions(stems=True), cache=cache_dir())
    # the same normalisation gain for both, to compare the bed before the master stage
    scale = 10 ** ((first["normalization_gain_db"] - second["normalization_gain_db"]) / 20)
    before, after = _stems(plain)["music"], _stems(keyed)["music"] * scale
    # under the knocks the bed goes down (to the full depth on each knock, which the 300 ms
    # hold keeps between most of them); elsewhere it is as it was
    drop = _segment_lufs(before, 14.5, 1.0) - _segment_lufs(after, 14.5, 1.0)
    assert drop > 6.0
    envelope = build_plan(project, folder, cache=cache_dir()).envelope
    under = envelope.gain_db[(envelope.times() > 14.0) & (envelope.times() < 16.0)]
    assert under.min() == pytest.approx(project.mix.duck.depth_db)
    assert _segment_lufs(before, 7.0, 1.0) == pytest.approx(_segment_lufs(after, 7.0, 1.0),
                                                            abs=0.3)
