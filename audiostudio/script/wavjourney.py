"""WavJourney audio scripts: a JSON list of speech, sound_effect and music entries.

Foreground entries play one after another (speech, and sounds with their ``len``); background
sounds and music run from their ``"action": "begin"`` to the matching ``"end"`` (same
``audio_type`` and ``id``), under the foreground. ``vol`` is the loudness WavJourney aims each
entry at (LUFS); here it becomes the clip's gain relative to speech at -15 LUFS, so the relative
levels the script asked for survive.
"""

from __future__ import annotations

import json
from typing import Any

from audiostudio.script.cues import BedEnd, Line, Script, Sound, Timing, check_script

SPEECH_LUFS = -15.0  # WavJourney's usual speech volume: gain 0 dB here
_KINDS = {"sound_effect": "sfx", "music": "music"}


def _entries(script: Script, text: str) -> list[tuple[int, Any]]:
    """(line number, entry) of each element of the top-level array."""
    decoder = json.JSONDecoder()

    def fail(index: int, message: str):
        return script.error(text.count("\n", 0, index) + 1, message)

    index = len(text) - len(text.lstrip())
    if not text.startswith("[", index):
        raise fail(index, "expected a JSON list of audio entries ([{…}, …])")
    index += 1
    entries = []
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text):
            raise fail(index, "expected ] at the end of the list")
        if text[index] == "]":
            return entries
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise script.error(exc.lineno, f"not valid JSON: {exc.msg}") from None
        entries.append((text.count("\n", 0, index) + 1, value))
        index = end


def _number(script: Script, number: int, entry: dict, key: str, default: float | None = None
            ) -> float | None:
    value = entry.get(key, default)
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise script.error(number, f"“{key}” must be a number, not {json.dumps(value)}")


def _require(script: Script, number: int, entry: dict, key: str) -> Any:
    if entry.get(key) in (None, ""):
        kind = entry.get("audio_type", "entry")
        raise script.error(number, f"a {entry.get('layout', '')} {kind} entry needs “{key}”")
    return entry[key]


def parse(text: str, file: str) -> Script:
    script = Script(file, "wavjourney")
    for number, entry in _entries(script, text):
        if not isinstance(entry, dict):
            raise script.error(number, "expected an object {\"audio_type\": …} in the list")
        script.cues.append(_cue(script, number, entry))
    check_script(script, "an “end” entry")
    return script


def _cue(script: Script, number: int, entry: dict) -> Line | Sound | BedEnd:
    audio_type, layout = entry.get("audio_type"), entry.get("layout", "foreground")
    vol = _number(script, number, entry, "vol", SPEECH_LUFS)
    gain = round(vol - SPEECH_LUFS, 2)  # type: ignore[operator]
    if audio_type == "speech":
        return Line(number, str(_require(script, number, entry, "character")),
                    str(_require(script, number, entry, "text")), gain_db=gain)
    kind = _KINDS.get(audio_type)  # type: ignore[arg-type]
    if kind is None:
        raise script.error(number, f"unknown audio_type {json.dumps(audio_type)}: expected "
                                   "\"speech\", \"sound_effect\" or \"music\"")
    if layout == "foreground":
        length = _number(script, number, entry, "len")
        if length is not None and length <= 0:
            raise script.error(number, "“len” must be more than 0 seconds")
        return Sound(number, kind, str(_require(script, number, entry, "desc")),
                     Timing(length=length), gain, sequential=True)
    if layout != "background":
        raise script.error(number, f"unknown layout {json.dumps(layout)}: expected "
                                   "\"foreground\" or \"background\"")
    bed = str(_require(script, number, entry, "id"))
    action = entry.get("action")
    if action == "begin":
        return Sound(number, kind, str(_require(script, number, entry, "desc")),
                     gain_db=gain, bed=bed)
    if action == "end":
        return BedEnd(number, kind, bed)
    raise script.error(number, f"a background entry's action is \"begin\" or \"end\", not "
                               f"{json.dumps(action)}")
