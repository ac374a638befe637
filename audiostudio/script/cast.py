"""Who speaks with which voice: the project's ``cast`` for a script's speakers.

A voice is named by its id alone (``piper:en_US-joe-medium``): the provider that lists it is
the one that speaks it. Speakers nobody chose a voice for get distinct default voices, so two
characters never sound the same; speakers already in the project's cast keep their voice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from audiostudio.errors import BadRequestError, ScriptError
from audiostudio.model import CastEntry
from audiostudio.providers.base import Provider, VoiceOption

DEFAULT_PROVIDER = "offline"


def provider_of_voice(voice: str, providers: Mapping[str, Provider]) -> str:
    """The name of the provider that lists ``voice`` (or, for the offline engine, speaks it:
    any ``espeak:<language>`` and the ids its catalogue replaced); ScriptError if none does."""
    for name, provider in providers.items():
        if any(option.id == voice for option in provider.voices()):
            return name
    if DEFAULT_PROVIDER in providers:
        from audiostudio.providers.offline.voices import voice_info

        try:
            voice_info(voice)
            return DEFAULT_PROVIDER
        except BadRequestError:
            pass
    known = [o.id for p in providers.values() for o in p.voices()]
    listed = ", ".join(known[:6]) + (", …" if len(known) > 6 else "")
    raise ScriptError(f"unknown voice “{voice}” (voices are named by id, e.g. {listed})")


def match_speaker(name: str, speakers: Sequence[str], file: str) -> str:
    """``name`` as the script writes it (NARRATOR for "narrator"); ScriptError if nobody."""
    if name in speakers:
        return name
    folded = [s for s in speakers if s.casefold() == name.casefold()]
    if len(folded) == 1:
        return folded[0]
    raise ScriptError(f"a voice is given for {name}, who has no line in the script (its "
                      f"speakers: {', '.join(speakers) or 'none'})", file)


def default_voices(count: int, taken: set[str | None], providers: Mapping[str, Provider]
                   ) -> list[str]:
    """``count`` voices of the default provider that are not in ``taken`` and can speak here:
    English first, otherwise in the provider's order (the offline catalogue lists its voices
    in the order a cast should take them: the narrator, then women and men in turn)."""
    provider = providers.get(DEFAULT_PROVIDER) or next(iter(providers.values()))
    options: list[VoiceOption] = [o for o in provider.voices() if not o.unavailable]
    ordered = sorted(options, key=lambda o: not o.language.lower().startswith("en"))
    free = [o.id for o in ordered if o.id not in taken]
    if len(free) < count:
        raise ScriptError(
            f"the script has more speakers than {provider.name} has voices left "
            f"({len(free)}); give the others a voice with --voice NAME=VOICE")
    return free[:count]


def _provider_default(name: str, providers: Mapping[str, Provider]) -> str | None:
    provider = providers.get(name)
    return provider.default_voice() if provider is not None else None


def cast_for(speakers: Sequence[str], chosen: Mapping[str, str],
             providers: Mapping[str, Provider], existing: Mapping[str, CastEntry],
             file: str = "") -> dict[str, CastEntry]:
    """The whole cast after the import: ``existing`` entries kept, ``chosen`` ({speaker: voice
    id}) applied, every other new speaker given a distinct default voice."""
    cast = dict(existing)
    for name, voice in chosen.items():
        speaker = match_speaker(name, speakers, file)
        cast[speaker] = CastEntry(provider_of_voice(voice, providers), voice)
    missing = [s for s in speakers if s not in cast]
    taken = {entry.voice or _provider_default(entry.provider, providers)
             for entry in cast.values()}
    for speaker, voice in zip(missing, default_voices(len(missing), taken, providers),
                              strict=True):
        cast[speaker] = CastEntry(provider_of_voice(voice, providers), voice)
    order = [*existing, *(s for s in speakers if s not in existing)]
    return {name: cast[name] for name in order}
