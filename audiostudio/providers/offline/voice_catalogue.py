"""The offline voices a project can name: who they are, which engine speaks them, and how.

Every English voice here passes the suite's recogniser bound (pocketsphinx, stock en-us model)
and differs from every other by pitch or timbre (tests/providers/test_voice_cast.py). Voices
that were dropped keep working in old projects through ``REPLACED`` (docs/voices.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from audiostudio.errors import BadRequestError, ProviderError

Engine = Literal["piper", "flite", "espeak"]
Gender = Literal["female", "male", "neutral"]


class VoiceError(BadRequestError):
    """A voice id is unknown, a parameter is out of range, or a line has nothing to say."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, "offline", field)


def engine_error(message: str) -> ProviderError:
    """The engine itself failed or is not installed: not the request's fault."""
    return ProviderError(message, "offline")


@dataclass(frozen=True)
class VoiceInfo:
    """One voice a project can name; the defaults shape its character."""

    id: str  # as stored in projects, "engine:name[+variant]"
    name: str
    engine: Engine
    language: str  # BCP 47
    gender: Gender
    description: str
    model: str = ""  # Piper model, eSpeak voice/language ("en-gb") or Flite voice ("slt")
    variant: str = ""  # eSpeak variant file, e.g. "f5"
    pitch_semitones: float = 0.0
    formant_scale: float = 1.0  # Flite: > 1 is a shorter vocal tract (a lighter voice)
    rate_wpm: int = 175  # eSpeak words per minute at speed 1
    pitch_range: int = 50  # eSpeak intonation range 0..100
    length_scale: float = 1.0  # Piper and Flite phoneme length: > 1 is slower


_JOE = "en_US-joe-medium"


def _espeak(
    voice: str, variant: str, name: str, language: str, gender: Gender, description: str,
    **kw: object,
) -> VoiceInfo:
    vid = f"espeak:{voice}+{variant}" if variant else f"espeak:{voice}"
    return VoiceInfo(vid, name, "espeak", language, gender, description, model=voice,
                     variant=variant, **kw)  # type: ignore[arg-type]


def _flite(
    vid: str, voice: str, name: str, language: str, gender: Gender, description: str,
    **kw: float,
) -> VoiceInfo:
    return VoiceInfo(f"flite:{vid}", name, "flite", language, gender, description, model=voice,
                     **kw)  # type: ignore[arg-type]


# In the order a new cast takes them (script import, see script/cast.py): the narrator, then
# women and men in turn, the natural-sounding voices before the mechanical ones.
VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo(
        f"piper:{_JOE}", "Joe", "piper", "en-US", "male",
        "Natural American male narrator (neural).", model=_JOE,
    ),
    _flite("slt", "slt", "Sally", "en-US", "female", "Clear, friendly American woman."),
    _flite("awb", "awb", "Angus", "en-GB-scotland", "male", "Scottish man, brisk and warm."),
    # A shorter vocal tract and a higher pitch turn Angus into a Scottish woman.
    _flite("awb+isla", "awb", "Isla", "en-GB-scotland", "female",
           "Scottish woman, bright and quick.", pitch_semitones=10.2, formant_scale=1.18),
    _flite("rms", "rms", "Ross", "en-US", "male", "Calm, low American man."),
    _flite("slt+low", "slt", "Margaret", "en-US", "female",
           "Low, mature American woman.", pitch_semitones=-2.8, formant_scale=0.92,
           length_scale=1.05),
    _flite("rms+young", "rms", "Robin", "en-US", "male", "Lighter, younger American man.",
           formant_scale=1.15, length_scale=0.95),
    _flite("kal16+kate", "kal16", "Kate", "en-US", "female",
           "Crisp American woman (diphone, a little mechanical).", pitch_semitones=12.8,
           formant_scale=1.2),
    _flite("kal16", "kal16", "Kevin", "en-US", "male",
           "Deep, even American man (diphone, a little mechanical)."),
    # eSpeak NG's English (any `espeak:en-us+<variant>` still speaks) is not listed: its best
    # variant, f5, had WER 0.33 and the others 0.6-0.9, and the recogniser needs ~3x the time
    # to decode it, which the suite's check cannot afford.
    _espeak("de", "", "Dieter", "de-DE", "male", "German man (eSpeak NG)."),
    _espeak("fr-fr", "f2", "Amélie", "fr-FR", "female", "French woman (eSpeak NG)."),
    _espeak("es", "", "Diego", "es-ES", "male", "Spanish (Spain) man (eSpeak NG)."),
    _espeak("it", "f4", "Giulia", "it-IT", "female", "Italian woman (eSpeak NG)."),
    _espeak("pt-br", "m2", "Paulo", "pt-BR", "male", "Brazilian Portuguese man (eSpeak NG)."),
)  # fmt: skip

DEFAULT_VOICE = f"piper:{_JOE}"
VOICES_BY_ID = {v.id: v for v in VOICES}

# Voices offered before that failed the recogniser or distinctness bounds: what old projects
# naming them get now (documented in docs/voices.md).
REPLACED: dict[str, str] = {
    f"piper:{_JOE}+deep": "flite:rms",  # its pitch shift moved the formants too (WER 0.80)
    "espeak:en-us+m3": "flite:rms",
    "espeak:en-us+f3": "flite:slt",
    "espeak:en-gb+m1": "flite:awb",
    "espeak:en-us+zac": "flite:slt",  # unintelligible (WER 0.97)
    "espeak:en-us+grandpa": "flite:kal16",
}
