"""The examples under each command's --help, kept in one place so they read as one manual.

``attach`` gives every subcommand a description (its one-line help, when it has none) and an
"examples:" epilog; tests/test_packaging.py parses every example line with the real parser, so
an example cannot outlive the option it shows.
"""

from __future__ import annotations

import argparse

TOP = """\
examples:
  audiostudio demo my-demo                 build, generate and render a demo scene offline
  audiostudio my-demo                      open it in the window
  audiostudio render my-demo -o out --stems
  audiostudio COMMAND --help               options and examples of one command

The window needs a display; --screenshot works without one. Exit codes: 0 ok, 1 error,
2 usage. Docs: README.md and docs/guide/ in the source tree."""

EXAMPLES = {
    "open": [
        "audiostudio open my-scene",
        "audiostudio my-scene --screenshot shot.png --size 1280x800",
    ],
    "demo": [
        "audiostudio demo my-demo",
    ],
    "new": [
        'audiostudio new my-scene --name "Episode 1"',
        "audiostudio new lighthouse --from-script resources/example-script.txt",
        "audiostudio new lighthouse --from-script scene.fountain --voice MAYA=espeak:en-us+f3 "
        "--render lighthouse/export",
    ],
    "reflow": [
        "audiostudio reflow lighthouse",
    ],
    "import": [
        "audiostudio import my-scene voice-over.wav --track Narration",
        "audiostudio import my-scene theme.mp3 --track Music --at 0",
        "audiostudio import my-scene film.mp4 --reference",
    ],
    "generate": [
        "audiostudio generate my-scene --dry-run",
        "audiostudio generate my-scene",
        "audiostudio generate my-scene --clip CLIP_ID --new-take",
    ],
    "check": [
        "audiostudio check my-scene",
        "audiostudio check my-scene --json",
    ],
    "render": [
        "audiostudio render my-scene -o my-scene/export --stems",
        "audiostudio render my-scene -o out --format both --target-lufs -14",
        "audiostudio render my-scene -o out --start 10 --end 25 --bit-depth 16",
        "audiostudio render my-scene -o out --stems --video film.mp4",
    ],
    "analyze": [
        "audiostudio analyze my-scene/export/mix.wav",
        "audiostudio analyze out/*.wav --json",
    ],
    "sfx": [
        "audiostudio sfx",
        "audiostudio sfx --json",
    ],
    "music": [
        "audiostudio music",
    ],
    "voices": [
        "audiostudio voices",
        "audiostudio voices --json",
    ],
    "providers": [
        "audiostudio providers",
        "audiostudio providers --check",
    ],
}

# Help for a bare "project" positional, by command: most read a project, two create one.
PROJECT_HELP = {"demo": "folder to build the demo in (default: audiostudio-demo)",
                "new": "folder to create"}


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def attach(parser: argparse.ArgumentParser) -> None:
    parser.epilog = TOP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    sub = _subparsers(parser)
    helps = {action.dest: action.help for action in sub._choices_actions}
    for name, command in sub.choices.items():
        command.formatter_class = argparse.RawDescriptionHelpFormatter
        if command.description is None and helps.get(name):
            command.description = helps[name][0].upper() + helps[name][1:] + "."
        if name in EXAMPLES:
            command.epilog = "examples:\n" + "\n".join(f"  {e}" for e in EXAMPLES[name])
        for action in command._actions:
            if action.dest == "project" and action.help is None:
                action.help = PROJECT_HELP.get(name, "project folder (or its project.json)")
