"""Fixed-length voice lines through `audiostudio generate`: a `fit` line is sent with its slot as
the request's ``duration``, and the offline voices reach it through their speaking rate."""

from __future__ import annotations

import pytest
import soundfile as sf

from audiostudio.cli import main
from audiostudio.model import Clip, Project, Request, Track
from audiostudio.model.store import load_project, save_project

LINE = "We missed the last train, so we walked home together."  # ~3 s at its natural pace


def _project(folder, clips: list[tuple[str, str, float, str]]):
    folder.mkdir()
    track = Track("tv", kind="voice", clips=[
        Clip(clip_id, name=name, start=4.0 * i, duration=slot,
             request=Request(kind="voice", text=LINE, voice=voice, duration=slot, fit=True))
        for i, (clip_id, name, slot, voice) in enumerate(clips)
    ])  # fmt: skip
    save_project(Project(tracks=[track]), folder)
    return folder


def test_fit_lines_are_generated_to_their_slots(tmp_path):
    folder = _project(tmp_path / "p", [("c-fast", "Hurried", 2.0, "flite:slt"),
                                       ("c-slow", "Slow", 4.5, "piper:en_US-joe-medium")])
    assert main(["generate", str(folder)]) == 0
    project = load_project(folder).project
    for clip_id, slot in (("c-fast", 2.0), ("c-slow", 4.5)):
        clip = project.find_clip(clip_id)[1]
        assert sf.info(str(folder / clip.source)).duration == pytest.approx(slot, rel=0.05)


def test_a_line_that_cannot_fit_names_the_clip_and_the_speed(tmp_path, capsys):
    folder = _project(tmp_path / "p", [("c-tight", "Tight squeeze", 0.9, "flite:awb")])
    assert main(["generate", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "Tight squeeze" in err and "needs speed" in err and "0.5–2" in err
    assert load_project(folder).project.find_clip("c-tight")[1].source is None  # nothing kept



def test_a_voice_line_with_a_duration_but_no_fit_speaks_at_its_own_pace(tmp_path):
    folder = tmp_path / "p"
    folder.mkdir()
    clip = Clip("free", name="Free", start=0.0, duration=2.0,
                request=Request(kind="voice", text=LINE, duration=2.0))
    save_project(Project(tracks=[Track("tv", kind="voice", clips=[clip])]), folder)
    assert main(["generate", str(folder)]) == 0
    generated = load_project(folder).project.find_clip("free")[1]
    assert sf.info(str(folder / generated.source)).duration > 2.5  # not squeezed into 2 s
