"""A range of the export is the same samples as that range of a whole export."""

from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from audiostudio.errors import ExportError
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model.store import load_project
from audiostudio.settings import cache_dir
from tests.conftest import RATE, SAMPLE_PROJECT

LSB_24 = 2.0**-23


def _read(path):
    return sf.read(str(path), always_2d=True)[0]


@pytest.mark.parametrize("stems", [True, False])
def test_a_range_equals_those_samples_of_the_whole_export(tmp_path, stems):
    loaded = load_project(SAMPLE_PROJECT)
    whole, part = tmp_path / "whole", tmp_path / "part"
    options = ExportOptions(stems=stems)
    full = export_project(loaded.project, loaded.folder, whole, options, cache=cache_dir())
    options.start, options.end = 3.25, 9.5  # the limiter works hardest on the music bed here
    ranged = export_project(loaded.project, loaded.folder, part, options, cache=cache_dir())
    f0, f1 = round(3.25 * RATE), round(9.5 * RATE)
    names = ["mix.wav", *(f"stems/{n}" for n in ("01-narration.wav", "02-sfx.wav",
                                                   "03-music-bed.wav") if stems)]
    for name in names:
        expected, got = _read(whole / name)[f0:f1], _read(part / name)
        assert len(got) == f1 - f0 and np.abs(got).max() > 0.01
        np.testing.assert_allclose(got, expected, atol=2 * LSB_24, err_msg=name)
    # normalised by the whole project's loudness, measured over the range it delivered
    assert ranged["normalization_gain_db"] == full["normalization_gain_db"]
    assert ranged["range_s"] == [3.25, 9.5] and full["range_s"] is None
    assert ranged["duration_s"] == 6.25 and ranged["integrated_lufs"] != full["integrated_lufs"]
    assert sorted(p.name for p in part.rglob("*.wav")) == sorted(n.split("/")[-1] for n in names)


def test_a_range_past_the_end_stops_at_the_end(tmp_path):
    loaded = load_project(SAMPLE_PROJECT)
    report = export_project(loaded.project, loaded.folder, tmp_path,
                            ExportOptions(start=20.0, end=99.0), cache=cache_dir())
    assert len(_read(tmp_path / "mix.wav")) == 4 * RATE and report["range_s"] == [20.0, 24.0]


@pytest.mark.parametrize(("start", "end", "words"), [
    (-1.0, None, "before 0"), (5.0, 5.0, "end after it starts"), (30.0, None, "after the end")])
def test_an_impossible_range_is_refused(tmp_path, start, end, words):
    loaded = load_project(SAMPLE_PROJECT)
    with pytest.raises(ExportError, match=words):
        export_project(loaded.project, loaded.folder, tmp_path / "o",
                       ExportOptions(start=start, end=end), cache=cache_dir())
    assert not (tmp_path / "o").exists()


def test_cli_render_start_end_is_the_same_range(tmp_path, capsys):
    from audiostudio.cli import main

    loaded = load_project(SAMPLE_PROJECT)
    export_project(loaded.project, loaded.folder, tmp_path / "whole", cache=cache_dir())
    assert main(["render", str(SAMPLE_PROJECT), "-o", str(tmp_path / "cli"),
                 "--start", "12", "--end", "14.5"]) == 0
    assert "2.5 s" in capsys.readouterr().out
    expected = _read(tmp_path / "whole" / "mix.wav")[12 * RATE : round(14.5 * RATE)]
    np.testing.assert_allclose(_read(tmp_path / "cli" / "mix.wav"), expected, atol=2 * LSB_24)


@pytest.fixture
def rendered(monkeypatch) -> list[int]:
    """The frames of every ``render_tracks`` call of the export (the real rendering)."""
    from audiostudio.audio import master
    from audiostudio.export import render

    frames: list[int] = []
    real = render.render_tracks

    def counting(plan, b0, b1):
        frames.append(b1 - b0)
        return real(plan, b0, b1)

    monkeypatch.setattr(render, "render_tracks", counting)
    monkeypatch.setattr(master, "render_tracks", counting)
    return frames


