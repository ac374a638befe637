"""Clip labels in people's words (no Qt)."""

from audiostudio.model import Clip, Request
from audiostudio.ui.clip_labels import clip_label, clip_name


def voice(text, speaker=None, name=""):
    return Clip("c", name=name, speaker=speaker, request=Request(kind="voice", text=text))


def test_a_voice_line_shows_its_speaker_and_words_without_tags():
    label = clip_label(voice("[whispering] Nobody knows... [pause] [excited] Open it!",
                             "NARRATOR"), generated=True)
    assert label.title == "NARRATOR: Nobody knows... Open it!"
    assert "[" not in label.title and label.hint == ""


def test_a_named_line_keeps_its_name_and_shows_the_words():
    assert clip_label(voice("[sad] Goodbye.", name="Line 3"), True).title == "Line 3 — Goodbye."


def test_sfx_and_music_show_their_prompt():
    door = Clip("d", request=Request(kind="sfx", prompt="door   creak\nslow"))
    assert clip_label(door, True).title == "door creak slow"
    bed = Clip("m", request=Request(kind="music", prompt="calm piano bed"))
    assert clip_label(bed, False).title == "calm piano bed"
    assert "generate" in clip_label(bed, False).hint


def test_an_empty_prompt_says_what_to_do():
    assert clip_label(voice(""), False).title == "empty voice line — double-click to write"
    assert clip_label(voice("[pause]"), False).title.startswith("empty voice line")
    assert clip_label(Clip("s", request=Request(kind="sfx")), False).title.startswith(
        "empty sound effect")


def test_an_imported_clip_shows_its_name_or_file():
    assert clip_label(Clip("a", source="assets/door.wav"), True).title == "door.wav"
    assert clip_label(Clip("a", name="Knock", source="assets/x.wav"), True).title == "Knock"


def test_short_names_for_undo_steps_and_titles():
    assert clip_name(voice("[sad] Goodbye.", name="Line 3")) == "Line 3"
    assert clip_name(voice("[sad] Goodbye.", "JOE")) == "JOE: Goodbye."
    assert clip_name(voice("")) == "new voice line"
    assert clip_name(Clip("s", request=Request(kind="sfx", prompt="x" * 60))) == "x" * 39 + "…"
    assert clip_name(Clip("a", source="assets/door.wav")) == "door.wav"
