"""What a clip is called on the timeline, in people's words (no Qt: tested on its own).

A voice line shows its speaker and its words with the audio tags dropped ("[whisp" cut from
a raw line said nothing); an SFX or music clip its prompt; an empty prompt says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass

from audiostudio.model import Clip
from audiostudio.providers.offline.tags import strip_tags

EMPTY_TITLES = {
    "voice": "empty voice line — double-click to write",
    "sfx": "empty sound effect — double-click to describe",
    "music": "empty music cue — double-click to describe",
}

NEW_NAMES = {"voice": "voice line", "sfx": "sound effect", "music": "music cue"}


@dataclass(frozen=True)
class ClipLabel:
    title: str  # the title bar's text
    hint: str  # shown in the body of a clip with no audio; "" when it has some


def _said(clip: Clip) -> str:
    """A prompt clip's words: speaker and line without tags, or the prompt, on one line."""
    request = clip.request
    assert request is not None
    if request.kind == "voice":
        words = strip_tags(request.text or "")
        speaker = (clip.speaker or "").strip()
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


def clip_label(clip: Clip, generated: bool) -> ClipLabel:
    """``generated``: the clip has audio to show (a waveform instead of a hint)."""
    if clip.request is None:
        title = clip.name or (clip.source.rsplit("/", 1)[-1] if clip.source else "Untitled clip")
        return ClipLabel(title, "" if generated else "no audio")
    said = _said(clip)
    if not said and not clip.name:
        empty = EMPTY_TITLES.get(clip.request.kind, "empty prompt — double-click to write")
        return ClipLabel(empty, "")
    title = f"{clip.name} — {said}" if clip.name and said else clip.name or said
    return ClipLabel(title, "" if generated else "not generated — Ctrl+G")