def test_a_mix_only_range_renders_the_tracks_once_and_reports_their_levels(tmp_path, rendered):
    """The tracks are rendered in one pass over the timeline (the measurement, which keeps the
    mix for the writing), not again for the range; the track levels of the range are those
    the stems of that range measure."""
    loaded = load_project(SAMPLE_PROJECT)
    options = ExportOptions(start=3.25, end=9.5)
    mix = export_project(loaded.project, loaded.folder, tmp_path / "mix", options,
                         cache=cache_dir())
    assert sum(rendered) == 24 * RATE  # the whole timeline once (the range is 6.25 s of it)
    options.stems = True
    stems = export_project(loaded.project, loaded.folder, tmp_path / "stems", options,
                           cache=cache_dir())
    assert sum(rendered) > 24 * RATE + 6.25 * RATE  # stems are rendered again over the range
    for ours, theirs in zip(mix["tracks"], stems["tracks"], strict=True):
        for key in ("integrated_lufs", "sample_peak_dbfs", "rms_dbfs"):
            assert ours[key] == pytest.approx(theirs[key], abs=0.1), (ours["name"], key)
    assert mix["dialogue_to_music_lu"] == pytest.approx(stems["dialogue_to_music_lu"], abs=0.1)


def _hardest_limited_frame(limited, unlimited) -> int:
    """Where the limiter's gain falls the most within its 5 ms look-ahead (a peak it holds)."""
    level = np.abs(unlimited).max(axis=1)
    gain = np.where(level > 0.05, np.abs(limited).max(axis=1) / np.maximum(level, 1e-9), 1.0)
    return int(np.argmax(gain[:-240] - gain[240:])) + 240


@pytest.mark.parametrize("stems", [True, False])
def test_a_range_without_normalisation_renders_only_itself_and_the_warm_up(tmp_path, rendered,
                                                                           stems):
    """No gain to find: nothing outside the range matters but the limiter's past and its
    look-ahead, so the range is rendered with those only, and still equals that part of a
    whole export, even when it ends 2 ms before a peak the limiter is already lowering for."""
    from audiostudio.export.render import RANGE_LEAD_S, RANGE_TAIL_S

    loaded = load_project(SAMPLE_PROJECT)
    options = ExportOptions(stems=stems, normalize=False, true_peak_dbtp=-9.0)  # limiting
    full = export_project(loaded.project, loaded.folder, tmp_path / "whole", options,
                          cache=cache_dir())
    assert full["true_peak_dbtp"] <= -9.0 and full["pre_normalization_lufs"] is not None
    free = export_project(loaded.project, loaded.folder, tmp_path / "free",
                          replace(options, true_peak_dbtp=0.0, stems=False), cache=cache_dir())
    assert free["true_peak_dbtp"] > -9.0
    peak = _hardest_limited_frame(_read(tmp_path / "whole" / "mix.wav"),
                                  _read(tmp_path / "free" / "mix.wav"))
    f1 = peak - 100
    f0 = f1 - round(4.5 * RATE)
    rendered.clear()
    options.start, options.end = f0 / RATE, f1 / RATE
    ranged = export_project(loaded.project, loaded.folder, tmp_path / "part", options,
                            cache=cache_dir())
    # once (the measurement kept for a mix, the writing of the stems), not the 24 s timeline;
    # the writing reads up to a block ahead
    assert sum(rendered) <= (4.5 + RANGE_LEAD_S + RANGE_TAIL_S + 1.0) * RATE
    names = ["mix.wav", *(f"stems/{n}" for n in ("01-narration.wav", "02-sfx.wav",
                                                   "03-music-bed.wav") if stems)]
    for name in names:
        np.testing.assert_allclose(_read(tmp_path / "part" / name),
                                   _read(tmp_path / "whole" / name)[f0:f1], atol=2 * LSB_24,
                                   err_msg=name)
    assert ranged["normalization_gain_db"] == 0.0 and ranged["pre_normalization_lufs"] is None
    for ours, whole in zip(ranged["tracks"], full["tracks"], strict=True):
        assert ours["integrated_lufs"] != whole["integrated_lufs"]  # measured over the range
