"""What a clip is called on the timeline, in people's words (no Qt: tested on its own).

A voice line shows its speaker and its words with the audio tags dropped ("[whisp" cut from
a raw line said nothing); an SFX or music clip its prompt; an empty prompt says what to do.
A title too long for its clip is shortened at a word (``elided_forms``), and the tooltip
(``clip_details``) carries everything in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from audiostudio.model import Clip
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.providers.offline.tags import strip_tags

EMPTY_TITLES = {
    "voice": "empty voice line — double-click to write",
    "sfx": "empty sound effect — double-click to describe",
    "music": "empty music cue — double-click to describe",
}

NEW_NAMES = {"voice": "voice line", "sfx": "sound effect", "music": "music cue"}
STATE_NOTES = {
    ClipState.EMPTY: "Not generated yet: Ctrl+G generates it",
    ClipState.STALE: "Stale: the request changed since this take; Ctrl+G makes a new one",
    ClipState.CURRENT: "Up to date",
}
ELLIPSIS = "…"
_SPEAKER_FIRST = re.compile(r"([^:—]{1,30}): (.+)")  # a voice line's title: "MAYA: Did you…"
# Left dangling at a cut ("Line 1 — NARRATOR:…"): dropped before the ellipsis.
_DANGLING = " —–-:;,·"
MIN_LETTERS = 2  # a first word cut to fewer letters says nothing
DETAIL_LIMIT = 400  # characters of a line or prompt in the tooltip


@dataclass(frozen=True)
class ClipLabel:
    title: str  # the title bar's text
    hint: str  # shown in the body of a clip with no audio; "" when it has some


def _said(clip: Clip, track_name: str = "") -> str:
    """A prompt clip's words: speaker and line without tags, or the prompt, on one line. A
    speaker who is the track's name is not repeated (the track header says it)."""
    request = clip.request
    assert request is not None
    if request.kind == "voice":
        words = strip_tags(request.text or "")
        speaker = (clip.speaker or "").strip()
        if words and speaker and speaker.casefold() == (track_name or "").strip().casefold():
            return words
        return f"{speaker}: {words}" if speaker and words else words or speaker
    return " ".join((request.prompt or request.lyrics or "").split())


def clip_name(clip: Clip, limit: int = 40) -> str:
    """A short name for undo steps and the inspector's title: "Line 3", "NARRATOR: Open it!",
    "new voice line"."""
    if clip.request is None:
        name = clip_label(clip, generated=True).title
    else:
        name = clip.name or _said(clip) or f"new {NEW_NAMES.get(clip.request.kind, 'prompt')}"
    return name if len(name) <= limit else name[:limit - 1] + "…"


def clip_label(clip: Clip, generated: bool, track_name: str = "") -> ClipLabel:
    """``generated``: the clip has audio to show (a waveform instead of a hint);
    ``track_name``: the track it is on (its speaker's lines do not repeat the name)."""
    if clip.request is None:
        title = clip.name or (clip.source.rsplit("/", 1)[-1] if clip.source else "Untitled clip")
        return ClipLabel(title, "" if generated else "no audio")
    said = _said(clip, track_name)
    if not said and not clip.name:
        empty = EMPTY_TITLES.get(clip.request.kind, "empty prompt — double-click to write")
        return ClipLabel(empty, "")
    if clip.name and said and not _repeats(clip.name, said):
        title = f"{clip.name} — {said}"
    else:
        title = said or clip.name
    return ClipLabel(title, "" if generated else "not generated — Ctrl+G")


def _repeats(name: str, said: str) -> bool:
    """Whether the name is only the start of what is said ("Did you hear that?" on that
    line): the title would say it twice."""
    def plain(text: str) -> str:
        return " ".join(text.casefold().replace(ELLIPSIS, " ").split()).rstrip(".…")

    words = said.split(": ", 1)[-1]  # without the speaker
    return any(plain(text).startswith(plain(name)) for text in (said, words))


def elided_forms(title: str) -> list[str]:
    """The shortened titles a narrow clip may show: cut at each word boundary (dangling
    separators dropped) plus "…"; below the first word, that word cut letter by letter. A
    title that is "SPEAKER: words" keeps some of the words: the speaker in full or as an
    initial ("M: Did you…"); the speaker alone only where not even that fits ("MA…"). The
    caller measures them once and picks the widest that fits."""
    said = _SPEAKER_FIRST.fullmatch(title)
    if said is None:
        return _cuts(title)
    speaker, words = said.groups()
    forms = [f"{speaker}: {form}" for form in _cuts(words)]
    forms += [f"{speaker[0]}: {form}" for form in (*_cuts(words), words)]
    narrowest = min(map(len, forms))
    forms += [form for form in _cuts(speaker) if len(form) < narrowest]
    return list(dict.fromkeys(forms))


def _cuts(title: str) -> list[str]:
    forms: list[str] = []
    first_space = title.find(" ")
    first_word = title if first_space < 0 else title[:first_space]
    for letters in range(MIN_LETTERS, len(first_word.rstrip(_DANGLING))):
        forms.append(first_word[:letters] + ELLIPSIS)
    for index, char in enumerate(title):
        if char == " ":
            kept = title[:index].rstrip(_DANGLING)
            form = kept + ELLIPSIS
            if kept and (not forms or forms[-1] != form):
                forms.append(form)
    return forms


def _full(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_LIMIT else text[:DETAIL_LIMIT - 1] + ELLIPSIS


def clip_details(clip: Clip) -> list[str]:
    """A clip's tooltip, line by line: its name, who says what (or the prompt, or the file),
    what it is, and whether its audio is up to date."""
    request = clip.request
    if request is None:
        lines = [clip_label(clip, generated=True).title]
        if clip.source:
            lines.append(f"File: {clip.source}")
        return lines
    said = _said(clip)
    lines = [clip.name or said or f"New {NEW_NAMES.get(request.kind, 'prompt')}"]
    if request.kind == "voice":
        speaker = (clip.speaker or "").strip()
        if request.text and request.text.strip():
            words = f"“{_full(request.text)}”"
            lines.append(f"{speaker}: {words}" if speaker else words)
        elif speaker:
            lines.append(f"{speaker}: (no words yet)")
    else:
        if request.prompt:
            lines.append(f"Prompt: “{_full(request.prompt)}”")
        if request.lyrics:
            lines.append(f"Lyrics: “{_full(request.lyrics)}”")
    what = [NEW_NAMES.get(request.kind, "prompt").capitalize()]
    if request.duration:
        what.append(f"{request.duration:g} s")
    lines.append(" · ".join(what))
    note = STATE_NOTES.get(clip_state(clip))
    if note:
        lines.append(note)
    return lines
