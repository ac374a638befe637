"""The plain-text format through to a project: tracks, timings, cast, markers, errors."""

from __future__ import annotations

import copy
import re

import pytest

from audiostudio.errors import ScriptError
from audiostudio.model import CastEntry, Clip, Project, Request, Track
from audiostudio.model.edits import apply
from audiostudio.model.schema import project_from_dict, project_to_dict
from audiostudio.script import ImportOptions, parse_script, plan_import, read_script
from audiostudio.script.layout import estimate_speech_seconds
from tests.script.conftest import EXAMPLE, imported

GAP = 0.4


def by_text(project: Project) -> dict[str, tuple[Track, Clip]]:
    return {(c.request.text or c.request.prompt): (t, c) for t, c in project.iter_clips()}


def test_example_script_imports_to_tracks_timings_cast_and_markers(providers) -> None:
    project = Project(name="lighthouse")
    plan = plan_import(read_script(EXAMPLE), project, providers, ImportOptions(gap=GAP))
    apply(project, plan.edit)

    assert [(t.name, t.kind, len(t.clips)) for t in project.tracks] == [
        ("NARRATOR", "voice", 3), ("MAYA", "voice", 2), ("SFX", "sfx", 4), ("Music", "music", 2)]
    summary = plan.summary
    assert (summary.lines, summary.sfx, summary.music, summary.markers) == (5, 4, 2, 2)
    assert summary.speakers == ("NARRATOR", "MAYA")
    clips = by_text(project)
    lines = [c for t, c in project.iter_clips() if t.kind == "voice"]
    assert summary.characters == sum(len(c.request.text) for c in lines)

    # Lines back to back, in script order, each estimated from its text.
    order = ["The old lighthouse had been dark for thirty years.",
             "[whispering] Did you hear that? Someone is on the stairs.",
             "Footsteps echoed from below, slow and heavy.",
             "[excited] Look! [laughs] The lamp is turning on!",
             "And for the first time in thirty years, the light swept the sea."]
    t = 0.0
    for text in order:
        clip = clips[text][1]
        assert clip.start == pytest.approx(t)
        assert clip.duration == pytest.approx(estimate_speech_seconds(text))
        assert clip.speaker == ("MAYA" if "Look" in text or "hear" in text else "NARRATOR")
        t = clip.end + GAP
    ends = {text: clips[text][1].end for text in order}

    # SFX: untimed at the previous line's end (or zero), +N after it, @N absolute.
    thunder = clips["distant rolling thunder"][1]
    steps = clips["slow heavy footsteps on wooden stairs"][1]
    door = clips["heavy wooden door creaks open"][1]
    wind = clips["wind gusting around the tower"][1]
    assert thunder.start == 0.0 and thunder.request.duration == 5.0
    assert steps.start == pytest.approx(ends[order[1]] + 0.3)
    assert door.start == 14.0 and door.request.duration == 2.5
    assert wind.start == pytest.approx(ends[order[3]])

    # Music: from its cue to the end of the line before [MUSIC END], else to the scene's end;
    # looped, the fade-out inside the clip.
    first, second = project.tracks[3].clips
    assert first.start == 0.0 and first.end == pytest.approx(ends[order[2]])
    assert first.loop and first.request.duration == 30.0
    assert second.start == pytest.approx(ends[order[3]])
    assert second.end == pytest.approx(max(wind.start + 6.0, door.start + 2.5, ends[order[4]]))
    for bed in (first, second):
        assert bed.fade_out > 0 and bed.fade_in + bed.fade_out <= bed.duration

    # Cast: two speakers, two different offline voices; the lines follow the cast.
    assert set(project.cast) == {"NARRATOR", "MAYA"}
    assert project.cast["NARRATOR"].voice != project.cast["MAYA"].voice
    assert all(c.request.provider == "offline" and c.request.voice is None for c in lines)

    # Scene headings are markers where the scene starts.
    assert [(m.label, m.time) for m in project.markers] == [
        ("INT. LIGHTHOUSE STAIRWELL - NIGHT", 0.0),
        ("EXT. LANTERN GALLERY - CONTINUOUS", pytest.approx(ends[order[2]]))]

    # The anchors survive a save and load (format keys, validated by the loader).
    again = project_from_dict(copy.deepcopy(project_to_dict(project)))
    assert [c.script for _, c in again.iter_clips()] == [c.script for _, c in
                                                          project.iter_clips()]


def test_parentheticals_become_tags_and_extensions_do_not(providers) -> None:
    project = imported(
        "MAYA (V.O.) (whispering, nervously): [sighs] Not again.\n"
        "MAYA (CONT'D): Still here.\n"
        "DR. O'BRIEN (O.S.): Who said that?\n", providers)
    texts = [c.request.text for _, c in project.iter_clips()]
    assert texts == ["[whispering] [nervously] [sighs] Not again.", "Still here.",
                     "Who said that?"]
    assert list(project.cast) == ["MAYA", "DR. O'BRIEN"]


def test_narration_track_puts_every_line_on_one_track(providers) -> None:
    project = imported("A: One.\nB: Two.\n[SFX: click]\n", providers, narration_track=True)
    assert [(t.name, len(t.clips)) for t in project.tracks] == [("Narration", 2), ("SFX", 1)]
    assert [c.speaker for c in project.tracks[0].clips] == ["A", "B"]


