"""Inline audio tags in a line's text, in the style of ElevenLabs v3.

``"[whispering] Nobody knows... [pause] [excited] Open it!"`` becomes segments of plain text,
each with the delivery to use. A style tag holds until the next style tag; consecutive style
tags (``[sad] [whispering]``) combine; pause tags add silence before the next spoken text;
every other bracketed word (``[laughs]``, ``[sighs]``, typos) is dropped so it is never read
aloud: an offline engine cannot laugh, and reading "laughs" would be worse than silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import NamedTuple


@dataclass(frozen=True)
class Style:
    """How to deliver one segment; the neutral value changes nothing."""

    whisper: bool = False
    rate_scale: float = 1.0  # > 1 speaks faster
    pitch_scale: float = 1.0  # multiplies the voice's f0
    volume_db: float = 0.0
    pause_s: float = 0.0  # silence before the segment
    range_scale: float = 1.0  # intonation range, where the engine has one (eSpeak)

    def combine(self, other: Style) -> Style:
        """Both deliveries at once: ``[sad] [whispering]`` is a slow, low whisper."""
        return Style(
            whisper=self.whisper or other.whisper,
            rate_scale=self.rate_scale * other.rate_scale,
            pitch_scale=self.pitch_scale * other.pitch_scale,
            volume_db=self.volume_db + other.volume_db,
            pause_s=self.pause_s + other.pause_s,
            range_scale=self.range_scale * other.range_scale,
        )


NEUTRAL = Style()

_WHISPER = Style(whisper=True, rate_scale=0.92, volume_db=-8.0, range_scale=0.8)
_EXCITED = Style(rate_scale=1.18, pitch_scale=1.15, volume_db=1.5, range_scale=1.4)
_SHOUTING = Style(rate_scale=1.1, pitch_scale=1.22, volume_db=5.0, range_scale=1.3)
_SAD = Style(rate_scale=0.85, pitch_scale=0.92, volume_db=-2.0, range_scale=0.6)

STYLE_TAGS: dict[str, Style] = {
    "whispering": _WHISPER,
    "whispers": _WHISPER,
    "whisper": _WHISPER,
    "excited": _EXCITED,
    "excitedly": _EXCITED,
    "shouting": _SHOUTING,
    "shouts": _SHOUTING,
    "yelling": _SHOUTING,
    "sad": _SAD,
    "sadly": _SAD,
    # Explicit way back to the voice's own delivery.
    "neutral": NEUTRAL,
    "normal": NEUTRAL,
}

PAUSE_TAGS: dict[str, float] = {"pause": 0.5, "short pause": 0.25, "long pause": 1.0}

_TAG = re.compile(r"\[([^\[\]]*)\]")
# A segment with no letter or digit ("...", "!") would be silence or a spoken symbol.
_SPEAKABLE = re.compile(r"\w")
_SPACES = re.compile(r"\s+")
_STRAY_BRACKET = re.compile(r"[\[\]]")  # an unclosed "[" must not reach the engine


class Segment(NamedTuple):
    text: str
    style: Style


def _tag_name(raw: str) -> str:
    return _SPACES.sub(" ", raw).strip().lower()


def parse_tags(text: str) -> list[Segment]:
    """Split ``text`` at its tags into speakable segments; unknown tags are stripped.

    Pauses before the first words are dropped (the line is trimmed anyway) and a pause with
    nothing after it is dropped too. Returns ``[]`` when nothing speakable is left.
    """
    segments: list[Segment] = []
    style = NEUTRAL
    pending_pause = 0.0
    # True while only tags (no words) have been seen since the last style tag, so that
    # "[sad] [whispering]" combines while "[sad] Oh. [whispering] Hush." replaces.
    combining = False
    pos = 0
    for match in [*_TAG.finditer(text), None]:
        chunk = text[pos : match.start() if match else len(text)]
        words = _SPACES.sub(" ", _STRAY_BRACKET.sub(" ", chunk)).strip()
        if _SPEAKABLE.search(words):
            pause = pending_pause if segments else 0.0
            segments.append(Segment(words, replace(style, pause_s=pause)))
            pending_pause = 0.0
            combining = False
        if match is None:
            break
        pos = match.end()
        name = _tag_name(match.group(1))
        if name in PAUSE_TAGS:
            pending_pause += PAUSE_TAGS[name]
        elif name in STYLE_TAGS:
            tag_style = STYLE_TAGS[name]
            style = style.combine(tag_style) if combining and tag_style != NEUTRAL else tag_style
            combining = True
    return _merge_same_style(segments)


def _merge_same_style(segments: list[Segment]) -> list[Segment]:
    """Join neighbours split only by an unknown tag, so the engine sees whole sentences."""
    merged: list[Segment] = []
    for seg in segments:
        if merged and seg.style.pause_s == 0 and seg.style == replace(merged[-1].style, pause_s=0):
            merged[-1] = Segment(f"{merged[-1].text} {seg.text}", merged[-1].style)
        else:
            merged.append(seg)
    return merged


def strip_tags(text: str) -> str:
    """The words of ``text`` without any tag, e.g. for captions and search."""
    return " ".join(seg.text for seg in parse_tags(text))
