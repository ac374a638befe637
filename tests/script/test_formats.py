"""CSV, SRT, podcastfy, WavJourney and Fountain scripts give the projects they should."""

from __future__ import annotations

import json

import pytest

from audiostudio.errors import ScriptError
from audiostudio.model import Project
from audiostudio.script.layout import estimate_speech_seconds
from tests.script.conftest import imported

GAP = 0.4


def rows(project: Project) -> list[tuple]:
    """(track, kind, start, length-or-None, words) in timeline order per track."""
    return [(t.name, c.request.kind, round(c.start, 3),
             None if c.length is None else round(c.length, 3), c.request.text or c.request.prompt)
            for t, c in project.iter_clips()]


def test_csv_with_a_header_times_and_kinds(providers) -> None:
    text = ("Speaker;Line;Start;End;Kind\n"
            "Alice;Hello there.;00:00:01.500;00:00:04,000;\n"
            "Bob;\"Hi, Alice; nice day.\";;;voice\n"
            ";rain on a tin roof;0;12;sfx\n"
            ";warm lo-fi beat;;;music\n")
    project = imported(text, providers, "lines.csv")
    [alice], [bob] = project.tracks[0].clips, project.tracks[1].clips
    # It fits its 2.5 s row: it keeps its natural pace (estimated until generated).
    assert (alice.start, alice.duration, alice.request.fit) == (
        1.5, estimate_speech_seconds("Hello there."), False)
    assert bob.request.text == "Hi, Alice; nice day."
    assert bob.start == pytest.approx(alice.end + GAP)
    [rain] = project.tracks[2].clips
    assert (rain.start, rain.request.duration) == (0.0, 12.0)
    [beat] = project.tracks[3].clips
    assert beat.loop and beat.start == pytest.approx(bob.end)  # to the scene's end
    assert beat.end == pytest.approx(12.0)
    assert list(project.cast) == ["Alice", "Bob"]


def test_csv_without_a_header_is_speaker_line_start_end(providers) -> None:
    long = "Two, and a line far too long to be said in the half second it was given."
    project = imported(f"NARRATOR,One.\nNARRATOR,\"{long}\",10,10.5\n", providers, "plain.csv")
    one, two = project.tracks[0].clips
    assert one.start == 0.0 and (two.start, two.duration, two.request.fit) == (10.0, 0.5, True)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("speaker,line,start\nA,Hi,soon\n", 2, "start time “soon”"),
    ("speaker,line,kind\nA,Hi,foley\n", 2, "unknown kind “foley”"),
    ("speaker,line,start,end\nA,Hi,\nA,Hey,5,4\n", 3, "must come after the start"),
    ("speaker,line\n,Hi\n", 2, "expected a speaker"),
    ("speaker,line\nA,\"multi\nline\"\nB,\n", 4, "expected the line's words"),
])
def test_csv_errors_name_the_row(providers, text, line, words) -> None:
    with pytest.raises(ScriptError, match=words) as caught:
        imported(text, providers, "bad.csv")
    assert str(caught.value).startswith(f"bad.csv:{line}: ")


SRT = """1
00:00:01,000 --> 00:00:03,500
JOHN: <i>Where were you?</i>

2
00:00:04,000 --> 00:00:06,000
I was out.
Walking.

3
00:00:07,250 --> 00:00:09,000
MARY: {\\an8}Out where, at this hour, with the storm coming in?
"""


def test_srt_lines_are_pinned_to_their_slots_with_speakers(providers) -> None:
    project = imported(SRT, providers, "dub.srt")
    long = "Out where, at this hour, with the storm coming in?"
    assert rows(project) == [
        ("JOHN", "voice", 1.0, estimate_speech_seconds("Where were you?"), "Where were you?"),
        ("JOHN", "voice", 4.0, estimate_speech_seconds("I was out. Walking."),
         "I was out. Walking."),
        ("MARY", "voice", 7.25, 1.75, long),  # too long for its 1.75 s: fitted into it
    ]
    assert [(c.request.fit, c.request.duration) for _, c in project.iter_clips()] == [
        (False, None), (False, None), (True, 1.75)]
    assert all(c.script["at"] == c.start for _, c in project.iter_clips())


def test_srt_error_names_the_block(providers) -> None:
    with pytest.raises(ScriptError, match=r"^x\.srt:6: expected a subtitle time line"):
        imported("1\n00:00:01,000 --> 00:00:02,000\nHi.\n\n2\n00:00:03 -> 4\nHo.\n", providers,
                 "x.srt")


def test_podcastfy_turns_alternate_speakers(providers) -> None:
    text = ("<Person1> Welcome to the show! <emphasis>Today</emphasis> we talk sound.</Person1>"
            "\n<Person2>[laughs] Thanks for\n having me.<break time=\"1s\"/></Person2>\n"
            "<Person1>Let's start.</Person1>\n")
    project = imported(text, providers, "episode.txt", gap=0.3)
    assert [(t.name, [c.request.text for c in t.clips]) for t in project.tracks] == [
        ("Person1", ["Welcome to the show! Today we talk sound.", "Let's start."]),
        ("Person2", ["[laughs] Thanks for having me."])]
    first, third = project.tracks[0].clips
    second = project.tracks[1].clips[0]
    assert second.start == pytest.approx(first.end + 0.3)
    assert third.start == pytest.approx(second.end + 0.3)


