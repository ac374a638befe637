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


@dataclass(frozen=True)
class ClipLabel:
    title: str  # the title bar's text
    hint: str  # shown in the body of a clip with no audio; "" when it has some


def clip_label(clip: Clip, generated: bool) -> ClipLabel:
    """``generated``: the clip has audio to show (a waveform instead of a hint)."""
    request = clip.request
    if request is None:
        title = clip.name or (clip.source.rsplit("/", 1)[-1] if clip.source else "Untitled clip")
        return ClipLabel(title, "" if generated else "no audio")
    if request.kind == "voice":
        words = strip_tags(request.text or "")
        speaker = (clip.speaker or "").strip()
        said = f"{speaker}: {words}" if speaker and words else words or speaker
    else:
        said = " ".join((request.prompt or request.lyrics or "").split())
    if not said and not clip.name:
        return ClipLabel(EMPTY_TITLES.get(request.kind, "empty prompt — double-click to write"),
                         "")
    title = f"{clip.name} — {said}" if clip.name and said else clip.name or said
    return ClipLabel(title, "" if generated else "not generated yet — Ctrl+G to generate")
