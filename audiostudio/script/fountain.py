"""Fountain screenplays (fountain.io): the dialogue, said by its characters, and the scenes.

A character cue (a line in capitals after a blank line, or forced with ``@``) starts dialogue;
parentheticals become v3 tags where they stand; extensions such as (V.O.) are dropped. Scene
headings (``INT.``/``EXT.``/forced ``.``) and sections (``#``) become markers. Action,
transitions, notes ``[[…]]``, boneyard ``/* … */`` and the title page are not sound, so they are
skipped, except an action line written as a cue (``[SFX: …]``, ``[MUSIC: …]``, ``[MUSIC END]``),
which is read as in the plain-text format.
"""

from __future__ import annotations

import re

from audiostudio.script import plain
from audiostudio.script.cues import Cue, Heading, Line, Script, check_script
from audiostudio.script.source import split_lines

_HEADING = re.compile(r"^(?:INT|EXT|EST|INT\.?/EXT|I/E)[.\s]", re.IGNORECASE)
_NOTES = re.compile(r"\[\[.*?\]\]", re.DOTALL)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_TITLE_KEY = re.compile(r"^[A-Za-z][A-Za-z ]*:")
_CHARACTER = re.compile(r"^(?P<name>[^()\[\]]*?)\s*(?P<parens>(?:\([^()]*\)\s*)*)\^?$")


def _blank_out(match: re.Match) -> str:
    """Removed text keeps its line breaks, so line numbers stay the file's."""
    return "\n" * match.group(0).count("\n")


def parse(text: str, file: str) -> Script:
    script = Script(file, "fountain")
    text = _NOTES.sub(_blank_out, _BONEYARD.sub(_blank_out, text))
    lines = [line.strip() for line in split_lines(text)]
    index = _skip_title_page(lines)
    while index < len(lines):
        line, blank_before = lines[index], index == 0 or not lines[index - 1]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if not line:
            index += 1
        elif blank_before and following and _is_character(line):
            index = _dialogue(script, lines, index)
        else:
            cue = _other(line, index + 1, blank_before)
            if cue is not None:
                script.cues.append(cue)
            index += 1
    check_script(script)
    return script


def _skip_title_page(lines: list[str]) -> int:
    if not lines or not _TITLE_KEY.match(lines[0]):
        return 0
    return next((i for i, line in enumerate(lines) if not line), len(lines))


def _is_character(line: str) -> bool:
    if line.startswith("@"):
        return True
    match = _CHARACTER.match(line)
    if match is None or _HEADING.match(line) or line.endswith("TO:") or line.startswith(
            ("!", ">", "~", "=", ".", "#", "[")):
        return False
    name = match["name"]
    return any(ch.isalpha() for ch in name) and name == name.upper()


def _dialogue(script: Script, lines: list[str], index: int) -> int:
    number, cue_line = index + 1, lines[index]
    match = _CHARACTER.match(cue_line.lstrip("@"))
    name = match["name"].strip() if match else cue_line.lstrip("@").strip()
    words = [f"[{tag}]" for tag in plain.parenthetical_tags(match["parens"] if match else "")]
    index += 1
    while index < len(lines) and lines[index]:
        line = lines[index]
        if line.startswith("(") and line.endswith(")"):
            words += [f"[{tag}]" for tag in plain.parenthetical_tags(line)]
        else:
            words.append(line)
        index += 1
    text = " ".join(words)
    if text.replace("[", "").replace("]", "").strip():
        script.cues.append(Line(number, name, text))
    return index


def _other(line: str, number: int, blank_before: bool) -> Cue | None:
    if line.startswith("#"):
        label = line.lstrip("#").strip()
        return Heading(number, label) if label else None
    if line.startswith(".") and not line.startswith(".."):
        return Heading(number, line[1:].strip())
    if blank_before and _HEADING.match(line):
        return Heading(number, line)
    if line.startswith("["):
        try:
            return plain.cue_of(line, number)
        except plain.LineError:
            return None  # an action line that only looks like a cue
    return None
