"""The warnings pass: mistakes a user can make in a project that still loads.

One pass (``find_problems``) shared by load (the window's Problems dock), ``generate`` (before
it spends anything), ``render`` (listed in report.json) and ``audiostudio check``. Each
``Problem`` has a severity ("error": generating or rendering this will fail or is meaningless;
"warning": it works, probably not as meant), the clip/track it is about and one sentence.
Nothing here changes the project: unknown keys, for instance, are reported and still kept.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from audiostudio.errors import AudiostudioError
from audiostudio.model import CastEntry, Clip, Duck, FrameRate, Marker, Mix, Project, Request, Track
from audiostudio.model.assets import resolve_path
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.project import REQUEST_KINDS, TRACK_KINDS
from audiostudio.model.reflow import overlaps
from audiostudio.providers.base import ParamSpec, Provider, VoiceOption

ERROR = "error"
WARNING = "warning"
OVERLAP_S = 0.05  # voice lines may touch (their edges are silence); more is talking at once


@dataclass(frozen=True)
class Problem:
    severity: str  # ERROR or WARNING
    message: str
    where: str = ""  # for people: "clip 'Knock' (c-knock)"
    clip_id: str | None = None
    track_id: str | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}" if self.where else \
            f"{self.severity}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"severity": self.severity, "where": self.where, "clip_id": self.clip_id,
                "track_id": self.track_id, "message": self.message}


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == ERROR for p in problems)


def _suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" — did you mean `{match[0]}`?" if match else ""


class _Place:
    """Where a problem is: the track and clip it belongs to, named for people."""

    def __init__(self, track: Track | None = None, clip: Clip | None = None,
                 label: str = "") -> None:
        self.track, self.clip, self.label = track, clip, label

    def where(self) -> str:
        if self.clip is not None:
            return f"clip '{self.clip.name}' ({self.clip.id})" if self.clip.name else \
                f"clip {self.clip.id}"
        if self.track is not None:
            return f"track '{self.track.name}' ({self.track.id})" if self.track.name else \
                f"track {self.track.id}"
        return self.label

    def problem(self, severity: str, message: str) -> Problem:
        return Problem(severity, message, self.where(), self.clip.id if self.clip else None,
                       self.track.id if self.track else None)


# --- unknown keys -----------------------------------------------------------------------------
_SCHEMA_DEFS = {Project: None, FrameRate: "frame_rate", Marker: "marker", CastEntry: "cast_entry",
                Track: "track", Clip: "clip", Request: "request", Duck: "duck", Mix: "mix"}


@cache
def _schema() -> dict[str, Any]:
    return json.loads(resources.files("audiostudio.model").joinpath(
        "project.schema.json").read_text(encoding="utf-8"))


def _documented_keys(cls: type) -> frozenset[str]:
    """The keys of ``cls`` the format documents (project.schema.json): some are kept in
    ``extra`` by design (a request's ``fit``), and are no mistake."""
    schema = _schema()
    name = _SCHEMA_DEFS.get(cls)
    part = schema if name is None else schema["$defs"].get(name, {})
    return frozenset(part.get("properties", {}))


def _known_keys(obj: Any) -> list[str]:
    return sorted({f.name for f in fields(obj) if f.name != "extra"}
                  | _documented_keys(type(obj)))


def _unknown_keys(obj: Any, place: _Place, noun: str, prefix: str = "",
                  params: Iterable[str] = (), provider: str = "") -> Iterator[Problem]:
    params = set(params)
    known = _known_keys(obj)
    for key in obj.extra:
        if key in known:
            continue
        if key in params:  # a provider param written beside the request's keys
            hint = f" — provider params go in `{prefix}params.{provider}.{key}`"
        else:
            hint = _suggest(key, known)
        yield place.problem(WARNING, f"`{prefix}{key}`: unknown {noun} key{hint} (kept as is, "
                                     "not used)")


def _key_problems(project: Project, providers: Mapping[str, Provider]) -> Iterator[Problem]:
    yield from _unknown_keys(project, _Place(label="project"), "project")
    yield from _unknown_keys(project.mix, _Place(label="mix"), "mix", "mix.")
    yield from _unknown_keys(project.mix.duck, _Place(label="mix"), "duck", "mix.duck.")
    if project.frame_rate is not None:
        yield from _unknown_keys(project.frame_rate, _Place(label="frame_rate"), "frame rate")
    for marker in project.markers:
        yield from _unknown_keys(marker, _Place(label=f"marker '{marker.label or marker.id}'"),
                                 "marker")
    for name, entry in project.cast.items():
        yield from _unknown_keys(entry, _Place(label=f"cast '{name}'"), "cast entry")
    for track in project.tracks:
        yield from _unknown_keys(track, _Place(track), "track")
        for clip in track.clips:
            place = _Place(track, clip)
            yield from _unknown_keys(clip, place, "clip")
            if clip.request is not None:
                provider = providers.get(clip.request.provider)
                names = [p.name for p in provider.params()] if provider else []
                yield from _unknown_keys(clip.request, place, "request", "request.", names,
                                         clip.request.provider)


# --- kinds, providers, speakers, params -------------------------------------------------------
def _provider_problems(project: Project, providers: Mapping[str, Provider]) -> Iterator[Problem]:
    for track in project.tracks:
        if track.kind not in TRACK_KINDS:
            yield _Place(track).problem(
                WARNING, f"unknown track kind `{track.kind}`{_suggest(track.kind, TRACK_KINDS)} "
                         "(it plays as an audio track)")
        for clip in track.clips:
            if clip.request is not None:
                yield from _request_problems(project, _Place(track, clip), clip, clip.request,
                                             providers)
    for name, entry in project.cast.items():
        yield from _cast_problems(name, entry, providers)


def _request_problems(project: Project, place: _Place, clip: Clip, request: Request,
                      providers: Mapping[str, Provider]) -> Iterator[Problem]:
    if request.kind not in REQUEST_KINDS:
        yield place.problem(ERROR, f"unknown request kind `{request.kind}`"
                                   f"{_suggest(request.kind, REQUEST_KINDS)}: it cannot be "
                                   "generated")
    provider = providers.get(request.provider)
    if provider is None:
        yield place.problem(ERROR, f"unknown provider `{request.provider}`"
                                   f"{_suggest(request.provider, providers)} (this Audiostudio "
                                   f"has: {', '.join(sorted(providers))})")
    elif request.kind in REQUEST_KINDS and request.kind not in provider.kinds:
        yield place.problem(ERROR, f"provider `{provider.name}` makes no {request.kind} (it "
                                   f"makes {', '.join(sorted(provider.kinds))})")
    if clip.speaker and clip.speaker not in project.cast:
        cast = ", ".join(sorted(project.cast)) or "the cast is empty"
        yield place.problem(WARNING, f"speaker `{clip.speaker}` is not in the cast"
                                     f"{_suggest(clip.speaker, project.cast)} ({cast}): the "
                                     "line gets the provider's default voice")
    yield from _params_problems(place, request, providers)


def _params_problems(place: _Place, request: Request,
                     providers: Mapping[str, Provider]) -> Iterator[Problem]:
    own = providers.get(request.provider)
    own_names = {p.name for p in own.params()} if own else set()
    for key, value in request.params.items():
        if key in providers:
            if isinstance(value, dict):
                yield from _param_names(place, f"request.params.{key}", value,
                                        providers[key].params(), request.kind)
            else:
                yield place.problem(WARNING, f"`request.params.{key}`: must be an object of "
                                             f"{key}'s params, got {value!r} (not used)")
        elif key in own_names:
            yield place.problem(WARNING, f"`request.params.{key}`: provider params go under "
                                         f"the provider's name: `request.params."
                                         f"{request.provider}.{key}` (not used where it is)")
        elif not isinstance(value, dict):
            yield place.problem(WARNING, f"`request.params.{key}`: not a param of any provider"
                                         f"{_suggest(key, own_names | set(providers))} "
                                         "(not used)")
        elif hint := _suggest(key, providers):
            yield place.problem(WARNING, f"`request.params.{key}`: no provider `{key}`{hint} "
                                         "(not used)")


def _param_names(place: _Place, path: str, values: Mapping[str, Any],
                 specs: list[ParamSpec], kind: str | None) -> Iterator[Problem]:
    by_name = {p.name: p for p in specs}
    for name in values:
        spec = by_name.get(name)
        if spec is None:
            known = ", ".join(sorted(by_name)) or "none"
            yield place.problem(WARNING, f"`{path}.{name}`: unknown param"
                                         f"{_suggest(name, by_name)} (known: {known}; not "
                                         "used)")
        elif kind is not None and kind not in spec.kinds:
            yield place.problem(WARNING, f"`{path}.{name}`: applies to "
                                         f"{'/'.join(spec.kinds)} only, not to {kind} (not "
                                         "used)")


def _cast_problems(name: str, entry: CastEntry,
                   providers: Mapping[str, Provider]) -> Iterator[Problem]:
    place = _Place(label=f"cast '{name}'")
    provider = providers.get(entry.provider)
    if provider is None:
        yield place.problem(WARNING, f"unknown provider `{entry.provider}`"
                                     f"{_suggest(entry.provider, providers)}: its voice and "
                                     "params are used by none of the lines")
        return
    yield from _param_names(place, "params", entry.params, provider.params(), "voice")


# --- voices: overlap and language -------------------------------------------------------------
def _is_voice(track: Track, clip: Clip) -> bool:
    return (clip.request.kind == "voice") if clip.request is not None else \
        track.effective_kind == "voice"


def _overlap_problems(project: Project) -> Iterator[Problem]:
    heard = {clip.id: track for track in project.tracks for clip in track.clips
             if not (track.mute or clip.mute) and _is_voice(track, clip)}
    lines = (clip for track in project.tracks for clip in track.clips if clip.id in heard)
    for other, clip in overlaps(lines, OVERLAP_S):
        yield _Place(heard[clip.id], clip).problem(
            WARNING, f"overlaps voice line '{other.name or other.id}' by "
                     f"{min(other.end, clip.end) - clip.start:.2f} s: two voices talk at once")


# Scripts (the first word of a letter's Unicode name) each language is written in; a language
# not listed here is taken to be written in Latin letters.
_SCRIPTS: dict[str, frozenset[str]] = {
    "ja": frozenset({"HIRAGANA", "KATAKANA", "CJK"}), "zh": frozenset({"CJK"}),
    "yue": frozenset({"CJK"}), "ko": frozenset({"HANGUL", "CJK"}),
    **dict.fromkeys(("ru", "uk", "be", "bg", "mk", "kk", "ky", "mn", "tg", "tt", "ba"),
                    frozenset({"CYRILLIC"})),
    "sr": frozenset({"CYRILLIC", "LATIN"}), "el": frozenset({"GREEK"}),
    **dict.fromkeys(("ar", "fa", "ur", "ps", "sd", "ug"), frozenset({"ARABIC"})),
    **dict.fromkeys(("he", "yi"), frozenset({"HEBREW"})),
    **dict.fromkeys(("hi", "mr", "ne", "sa", "kok"), frozenset({"DEVANAGARI"})),
    **dict.fromkeys(("bn", "as"), frozenset({"BENGALI"})),
    "th": frozenset({"THAI"}), "ka": frozenset({"GEORGIAN"}), "hy": frozenset({"ARMENIAN"}),
    "ta": frozenset({"TAMIL"}), "te": frozenset({"TELUGU"}), "kn": frozenset({"KANNADA"}),
    "ml": frozenset({"MALAYALAM"}), "gu": frozenset({"GUJARATI"}),
    "pa": frozenset({"GURMUKHI"}), "si": frozenset({"SINHALA"}), "km": frozenset({"KHMER"}),
    "lo": frozenset({"LAO"}), "my": frozenset({"MYANMAR"}), "am": frozenset({"ETHIOPIC"}),
}
_LATIN = frozenset({"LATIN"})
_SCRIPT_WORDS = {"HIRAGANA": "Japanese", "KATAKANA": "Japanese", "CJK": "Chinese/Japanese",
                 "HANGUL": "Korean", "LATIN": "Latin"}
_TAG = re.compile(r"\[[^\]]*\]")  # inline audio tags ([whispering]) are never read aloud


def _script(letter: str) -> str:
    words = unicodedata.name(letter, "").split()
    if words and words[0] in ("FULLWIDTH", "HALFWIDTH"):
        words = words[1:]
    return words[0] if words else ""


def _text_script(text: str) -> str | None:
    """The script most letters of ``text`` are written in (None: no letters)."""
    counts: dict[str, int] = {}
    for char in _TAG.sub(" ", text):
        if char.isalpha():
            script = _script(char)
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    if counts.get("HIRAGANA", 0) + counts.get("KATAKANA", 0):  # kana + kanji is Japanese
        counts["HIRAGANA"] = counts.pop("HIRAGANA", 0) + counts.pop("KATAKANA", 0) + \
            counts.pop("CJK", 0)
    return max(counts, key=lambda s: counts[s])


# Providers whose voices read text by the rules of their one language (eSpeak NG spells out
# letters it has no rules for); a multilingual service such as ElevenLabs reads any language
# with any voice, whatever language its voice list names.
ONE_LANGUAGE_VOICES = frozenset({"offline"})


def _voice_language(project: Project, clip: Clip, provider: Provider,
                    voices: list[VoiceOption]) -> tuple[str, str] | None:
    """(voice name, language) of the voice the line would be spoken with, when the provider
    lists it with a language."""
    request = clip.request
    assert request is not None
    cast = project.cast.get(clip.speaker or "")
    voice = request.voice or (cast.voice if cast and cast.provider == provider.name else None)
    voice = voice or provider.default_voice()
    option = next((v for v in voices if v.id == voice), None)
    if option is None or not re.fullmatch(r"[A-Za-z]{2,3}([-_].*)?", option.language or ""):
        return None  # unlisted, or multilingual: nothing to compare with
    return option.name or voice, option.language


def _language_problems(project: Project, providers: Mapping[str, Provider]) -> Iterator[Problem]:
    voices: dict[str, list[VoiceOption]] = {}  # asked once per pass: a service may be asked
    for track, clip in project.iter_clips():
        request = clip.request
        if request is None or request.kind != "voice" or not (request.text or "").strip():
            continue
        provider = providers.get(request.provider)
        if provider is None or provider.name not in ONE_LANGUAGE_VOICES:
            continue
        if provider.name not in voices:
            voices[provider.name] = provider.voices()
        found = _voice_language(project, clip, provider, voices[provider.name])
        script = _text_script(request.text or "")
        if found is None or script is None:
            continue
        voice, language = found
        expected = _SCRIPTS.get(re.split(r"[-_]", language)[0].lower(), _LATIN)
        if script not in expected and not (script == "HIRAGANA" and "CJK" in expected):
            words = _SCRIPT_WORDS.get(script, script.title())
            yield _Place(track, clip).problem(
                WARNING, f"the text is in {words} script but voice '{voice}' speaks {language}: "
                         f"it would be read out as letter names or not at all — choose a voice "
                         f"for the text's language")


# --- audio at render time ---------------------------------------------------------------------
def _audio_problems(project: Project, folder: Path) -> Iterator[Problem]:
    for track, clip in project.iter_clips():
        place = _Place(track, clip)
        state = clip_state(clip)
        if state is ClipState.EMPTY:
            yield place.problem(ERROR, "not generated yet: generate it before rendering (else "
                                       "the render fails, or plays silence there when told to "
                                       "skip missing audio)")
            continue
        if clip.source is not None and not _exists(folder, clip.source):
            fix = "generating restores it from the cache or makes it again" if clip.request \
                else "import the file again"
            yield place.problem(ERROR, f"its audio file {clip.source} is missing: {fix}")
        elif state is ClipState.STALE and clip.take is not None:  # (not audio placed by hand)
            yield place.problem(WARNING, "stale: the request changed since its audio was made, "
                                         "so the old audio plays (generate it again)")


def _exists(folder: Path, rel: str) -> bool:
    try:
        return resolve_path(folder, rel).is_file()
    except AudiostudioError:
        return False


# --- the pass ---------------------------------------------------------------------------------
def find_problems(project: Project, folder: Path | None = None,
                  providers: Mapping[str, Provider] | None = None) -> list[Problem]:
    """Every problem of ``project``; with ``folder``, also clips whose audio is missing, stale
    or not generated yet (what render would meet). ``providers``: default, the installed ones
    (the registry builds only those the project names: a render without cloud clips imports
    no cloud provider)."""
    if providers is None:
        from audiostudio.providers.registry import available_providers

        providers = available_providers()
    problems = [
        *_key_problems(project, providers),
        *_provider_problems(project, providers),
        *_overlap_problems(project),
        *_language_problems(project, providers),
    ]
    if folder is not None:
        problems.extend(_audio_problems(project, folder))
    return problems


def loudness_problems(report: Mapping[str, Any]) -> list[Problem]:
    """A missed loudness target, as the export measured it (``target_met`` and
    ``target_reason`` in the report)."""
    if report.get("target_met") is not False:
        return []
    reason = report.get("target_reason") or f"the mix measures {report.get('integrated_lufs')} LUFS"
    return [Problem(WARNING, f"missed the {report.get('target_lufs'):g} LUFS target: {reason}",
                    "mix")]


def render_problems(project: Project, folder: Path, report: Mapping[str, Any]) -> list[Problem]:
    """What report.json lists under ``warnings``: the pass over what was rendered, and a
    missed loudness target."""
    return [*find_problems(project, folder), *loudness_problems(report)]
