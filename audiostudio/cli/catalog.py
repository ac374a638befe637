"""`audiostudio sfx` and `audiostudio music`: what the offline engine's prompts can ask for."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable


def _sfx_listing() -> dict:
    from audiostudio.providers.offline import sfx

    def family(f: sfx.SfxFamily) -> dict:
        return {"name": f.name, "keywords": list(f.keywords), "hints": list(f.context),
                "default_duration_s": f.default_duration,
                "channels": "mono" if f.channels == 1 else "stereo",
                "description": f.description}

    return {"families": [family(f) for f in sfx.FAMILIES],
            "fallback": family(sfx.FALLBACK_FAMILY),
            "modifiers": [{"effect": effect, "words": list(words)}
                          for effect, words in sfx.modifier_words()]}


def _print_sfx(listing: dict) -> None:
    print("Offline SFX: a prompt's words pick one family (keywords count more than hints).")
    for f in listing["families"]:
        hints = f"; hints: {', '.join(f['hints'])}" if f["hints"] else ""
        print(f"  {f['name']:<12} {', '.join(f['keywords'])}{hints}")
        print(f"  {'':<12} {f['description']} ({f['default_duration_s']:g} s, {f['channels']})")
    fallback = listing["fallback"]
    print(f"  anything else: {fallback['name']} — {fallback['description']}")
    print("Words that change any family:")
    for m in listing["modifiers"]:
        print(f"  {m['effect']:<12} {', '.join(m['words'])}")


def _music_listing() -> dict:
    from audiostudio.providers.offline.music import prompt_words

    return prompt_words()


def _print_music(words: dict) -> None:
    print("Offline music: the first mood word sets the tempo (and the mode, where it has one).")
    for mood in words["moods"]:
        mode = mood["mode"] or "major or minor"
        drums = "with drums" if mood["drums"] else "no drums"
        print(f"  {', '.join(mood['words'])}: {mood['tempo_bpm']:g} bpm, {mode}, {drums}")
    print("Instruments:")
    for instrument, names in words["instruments"].items():
        print(f"  {instrument:<6} {', '.join(names)}")
    print(f"A short sting instead of a bed: {', '.join(words['sting'])}")
    print(f"A seamless loop: {', '.join(words['loop'])}")
    print(f"Only the instruments named: {', '.join(words['solo'])}")
    print(f"Leave an instrument out: {', '.join(words['without'])} (e.g. 'no drums')")
    print(f"Exact values: {', '.join(words['values'])}")


def _command(listing: Callable[[], dict], show: Callable[[dict], None]):
    def run(args: argparse.Namespace) -> int:
        data = listing()
        if args.json:
            print(json.dumps(data, indent=2))
        else:
            show(data)
        return 0

    return run


def register(sub: argparse._SubParsersAction) -> None:
    for name, func, what in (
        ("sfx", _command(_sfx_listing, _print_sfx), "the offline SFX families and their words"),
        ("music", _command(_music_listing, _print_music), "the words offline music prompts read"),
    ):
        parser = sub.add_parser(name, help=f"list {what}")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.set_defaults(func=func)
