"""A parsed script: the cues every input format is turned into, in script order.

Each format's parser only reads its syntax; what the cues mean on the timeline (``layout.py``)
and the rules every format shares (``check_script``) live once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from audiostudio.errors import ScriptError


@dataclass(frozen=True)
class Timing:
    at: float | None = None  # "@ 5.5s": seconds from timeline zero (pinned)
    after: float | None = None  # "+0.5s": seconds after the previous line ends
    length: float | None = None  # "~6s": seconds (a line: its fixed length, generated to fit)


@dataclass(frozen=True)
class Line:
    line: int  # where it is in the file (1-based), for messages
    speaker: str
    text: str  # v3 audio tags inline: "[whispering] Who's there?"
    timing: Timing = Timing()
    gain_db: float = 0.0
    # A timed line's room (a subtitle's or a row's end): it is generated to fit only when it
    # would not fit (a short line in a long subtitle keeps its natural pace).
    slot: float | None = None


@dataclass(frozen=True)
class Sound:
    """A sound effect or music cue. ``bed`` names a span that runs until its ``BedEnd`` (or
    the end of the scene), looped; ``sequential`` sounds take their turn like a line (the
    next line waits for them) instead of playing over what follows."""

    line: int
    kind: str  # "sfx" / "music"
    prompt: str
    timing: Timing = Timing()
    gain_db: float = 0.0
    bed: str | None = None
    sequential: bool = False


@dataclass(frozen=True)
class BedEnd:
    line: int
    kind: str
    bed: str


@dataclass(frozen=True)
class Heading:
    line: int
    label: str


Cue = Line | Sound | BedEnd | Heading


@dataclass
class Script:
    file: str  # the name messages use
    format: str  # "text", "csv", "srt", "fountain", "podcastfy", "wavjourney"
    cues: list[Cue] = field(default_factory=list)

    def speakers(self) -> list[str]:
        """Speakers in order of first appearance."""
        return list(dict.fromkeys(c.speaker for c in self.cues if isinstance(c, Line)))

    def error(self, line: int | None, message: str) -> ScriptError:
        return ScriptError(message, self.file, line)


def check_script(script: Script, label: str = "[MUSIC END]") -> None:
    """The rules every format shares: something to import; an end with no bed open, or a
    second bed of a name already open, is an error naming its line (``label`` as the format
    writes an end)."""
    if not any(isinstance(c, Line | Sound) for c in script.cues):
        raise script.error(None, "the script has no lines and no cues to import")
    open_beds: dict[tuple[str, str], int] = {}
    for cue in script.cues:
        if isinstance(cue, Sound) and cue.bed is not None:
            key = (cue.kind, cue.bed)
            if key in open_beds:
                raise script.error(cue.line, (
                    f"a {cue.kind} cue is already playing (opened on line {open_beds[key]}); "
                    f"end it with {label} before starting another"))
            open_beds[key] = cue.line
        elif isinstance(cue, BedEnd) and open_beds.pop((cue.kind, cue.bed), None) is None:
            raise script.error(cue.line, f"{label} but no {cue.kind} cue is playing")


_SECONDS = re.compile(r"^(?:(\d+):)?(\d+(?:\.\d*)?|\.\d+)\s*s?$", re.IGNORECASE)


def parse_seconds(text: str) -> float | None:
    """"5.5", "5.5s", "1:05" or "1:05.5" as seconds; None if it is none of these."""
    match = _SECONDS.match(text.strip())
    if match is None:
        return None
    return int(match.group(1) or 0) * 60 + float(match.group(2))


_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?$")


def parse_clock(text: str) -> float | None:
    """"00:00:01,500" / "0:01.5" / "01:02" (subtitle and spreadsheet times) or plain seconds."""
    text = text.strip()
    match = _CLOCK.match(text)
    if match is None:
        return parse_seconds(text)
    hours, minutes, seconds, fraction = match.groups()
    value = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return value + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)
