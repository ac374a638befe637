"""Offline speech: one line of text in, audio at the project rate out, from any offline voice.

``speak(text, voice)`` turns one line (with inline tags, see ``tags.py``) into mono float32
audio: each styled segment from its engine (``piper_engine``, ``flite_engine``,
``espeak_engine``; the voices are in ``voice_catalogue``), trimmed, faded at both ends and
brought to one speech level, so lines from different voices and engines sit together on a
track without hand levelling. ``speed`` and ``fit_to`` give a line the length asked for: the
engines' rate controls are not proportional (Piper's 2x gave 0.65 of the length), so the line
is re-rendered at a corrected rate until it is within 2 %.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from types import ModuleType
from typing import Any

import numpy as np
import soxr

from audiostudio.errors import CancelledError
from audiostudio.providers.offline import espeak_engine, flite_engine, piper_engine
from audiostudio.providers.offline.speech_level import active_rms, db, fade_edges, limit, trim
from audiostudio.providers.offline.tags import Segment, parse_tags
from audiostudio.providers.offline.voice_catalogue import (
    DEFAULT_VOICE,
    REPLACED,
    VOICES,
    VOICES_BY_ID,
    VoiceError,
    VoiceInfo,
)

__all__ = [
    "DEFAULT_VOICE", "ENGINE_VERSION", "REPLACED", "VOICES", "VoiceError", "VoiceInfo",
    "missing_engines", "speak", "voice_info",
]  # fmt: skip

ENGINES: dict[str, ModuleType] = {
    "piper": piper_engine, "flite": flite_engine, "espeak": espeak_engine,
}  # fmt: skip

# Bump when the audio for an unchanged (text, voice, params) would change, so caches refresh.
# r2: Flite voices, edge fades, exact speed, dropped voices mapped to their replacements.
_REVISION = 2

TARGET_RMS_DBFS = -20.0  # active-speech RMS of a neutral line
PEAK_CEILING_DBFS = -1.0
EDGE_SILENCE_S = 0.05
_SEGMENT_MARGIN_S = 0.02  # kept around each segment; the rest of EDGE_SILENCE_S is padded
_PHRASE_GAP_S = 0.12  # between segments that change style without a [pause]
SPEED_RANGE = (0.5, 2.0)
_LENGTH_TOLERANCE = 0.02  # re-render until the length is this close to the one asked for
_LENGTH_TRIES = 5
_TEMPO_LIMITS = (0.25, 4.0)  # what an engine is asked for while correcting its length

_PARAM_RANGES: dict[str, tuple[float, float, float]] = {  # name: (min, max, default)
    "speed": (*SPEED_RANGE, 1.0),
    "pitch": (-12.0, 12.0, 0.0),
    "volume_db": (-40.0, 12.0, 0.0),
}


def voice_info(voice_id: str) -> VoiceInfo:
    """The voice named by ``voice_id``: a listed voice, a replaced one's successor, or any
    ``espeak:<voice>[+variant]``."""
    voice_id = REPLACED.get(voice_id, voice_id)
    if voice_id in VOICES_BY_ID:
        return VOICES_BY_ID[voice_id]
    engine, _, name = voice_id.partition(":")
    if engine == "espeak" and name:
        return espeak_engine.voice_info(voice_id)
    raise VoiceError(
        f"unknown voice “{voice_id}”; pick a listed voice (for example “{DEFAULT_VOICE}”, "
        "see `audiostudio voices`) or an eSpeak voice like “espeak:en-us+f5”",
        "voice",
    )


def missing_engines() -> dict[str, str]:
    """Engine name: why it cannot speak here and how to install it, for each missing engine."""
    return {name: reason for name, engine in ENGINES.items() if (reason := engine.missing())}


def speak(
    text: str,
    voice: str,
    params: Mapping[str, Any] | None = None,
    rate: int = 48000,
    cancelled: Callable[[], bool] | None = None,
    fit_to: float | None = None,
) -> np.ndarray:
    """Speak one line; float32 (frames, 1) at ``rate``, tags honoured.

    ``params``: ``speed`` 0.5–2.0 (the line lasts 1/speed of its natural length), ``pitch`` in
    semitones -12..12 (eSpeak reaches about ±8), ``volume_db``; other keys are ignored (they
    belong to other providers). ``fit_to``: seconds the whole line must last (within 2 %),
    reached through the speaking rate instead of ``speed``.
    Raises VoiceError for an unknown voice, a bad parameter, nothing to say or a line that
    cannot fit, and CancelledError when ``cancelled()`` turns true between segments.
    """
    if not isinstance(text, str):
        raise VoiceError(f"the line's text must be a string, not {type(text).__name__}", "text")
    info = voice_info(voice)
    speed, pitch, volume_db = _parse_params(params or {})
    if rate <= 0:
        raise VoiceError(f"sample rate must be positive, not {rate}", "rate")
    if fit_to is not None and not (isinstance(fit_to, numbers.Real) and fit_to > 0):
        raise VoiceError(f"the length to fit must be a positive number of seconds, not {fit_to!r}",
                         "duration")
    segments = parse_tags(text)
    if not segments:
        raise VoiceError("the line has nothing to say: it is empty or holds only tags", "text")

    def line(tempo: float) -> np.ndarray:
        return _line(info, segments, tempo, pitch, volume_db, rate, cancelled)

    natural = line(1.0)
    if fit_to is None and speed == 1.0:
        return natural
    target = round(len(natural) / speed) if fit_to is None else round(fit_to * rate)
    needed = len(natural) / target
    if not SPEED_RANGE[0] <= needed <= SPEED_RANGE[1]:
        raise VoiceError(
            f"the line lasts {len(natural) / rate:.2f} s at its natural pace; fitting it into "
            f"{fit_to:.2f} s needs speed {needed:.2f}, outside {SPEED_RANGE[0]:g}–"
            f"{SPEED_RANGE[1]:g} (shorten the line or lengthen the clip)",
            "duration",
        )
    return _to_length(line, len(natural), target)


def _to_length(line: Callable[[float], np.ndarray], natural: int, target: int) -> np.ndarray:
    """Re-render until the length is within tolerance; the closest render wins.

    Secant steps on log length against log tempo, from the natural render (tempo 1): Piper's
    length flattens out at high tempo, so a fixed 1/tempo model would stop short.
    """
    x0, y0 = 0.0, math.log(natural)
    x1 = math.log(natural / target)
    best: np.ndarray | None = None
    for _ in range(_LENGTH_TRIES):
        audio = line(math.exp(x1))
        if best is None or abs(len(audio) - target) < abs(len(best) - target):
            best = audio
        if abs(len(audio) / target - 1.0) <= _LENGTH_TOLERANCE:
            break
        y1 = math.log(len(audio))
        slope = min((y1 - y0) / (x1 - x0), -0.2) if x1 != x0 else -1.0  # faster is shorter
        x0, y0, x1 = x1, y1, x1 + (math.log(target) - y1) / slope
        x1 = min(max(x1, math.log(_TEMPO_LIMITS[0])), math.log(_TEMPO_LIMITS[1]))
    assert best is not None
    return best


def _line(
    info: VoiceInfo,
    segments: list[Segment],
    tempo: float,
    pitch: float,
    volume_db: float,
    rate: int,
    cancelled: Callable[[], bool] | None,
) -> np.ndarray:
    engine = ENGINES[info.engine]
    pieces: list[np.ndarray] = []
    for index, (words, style) in enumerate(segments):
        _check(cancelled)
        semitones = pitch + 12.0 * math.log2(style.pitch_scale)
        audio, native_rate = engine.render(
            info, words, style, tempo * style.rate_scale, semitones, cancelled
        )
        audio = soxr.resample(audio, native_rate, rate).astype(np.float32)
        audio = fade_edges(trim(audio, rate, _SEGMENT_MARGIN_S), rate)
        audio *= db(TARGET_RMS_DBFS + style.volume_db) / max(active_rms(audio, rate), 1e-9)
        if index:
            # Pauses scale with the tempo too: a line at twice the speed takes half the time.
            gap = max(style.pause_s, _PHRASE_GAP_S) / tempo
            pieces.append(np.zeros(round(gap * rate), np.float32))
        pieces.append(audio)
    body = limit(np.concatenate(pieces) * db(volume_db), rate, db(PEAK_CEILING_DBFS))
    pad = np.zeros(round((EDGE_SILENCE_S - _SEGMENT_MARGIN_S) * rate), np.float32)
    return np.concatenate([pad, body, pad]).astype(np.float32)[:, None]


def _parse_params(params: Mapping[str, Any]) -> tuple[float, float, float]:
    values = []
    for key, (low, high, default) in _PARAM_RANGES.items():
        value = params.get(key, default)
        if value is None:
            value = default
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
            raise VoiceError(f"must be a number, not {value!r}", key)
        if not low <= value <= high:
            raise VoiceError(f"must be {low:g}–{high:g}, not {value:g}", key)
        values.append(float(value))
    speed, pitch, volume_db = values
    return speed, pitch, volume_db


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise CancelledError("Speech generation was cancelled.")


ENGINE_VERSION: str = f"offline-voices r{_REVISION}; " + "; ".join(
    engine.version() for engine in ENGINES.values()
)
