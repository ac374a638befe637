"""Spreadsheet scripts: CSV rows like ElevenLabs Voiceover Studio's import.

Columns by header name (any order, case-insensitive): ``speaker``, ``line`` (or ``text`` /
``transcription``), optional ``start`` / ``end`` (seconds, or 00:00:01.500) and ``kind``
(voice / sfx / music). A file without a header row is read as speaker, line, start, end, kind.
Commas, semicolons (European spreadsheets) and tabs all separate columns.
"""

from __future__ import annotations

import csv
import io

from audiostudio.script.cues import Line, Script, Sound, Timing, check_script, parse_clock

_COLUMNS = {
    "speaker": ("speaker", "character", "name", "speaker_name"),
    "line": ("line", "text", "transcription", "dialogue", "dialog", "prompt", "description"),
    "start": ("start", "start_time", "start time", "in", "time"),
    "end": ("end", "end_time", "end time", "out"),
    "kind": ("kind", "type"),
}
_POSITIONAL = ("speaker", "line", "start", "end", "kind")
_KINDS = {"": "voice", "voice": "voice", "speech": "voice", "line": "voice", "dialogue": "voice",
          "sfx": "sfx", "sound": "sfx", "sound_effect": "sfx", "sound effect": "sfx",
          "music": "music"}


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return max(",;\t", key=first.count)


def _header(row: list[str]) -> dict[str, int] | None:
    cells = [cell.strip().lower() for cell in row]
    found = {key: cells.index(name) for key, names in _COLUMNS.items()
             for name in names if name in cells}
    return found if "line" in found and ("speaker" in found or "kind" in found) else None


def parse(text: str, file: str) -> Script:
    script = Script(file, "csv")
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text))
    columns: dict[str, int] | None = None
    first = True
    for row in reader:
        number = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if first:
            first = False
            columns = _header(row)
            if columns is not None:
                continue
            columns = {key: index for index, key in enumerate(_POSITIONAL)}

        script.cues.append(_row(script, number, _Row(row, columns)))
    check_script(script, "a music row with an end time")
    return script


class _Row:
    def __init__(self, cells: list[str], columns: dict[str, int]) -> None:
        self.cells, self.columns = cells, columns

    def __call__(self, key: str) -> str:
        index = self.columns.get(key)
        return self.cells[index].strip() if index is not None and index < len(self.cells) else ""


def _time(script: Script, number: int, value: str, column: str) -> float | None:
    if not value:
        return None
    seconds = parse_clock(value)
    if seconds is None:
        raise script.error(number, f"the {column} time “{value}” is not seconds (12.5) or a "
                                   "time (00:00:12.500)")
    return seconds


def _row(script: Script, number: int, cell: _Row) -> Line | Sound:
    kind = _KINDS.get(cell("kind").lower())
    if kind is None:
        raise script.error(number, f"unknown kind “{cell('kind')}”: expected voice, sfx or music")
    words = cell("line")
    if not words:
        raise script.error(number, "expected the line's words (or the sound's description)")
    start = _time(script, number, cell("start"), "start")
    end = _time(script, number, cell("end"), "end")
    if end is not None and start is None:
        raise script.error(number, "an end time needs a start time")
    if start is not None and end is not None and end <= start:
        raise script.error(number, f"the end ({end:g} s) must come after the start "
                                   f"({start:g} s)")
    length = end - start if start is not None and end is not None else None
    if kind == "voice":
        speaker = cell("speaker")
        if not speaker:
            raise script.error(number, "expected a speaker for this line")
        return Line(number, speaker, words, Timing(at=start), slot=length)
    timing = Timing(at=start, length=length)
    # A music row with an end is a piece of that length; without one it plays to the end.
    return Sound(number, kind, words, timing, bed="music" if kind == "music" and length is None
                 else None)
