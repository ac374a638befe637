"""The warnings pass: each mistake is reported by a project that has it, never by one without."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model import CastEntry, Clip, Project, Request, Take, Track
from audiostudio.model.assets import import_asset
from audiostudio.model.request import request_hash
from audiostudio.model.store import load_project, save_project
from audiostudio.problems import ERROR, WARNING, find_problems
from audiostudio.providers.offline import OfflineProvider

JOE = "piper:en_US-joe-medium"
PROVIDERS = {"offline": OfflineProvider()}


def _generated(folder: Path, clip_id: str, name: str, start: float, request: Request,
               seconds: float, speaker: str | None = None) -> Clip:
    """A clip as generate leaves it: a current take whose file is in assets/."""
    wav = folder / f"{clip_id}.wav"
    t = np.arange(round(seconds * 48000)) / 48000
    sf.write(str(wav), 0.2 * np.sin(2 * np.pi * 220 * t), 48000)
    source = import_asset(folder, wav)
    wav.unlink()
    take = Take(source=source, request_hash=request_hash(request), seed=1, provider="offline")
    return Clip(clip_id, name=name, start=start, duration=seconds, speaker=speaker,
                source=source, source_duration=seconds, request=request, takes=[take], take=0)


@pytest.fixture
def clean(tmp_path) -> Path:
    """A project with none of the mistakes: two lines one after the other, an SFX, a cast."""
    folder = tmp_path / "clean"
    folder.mkdir()
    project = Project(
        cast={"NARRATOR": CastEntry(voice=JOE, params={"speed": 1.1})},
        tracks=[
            Track("t-voice", name="Voices", kind="voice", clips=[
                _generated(folder, "c-one", "Line one", 0.0,
                           Request(kind="voice", text="[whispering] Who is there?"), 1.0,
                           speaker="NARRATOR"),
                _generated(folder, "c-two", "Line two", 1.0,
                           Request(kind="voice", text="Open the door.", voice=JOE,
                                   params={"offline": {"pitch": -2.0}}), 1.0),
            ]),
            Track("t-sfx", name="SFX", kind="sfx", clips=[
                _generated(folder, "c-knock", "Knock", 0.5,
                           Request(kind="sfx", prompt="knock on a door", duration=0.5), 0.5),
            ]),
        ])
    save_project(project, folder)
    return folder


def _edit(folder: Path, change: Callable[[dict], None]) -> None:
    data = json.loads((folder / "project.json").read_text())
    change(data)
    (folder / "project.json").write_text(json.dumps(data))


def _clip(data: dict, track: int, clip: int) -> dict:
    return data["tracks"][track]["clips"][clip]


def _new_prompt(data: dict) -> None:
    data["tracks"][1]["clips"].append(
        {"id": "c-new", "name": "Wind", "start": 2.0, "request": {"kind": "sfx",
                                                                  "prompt": "wind"}})


def _delete_asset(folder: Path) -> None:
    source = load_project(folder).project.find_clip("c-knock")[1].source
    (folder / source).unlink()


MISTAKES = [
    # (id, change to project.json, clip or place, severity, words of the message)
    ("unknown clip key", lambda d: _clip(d, 0, 0).update(strat=2.0), "c-one", WARNING,
     "`strat`: unknown clip key — did you mean `start`?"),
    ("unknown request key", lambda d: _clip(d, 1, 0)["request"].update(promt="x"), "c-knock",
     WARNING, "`request.promt`: unknown request key — did you mean `prompt`?"),
    ("unknown track key", lambda d: d["tracks"][0].update(gain=3), "t-voice", WARNING,
     "`gain`: unknown track key — did you mean `gain_db`?"),
    ("unknown mix key", lambda d: d.setdefault("mix", {}).update(target_lfus=-14), "mix",
     WARNING, "`mix.target_lfus`: unknown mix key — did you mean `target_lufs`?"),
    ("unknown track kind", lambda d: d["tracks"][0].update(kind="vocie"), "t-voice", WARNING,
     "unknown track kind `vocie` — did you mean `voice`?"),
    ("unknown provider", lambda d: _clip(d, 0, 1)["request"].update(provider="ofline"),
     "c-two", ERROR, "unknown provider `ofline` — did you mean `offline`?"),
    ("unknown request kind", lambda d: _clip(d, 1, 0)["request"].update(kind="sfxx"),
     "c-knock", ERROR, "unknown request kind `sfxx` — did you mean `sfx`?"),
    ("speaker not in the cast", lambda d: _clip(d, 0, 0).update(speaker="NARATOR"), "c-one",
     WARNING, "speaker `NARATOR` is not in the cast — did you mean `NARRATOR`?"),
    ("param outside its provider",
     lambda d: _clip(d, 0, 1)["request"].update(params={"pitch": -2.0}), "c-two", WARNING,
     "provider params go under the provider's name: `request.params.offline.pitch`"),
    ("param beside the request keys", lambda d: _clip(d, 0, 1)["request"].update(speed=1.2),
     "c-two", WARNING, "provider params go in `request.params.offline.speed`"),
    ("unknown param name",
     lambda d: _clip(d, 0, 1)["request"].update(params={"offline": {"pich": 1.0}}), "c-two",
     WARNING, "`request.params.offline.pich`: unknown param — did you mean `pitch`?"),
    ("param of another kind",
     lambda d: _clip(d, 1, 0)["request"].update(params={"offline": {"speed": 1.5}}),
     "c-knock", WARNING, "applies to voice only, not to sfx"),
    ("provider params not an object",
     lambda d: _clip(d, 0, 1)["request"].update(params={"offline": 1.2}), "c-two", WARNING,
     "`request.params.offline`: must be an object of offline's params"),
    ("params under a misspelt provider",
     lambda d: _clip(d, 0, 1)["request"].update(params={"ofline": {"pitch": 1.0}}), "c-two",
     WARNING, "`request.params.ofline`: no provider `ofline` — did you mean `offline`?"),
    ("unknown cast provider", lambda d: d["cast"]["NARRATOR"].update(provider="ofline"),
     "cast 'NARRATOR'", WARNING, "unknown provider `ofline` — did you mean `offline`?"),
    ("unknown cast param", lambda d: d["cast"]["NARRATOR"].update(params={"sped": 1.0}),
     "cast 'NARRATOR'", WARNING, "`params.sped`: unknown param — did you mean `speed`?"),
    ("overlapping voice lines", lambda d: _clip(d, 0, 1).update(start=0.5), "c-two", WARNING,
     "overlaps voice line 'Line one' by 0.50 s"),
    ("text in another script", lambda d: _clip(d, 0, 1)["request"].update(text="扉を開けて。"),
     "c-two", WARNING, "the text is in Japanese script but voice 'Joe' speaks en-US"),
    ("stale clip", lambda d: _clip(d, 1, 0)["request"].update(prompt="knock twice"), "c-knock",
     WARNING, "stale: the request changed since its audio was made"),
    ("clip not generated", _new_prompt, "c-new", ERROR, "not generated yet"),
]


def test_the_clean_project_has_no_problems(clean):
    loaded = load_project(clean)
    assert find_problems(loaded.project, loaded.folder, PROVIDERS) == []


AUDIO_MISTAKES = {"stale clip", "clip not generated"}  # the others edit requests: stale too


@pytest.mark.parametrize("registry", [False, True], ids=["offline", "registry"])
@pytest.mark.parametrize(("name", "change", "place", "severity", "words"), MISTAKES,
                         ids=[m[0] for m in MISTAKES])
def test_each_mistake_is_reported(clean, name, change, place, severity, words, registry):
    # registry: the installed providers, as render and check use them (each built when named)
    _edit(clean, change)
    loaded = load_project(clean)
    folder = loaded.folder if name in AUDIO_MISTAKES else None
    problems = find_problems(loaded.project, folder, None if registry else PROVIDERS)
    assert len(problems) == 1, [str(p) for p in problems]
    [problem] = problems
    assert words in problem.message and problem.severity == severity
    assert place in (problem.clip_id, problem.track_id, problem.where)
    if problem.clip_id:  # the location names the clip for people too
        assert loaded.project.find_clip(problem.clip_id)[1].name in problem.where


def test_unknown_keys_are_still_kept(clean):
    _edit(clean, lambda d: _clip(d, 0, 0).update(strat=2.0))
    loaded = load_project(clean)
    save_project(loaded.project, loaded.folder)
    assert json.loads((clean / "project.json").read_text())["tracks"][0]["clips"][0][
        "strat"] == 2.0


def test_a_missing_audio_file_is_an_error(clean):
    _delete_asset(clean)
    loaded = load_project(clean)
    [problem] = find_problems(loaded.project, loaded.folder, PROVIDERS)
    assert problem.severity == ERROR and problem.clip_id == "c-knock"
    assert "is missing" in problem.message and "restores it from the cache" in problem.message


def test_check_exit_codes_and_output(clean, capsys, monkeypatch):
    from audiostudio.providers import registry

    monkeypatch.setattr(registry, "available_providers", lambda *a, **k: PROVIDERS)
    assert main(["check", str(clean)]) == 0
    assert "no problems" in capsys.readouterr().out
    _edit(clean, lambda d: _clip(d, 0, 0).update(strat=2.0))
    assert main(["check", str(clean)]) == 0  # warnings only
    out = capsys.readouterr().out
    assert "warning: clip 'Line one' (c-one): `strat`" in out and "1 warning" in out
    _edit(clean, _new_prompt)
    assert main(["check", str(clean), "--json"]) == 1  # an error
    listed = json.loads(capsys.readouterr().out)
    assert {(p["clip_id"], p["severity"]) for p in listed} == {("c-one", WARNING),
                                                               ("c-new", ERROR)}
    assert main(["check", str(clean / "nowhere")]) == 1
    assert "No Audiostudio project" in capsys.readouterr().err


def test_a_multilingual_service_may_read_any_script(tmp_path):
    # ElevenLabs-like: a voice listed as English reads Japanese too; only the offline engines
    # read text by their one language's rules.
    from tests.fakes.providers import FakeProvider

    project = Project(tracks=[Track("t", kind="voice", clips=[
        Clip("c-ja", name="Line", request=Request(kind="voice", provider="fake",
                                                  text="扉を開けて。"))])])
    assert find_problems(project, None, {"fake": FakeProvider(), **PROVIDERS}) == []
    project.tracks[0].clips[0].request.provider = "offline"
    [problem] = find_problems(project, None, PROVIDERS)
    assert "Japanese script" in problem.message


_PROBE = """
import json, runpy, sys
try:
    runpy.run_module("audiostudio", run_name="__main__", alter_sys=True)
