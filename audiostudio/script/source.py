"""Script files as text: UTF-8 (with or without a BOM), UTF-16 with a BOM, or Windows-1252;
LF, CRLF or CR line ends. Writers' tools save all of these; nobody should have to convert."""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from audiostudio.errors import ScriptError

_LINE_END = re.compile(r"\r\n|\r|\n")


def decode_text(data: bytes, name: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        encodings = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ScriptError("is not text in UTF-8 or Windows-1252 (save it as UTF-8)", name)


def read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScriptError(f"cannot be read: {exc.strerror or exc}", str(path)) from exc
    return decode_text(data, path.name)


def split_lines(text: str) -> list[str]:
    """Lines as an editor numbers them (``str.splitlines`` also splits at form feeds and
    Unicode separators, which would shift every line number after them)."""
    lines = _LINE_END.split(text)
    return lines[:-1] if lines and lines[-1] == "" else lines