def test_podcastfy_unclosed_turn_names_its_line(providers) -> None:
    with pytest.raises(ScriptError, match=r"^ep\.txt:2: expected a turn"):
        imported("<Person1>Hi.</Person1>\n<Person2>Hello.\n", providers, "ep.txt")


def test_wavjourney_foreground_in_turn_background_under_it_volumes_as_gains(providers
                                                                            ) -> None:
    entries = [
        {"audio_type": "music", "layout": "background", "id": 1, "action": "begin",
         "vol": -35, "desc": "calm piano"},
        {"audio_type": "speech", "layout": "foreground", "character": "Host", "vol": -15,
         "text": "Good evening."},
        {"audio_type": "sound_effect", "layout": "foreground", "vol": -25, "len": 2,
         "desc": "door slam"},
        {"audio_type": "speech", "layout": "foreground", "character": "Guest", "vol": -20,
         "text": "Sorry I'm late."},
        {"audio_type": "music", "layout": "background", "id": 1, "action": "end"},
        {"audio_type": "sound_effect", "layout": "background", "id": 1, "action": "begin",
         "vol": -40, "desc": "crowd murmur"},
        {"audio_type": "speech", "layout": "foreground", "character": "Host", "vol": -15,
         "text": "Welcome."},
    ]
    project = imported(json.dumps(entries, indent=1), providers, "story.json", gap=0.0)
    clips = {c.request.text or c.request.prompt: c for _, c in project.iter_clips()}
    evening, slam, late, welcome = (clips[k] for k in ("Good evening.", "door slam",
                                                      "Sorry I'm late.", "Welcome."))
    assert slam.start == pytest.approx(evening.end) and slam.request.duration == 2.0
    assert late.start == pytest.approx(slam.start + 2.0)  # the next line waits for the slam
    assert welcome.start == pytest.approx(late.end)
    piano, murmur = clips["calm piano"], clips["crowd murmur"]
    assert (piano.start, piano.end) == (0.0, pytest.approx(late.end)) and piano.loop
    assert (murmur.start, murmur.end) == (pytest.approx(late.end), pytest.approx(welcome.end))
    gains = {k: c.gain_db for k, c in clips.items()}
    assert gains == {"calm piano": -20.0, "Good evening.": 0.0, "door slam": -10.0,
                     "Sorry I'm late.": -5.0, "crowd murmur": -25.0, "Welcome.": 0.0}


@pytest.mark.parametrize(("entries", "line", "words"), [
    ('[\n{"audio_type": "speech", "layout": "foreground", "text": "Hi"}\n]', 2,
     "needs “character”"),
    ('[{"audio_type": "speech", "character": "A", "text": "Hi"},\n'
     ' {"audio_type": "music", "layout": "background", "id": 1, "action": "end"}]', 2,
     "“end” entry but no music cue is playing"),
    ('[{"audio_type": "speech", "character": "A", "text": "Hi"},\n\n {"audio_type": "noise"}]',
     3, "unknown audio_type"),
    ('[{"audio_type": "speech", "character": "A", "text": "Hi"},\n {"oops" }]', 2,
     "not valid JSON"),
])
def test_wavjourney_errors_name_the_entry(providers, entries, line, words) -> None:
    with pytest.raises(ScriptError, match=words) as caught:
        imported(entries, providers, "s.json")
    assert str(caught.value).startswith(f"s.json:{line}: ")


FOUNTAIN = """Title: The Lighthouse
Author: Someone

INT. LIGHTHOUSE - NIGHT

The stairs creak. /* cut this */ Wind howls.

[SFX: wind howling ~4s]

MAYA (V.O.)
(whispering)
Did you hear that?
(beat)
Someone's there.

NARRATOR
Nobody had been there for years. [[note to self]]

CUT TO:

EXT. GALLERY - CONTINUOUS

@McCLANE
Yippee.
"""


def test_fountain_dialogue_characters_scenes_and_cues(providers) -> None:
    project = imported(FOUNTAIN, providers, "scene.fountain")
    assert [(t.name, [c.request.text or c.request.prompt for c in t.clips])
            for t in project.tracks] == [
        ("MAYA", ["[whispering] Did you hear that? [beat] Someone's there."]),
        ("NARRATOR", ["Nobody had been there for years."]),
        ("McCLANE", ["Yippee."]),
        ("SFX", ["wind howling"]),
    ]
    assert [m.label for m in project.markers] == ["INT. LIGHTHOUSE - NIGHT",
                                                   "EXT. GALLERY - CONTINUOUS"]
    assert project.markers[1].script["line"] == 21  # the file's own line numbers


def test_webvtt_reads_like_srt(providers) -> None:
    text = ("WEBVTT\n\nNOTE made by hand\n\nintro\n00:01.000 --> 00:02.500 align:start\n"
            "<v Ann>Hello.</v>\n\n00:03.000 --> 00:04.000\nBOB: Bye.\n")
    project = imported(text, providers, "captions.vtt")
    assert rows(project) == [("Ann", "voice", 1.0, estimate_speech_seconds("Hello."), "Hello."),
                             ("BOB", "voice", 3.0, estimate_speech_seconds("Bye."), "Bye.")]
