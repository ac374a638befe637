"""The CLI end to end, in process (and once as a real subprocess for `python -m`)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model.store import load_project
from tests.conftest import RATE, SAMPLE_PROJECT, sine


@pytest.fixture
def sample(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene"))


def test_render_writes_mix_stems_and_report(sample, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["render", str(sample / "project.json"), "-o", str(out), "--stems",
                 "--target-lufs", "-23", "--true-peak", "-2"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["target_lufs"] == -23.0 and report["true_peak_ceiling_dbtp"] == -2.0
    assert report["integrated_lufs"] == pytest.approx(-23.0, abs=0.3)
    assert report["true_peak_dbtp"] <= -2.0
    assert len(list((out / "stems").glob("*.wav"))) == 3
    captured = capsys.readouterr()
    assert "LUFS" in captured.out
    assert "Writing mix" in captured.err  # plain progress lines when not a terminal


def test_analyze_json(sample, tmp_path, capsys):
    tone = tmp_path / "tone.wav"
    sf.write(str(tone), sine(1000, 3.0, amp=10 ** (-23 / 20), channels=2), RATE)
    assert main(["analyze", "--json", str(tone)]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert set(result) == {"file", "integrated_lufs", "lra", "true_peak_dbtp",
                           "sample_peak_dbfs", "duration_s"}
    assert result["integrated_lufs"] == pytest.approx(-23.0, abs=0.1)
    assert result["duration_s"] == pytest.approx(3.0)
    assert main(["analyze", str(tone)]) == 0
    assert "LUFS" in capsys.readouterr().out


def test_new_import_render(tmp_path, capsys):
    proj = tmp_path / "fresh"
    assert main(["new", str(proj)]) == 0
    a = tmp_path / "a.wav"
    sf.write(str(a), sine(440, 2.0, rate=44100), 44100)
    assert main(["import", str(proj), str(a), "--track", "Dialogue"]) == 0
    assert main(["import", str(proj), str(a), "--track", "Dialogue"]) == 0
    assert main(["import", str(proj), str(a), "--track", "Dialogue", "--at", "10"]) == 0
    project = load_project(proj).project
    [track] = project.tracks
    assert track.name == "Dialogue" and track.kind == "audio"
    assert [c.start for c in track.clips] == pytest.approx([0.0, 2.0, 10.0])
    assert track.clips[0].source == track.clips[1].source  # same bytes, one asset
    assert len(list((proj / "assets").iterdir())) == 1
    out = tmp_path / "out"
    assert main(["render", str(proj), "-o", str(out), "--format", "both"]) == 0
    assert sf.info(str(out / "mix.wav")).duration == pytest.approx(12.0)
    assert (out / "mix.mp3").stat().st_size > 1000


def test_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["render"])
    assert exc.value.code == 2


def test_errors_are_one_clear_line(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "project.json").write_text('{"format": "audiostudio-project", "version": 1, '
                                      '"tracks": [{"id": "t", "pan": "left"}]}')
    assert main(["render", str(bad), "-o", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "tracks[0].pan" in err and "Traceback" not in err
    (bad / "project.json").write_text('{"format": "audiostudio-project", "version": 7, '
                                      '"min_reader_version": 5}')
    assert main(["render", str(bad), "-o", str(tmp_path / "o")]) == 1
    assert "newer" in capsys.readouterr().err
    assert main(["render", str(tmp_path / "nowhere"), "-o", str(tmp_path / "o")]) == 1
    assert capsys.readouterr().err.startswith("error:")


def test_missing_audio_names_the_clip_and_skip_missing_renders(sample, tmp_path, capsys):
    data = json.loads((sample / "project.json").read_text())
    data["tracks"][0]["clips"].append({"id": "c-new", "name": "Unwritten line", "start": 20.0,
                                       "duration": 2.0, "request": {"kind": "voice"}})
    (sample / "project.json").write_text(json.dumps(data))
    assert main(["render", str(sample), "-o", str(tmp_path / "o")]) == 1
    assert "Unwritten line" in capsys.readouterr().err
    assert not (tmp_path / "o" / "mix.wav").exists()
    assert main(["render", str(sample), "-o", str(tmp_path / "o"), "--skip-missing"]) == 0


def test_autosave_newer_is_reported_and_saved_file_used(sample, tmp_path, capsys):
    data = json.loads((sample / "project.json").read_text())
    data["revision"] = 99
    data["length"] = 2.0
    (sample / "project.autosave.json").write_text(json.dumps(data))
    assert main(["render", str(sample), "-o", str(tmp_path / "o")]) == 0
    assert "autosave" in capsys.readouterr().err
    assert sf.info(str(tmp_path / "o" / "mix.wav")).duration == pytest.approx(24.0)


def test_python_dash_m_works(tmp_path):
    tone = tmp_path / "t.wav"
    sf.write(str(tone), np.zeros((100, 1)), RATE)
    run = subprocess.run([sys.executable, "-m", "audiostudio", "analyze", "--json", str(tone)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)[0]["integrated_lufs"] is None


def test_import_of_a_corrupt_file_changes_nothing(tmp_path, capsys):
    proj = tmp_path / "p"
    assert main(["new", str(proj)]) == 0
    before = (proj / "project.json").read_bytes()
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF" + bytes(500))
    assert main(["import", str(proj), str(junk)]) == 1
    assert "junk.wav" in capsys.readouterr().err
    assert (proj / "project.json").read_bytes() == before
    assert not any((proj / "assets").iterdir())


def test_output_folder_problems_are_one_clear_line(sample, tmp_path, capsys):
    blocker = tmp_path / "afile"
    blocker.write_text("not a folder")
    assert main(["render", str(sample), "-o", str(blocker / "sub")]) == 1
    err = capsys.readouterr().err.strip().splitlines()  # progress lines, then the error
    assert err[-1].startswith("error: Could not write the export") and "Not a directory" in err[-1]
    assert not any("Traceback" in line for line in err)


def test_impossible_mp3_options_fail_before_rendering(sample, tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["render", str(sample), "-o", str(out), "--format", "both",
                 "--sample-rate", "96000"]) == 1
    assert "MP3 needs" in capsys.readouterr().err
    assert main(["render", str(sample), "-o", str(out), "--format", "mp3",
                 "--mp3-bitrate", "200"]) == 1
    assert "bitrate" in capsys.readouterr().err
    assert not out.exists()  # refused before any work


def _modules_after(code: str) -> set[str]:
    """Top-level modules a fresh interpreter holds after running ``code``."""
    probe = f"{code}\nimport sys\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return set(run.stdout.split())


def test_help_and_version_import_no_audio_stack():
    # --help / --version answer in ~50 ms because the CLI imports only what a command needs.
    loaded = _modules_after("import audiostudio.cli")
    assert not loaded & {"numpy", "scipy", "soundfile", "soxr", "PySide6", "pyloudnorm"}


def test_render_imports_neither_scipy_nor_pyloudnorm():
    # scipy.signal / scipy.ndimage alone took ~0.5 s to import: more than a short render.
    loaded = _modules_after("import audiostudio.cli, audiostudio.export.render, "
                            "audiostudio.model.store, audiostudio.progress")
    assert "numpy" in loaded
    assert not loaded & {"scipy", "pyloudnorm", "PySide6"}
