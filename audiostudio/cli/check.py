"""`audiostudio check`: only the warnings pass; and how every command prints its problems."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported when used: every command starts through this package
    from audiostudio.problems import Problem


def add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true",
                        help="do not print warnings about the project (the exit code is the same)")


def print_problems(problems: Iterable[Problem], quiet: bool) -> None:
    """The problems of a command's project on stderr, one line each, unless ``--quiet``."""
    if quiet:
        return
    for problem in problems:
        print(problem, file=sys.stderr)


def _summary(problems: list[Problem]) -> str:
    from audiostudio.problems import ERROR

    if not problems:
        return "no problems found"
    errors = sum(1 for p in problems if p.severity == ERROR)
    warnings = len(problems) - errors
    parts = [f"{errors} error{'s' * (errors != 1)}"] if errors else []
    parts += [f"{warnings} warning{'s' * (warnings != 1)}"] if warnings else []
    return ", ".join(parts)


def _cmd_check(args: argparse.Namespace) -> int:
    from audiostudio.model.store import load_project
    from audiostudio.problems import find_problems, has_errors

    loaded = load_project(Path(args.project))
    problems = find_problems(loaded.project, loaded.folder)
    if args.json:
        print(json.dumps([p.to_json() for p in problems], indent=2, ensure_ascii=False))
    else:
        for problem in problems:
            print(problem)
        print(_summary(problems))
    return 1 if has_errors(problems) else 0


def register(sub: argparse._SubParsersAction) -> None:
    check = sub.add_parser("check", help="look for mistakes in a project (exit 1 on an error)")
    check.add_argument("project", help="project folder or its project.json")
    check.add_argument("--json", action="store_true", help="print the problems as a JSON list")
    check.set_defaults(func=_cmd_check)
