"""eSpeak NG, the formant synthesiser: 100+ languages through libespeak-ng and ctypes.

libespeak-ng is process-global state, so every call into it holds ``_LOCK``, and it is loaded
afresh per utterance (see ``_session``). It runs at 22,050 Hz and is deterministic once its
random seed is fixed.
"""

from __future__ import annotations

import _ctypes
import ctypes
import importlib.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from audiostudio.errors import ProviderError
from audiostudio.providers.offline.speech_level import whisperise
from audiostudio.providers.offline.tags import Style
from audiostudio.providers.offline.voice_catalogue import VoiceError, VoiceInfo, engine_error

INSTALL_HINT = "pip install espeakng-loader"


def missing() -> str:
    """Why eSpeak NG cannot speak here, with how to fix it; "" when it can."""
    if importlib.util.find_spec("espeakng_loader") is None:
        return f"espeakng-loader is not installed ({INSTALL_HINT})"
    return ""


def version() -> str:
    try:
        with _LOCK:
            lib = _load()
            info = lib.espeak_Info(None).decode()
            _unload(lib)
    except (ProviderError, OSError):
        info = "missing"
    return f"espeak-ng {info}"


def voice_info(voice_id: str) -> VoiceInfo:
    """Any ``espeak:<voice>[+variant]`` id as a voice; VoiceError when eSpeak has no such one."""
    voice, _, variant = voice_id.partition(":")[2].partition("+")
    found = catalogue()
    entry = found.voices.get(voice.lower())
    if entry is None:
        raise VoiceError(
            f"unknown voice “{voice_id}”: eSpeak NG has no voice or language “{voice}”", "voice"
        )
    gender = "male"
    if variant:
        if variant.lower() not in found.variants:
            raise VoiceError(
                f"unknown voice “{voice_id}”: eSpeak NG has no variant “{variant}”", "voice"
            )
        variant, gender = found.variants[variant.lower()]
    label = f"{entry.name} ({variant})" if variant else entry.name
    return VoiceInfo(voice_id, label, "espeak", entry.language, gender,  # type: ignore[arg-type]
                     "eSpeak NG voice.", model=voice, variant=variant)


def languages() -> tuple[str, ...]:
    """Language codes usable as ``espeak:<code>`` (e.g. "en-us", "de", "fr-fr")."""
    return catalogue().languages


def variants() -> tuple[str, ...]:
    """Variant names usable as ``espeak:<code>+<variant>`` (e.g. "f3", "klatt", "whisper")."""
    return tuple(sorted(name for name, _ in catalogue().variants.values()))


def render(
    info: VoiceInfo,
    text: str,
    style: Style,
    tempo: float,
    semitones: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[np.ndarray, float]:
    """Raw mono audio for one segment and its rate."""
    found = catalogue()
    entry = found.voices.get(info.model.lower())
    if entry is None:
        raise VoiceError(f"eSpeak NG has no voice “{info.model}” ({info.id})", "voice")
    variant = info.variant
    breathy = False
    if style.whisper:
        whisper = "whisperf" if info.gender == "female" else "whisper"
        if whisper in found.variants:
            variant = whisper
        else:  # an eSpeak data set without whisper variants
            breathy = True
    settings = (
        (_RATE, _clamp(round(info.rate_wpm * tempo), 80, 450)),
        # eSpeak's pitch 50 is the voice's own; measured ~6 steps per semitone around it.
        (_PITCH, _clamp(round(50 + 6 * (info.pitch_semitones + semitones)), 0, 100)),
        (_RANGE, _clamp(round(info.pitch_range * style.range_scale), 0, 100)),
        (_VOLUME, 100),
    )
    name = f"{entry.identifier}+{variant}" if variant else entry.identifier
    data = text.encode("utf-8") + b"\0"
    with _LOCK, _session() as (lib, sample_rate):
        if lib.espeak_SetVoiceByName(name.encode()) != 0:
            raise engine_error(f"eSpeak NG could not load voice “{name}” ({info.id})")
        for parameter, value in settings:
            lib.espeak_SetParameter(parameter, value, 0)
        _samples.clear()
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        samples = list(_samples)
        _samples.clear()
    if status != 0 or not samples:
        raise engine_error(f"eSpeak NG could not speak “{text}” (error {status})")
    audio = np.concatenate(samples).astype(np.float32) / 32768.0
    if breathy:
        audio = whisperise(audio, sample_rate)
    return audio, float(sample_rate)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


# --- libespeak-ng through ctypes (speak_lib.h) ------------------------------------------------
_LOCK = threading.Lock()
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _VOLUME, _PITCH, _RANGE = 1, 2, 3, 4
_SEED = 1


class _VoiceStruct(ctypes.Structure):
    _fields_ = [
        ("name", ctypes.c_char_p),
        ("languages", ctypes.c_void_p),  # (priority byte, NUL-terminated code)*, then 0
        ("identifier", ctypes.c_char_p),
        ("gender", ctypes.c_ubyte),  # 0 none, 1 male, 2 female
        ("age", ctypes.c_ubyte),
        ("variant", ctypes.c_ubyte),
        ("xx1", ctypes.c_ubyte),
        ("score", ctypes.c_int),
        ("spare", ctypes.c_void_p),
    ]


_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)
_samples: list[np.ndarray] = []


