"""Clip labels in people's words (no Qt)."""

from audiostudio.model import Clip, Request
from audiostudio.ui.clip_labels import clip_details, clip_label, clip_name, elided_forms


def voice(text, speaker=None, name=""):
    return Clip("c", name=name, speaker=speaker, request=Request(kind="voice", text=text))


def test_a_voice_line_shows_its_speaker_and_words_without_tags():
    label = clip_label(voice("[whispering] Nobody knows... [pause] [excited] Open it!",
                             "NARRATOR"), generated=True)
    assert label.title == "NARRATOR: Nobody knows... Open it!"
    assert "[" not in label.title and label.hint == ""


def test_a_named_line_keeps_its_name_and_shows_the_words():
    assert clip_label(voice("[sad] Goodbye.", name="Line 3"), True).title == "Line 3 — Goodbye."


def test_a_name_that_is_the_start_of_the_line_is_not_said_twice():
    line = voice("Did you hear that? Over there.", "MAYA", name="Did you hear that?")
    assert clip_label(line, True).title == "MAYA: Did you hear that? Over there."
    cut = voice("The door had been shut for thirty years.", name="The door had been…")
    assert clip_label(cut, True).title == "The door had been shut for thirty years."
    assert clip_label(voice("Hello.", name="Greeting"), True).title == "Greeting — Hello."


def test_a_speakers_own_track_does_not_repeat_the_speaker():
    line = voice("[sad] Goodbye.", "MAYA")
    assert clip_label(line, True, track_name="Maya").title == "Goodbye."
    assert clip_label(line, True, track_name="Narration").title == "MAYA: Goodbye."
    assert clip_details(line)[1] == "MAYA: “[sad] Goodbye.”"  # the tooltip still says who


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


def test_short_forms_end_at_words_without_dangling_separators():
    forms = elided_forms("Line 1 — NARRATOR: The old lighthouse")
    assert forms == ["Li…", "Lin…", "Line…", "Line 1…", "Line 1 — NARRATOR…",
                     "Line 1 — NARRATOR: The…", "Line 1 — NARRATOR: The old…"]
    assert elided_forms("Someone, or something") == [
        "So…", "Som…", "Some…", "Someo…", "Someon…", "Someone…", "Someone, or…"]
    assert elided_forms("x") == []


def test_a_narrow_voice_line_keeps_some_of_its_words():
    forms = elided_forms("MAYA: Did you hear that?")
    assert forms == ["MAYA: Di…", "MAYA: Did…", "MAYA: Did you…", "MAYA: Did you hear…",
                     "M: Di…", "M: Did…", "M: Did you…", "M: Did you hear…",
                     "M: Did you hear that?",
                     "MA…", "MAY…"]  # the speaker alone: only narrower than any of the words


def test_details_say_who_says_what_what_it_is_and_its_state():
    line = voice("[sad] Goodbye,   old friend.", "JOE", name="Line 3")
    assert clip_details(line) == ["Line 3", "JOE: “[sad] Goodbye, old friend.”", "Voice line",
                                  "Not generated yet: Ctrl+G generates it"]
    bed = Clip("m", request=Request(kind="music", prompt="calm piano", lyrics="la la",
                                    duration=30.0))
    assert clip_details(bed) == ["calm piano", "Prompt: “calm piano”", "Lyrics: “la la”",
                                 "Music cue · 30 s", "Not generated yet: Ctrl+G generates it"]
    assert clip_details(Clip("a", source="assets/door.wav")) == ["door.wav",
                                                                 "File: assets/door.wav"]
    long = clip_details(voice("word " * 200))[1]
    assert len(long) < 410 and long.endswith("…”")
