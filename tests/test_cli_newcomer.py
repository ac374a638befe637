"""The CLI a newcomer can find their way in: clear lists, one progress line per job, takes
reused instead of paid for again, warnings on stderr (and --quiet)."""

from __future__ import annotations

import json

import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.store import load_project, save_project
from audiostudio.providers import registry
from tests.fakes.providers import FakeProvider


@pytest.fixture
def fake(monkeypatch) -> FakeProvider:
    provider = FakeProvider()
    monkeypatch.setattr(registry, "available_providers", lambda *a, **k: {"fake": provider})
    return provider


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "p"
    save_project(Project(tracks=[
        Track("t-voice", name="Voices", kind="voice", clips=[
            Clip("c-hello", name="Hello", request=Request(kind="voice", provider="fake",
                                                           text="Hello there.")),
            Clip("c-bye", name="Bye", start=2.0,
                 request=Request(kind="voice", provider="fake", text="Goodbye.")),
        ]),
        Track("t-sfx", name="SFX", kind="sfx", clips=[
            Clip("c-door", name="Door", start=1.0,
                 request=Request(kind="sfx", provider="fake", prompt="a door", variants=2)),
        ]),
    ]), folder)
    return folder


def _edit(folder, change) -> None:
    data = json.loads((folder / "project.json").read_text())
    change(data)
    (folder / "project.json").write_text(json.dumps(data))


def _set_text(text):
    return lambda d: d["tracks"][0]["clips"][0]["request"].update(text=text)


def test_an_unknown_clip_id_lists_the_clips(fake, folder, capsys):
    assert main(["generate", str(folder), "--clip", "c-helo"]) == 1
    err = capsys.readouterr().err
    assert "No clip with id c-helo" in err and "did you mean c-hello?" in err
    assert "c-hello (Hello), c-bye (Bye), c-door (Door)" in err
    assert fake.calls == 0


def test_dry_run_lists_each_clip_with_its_cost(fake, folder, capsys):
    assert main(["generate", str(folder), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "3 clip(s) to generate; estimated cost: 40 credits" in out
    assert "c-hello 'Hello': voice, fake — 10 credits" in out
    assert "c-door 'Door': sfx, fake — 20 credits" in out  # two variants
    assert fake.calls == 0 and not load_project(folder).project.find_clip("c-door")[1].takes


def test_progress_prints_one_line_per_job(fake, folder, capsys):
    assert main(["generate", str(folder)]) == 0
    lines = capsys.readouterr().err.splitlines()
    # The two-variant door passes 50 % on its way; each job says it is done once.
    assert sorted(lines) == ["Bye: done", "Door: 50%", "Door: done", "Hello: done"]


def test_analyze_a_missing_file_says_not_found(tmp_path, capsys):
    assert main(["analyze", str(tmp_path / "nope.wav")]) == 1
    err = capsys.readouterr().err
    assert "nope.wav: not found" in err and "System error" not in err


def test_a_request_back_to_an_older_take_reuses_it(fake, folder, capsys):
    assert main(["generate", str(folder)]) == 0
    first = load_project(folder).project.find_clip("c-hello")[1]
    capsys.readouterr()
    assert main(["generate", str(folder), "--clip", "c-hello"]) == 0
    assert "leaving c-hello alone: its audio is current (--new-take makes another take)" in \
        capsys.readouterr().out
    _edit(folder, _set_text("Hello again."))
    assert main(["generate", str(folder)]) == 0
    assert fake.calls == 4 and load_project(folder).project.find_clip("c-hello")[1].take == 1
    _edit(folder, _set_text("Hello there."))
    capsys.readouterr()
    assert main(["generate", str(folder), "--dry-run"]) == 0
    assert "reuses its take 1 (no cost)" in capsys.readouterr().out
    assert main(["generate", str(folder)]) == 0
    assert fake.calls == 4  # no call: the older take is chosen again
    assert "1 of them an earlier take again" in capsys.readouterr().out
    clip = load_project(folder).project.find_clip("c-hello")[1]
    assert (clip.take, len(clip.takes), clip.source) == (0, 2, first.source)
    assert clip.duration == pytest.approx(0.5)


def test_a_missing_file_is_restored_from_the_cache(fake, folder):
    assert main(["generate", str(folder)]) == 0
    clip = load_project(folder).project.find_clip("c-door")[1]
    audio = (folder / clip.source).read_bytes()
    (folder / clip.source).unlink()
    assert main(["check", str(folder)]) == 1  # a missing file is an error
    assert main(["generate", str(folder)]) == 0
    assert fake.calls == 3  # restored, not generated again
    again = load_project(folder).project.find_clip("c-door")[1]
    assert again.takes == clip.takes and (folder / again.source).read_bytes() == audio
    assert main(["check", str(folder)]) == 0


def test_warnings_go_to_stderr_and_quiet_hides_them(fake, folder, tmp_path, capsys):
    _edit(folder, lambda d: d["tracks"][1]["clips"][0].update(strat=1.0))
    assert main(["generate", str(folder)]) == 0
    warning = "warning: clip 'Door' (c-door): `strat`: unknown clip key — did you mean `start`?"
    assert warning in capsys.readouterr().err
    out = tmp_path / "out"
    assert main(["render", str(folder), "-o", str(out), "--quiet"]) == 0
    assert "warning" not in capsys.readouterr().err
    [listed] = json.loads((out / "report.json").read_text())["warnings"]
    assert listed["clip_id"] == "c-door" and "`strat`" in listed["message"]
    _edit(folder, _set_text("Changed since."))
    assert main(["render", str(folder), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert warning in err and "clip 'Hello' (c-hello): stale" in err
    assert sf.info(str(out / "mix.wav")).duration > 2.0


def test_catalog_lists_sfx_families_and_music_words(capsys):
    from audiostudio.providers.offline import music, sfx

    assert main(["sfx", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in listing["families"]] == [f.name for f in sfx.FAMILIES]
    knock = next(f for f in listing["families"] if f["name"] == "knock")
    assert sfx.classify(f"a {knock['keywords'][0]}").name == "knock"  # the words do select it
    assert main(["sfx"]) == 0
    assert "footsteps" in capsys.readouterr().out
    assert main(["music", "--json"]) == 0
    words = json.loads(capsys.readouterr().out)
    for mood in words["moods"]:  # each listed mood word sets the tempo it is listed with
        assert music.parse_prompt(mood["words"][0]).tempo == mood["tempo_bpm"]
    assert music.parse_prompt(f"{words['sting'][0]}").kind == "sting"
    assert main(["music"]) == 0
    assert "Instruments:" in capsys.readouterr().out


def test_a_missed_loudness_target_is_a_warning(fake, folder, tmp_path, capsys):
    # A sine under a -9 dBTP ceiling cannot be made as loud as -5 LUFS.
    assert main(["generate", str(folder)]) == 0
    out = tmp_path / "out"
    assert main(["render", str(folder), "-o", str(out), "--target-lufs", "-5",
                 "--true-peak", "-9"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["target_met"] is False
    [warning] = report["warnings"]
    assert warning["where"] == "mix" and "missed the -5 LUFS target" in warning["message"]
    assert f"warning: mix: {warning['message']}" in capsys.readouterr().err
    assert main(["render", str(folder), "-o", str(out)]) == 0  # the project's -16: met
    assert json.loads((out / "report.json").read_text())["warnings"] == []
