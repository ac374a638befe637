"""Command line: every job but the window, headless.

Exit codes: 0 ok, 2 usage error (argparse), 1 any other error with one clear line on stderr
(the traceback only with --debug). Each command lives in a module of this package with a
``register(sub)`` that adds its parser; ``COMMANDS`` lists them in the order ``--help`` shows.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from audiostudio import __version__
from audiostudio.cli import (
    analyze,
    catalog,
    check,
    examples,
    generate,
    project,
    providers,
    render,
    voices,
)
from audiostudio.errors import AudiostudioError, CancelledError

# Listed, not discovered: a frozen app (PyInstaller) sees only what is imported by name.
COMMANDS = (render, generate, check, project, analyze, catalog, providers, voices)


def _cmd_open(args: argparse.Namespace) -> int:
    from audiostudio.ui.app import run_window

    project = Path(args.project) if getattr(args, "project", None) else None
    return run_window(project, Path(args.screenshot) if args.screenshot else None, args.size)


def _prune_cache() -> None:
    from audiostudio.caches import prune
    from audiostudio.settings import cache_dir, load_settings

    prune(cache_dir(), load_settings().cache_size_mb * 2**20)


WINDOW_OPTIONS = ("--screenshot", "--size")


def _add_window_options(parser: argparse.ArgumentParser, top: bool) -> None:
    # The options exist before and after `open`; the copy after it must not reset a value
    # given before it, hence SUPPRESS there.
    parser.add_argument("--screenshot", metavar="FILE.png",
                        default=None if top else argparse.SUPPRESS,
                        help="render the window to a PNG and exit (works without a display)")
    parser.add_argument("--size", default="1600x1000" if top else argparse.SUPPRESS,
                        help="window size for --screenshot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audiostudio",
        description="Scene audio: generate voices, SFX and music; mix, duck, normalise, export.",
    )
    parser.add_argument("--version", action="version", version=f"audiostudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    _add_window_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = sub.add_parser("open", help="open a project in the window (the default)")
    open_cmd.add_argument("project", nargs="?")
    _add_window_options(open_cmd, top=False)
    open_cmd.set_defaults(func=_cmd_open)
    for command in COMMANDS:
        command.register(sub)
    examples.attach(parser)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _first_positional(argv: list[str]) -> int | None:
    """Index of the first argument that is neither an option nor an option's value."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in WINDOW_OPTIONS:
            skip = True  # its value follows
        elif not arg.startswith("-"):
            return index
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _subcommands(parser)
    # `audiostudio PROJECT_DIR` opens it: a first positional that names no subcommand.
    first = _first_positional(argv)
    if first is not None and argv[first] not in commands:
        argv.insert(first, "open")
    args = parser.parse_args(argv)
    if args.command is None:
        args.func, args.project = _cmd_open, None
    try:
        status = args.func(args)
        if getattr(args, "fills_cache", False):
            _prune_cache()
        return status
    except CancelledError:
        print("cancelled", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except AudiostudioError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the edge: one clear line instead of a traceback
        if args.debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug)", file=sys.stderr)
        return 1
