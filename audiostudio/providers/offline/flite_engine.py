"""CMU Flite voices (Debian ``flite`` / ``libflite1``: slt, rms, awb, kal16) through ctypes.

Flite's statistical voices (slt, rms, awb) and its diphone voice (kal16) run at 16 kHz and are
deterministic. Speaking rate is the ``duration_stretch`` feature (exact), pitch the ``f0_shift``
feature (the engine keeps the formants). A voice's ``formant_scale`` k is the one-resample trick:
ask Flite for pitch / k and duration x k, then read the samples k times faster, so pitch and
length come out as asked while the formants (the vocal-tract length) scale by k.

Voice features are per-voice state inside the library, so each call sets them under ``_LOCK``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from collections.abc import Callable
from functools import cache

import numpy as np

from audiostudio.errors import ProviderError
from audiostudio.providers.offline.speech_level import whisperise
from audiostudio.providers.offline.tags import Style
from audiostudio.providers.offline.voice_catalogue import VoiceError, VoiceInfo, engine_error

VOICES = ("slt", "rms", "awb", "kal16")
INSTALL_HINT = "sudo apt-get install flite (Debian/Ubuntu; ./setup.sh does it)"
# rms ignores f0_shift (measured: 101 Hz at any value), so its pitch moves by resampling.
_NO_F0_CONTROL = frozenset({"rms"})
_LOCK = threading.Lock()
# The C library this process already uses (and Flite with it).
_LIBC = ctypes.CDLL(None) if os.name == "posix" else ctypes.cdll.msvcrt
_SEED = 1


class _Wave(ctypes.Structure):  # cst_wave
    _fields_ = [
        ("type", ctypes.c_char_p),
        ("sample_rate", ctypes.c_int),
        ("num_samples", ctypes.c_int),
        ("num_channels", ctypes.c_int),
        ("samples", ctypes.POINTER(ctypes.c_short)),
    ]


class _Voice(ctypes.Structure):  # the head of cst_voice
    _fields_ = [("name", ctypes.c_char_p), ("features", ctypes.c_void_p)]


def _open(name: str) -> ctypes.CDLL:
    """A Flite library by its short name, e.g. "flite" or "flite_cmu_us_slt"."""
    candidates = [ctypes.util.find_library(name), f"lib{name}.so.1", f"lib{name}.so"]
    for candidate in filter(None, candidates):
        try:
            return ctypes.CDLL(candidate)
        except OSError:
            continue
    raise engine_error(f"Flite is not installed (lib{name} not found; {INSTALL_HINT})")


@cache
def _library() -> ctypes.CDLL:
    lib = _open("flite")
    lib.flite_init()
    lib.flite_text_to_wave.restype = ctypes.POINTER(_Wave)
    lib.flite_text_to_wave.argtypes = [ctypes.c_char_p, ctypes.POINTER(_Voice)]
    lib.flite_feat_set_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_float]
    lib.delete_wave.argtypes = [ctypes.POINTER(_Wave)]
    return lib


@cache
def _voice(name: str) -> ctypes._Pointer:
    if name not in VOICES:
        raise VoiceError(f"unknown voice: Flite has no voice “{name}” (it has {', '.join(VOICES)})",
                         "voice")
    _library()
    register = getattr(_open(f"flite_cmu_us_{name}"), f"register_cmu_us_{name}")
    register.restype = ctypes.POINTER(_Voice)
    register.argtypes = [ctypes.c_char_p]
    voice = register(None)
    if not voice:
        raise engine_error(f"Flite could not load its voice “{name}”")
    return voice


def missing() -> str:
    """Why Flite cannot speak here, with how to fix it; "" when it can."""
    try:
        with _LOCK:
            for name in VOICES:
                _voice(name)
    except (OSError, AttributeError) as exc:  # a library without its register function
        return f"Flite's voices are not installed ({exc}; {INSTALL_HINT})"
    except ProviderError as exc:  # says what is missing and how to install it
        return str(exc).removeprefix("offline: ")
    return ""


def version() -> str:
    """The library's file name (libflite has no version call); the voices are built into it."""
    try:
        return f"flite {_library()._name}"
    except ProviderError:  # not installed: no Flite voice renders, so no cache entry either
        return "flite missing"


def render(
    info: VoiceInfo,
    text: str,
    style: Style,
    tempo: float,
    semitones: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[np.ndarray, float]:
    """Raw mono audio for one segment and the rate to read it at."""
    k = info.formant_scale
    pitch = 2.0 ** ((info.pitch_semitones + semitones) / 12.0)
    resample = k if info.model not in _NO_F0_CONTROL else k * pitch
    features = (
        (b"duration_stretch", info.length_scale / tempo * resample),
        (b"f0_shift", pitch / k if info.model not in _NO_F0_CONTROL else 1.0),
    )
    data = text.encode("utf-8")
    with _LOCK:
        voice = _voice(info.model)
        lib = _library()
        for name, value in features:
            lib.flite_feat_set_float(voice.contents.features, name, value)
        _LIBC.srand(_SEED)  # the statistical voices' noise excitation draws from C's rand()
        wave = lib.flite_text_to_wave(data, voice)
        if not wave or wave.contents.num_samples <= 0:
            raise engine_error(f"Flite could not speak “{text}” ({info.id})")
        try:
            count, rate = wave.contents.num_samples, wave.contents.sample_rate
            audio = np.ctypeslib.as_array(wave.contents.samples, shape=(count,))
            audio = audio.astype(np.float32) / 32768.0
        finally:
            lib.delete_wave(wave)
    if style.whisper:
        audio = whisperise(audio, rate)
    return audio, rate * resample