def _collect_samples(wav: Any, count: int, _events: Any) -> int:
    if wav and count > 0:
        _samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    return 0  # 0: go on


# Held at module level: if the callback object were collected, the library would call freed code.
_SYNTH_CALLBACK = _SynthCallback(_collect_samples)


def _load() -> ctypes.CDLL:
    try:
        import espeakng_loader
    except ImportError as exc:
        raise engine_error(f"eSpeak NG is not installed ({INSTALL_HINT})") from exc
    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = [ctypes.c_void_p]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
        ctypes.c_uint, ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
    ]  # fmt: skip
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_VoiceStruct))
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(_VoiceStruct)]
    return lib


def _unload(lib: ctypes.CDLL) -> None:
    """dlclose: the next load maps the library afresh, with every C static at its initial value."""
    close = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary  # POSIX, else Windows
    close(lib._handle)


@contextmanager
def _session() -> Iterator[tuple[ctypes.CDLL, int]]:
    """A freshly loaded, initialised libespeak-ng and its sample rate; hold ``_LOCK``.

    eSpeak keeps synthesis state in C statics (pitch-flutter and glottal phase) that carry from
    one utterance into the next, so the same line came out slightly different every time.
    Loading the library for each utterance resets them; it costs ~4 ms. Hold the session no
    longer than one utterance.
    """
    import espeakng_loader

    lib = _load()
    initialised = False
    try:
        data_path = str(espeakng_loader.get_data_path()).encode()
        sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if sample_rate <= 0:
            raise engine_error(f"eSpeak NG failed to start (data in {data_path.decode()})")
        initialised = True
        lib.espeak_SetSynthCallback(_SYNTH_CALLBACK)
        # Initialize seeds eSpeak's breath and jitter noise from the clock: fix it.
        if hasattr(lib, "espeak_ng_SetRandSeed"):  # eSpeak NG 1.51 and later
            lib.espeak_ng_SetRandSeed(ctypes.c_long(_SEED))
        yield lib, sample_rate
    finally:
        if initialised:
            lib.espeak_Terminate()
        _unload(lib)


@dataclass(frozen=True)
class _Entry:
    identifier: str  # file under espeak-ng-data, e.g. "gmw/en"; what SetVoiceByName takes
    name: str
    language: str


@dataclass(frozen=True)
class _Catalogue:
    voices: dict[str, _Entry]  # lower-case language code, identifier or file name
    variants: dict[str, tuple[str, str]]  # lower-case name: (file name, gender)
    languages: tuple[str, ...]


def _languages(address: int | None) -> list[str]:
    codes: list[str] = []
    while address and ctypes.string_at(address, 1) != b"\0":
        code = ctypes.string_at(address + 1)
        codes.append(code.decode())
        address += len(code) + 2
    return codes


def _list_voices(lib: ctypes.CDLL, spec: _VoiceStruct | None) -> list[_VoiceStruct]:
    # The returned pointer array is static inside the library: read it all before the next call.
    found = lib.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
    voices = []
    index = 0
    while found[index]:
        voices.append(found[index].contents)
        index += 1
    return voices


@cache
def catalogue() -> _Catalogue:
    with _LOCK, _session() as (lib, _):
        voices: dict[str, _Entry] = {}
        by_language: list[tuple[str, _Entry]] = []
        for raw in _list_voices(lib, None):
            identifier = raw.identifier.decode()
            codes = _languages(raw.languages)
            entry = _Entry(identifier, raw.name.decode(), codes[0] if codes else identifier)
            voices[identifier.lower()] = entry
            voices.setdefault(identifier.rsplit("/", 1)[-1].lower(), entry)
            by_language += [(code.lower(), entry) for code in codes]
        for code, entry in by_language:  # file names win over a language another voice lists
            voices.setdefault(code, entry)
        spec = _VoiceStruct()
        variant_language = ctypes.create_string_buffer(b"variant")  # kept alive for the call
        spec.languages = ctypes.addressof(variant_language)
        found_variants = {}
        for raw in _list_voices(lib, spec):
            file_name = raw.identifier.decode().rsplit("/", 1)[-1]
            found_variants[file_name.lower()] = (
                file_name, "female" if raw.gender == 2 else "male"
            )
    codes = tuple(sorted({entry.language.lower() for entry in voices.values()}))
    return _Catalogue(voices, found_variants, codes)
