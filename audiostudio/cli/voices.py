"""`audiostudio voices [--json]`: every voice the providers offer, for the cast and `--voice`.

Providers that cannot list voices here (no key, no network) get one note on stderr and the
command still succeeds; a voice whose engine is missing is listed as unavailable, with how to
install it.
"""

from __future__ import annotations

import argparse
import json
import sys

GENDERS = ("female", "male", "neutral")


def register(sub: argparse._SubParsersAction) -> None:
    voices = sub.add_parser("voices", help="list the voices every provider offers")
    voices.add_argument("--json", action="store_true",
                        help="print a JSON list (id, provider, name, engine, language, gender, "
                             "description, available, unavailable)")
    voices.set_defaults(func=_cmd_voices)


def voice_rows(providers: dict) -> tuple[list[dict], list[str]]:
    """(one dict per voice, one note per voice provider that listed none) for ``providers``."""
    from audiostudio.errors import AudiostudioError

    rows, notes = [], []
    for name, provider in providers.items():
        if "voice" not in provider.kinds:
            continue
        reason = getattr(provider, "unavailable_reason", lambda: None)()
        try:
            options = [] if reason else provider.voices()
        except AudiostudioError as error:
            reason = str(error)
        if not options:
            notes.append(f"{name}: {reason or 'no voices listed (no network?)'}")
        for option in options:
            gender = option.gender if option.gender in GENDERS else "neutral"
            rows.append({
                "id": option.id, "provider": name, "name": option.name,
                "engine": option.engine or name, "language": option.language,
                "gender": gender, "description": option.description,
                "available": not option.unavailable, "unavailable": option.unavailable,
            })
    return rows, notes


def _cmd_voices(args: argparse.Namespace) -> int:
    from audiostudio.provider_setup import configured_providers

    rows, notes = voice_rows(configured_providers())
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        _print_table(rows)
    if notes:
        print("note: not listed — " + "; ".join(notes), file=sys.stderr)
    return 0


def _print_table(rows: list[dict]) -> None:
    width = max((len(row["id"]) for row in rows), default=0)
    missing: dict[str, str] = {}
    for row in rows:
        state = "" if row["available"] else "  [unavailable]"
        print(f"{row['id']:<{width}}  {row['name']:<9} {row['gender']:<7} {row['language']:<15}"
              f"{row['engine']:<7} {row['description']}{state}")
        if not row["available"]:
            missing.setdefault(f"{row['provider']} {row['engine']}", row["unavailable"])
    for engine, how in missing.items():
        print(f"{engine} voices are unavailable: {how}")
