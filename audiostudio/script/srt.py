"""SRT (and WebVTT) subtitles as timed voice lines: each cue is a line pinned at its start and
generated to fit its slot; ``NAME:`` before the words names the speaker (else the previous
cue's, at first NARRATOR). Formatting (``<i>``, ``{\\an8}``) is dropped; WebVTT's header,
NOTE/STYLE/REGION blocks and cue identifiers are skipped, a ``<v Name>`` span names the
speaker."""

from __future__ import annotations

import re

from audiostudio.script.cues import Line, Script, Timing, check_script, parse_clock
from audiostudio.script.source import split_lines

DEFAULT_SPEAKER = "NARRATOR"
_ARROW = re.compile(r"^\s*(?P<start>[\d:.,]+)\s*-->\s*(?P<end>[\d:.,]+)(?:\s+.*)?$")
_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")
_VOICE = re.compile(r"^<v(?:\.[\w.-]+)?\s+(?P<name>[^>]+)>")
_VTT_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")
_SPEAKER = re.compile(r"^-?\s*(?P<name>[^\W\d_][^:]{0,40}?)\s*:\s*(?P<text>.+)$")


def parse(text: str, file: str) -> Script:
    script = Script(file, "srt")
    speaker = DEFAULT_SPEAKER
    block: list[tuple[int, str]] = []
    for number, raw in [*enumerate(split_lines(text), start=1), (0, "")]:
        if raw.strip():
            block.append((number, raw.strip()))
            continue
        if block and not block[0][1].startswith(_VTT_BLOCKS):
            line = _cue(script, block, speaker)
            speaker = line.speaker
            script.cues.append(line)
        block = []
    check_script(script)
    return script


def _cue(script: Script, block: list[tuple[int, str]], speaker: str) -> Line:
    if len(block) > 1 and not _ARROW.match(block[0][1]):  # the cue's number or identifier
        block = block[1:]
    timing = _ARROW.match(block[0][1]) if block else None
    number = block[0][0] if block else 0
    if timing is None:
        raise script.error(number, "expected a subtitle time line "
                                   "(00:00:01,000 --> 00:00:03,500)")
    start, end = parse_clock(timing["start"]), parse_clock(timing["end"])
    if start is None or end is None or end <= start:
        raise script.error(number, "expected a start time before the end time "
                                   "(00:00:01,000 --> 00:00:03,500)")
    raw = " ".join(text for _, text in block[1:])
    words = " ".join(_MARKUP.sub("", raw).split())
    named = _SPEAKER.match(words)
    voice = _VOICE.match(raw)
    if voice:  # WebVTT's <v Name> voice span
        speaker = voice["name"].strip()
    elif named and named["name"] == named["name"].upper():
        speaker, words = named["name"].strip(), named["text"].strip()
    if not words:
        raise script.error(number, "expected the subtitle's words after its time line")
    return Line(number, speaker, words, Timing(at=start), slot=end - start)