def test_line_timings_pin_delay_and_fit(providers) -> None:
    project = imported("A: One. @ 10s ~3s\nB: Two. +1.5s\nA: Three.\n", providers, gap=0.25)
    one, two, three = (by_text(project)[t][1] for t in ("One.", "Two.", "Three."))
    assert (one.start, one.duration) == (10.0, 3.0)
    assert one.request.fit and one.request.duration == 3.0  # generated to its 3 s slot
    assert not two.request.fit and two.request.duration is None
    assert two.start == pytest.approx(13.0 + 1.5)
    assert three.start == pytest.approx(two.end + 0.25)


def test_voices_map_speakers_to_their_providers_voices(providers) -> None:
    project = imported("NARRATOR: Hi.\nMAYA: Hello.\n", providers,
                       voices={"maya": "flite:slt"})
    assert project.cast["MAYA"] == CastEntry("offline", "flite:slt")
    assert project.cast["NARRATOR"].voice not in (None, "flite:slt")


def test_any_voice_the_offline_engine_speaks_is_accepted(providers) -> None:
    project = imported("HANS: Guten Tag.\n", providers, voices={"HANS": "espeak:de+m2"})
    assert project.cast["HANS"] == CastEntry("offline", "espeak:de+m2")


def test_existing_cast_is_kept_and_no_default_voice_is_shared(providers) -> None:
    project = Project(name="p", cast={"NARRATOR": CastEntry("offline", "flite:slt")})
    project = imported("NARRATOR: Hi.\nBOB: Yo.\nAMY: Hey.\n", providers, project=project)
    voices = [project.cast[s].voice for s in ("NARRATOR", "BOB", "AMY")]
    assert voices[0] == "flite:slt" and len(set(voices)) == 3


@pytest.mark.parametrize(("voices", "words"), [
    ({"NARRATOR": "piper:nobody"}, "unknown voice “piper:nobody”"),
    ({"ZED": "flite:slt"}, "ZED, who has no line in the script"),
])
def test_unknown_voice_or_speaker_is_refused_and_nothing_changes(providers, voices,
                                                                 words) -> None:
    project = Project(name="p")
    before = project_to_dict(project)
    with pytest.raises(ScriptError, match=words):
        imported("NARRATOR: Hi.\n", providers, project=project, voices=voices)
    assert project_to_dict(project) == before


@pytest.mark.parametrize(("text", "line", "words"), [
    ("NARRATOR: Hi.\nThis is prose.\n", 2, "expected a speaker line"),
    ("// c\n\nNarrator: Hi.\n", 3, "written in capitals"),
    ("NARRATOR: Hi.\n[MUSIC END]\n", 2, "no music cue is playing"),
    ("[MUSIC: a]\nA: x.\n[MUSIC: b]\n", 3, "already playing (opened on line 1)"),
    ("A: x.\n[FOLEY: steps]\n", 2, "unknown cue"),
    ("A: x.\nB:   \n", 2, "expected the words B says"),
    ("A: x.\n[SFX: ] \n", 2, "needs a description"),
    ("A: x.\n[SFX: door] loudly\n", 2, "only timings"),
    ("A: x.\n[SFX: door @ 2s +1s]\n", 2, "either @"),
    ("A: x.\n[MUSIC: pads]\n[MUSIC END]\n", 3, "ends before any line plays under it"),
    ("A: x.\n[MUSIC: pads]\n", 2, "would last 0 s"),
])
def test_parse_errors_name_the_file_and_line(providers, text, line, words) -> None:
    with pytest.raises(ScriptError, match=re.escape(words)) as caught:
        imported(text, providers)
    assert str(caught.value).startswith(f"scene.txt:{line}: ")


def test_an_empty_script_is_refused() -> None:
    with pytest.raises(ScriptError, match="no lines and no cues"):
        parse_script("// only a comment\n\nINT. ROOM\n", "empty.txt")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_encodings_and_line_ends(tmp_path, encoding, newline) -> None:
    text = newline.join(["// café", "JOSÉ (whispering): “Où est-il?” — ça va.", "",
                         "Oops", ""])
    path = tmp_path / "scene.txt"
    path.write_bytes(text.encode(encoding))
    with pytest.raises(ScriptError, match=r"^scene.txt:4: expected a speaker line"):
        read_script(path)
    path.write_bytes(newline.join(text.split(newline)[:2]).encode(encoding))
    [line] = read_script(path).cues
    assert (line.speaker, line.text) == ("JOSÉ", "[whispering] “Où est-il?” — ça va.")


def test_bytes_that_are_no_known_text_are_refused(tmp_path) -> None:
    path = tmp_path / "noise.txt"
    path.write_bytes(b"A: \x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(ScriptError, match=r"noise\.txt: is not text in UTF-8 or Windows-1252"):
        read_script(path)


def test_filling_a_project_starts_after_what_it_holds(providers) -> None:
    project = Project(name="p", tracks=[Track("t-1", "SFX", "sfx", clips=[
        Clip("c-1", start=0.0, duration=5.0, request=Request("sfx", prompt="rain"))])])
    project = imported("A: Hi.\n[SFX: door]\n", providers, project=project, gap=0.5)
    assert [t.name for t in project.tracks] == ["SFX", "A"]  # the SFX track is reused
    assert project.tracks[1].clips[0].start == pytest.approx(5.5)
    assert project.tracks[0].clips[1].start == pytest.approx(project.tracks[1].clips[0].end)
