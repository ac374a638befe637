"""Which parser reads a file: by its extension, else by what the text looks like."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from audiostudio.errors import ScriptError
from audiostudio.script import fountain, plain, podcastfy, srt, table, wavjourney
from audiostudio.script.cues import Script
from audiostudio.script.source import read_text

FORMATS: dict[str, Callable[[str, str], Script]] = {
    "text": plain.parse,
    "csv": table.parse,
    "srt": srt.parse,
    "fountain": fountain.parse,
    "podcastfy": podcastfy.parse,
    "wavjourney": wavjourney.parse,
}
_BY_SUFFIX = {".csv": "csv", ".tsv": "csv", ".srt": "srt", ".vtt": "srt", ".fountain": "fountain",
              ".spmd": "fountain", ".json": "wavjourney"}
_PODCASTFY = re.compile(r"<Person\d+>")


def detect_format(name: str, text: str) -> str:
    suffix = Path(name).suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    return "podcastfy" if _PODCASTFY.search(text) else "text"


def parse_script(text: str, name: str, format: str | None = None) -> Script:
    """Parse ``text`` (from a file called ``name``) as ``format`` (None: detected)."""
    chosen = format or detect_format(name, text)
    if chosen not in FORMATS:
        raise ScriptError(f"unknown script format “{chosen}” (known: {', '.join(FORMATS)})",
                          name)
    return FORMATS[chosen](text, name)


def read_script(path: Path, format: str | None = None) -> Script:
    return parse_script(read_text(path), path.name, format)
