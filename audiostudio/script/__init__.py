"""Scripts to scenes: parse a writer's script (plain text, CSV, SRT, Fountain, podcastfy,
WavJourney) into cues, and lay them out as tracks, prompt clips, markers and a cast.

``read_script(path)`` parses (raising ScriptError naming the file and line), ``plan_import``
turns the result into one edit for a project. No Qt: the CLI and the window share all of it.
"""

from audiostudio.script.formats import FORMATS, detect_format, parse_script, read_script
from audiostudio.script.layout import ImportOptions, ScriptPlan, Summary, plan_import

__all__ = [
    "FORMATS",
    "ImportOptions",
    "ScriptPlan",
    "Summary",
    "detect_format",
    "parse_script",
    "plan_import",
    "read_script",
]