finally:
    print(json.dumps(sorted(sys.modules)))
"""
CLOUD = {"audiostudio.providers.elevenlabs", "audiostudio.providers.stability",
         "audiostudio.providers.suno", "elevenlabs", "requests"}


def _cli_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """`python -m audiostudio ARGS` in a fresh interpreter, and the modules it imported."""
    run = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                         text=True, check=False)
    return run, set(json.loads(run.stdout.splitlines()[-1]))


def test_the_warnings_pass_imports_only_the_providers_a_project_names(clean, tmp_path):
    # Importing every provider (scipy, requests, the SDKs) took ~1.4 s of a short render.
    _edit(clean, lambda d: _clip(d, 0, 1)["request"].update(params={"offline": {"pich": 1}}))
    run, loaded = _cli_modules("render", str(clean), "-o", str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr
    assert "`request.params.offline.pich`: unknown param — did you mean `pitch`?" in run.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["warnings"][0][
        "clip_id"] == "c-two"
    # the offline provider's params and voice list were checked (its lines' languages)...
    assert {"audiostudio.providers.offline", "audiostudio.providers.offline.voices"} <= loaded
    assert not loaded & (CLOUD | {"scipy"})  # ...but no audio made: no synth, no scipy
    _edit(clean, lambda d: _clip(d, 0, 1)["request"].update(
        text="扉を開けて。", params={"elevenlabs": {"sped": 1}}))
    run, loaded = _cli_modules("check", str(clean))
    assert run.returncode == 0, run.stderr
    assert "`request.params.elevenlabs.sped`: unknown param" in run.stdout
    assert "Japanese script" in run.stdout  # the offline voices, probed for a voice line
    assert "audiostudio.providers.elevenlabs" in loaded
    assert not loaded & {"audiostudio.providers.stability", "audiostudio.providers.suno",
                         "scipy"}
