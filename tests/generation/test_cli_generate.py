"""`audiostudio generate` and `audiostudio demo` with the real offline provider."""

import itertools
import json

import pyloudnorm
import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.store import load_project, save_project


@pytest.fixture
def prompt_project(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    project = Project(tracks=[
        Track("tv", kind="voice", clips=[
            Clip("c-line", name="Hello line", start=0.5,
                 request=Request(kind="voice", text="Hello there.", voice="espeak:en-us+m3"))]),
        Track("ts", kind="sfx", clips=[
            Clip("c-knock", name="Knock", start=1.0,
                 request=Request(kind="sfx", prompt="knocking on a door", duration=1.5,
                                 seed=3))]),
    ])
    save_project(project, folder)
    return folder


def test_dry_run_prints_the_estimate_only(prompt_project, capsys):
    assert main(["generate", str(prompt_project), "--dry-run"]) == 0
    assert "2 clip(s) to generate; estimated cost: 0 credits" in capsys.readouterr().out
    assert all(not c.takes for _, c in load_project(prompt_project).project.iter_clips())


def test_generate_then_only_stale(prompt_project, capsys):
    assert main(["generate", str(prompt_project)]) == 0
    project = load_project(prompt_project).project
    line = project.find_clip("c-line")[1]
    knock = project.find_clip("c-knock")[1]
    assert line.take == 0 and (prompt_project / line.source).is_file()
    assert 0.3 < line.duration < 3.0 and line.duration == pytest.approx(line.source_duration)
    assert sf.info(str(prompt_project / knock.source)).duration == pytest.approx(1.5)
    capsys.readouterr()
    assert main(["generate", str(prompt_project), "--only-stale"]) == 0
    assert "0 clip(s) to generate" in capsys.readouterr().out
    data = json.loads((prompt_project / "project.json").read_text())
    data["tracks"][0]["clips"][0]["request"]["text"] = "Hello again."
    (prompt_project / "project.json").write_text(json.dumps(data))
    assert main(["generate", str(prompt_project), "--only-stale"]) == 0
    project = load_project(prompt_project).project
    assert len(project.find_clip("c-line")[1].takes) == 2
    assert len(project.find_clip("c-knock")[1].takes) == 1
    assert main(["generate", str(prompt_project), "--clip", "c-knock", "--new-take"]) == 0
    takes = load_project(prompt_project).project.find_clip("c-knock")[1].takes
    assert len(takes) == 2 and takes[0].seed == 3 and takes[1].seed != 3


def test_only_stale_limits_new_takes_to_stale_clips(prompt_project):
    assert main(["generate", str(prompt_project)]) == 0
    data = json.loads((prompt_project / "project.json").read_text())
    data["tracks"][0]["clips"][0]["request"]["text"] = "Hello again."
    (prompt_project / "project.json").write_text(json.dumps(data))
    assert main(["generate", str(prompt_project), "--new-take", "--only-stale"]) == 0
    project = load_project(prompt_project).project
    assert len(project.find_clip("c-line")[1].takes) == 2
    assert len(project.find_clip("c-knock")[1].takes) == 1  # current: left alone


def test_the_cache_is_pruned_to_its_limit_and_the_project_keeps_its_audio(
        prompt_project, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("AUDIOSTUDIO_CACHE_SIZE_MB", "0")
    assert main(["generate", str(prompt_project)]) == 0
    generated = tmp_path / "cache" / "audiostudio" / "generated"
    assert generated.is_dir() and not [p for p in generated.rglob("*") if p.is_file()]
    project = load_project(prompt_project).project
    for _, clip in project.iter_clips():  # the takes were copied into assets/ before pruning
        assert sf.info(str(prompt_project / clip.source)).frames > 0


def test_failed_clip_is_named_and_others_kept(prompt_project, capsys):
    data = json.loads((prompt_project / "project.json").read_text())
    data["tracks"][1]["clips"].append({"id": "c-bad", "name": "Empty prompt", "start": 3.0,
                                       "request": {"kind": "sfx", "prompt": "  "}})
    (prompt_project / "project.json").write_text(json.dumps(data))
    assert main(["generate", str(prompt_project)]) == 1
    err = capsys.readouterr().err
    assert "Empty prompt" in err and "prompt" in err
    project = load_project(prompt_project).project
    assert project.find_clip("c-line")[1].takes and project.find_clip("c-knock")[1].takes


def test_a_provider_bug_fails_generate_loudly(tmp_path, monkeypatch, capsys):
    from audiostudio.providers import registry
    from tests.fakes.providers import FakeProvider

    fake = FakeProvider(fail_prompts={"Hi": TypeError("bad argument")})
    monkeypatch.setattr(registry, "available_providers", lambda configs=None: {"fake": fake})
    folder = tmp_path / "p"
    save_project(Project(tracks=[Track("tv", kind="voice", clips=[
        Clip("c-hi", name="Hi line", request=Request(kind="voice", provider="fake", text="Hi"))
    ])]), folder)
    assert main(["generate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "unexpected TypeError: bad argument" in err and "failed" not in err


def test_demo_generates_and_renders(tmp_path, capsys):
    folder = tmp_path / "demo"
    assert main(["demo", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "Demo scene generated" in out
    export = folder / "export"
    names = sorted(p.name for p in (export / "stems").iterdir())
    assert names == ["01-narration.wav", "02-sfx.wav", "03-music.wav"]
    mix, rate = sf.read(str(export / "mix.wav"))
    assert pyloudnorm.Meter(rate).integrated_loudness(mix) == pytest.approx(-16.0, abs=0.5)
    project = load_project(folder).project
    lines = project.tracks[0].clips
    assert len(lines) == 4 and all(c.takes for c in lines)
    assert all(a.end <= b.start for a, b in itertools.pairwise(lines))  # no overlap
    assert project.length == pytest.approx(lines[-1].end + 3.0)
    assert main(["demo", str(folder)]) == 1  # never overwrites a project
