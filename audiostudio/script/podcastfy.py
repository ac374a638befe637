"""podcastfy transcripts: ``<Person1>…</Person1><Person2>…</Person2>`` turns, in order.

Speakers keep podcastfy's names (Person1, Person2); SSML inside a turn (``<emphasis>``,
``<break time="1s"/>``) is dropped, audio tags in brackets are kept.
"""

from __future__ import annotations

import re

from audiostudio.script.cues import Line, Script, check_script

_TURN = re.compile(r"<(?P<name>Person\d+)>(?P<text>.*?)</(?P=name)>", re.DOTALL)
_SSML = re.compile(r"<[^>]*>")


def parse(text: str, file: str) -> Script:
    script = Script(file, "podcastfy")
    position = 0
    for match in _TURN.finditer(text):
        _only_space(script, text, position, match.start())
        number = text.count("\n", 0, match.start()) + 1
        words = " ".join(_SSML.sub(" ", match["text"]).split())
        if not words:
            raise script.error(number, f"<{match['name']}> has no words")
        script.cues.append(Line(number, match["name"], words))
        position = match.end()
    _only_space(script, text, position, len(text))
    check_script(script)
    return script


def _only_space(script: Script, text: str, start: int, end: int) -> None:
    stray = text[start:end]
    if stray.strip():
        offset = start + len(stray) - len(stray.lstrip())
        number = text.count("\n", 0, offset) + 1
        excerpt = " ".join(stray.split())[:50]
        raise script.error(number, f"expected a turn such as <Person1>…</Person1>, not "
                                   f"“{excerpt}” (is a closing tag missing?)")
