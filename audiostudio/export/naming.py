"""File names for stems: ``01-narration.wav``, numbered in track order, safe on every OS."""

from __future__ import annotations

import re
import unicodedata


def slug(name: str, fallback: str = "track") -> str:
    """Lower-case letters, digits and dashes only ("Music Bed #2" -> "music-bed-2")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return text or fallback


def stem_names(track_names: list[str], ext: str = "wav") -> list[str]:
    """One unique file name per track, numbered from 01; duplicates get -2, -3..."""
    width = max(2, len(str(len(track_names))))
    seen: dict[str, int] = {}
    names = []
    for number, name in enumerate(track_names, start=1):
        base = slug(name)
        count = seen.get(base, 0) + 1
        seen[base] = count
        suffix = f"-{count}" if count > 1 else ""
        names.append(f"{number:0{width}d}-{base}{suffix}.{ext}")
    return names
