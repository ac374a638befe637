"""The plain-text script format (docs/script-format.md): one cue per line.

    INT. LIGHTHOUSE - NIGHT
    [MUSIC: slow ambient pads ~30s]
    NARRATOR: The lamp had been dark for thirty years.
    MAYA (V.O.) (whispering): Did you hear that?
    [SFX: heavy wooden door creaks open +0.5s ~3s]
    [MUSIC END]

Every other line is an error naming its number and what was expected: a script that imports
half is worse than one that says where it went wrong.
"""

from __future__ import annotations

import re

from audiostudio.script.cues import BedEnd, Heading, Line, Script, Sound, Timing, check_script

# A screenplay's extensions say where a voice comes from, not how it sounds: not tags.
_EXTENSIONS = {"VO", "OS", "OC", "CONTD", "CONT", "ONTHEPHONE", "PRELAP"}
_HEADING = re.compile(r"^(?:INT\.?/EXT\.|INT\.|EXT\.|I/E\.?|EST\.)\s+\S", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#+\s*(?P<label>.*?)\s*#*$")
_CUE = re.compile(r"^\[\s*(?P<kind>SFX|MUSIC)\s*:\s*(?P<body>[^\]]*)\](?P<tail>.*)$",
                  re.IGNORECASE)
_MUSIC_END = re.compile(r"^\[\s*(?:MUSIC[\s:]+END|END\s+MUSIC)\s*\]$", re.IGNORECASE)
_SPEAKER = re.compile(
    r"^(?P<name>[^\s:()\[\]][^:()\[\]]*?)\s*(?P<parens>(?:\([^()]*\)\s*)*):\s*(?P<text>.*)$")
_TIMING = re.compile(r"(?:^|\s+)(?P<sign>[@+~])\s*(?P<value>\d+(?:\.\d+)?|\.\d+)\s*s\s*$",
                     re.IGNORECASE)
EXPECTED = ("expected a speaker line (NAME: words), a cue ([SFX: …], [MUSIC: …], "
            "[MUSIC END]), a scene heading (INT. …, EXT. …, # …), a // comment or a blank line")


class LineError(Exception):
    """A message for the line being parsed; ``parse`` adds the file and line number."""


def parse(text: str, file: str) -> Script:
    from audiostudio.script.source import split_lines

    script = Script(file, "text")
    for number, raw in enumerate(split_lines(text), start=1):
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        try:
            script.cues.append(cue_of(line, number))
        except LineError as exc:
            raise script.error(number, str(exc)) from None
    check_script(script)
    return script


def cue_of(line: str, number: int):
    if _HEADING.match(line):
        return Heading(number, line)
    if line.startswith("#"):
        label = _MARKDOWN_HEADING.match(line).group("label")  # type: ignore[union-attr]
        if not label:
            raise LineError("a # heading needs a name after the #")
        return Heading(number, label)
    if _MUSIC_END.match(line):
        return BedEnd(number, "music", "music")
    if line.startswith("["):
        return _sound(line, number)
    return _speech(line, number)


def _sound(line: str, number: int) -> Sound:
    match = _CUE.match(line)
    if match is None:
        raise LineError(f"unknown cue “{_excerpt(line)}”: cues are [SFX: …], [MUSIC: …] and "
                         "[MUSIC END] (audio tags such as [laughs] go inside a speaker's line)")
    kind = match.group("kind").lower()
    body, inner = split_timing(match.group("body"))
    tail, outer = split_timing(match.group("tail"))
    if tail:
        raise LineError(f"unexpected “{_excerpt(tail)}” after the cue: only timings such as "
                         "@ 5.5s, +0.5s or ~6s may follow it")
    if not body:
        raise LineError(f"[{kind.upper()}: …] needs a description of the sound")
    timing = merge_timings(inner, outer)
    return Sound(number, kind, body, timing, bed="music" if kind == "music" else None)


def _speech(line: str, number: int) -> Line:
    match = _SPEAKER.match(line)
    if match is None:
        raise LineError(f"{EXPECTED}, not “{_excerpt(line)}”")
    name = match.group("name").strip()
    if name != name.upper() or not any(ch.isalpha() for ch in name):
        raise LineError(f"“{_excerpt(line)}”: a speaker's name is written in capitals "
                         f"(“{name.upper()}:”), or {EXPECTED[len('expected '):]}")
    words, timing = split_timing(match.group("text"))
    if not words:
        raise LineError(f"expected the words {name} says after “{name}:”")
    tags = [f"[{tag}]" for tag in parenthetical_tags(match.group("parens"))]
    return Line(number, name, " ".join([*tags, words]), timing)


def parenthetical_tags(parens: str) -> list[str]:
    """"(V.O.) (whispering, slowly)" -> ["whispering", "slowly"]: v3 tags, extensions dropped."""
    tags = []
    for group in re.findall(r"\(([^()]*)\)", parens):
        for item in (part.strip() for part in group.split(",")):
            if item and re.sub(r"[\s.'’\-]", "", item).upper() not in _EXTENSIONS:
                tags.append(item)
    return tags


def split_timing(text: str) -> tuple[str, Timing]:
    """Trailing "@ 5.5s", "+0.5s" and "~6s" taken off ``text``; raises LineError for a
    timing given twice or "@" together with "+"."""
    values: dict[str, float] = {}
    text = text.strip()
    while match := _TIMING.search(text):
        sign = match.group("sign")
        if sign in values:
            raise LineError(f"two “{sign}” timings on one line")
        values[sign] = float(match.group("value"))
        text = text[: match.start()].rstrip()
    if "@" in values and "+" in values:
        raise LineError("a cue is either @ (from the start) or + (after the line), not both")
    if values.get("~", 1.0) <= 0:
        raise LineError("a ~length must be more than 0 s")
    return text, Timing(values.get("@"), values.get("+"), values.get("~"))


def merge_timings(first: Timing, second: Timing) -> Timing:
    merged = Timing(*(a if a is not None else b for a, b in zip(
        (first.at, first.after, first.length), (second.at, second.after, second.length),
        strict=True)))
    if merged.at is not None and merged.after is not None:
        raise LineError("a cue is either @ (from the start) or + (after the line), not both")
    return merged


def _excerpt(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
