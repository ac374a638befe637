"""Procedural sound effects for the built-in offline provider: no network, no model.

The prompt's words pick a *family* (``classify``) and a few modifiers; ``synthesize`` renders
that family with a small physically-motivated recipe driven by ``np.random.default_rng(seed)``.
Everything is whole-array numpy/scipy work (filters, cumulative sums, scatter-adds of grains,
STFT-domain shaping), never a per-sample Python loop, so 10 s of any family takes well under
half a second.

Output contract: float32 ``(frames, channels)`` with exactly ``round(duration * rate)`` frames;
peak normalised to -3 dBFS (-9 dBFS for "distant" prompts, which should sit further back);
DC removed; 5 ms fade-in and 20 ms fade-out so a clip never clicks at its edges. The same
prompt, duration, seed and rate give bit-identical output; another seed gives another take of
the same family. Point sources (door, footsteps, knock, UI click, heartbeat, phone, engine)
are mono ``(frames, 1)``; ambiences and spread-out events are stereo ``(frames, 2)``.

Classification: prompt words are matched against keyword *stems* with an allowed inflection
("creak" matches "creaky", "knock" matches "knocking", "step" matches "stepping", but "wind"
does not match "window"). A family's strong keywords count 1, its context words ("door",
"storm") 0.5; the highest score wins and ties go to the earliest match in the prompt.
A prompt that matches nothing falls back to ``FALLBACK_FAMILY``, a generic whoosh-into-impact
texture whose band, sweep direction and impact time come from a stable hash of the prompt: a
neutral "something happens" sound fits far more unknown prompts ("laser", "magic spell",
"portal") than any specific family would, and hashing makes different unknown prompts sound
different while each one stays reproducible.

Modifiers (cheap, applied when present): "distant"/"far"/"muffled" -> low-passed, reverberant,
6 dB quieter; "close"/"crisp" -> brighter, dry; "heavy"/"big"/"huge"/"deep" -> lower pitch and
denser; "small"/"light"/"tiny" -> higher pitch and sparser; "slow"/"fast"/"quick" -> event rate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

import numpy as np
import scipy.signal

__all__ = [
    "FALLBACK_FAMILY",
    "FAMILIES",
    "SfxFamily",
    "classify",
    "family_by_name",
    "modifier_words",
    "synthesize",
]

# Part of the offline engine version: bump when the synthesis changes, so the cache
# never serves audio made by older code.
VERSION = "1"
TARGET_PEAK_DBFS = -3.0
DISTANT_ATTENUATION_DB = 6.0
FADE_IN_S = 0.005
FADE_OUT_S = 0.020
_TAU = 2.0 * np.pi
_T = TypeVar("_T")


@dataclass(frozen=True)
class SfxFamily:
    """One kind of sound the offline provider can make.

    ``keywords`` are word stems that select the family (weight 1); ``context`` are weaker
    hints (weight 0.5) shared by several families, e.g. "door" for both creak and knock.
    ``channels`` is 1 for point sources and 2 for ambiences and spread-out events.
    """

    name: str
    keywords: tuple[str, ...]
    default_duration: float
    description: str
    channels: int = 2
    context: tuple[str, ...] = ()


FAMILIES: tuple[SfxFamily, ...] = (
    SfxFamily(
        "door_creak",
        ("creak", "squeak", "hinge", "rusty", "floorboard"),
        3.0,
        "Wooden door creak: stick-slip friction buzz gliding in pitch through wood resonances.",
        1,
        ("door", "gate", "wood"),
    ),
    SfxFamily(
        "footsteps",
        ("footstep", "footfall", "step", "walk", "stomp", "feet", "foot", "tread", "stroll",
         "march", "pace"),
        4.0,
        "Footsteps at ~1.8 steps/s, heel+toe hits coloured by the surface named in the prompt "
        "(gravel, wood, snow, grass, metal; hard floor otherwise).",
        1,
        ("boot", "shoe", "heel", "gravel", "floor", "corridor", "hallway"),
    ),
    SfxFamily(
        "knock",
        ("knock", "rap", "tap", "thud"),
        2.5,
        "Knuckles on a wooden door: groups of 2-3 short resonant knocks.",
        1,
        ("door", "wood"),
    ),
    SfxFamily(
        "rain",
        ("rain", "raindrop", "drizzle", "downpour", "rainfall", "rainstorm", "shower"),
        8.0,
        "Rain: thousands of tiny droplet clicks and bubbles over a bright hiss bed.",
        2,
        ("drop", "roof", "umbrella", "wet", "puddle"),
    ),
    SfxFamily(
        "wind",
        ("wind", "gust", "breeze", "gale", "blizzard", "howl", "blustery"),
        8.0,
        "Wind: low-passed noise with a slowly wandering band resonance and gusts.",
        2,
        ("air", "draft", "whistle"),
    ),
    SfxFamily(
        "thunder",
        ("thunder", "lightning", "thunderstorm", "thunderclap"),
        6.0,
        "Thunder: a tearing crack, then a long low rolling rumble.",
        2,
        ("storm", "rumble"),
    ),
    SfxFamily(
        "explosion",
        ("explosion", "explode", "explosive", "blast", "boom", "bomb",
         "detonation", "detonate", "grenade", "kaboom"),
        4.0,
        "Explosion: broadband blast, sub-bass boom sweeping down, debris rattling out.",
        2,
        ("fireball", "rumble", "destruction"),
    ),
    SfxFamily(
        "glass_break",
        ("glass", "shatter", "smash", "bottle", "shard"),
        2.5,
        "Glass breaking: bright crash and many ringing inharmonic shards raining down.",
        2,
        ("break", "broke", "broken", "window", "crash"),
    ),
    SfxFamily(
        "whoosh",
        ("whoosh", "woosh", "swoosh", "swish", "swoop", "flyby", "whizz", "zoom", "whip"),
        1.5,
        "Whoosh: band-passed noise swelling in with a rising-then-falling centre, panning L->R.",
        2,
        ("fly", "pass", "swing", "transition", "sword"),
    ),
    SfxFamily(
        "ui_click",
        ("click", "ui", "button", "blip", "beep", "interface", "menu", "notification", "tick",
         "toggle", "ping", "typing", "keyboard"),
        0.5,
        "UI click: very short bright tonal blips (click, beep or two-note notification).",
        1,
        ("mouse", "switch", "select", "app"),
    ),
    SfxFamily(
        "crowd",
        ("crowd", "people", "chatter", "babble", "murmur", "audience", "restaurant", "cafe",
         "café", "party", "walla", "conversation", "talk", "voice", "roomtone", "room tone",
         "ambience"),
        6.0,
        "Crowd / room tone: many overlapping formant-filtered babbling voices in a room, over "
        "room noise ('room tone' or 'empty' gives the room noise alone).",
        2,
        ("office", "market", "lobby", "hall", "pub", "bar", "room", "ambient"),
    ),
    SfxFamily(
        "birds",
        ("bird", "birdsong", "chirp", "tweet", "songbird", "sparrow", "robin", "finch",
         "warbler", "chorus"),
        6.0,
        "Birds: fast FM chirps with harmonics in short phrases from a few birds around you.",
        2,
        ("forest", "morning", "garden", "park", "spring", "dawn"),
    ),
    SfxFamily(
        "water",
        ("water", "stream", "brook", "river", "creek", "babble", "trickle", "splash", "drip",
         "fountain", "waterfall", "faucet", "ocean", "wave", "surf", "sea"),
        6.0,
        "Water: a babbling stream of small resonant bubbles over a flowing noise bed "
        "(drips, or slow surf swells, when the prompt says so).",
        2,
        ("pour", "beach", "lake", "flow", "liquid"),
    ),
    SfxFamily(
        "fire",
        ("fire", "crackle", "campfire", "fireplace", "flame", "burn", "bonfire", "ember"),
        6.0,
        "Fire: low roar and hiss with sharp random crackles and pops.",
        2,
        ("log", "wood", "hearth", "sizzle"),
    ),
    SfxFamily(
        "heartbeat",
        ("heartbeat", "heart", "pulse"),
        4.0,
        "Heartbeat: low lub-dub thumps at ~68 bpm.",
        1,
        ("thump", "beat"),
    ),
    SfxFamily(
        "phone_ring",
        ("phone", "telephone", "ring", "ringtone", "alarm"),
        4.0,
        "Telephone bell: two bells trilled at 20 Hz in a double-ring cadence (continuous "
        "for alarms).",
        1,
        ("bell", "call"),
    ),
    SfxFamily(
        "engine",
        ("engine", "motor", "idle", "rev", "generator", "machinery", "tractor",
         "motorcycle"),
        5.0,
        "Engine: low firing-rate pulses through exhaust resonances, a lumpy idle hum.",
        1,
        ("car", "truck", "vehicle", "hum", "machine"),
    ),
)

FALLBACK_FAMILY = SfxFamily(
    "texture",
    (),
    2.0,
    "Generic texture for unknown prompts: a band-passed whoosh swelling into a soft impact; "
    "band, sweep and timing derived from the prompt's hash.",
    2,
)

_BY_NAME = {family.name: family for family in (*FAMILIES, FALLBACK_FAMILY)}


def family_by_name(name: str) -> SfxFamily:
    """The family called ``name`` (including the fallback); KeyError if there is none."""
    return _BY_NAME[name]


# --- words ----------------------------------------------------------------------------------
# Inflections a stem may take: "creak"+"y", "knock"+"ing", "glass"+"es"; a final "e" may give
# way to a vowel suffix ("crackle" -> "crackling", "idle" -> "idling") and a final consonant
# may double before one ("step" -> "stepping"). Short stems stay safe: "wind" never matches
# "window", "car" never "care" or "card".
_SUFFIXES = frozenset(("", "s", "es", "ed", "ing", "er", "ers", "y", "ies", "ily", "ly"))
_VOWEL_SUFFIXES = frozenset(("ing", "ed", "er", "ers", "y"))
_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


def _word_matches(word: str, stem: str) -> bool:
    if word.startswith(stem):
        rest = word[len(stem) :]
        if rest in _SUFFIXES or (rest[:1] == stem[-1:] and rest[1:] in _VOWEL_SUFFIXES):
            return True
    return (stem.endswith("e") and word.startswith(stem[:-1])
            and word[len(stem) - 1 :] in _VOWEL_SUFFIXES)


def _match_positions(words: Sequence[str], keyword: str) -> list[int]:
    """Positions where ``keyword`` (one stem, or several for a phrase) matches the words."""
    parts = keyword.split()
    last = len(words) - len(parts)
    return [
        i
        for i in range(last + 1)
        if all(_word_matches(words[i + j], part) for j, part in enumerate(parts))
    ]


def _score(words: Sequence[str], family: SfxFamily) -> tuple[float, int]:
    score, first = 0.0, len(words)
    for weight, keywords in ((1.0, family.keywords), (0.5, family.context)):
        for keyword in keywords:
            hits = _match_positions(words, keyword)
            score += weight * len(hits)
            first = min([first, *hits])
    return score, first


def classify(prompt: str) -> SfxFamily:
    """The family the prompt's words point at; ``FALLBACK_FAMILY`` when nothing matches.

    Most matches win (context words count half); ties go to the match earliest in the prompt,
    then to the family listed first in ``FAMILIES``.
    """
    words = _words(prompt)
    best, best_key = FALLBACK_FAMILY, (0.0, 0)
    for family in FAMILIES:
        score, first = _score(words, family)
        key = (score, -first)
        if score > 0 and key > best_key:
            best, best_key = family, key
    return best


def _has(words: Sequence[str], stems: Sequence[str]) -> bool:
    return any(_match_positions(words, stem) for stem in stems)


class _Modifiers(NamedTuple):
    pitch: float = 1.0  # frequency multiplier: <1 heavier/bigger, >1 smaller/lighter
    density: float = 1.0  # event density / intensity multiplier
    speed: float = 1.0  # event-rate multiplier for rhythmic families
    distance: float = 0.0  # 0 = normal, 1 = distant (low-passed, reverberant, quieter)
    close: bool = False  # brighter and dry


# (words, field, value); later rows do not undo earlier ones, each field is set independently.
_MODIFIER_WORDS: tuple[tuple[tuple[str, ...], str, float | bool], ...] = (
    (("distant", "far", "faraway", "distance", "muffled", "remote"), "distance", 1.0),
    (("close", "closeup", "near", "nearby", "crisp", "intimate"), "close", True),
    (("heavy", "big", "large", "huge", "giant", "massive", "deep", "enormous"), "pitch", 0.7),
    (("heavy", "big", "large", "huge", "giant", "massive", "torrential", "strong"), "density", 1.6),
    (("small", "light", "tiny", "little", "thin", "delicate"), "pitch", 1.4),
    (("small", "light", "tiny", "little", "gentle", "soft", "sparse", "calm"), "density", 0.55),
    (("slow", "slowly", "lazy", "leisurely"), "speed", 0.6),
    (("fast", "quick", "quickly", "rapid", "hurried", "running", "frantic"), "speed", 1.6),
)


def modifier_words() -> list[tuple[str, tuple[str, ...]]]:
    """(effect, words) of the prompt words that change any family's sound (for listings)."""
    return [(field if isinstance(value, bool) or field == "distance" else f"{field} x{value:g}",
             stems) for stems, field, value in _MODIFIER_WORDS]


def _modifiers(words: Sequence[str]) -> _Modifiers:
    values: dict[str, float | bool] = {}
    for stems, field, value in _MODIFIER_WORDS:
        if field not in values and any(w in stems for w in words):
            values[field] = value
    return _Modifiers(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class _Ctx:
    """Everything a renderer needs: size, randomness, and what the prompt asked for."""

    n: int
    rate: int
    channels: int
    rng: np.random.Generator
    words: tuple[str, ...]
    mods: _Modifiers
    prompt_hash: bytes

    @property
    def dur(self) -> float:
        return self.n / self.rate

    @property
    def pitch(self) -> float:
        return self.mods.pitch

    def has(self, *stems: str) -> bool:
        return _has(self.words, stems)

    def noise(self, channels: int | None = None) -> np.ndarray:
        return self.rng.standard_normal((self.n, channels or self.channels))


def _pick(c: _Ctx, options: Sequence[tuple[tuple[str, ...], _T]], default: _T) -> _T:
    """Parameters of the first variant whose words appear in the prompt."""
    for stems, params in options:
        if c.has(*stems):
            return params
    return default


# --- building blocks ------------------------------------------------------------------------
def _filt(x: np.ndarray, kind: str, freq: float | tuple[float, float], rate: int,
          order: int = 2) -> np.ndarray:
    """Butterworth filter along time (axis 0); cut-offs are clamped into the valid range."""
    top = 0.45 * rate
    if isinstance(freq, tuple):
        hi = min(freq[1], top)
        lo = min(max(freq[0], 10.0), 0.7 * hi)
        wn: float | tuple[float, float] = (lo, hi)
    else:
        wn = min(max(freq, 10.0), top)
    sos = scipy.signal.butter(order, wn, btype=kind, fs=rate, output="sos")
    return scipy.signal.sosfilt(sos, x, axis=0)


def _resonate(x: np.ndarray, rate: float, freqs: Sequence[float], t60s: Sequence[float],
              gains: Sequence[float]) -> np.ndarray:
    """Parallel two-pole resonators (modal synthesis): each mode rings for its own T60.

    ``b = [g sin w]`` makes an impulse ring as a unit-amplitude decaying sinusoid.
    """
    out = np.zeros_like(x, dtype=float)
    for freq, t60, gain in zip(freqs, t60s, gains, strict=True):
        if freq >= 0.45 * rate:
            continue
        r = 10.0 ** (-3.0 / (t60 * rate))
        w = _TAU * freq / rate
        out += scipy.signal.lfilter([gain * np.sin(w)], [1.0, -2.0 * r * np.cos(w), r * r],
                                    x, axis=0)
    return out


def _smooth_noise(rng: np.random.Generator, n: int, rate: float, hz: float,
                  channels: int = 1) -> np.ndarray:
    """Slow random control signal (unit variance at its knots), ``hz`` knots per second.

    Cosine-eased between knots (no kinks), evaluated 16 times per knot interval and then
    linearly interpolated to every sample: control signals need no per-sample cosines.
    """
    knots = int(np.ceil(n * hz / rate)) + 2
    points = rng.standard_normal((knots, channels))
    fine = np.arange((knots - 1) * 16 + 1) / 16
    i = np.minimum(fine.astype(int), knots - 2)
    w = (0.5 - 0.5 * np.cos(np.pi * (fine - i)))[:, None]
    curve = points[i] * (1.0 - w) + points[i + 1] * w
    pos = np.arange(n) * (hz / rate)
    return np.stack([np.interp(pos, fine, curve[:, ch]) for ch in range(channels)], axis=1)


def _poisson_times(rng: np.random.Generator, dur: float, peak_rate: float,
                   density: Callable[[np.ndarray], np.ndarray] | None = None,
                   start: float = 0.0) -> np.ndarray:
    """Sorted random event times in [start, dur); ``density`` (0..1) thins them over time."""
    span = max(dur - start, 0.0)
    times = np.sort(rng.uniform(start, start + span, rng.poisson(peak_rate * span)))
    if density is not None:
        times = times[rng.random(times.size) < density(times)]
    return times


def _periodic_times(rng: np.random.Generator, dur: float, period: float, jitter: float,
                    start: float) -> np.ndarray:
    """Roughly regular event times (relative jitter) from ``start`` until ``dur``."""
    count = int(2 * dur / period) + 2
    gaps = period * np.clip(1.0 + jitter * rng.standard_normal(count), 0.5, 1.5)
    times = start + np.concatenate(([0.0], np.cumsum(gaps)))
    return times[times < dur]


def _samples(times: np.ndarray, c: _Ctx) -> np.ndarray:
    return np.round(np.asarray(times, dtype=float) * c.rate).astype(np.int64)


def _scatter(c: _Ctx, times: np.ndarray, grains: np.ndarray,
             pans: np.ndarray | None = None) -> np.ndarray:
    """Add grains ``(K, L)`` at event times into ``(n, channels)``; pans in [-1, 1].

    ``np.bincount`` with weights is a fast vectorised scatter-add.
    """
    times = np.atleast_1d(times)
    grains = np.atleast_2d(grains)
    grains = np.broadcast_to(grains, (times.size, grains.shape[1]))
    out = np.zeros((c.n, c.channels))
    if times.size == 0 or c.n == 0:
        return out
    idx = _samples(times, c)[:, None] + np.arange(grains.shape[1])[None, :]
    keep = (idx >= 0) & (idx < c.n)  # events past the end are dropped, not piled up there
    if c.channels == 1 or pans is None:
        gains = np.full((grains.shape[0], c.channels), 1.0 if c.channels == 1 else np.sqrt(0.5))
    else:  # constant-power panning
        angle = (np.clip(pans, -1, 1) + 1.0) * (np.pi / 4)
        gains = np.stack([np.cos(angle), np.sin(angle)], axis=1)
    for ch in range(c.channels):
        weights = (grains * gains[:, ch : ch + 1])[keep]
        out[:, ch] = np.bincount(idx[keep], weights=weights, minlength=c.n)[: c.n]
    return out


def _tone_grains(rate: int, f_start: np.ndarray, f_end: np.ndarray, dur: np.ndarray,
                 tau: np.ndarray | float, *, f_mid: np.ndarray | None = None,
                 harmonics: Sequence[float] = (1.0,), attack: float = 0.0005,
                 hann: bool = False) -> np.ndarray:
    """Gliding sine grains ``(K, L)``: bubbles, chirps, blips, booms, bell partials.

    The frequency glides exponentially from ``f_start`` to ``f_end`` over ``dur`` (or along a
    quadratic Bezier through ``f_mid`` for arched bird calls); the envelope is an attack ramp
    times ``exp(-t/tau)``, shaped by a Hann window over ``dur`` when ``hann`` (a sung chirp)
    or cut with a short taper at ``dur`` otherwise. Harmonics above Nyquist are dropped.
    """
    f_start, f_end, dur, tau_arr = np.broadcast_arrays(
        *(np.atleast_1d(np.asarray(v, dtype=float)) for v in (f_start, f_end, dur, tau))
    )
    if f_start.size == 0:
        return np.zeros((0, 1))
    t = np.arange(int(np.ceil(dur.max() * rate)) + 1) / rate
    u = np.clip(t[None, :] / dur[:, None], 0.0, 1.0)
    if f_mid is None:
        freq = f_start[:, None] * np.exp(np.log(f_end / f_start)[:, None] * u)
    else:
        mid = np.broadcast_to(np.asarray(f_mid, dtype=float), f_start.shape)[:, None]
        freq = (1 - u) ** 2 * f_start[:, None] + 2 * u * (1 - u) * mid + u**2 * f_end[:, None]
    phase = np.cumsum(freq, axis=1) * (_TAU / rate)
    wave = np.zeros_like(phase)
    for k, weight in enumerate(harmonics, start=1):
        wave += weight * np.sin(k * phase) * (k * freq < 0.45 * rate)
    env = np.minimum(1.0, t / attack)[None, :] * np.exp(-t[None, :] / tau_arr[:, None])
    if hann:
        env *= np.sin(np.pi * u) ** 2
    else:
        env *= 0.5 + 0.5 * np.cos(np.pi * np.clip((u - 0.85) / 0.15, 0.0, 1.0))
    return wave * env


def _scatter_tones(c: _Ctx, times: np.ndarray, amps: np.ndarray, pans: np.ndarray | None,
                   f_start: np.ndarray, f_end: np.ndarray, dur: np.ndarray, tau: np.ndarray,
                   buckets: int = 4, **grain_args: Any) -> np.ndarray:
    """``_tone_grains`` scattered at ``times``, built in a few length buckets so that short
    grains are not padded to the length of the longest one."""
    arrays = np.broadcast_arrays(times, amps, f_start, f_end, dur, tau)
    order = np.argsort(arrays[4], kind="stable")
    out = np.zeros((c.n, c.channels))
    for part in np.array_split(order, buckets):
        if part.size:
            at, amp, f0, f1, length, decay = (v[part] for v in arrays)
            grains = _tone_grains(c.rate, f0, f1, length, decay, **grain_args)
            out += _scatter(c, at, grains * amp[:, None], None if pans is None else pans[part])
    return out


def _decay_grains(rate: int, amps: np.ndarray, tau: float, length: float,
                  attack: float = 0.0008) -> np.ndarray:
    """Attack/decay envelopes ``(K, L)`` (to be multiplied with noise): hits and bursts."""
    t = np.arange(int(length * rate)) / rate
    shape = (1.0 - np.exp(-t / attack)) * np.exp(-t / tau)
    return np.asarray(amps, dtype=float)[:, None] * shape[None, :]


def _shaped_noise(c: _Ctx, gain: Callable[[np.ndarray, np.ndarray], np.ndarray],
                  nperseg: int = 1024) -> np.ndarray:
    """Noise whose spectrum follows ``gain(freqs, times)`` -> (channels|1, F, T) over time.

    Time-varying filters (sweeping band-pass, gusts) as one STFT multiply: vectorised and
    smooth, with no per-sample coefficient updates.
    """
    noise = c.rng.standard_normal((c.channels, max(c.n, nperseg)))  # very short clips too
    freqs, times, spec = scipy.signal.stft(noise, fs=c.rate, nperseg=nperseg)
    _, out = scipy.signal.istft(spec * gain(freqs, times), fs=c.rate, nperseg=nperseg)
    out = out[:, : c.n]
    if out.shape[1] < c.n:
        out = np.pad(out, ((0, 0), (0, c.n - out.shape[1])))
    return out.T


def _reverb(x: np.ndarray, c: _Ctx, t60: float, wet: float) -> np.ndarray:
    """Diffuse tail: convolution with exponentially decaying, decorrelated, dulled noise."""
    length = max(int(t60 * c.rate), 1)
    t = np.arange(length) / c.rate
    ir = c.rng.standard_normal((length, x.shape[1])) * np.exp(-6.9 * t / t60)[:, None]
    ir = _filt(ir, "lowpass", 4000.0, c.rate, 1)
    ir /= np.sqrt(np.sum(ir**2, axis=0, keepdims=True)) + 1e-12
    tail = scipy.signal.oaconvolve(x, ir, axes=0)[: len(x)]
    return (1.0 - wet) * x + wet * tail


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x)))) if x.size else 0.0


def _mix_to(x: np.ndarray, ref: np.ndarray, ratio: float) -> np.ndarray:
    """``x`` rescaled to ``ratio`` times the RMS of ``ref`` (balances layers of a recipe)."""
    return x * (ratio * _rms(ref) / (_rms(x) + 1e-12))


# --- families -------------------------------------------------------------------------------
def _door_creak(c: _Ctx) -> np.ndarray:
    """Stick-slip friction: an irregular pulse train (each pulse a slip) whose rate follows
    how hard and fast the door is pushed, exciting the resonant modes of a wooden door."""
    rng, n, rate = c.rng, c.n, c.rate
    squeaky = c.has("squeak", "hinge", "rusty")
    base = rng.uniform(260, 420) if squeaky else rng.uniform(80, 150)
    # The door moves in pushes of ~1-1.6 s (shorter when "fast"), each creak bending up or down.
    strokes = max(1, round(c.dur * c.mods.speed**0.5 / rng.uniform(1.0, 1.6)))
    lengths = rng.dirichlet(np.full(strokes, 6.0)) * c.dur
    edges = np.concatenate(([0.0], np.cumsum(lengths)))
    t = np.arange(n) / rate
    seg = np.clip(np.searchsorted(edges, t, side="right") - 1, 0, strokes - 1)
    u = (t - edges[seg]) / lengths[seg]
    active = rng.uniform(0.75, 0.95, strokes)[seg]
    v = np.clip(u / active, 0.0, 1.0)
    env = np.sin(np.pi * v) ** 0.5 * (u < active)
    glide = rng.uniform(0.5, 1.2, strokes)[seg] * rng.choice((-1.0, 1.0), strokes)[seg]
    slip_rate = base * c.pitch * np.exp(glide * (v - 0.5) + 0.12 * _smooth_noise(
        rng, n, rate, 5.0)[:, 0])
    phase = np.cumsum(slip_rate) / rate
    idx = np.flatnonzero(np.diff(np.floor(phase))) + 1
    # Irregular slips: jitter each one by a fraction of its period and vary its force.
    idx = idx + rng.normal(0.0, 0.015, idx.size) * rate / slip_rate[idx]
    idx = np.clip(idx.astype(np.int64), 0, n - 1)
    exc = np.bincount(idx, weights=env[idx] * rng.uniform(0.7, 1.0, idx.size), minlength=n)
    exc = _filt(exc, "lowpass", 2500.0 * c.pitch, rate)  # a slip is a soft pulse, not a click
    freqs = np.array([290, 470, 730, 1080, 1540, 2240, 3150]) * c.pitch
    freqs *= rng.uniform(0.93, 1.07, freqs.size)
    # Wood is heavily damped: broad resonances colour the slip harmonics rather than ring.
    body = _resonate(exc, rate, freqs, (0.03, 0.025, 0.02, 0.018, 0.015, 0.012, 0.01),
                     (1.0, 0.9, 0.8, 0.6, 0.45, 0.3, 0.2))
    rub = _filt(c.noise(1)[:, 0] * env, "bandpass", (1500.0, 5000.0), rate)
    return (body + _mix_to(rub, body, 0.08))[:, None]


class _Surface(NamedTuple):
    band: tuple[float, float]  # colour of the scuff noise
    decay: float  # seconds
    grain: float  # 0 = smooth scuff; >0 = fraction of samples that crunch (gravel, snow)
    modes: tuple[float, ...] = ()  # resonant floor (wood, metal)
    ring: float = 0.05  # T60 of the floor's modes


_SURFACES: tuple[tuple[tuple[str, ...], _Surface], ...] = (
    (("gravel", "stone", "pebble", "rubble", "dirt", "path"), _Surface((1200, 9000), 0.06, 0.08)),
    (("snow", "ice"), _Surface((500, 5000), 0.09, 0.25)),
    (("grass", "leaves", "leaf", "mud", "forest"), _Surface((300, 4500), 0.08, 0.4)),
    (("wood", "wooden", "floorboard", "deck", "plank", "stair"),
     _Surface((150, 2500), 0.03, 0.0, (105, 230, 390, 610, 900), 0.09)),
    (("metal", "steel", "iron", "grate", "grating"),
     _Surface((400, 7000), 0.03, 0.0, (520, 1330, 2410, 3700), 0.25)),
)
_HARD_FLOOR = _Surface((200, 6000), 0.025, 0.0, (180, 420), 0.03)


def _footsteps(c: _Ctx) -> np.ndarray:
    """~1.8 steps/s; each step a heel strike and a softer toe roll-off a few tens of ms later,
    as decaying noise bursts coloured by the surface (crunchy grains or floor resonances)."""
    rng, rate = c.rng, c.rate
    surface = _pick(c, _SURFACES, _HARD_FLOOR)
    period = 1.0 / (1.8 * c.mods.speed * rng.uniform(0.92, 1.08))
    heels = _periodic_times(rng, c.dur - 0.15, period, 0.04, rng.uniform(0.08, 0.25))
    toes = heels + rng.uniform(0.035, 0.06, heels.size)
    foot = np.where(np.arange(heels.size) % 2 == 0, 1.0, rng.uniform(0.75, 0.9))  # L/R foot
    amps = np.concatenate((foot * rng.uniform(0.85, 1.0, heels.size),
                           foot * rng.uniform(0.4, 0.6, heels.size)))
    env = _scatter(c, np.concatenate((heels, toes)),
                   _decay_grains(rate, amps, surface.decay, surface.decay * 7))
    src = c.noise(1)
    if surface.grain:
        src *= rng.random(src.shape) < surface.grain  # sparse crunching grains
    lo, hi = surface.band
    scuff = _filt(src * env, "bandpass", (lo * c.pitch, hi * c.pitch), rate)
    thump = _filt(c.noise(1) * env**2, "lowpass", 160.0 * c.pitch, rate)
    out = scuff + _mix_to(thump, scuff, 0.5)
    if surface.modes:
        floor = _resonate(src * env, rate, np.array(surface.modes) * c.pitch,
                          [surface.ring] * len(surface.modes), [1.0] * len(surface.modes))
        out += _mix_to(floor, scuff, 0.8)
    return out


def _knock(c: _Ctx) -> np.ndarray:
    """Groups of 2-3 knuckle raps ~0.2 s apart, groups ~1.5 s apart; each rap is a 1 ms pulse
    ringing the low, quickly damped modes of a door panel plus a bright knuckle click."""
    rng, rate = c.rng, c.rate
    times: list[np.ndarray] = []
    start = rng.uniform(0.08, 0.15)
    while start < c.dur - 0.35:  # a handful of groups: not a per-sample loop
        count = int(rng.choice((2, 3)))
        gaps = rng.uniform(0.16, 0.24, count - 1) / c.mods.speed ** 0.5
        group = start + np.concatenate(([0.0], np.cumsum(gaps)))
        times.append(group[group < c.dur - 0.1])
        start = group[-1] + rng.uniform(1.0, 1.7) / c.mods.speed
    hits = np.concatenate(times) if times else np.zeros(0)
    pulse = np.hanning(int(0.0012 * rate) + 2)
    amps = rng.uniform(0.7, 1.0, hits.size)
    exc = _scatter(c, hits, amps[:, None] * pulse[None, :])
    freqs = np.array([98, 185, 270, 410, 620, 870, 1250, 1900]) * c.pitch
    freqs *= rng.uniform(0.95, 1.05, freqs.size)
    panel = _resonate(exc, rate, freqs, (0.16, 0.14, 0.12, 0.1, 0.08, 0.06, 0.05, 0.04),
                      (1.0, 0.9, 0.9, 0.8, 0.6, 0.5, 0.35, 0.25))
    click = _filt(exc * c.noise(1), "bandpass", (1500.0, 6000.0), rate)
    return panel + _mix_to(click, panel, 0.15)


def _rain(c: _Ctx) -> np.ndarray:
    """Dense tiny droplets (clicks; some ring as rising Minnaert bubbles) making the hiss,
    plus ~30/s nearby drops much louder that patter on top; 'heavy' means more drops."""
    rng, rate = c.rng, c.rate
    layers = []
    for per_second, level in ((600.0, 1.0), (30.0, 8.0)):  # far drops, near drops
        times = _poisson_times(rng, c.dur, per_second * c.mods.density)
        k = times.size
        amps = level * rng.lognormal(0.0, 0.5, k)
        pans = rng.uniform(-1, 1, k)
        clicks = _decay_grains(rate, amps, 0.0008, 0.006, attack=0.0001)
        layer = _scatter(c, times, clicks * rng.standard_normal(clicks.shape), pans)
        bubbly = rng.random(k) < 0.3
        f0 = rng.uniform(1500, 4500, bubbly.sum()) * c.pitch
        layer += 0.6 * _scatter_tones(c, times[bubbly], amps[bubbly], pans[bubbly], f0,
                                      f0 * rng.uniform(1.1, 1.6, f0.size), 0.01,
                                      rng.uniform(0.002, 0.005, f0.size), buckets=1)
        layers.append(_filt(layer, "bandpass", (400.0, 7000.0 * c.pitch), rate))
    bed = _filt(c.noise(), "bandpass", (400.0 * c.pitch, 9000.0), rate)
    bed = _filt(bed, "lowpass", 3000.0 * c.pitch, rate, 1)  # pinker: rain is not pure hiss
    bed *= np.exp(0.15 * _smooth_noise(rng, c.n, rate, 0.5, c.channels))
    far, near = layers
    return far + near + _mix_to(bed, far, 0.8)


def _wind(c: _Ctx) -> np.ndarray:
    """Low-passed noise through a slowly wandering band resonance; gusts raise both the level
    and the resonance (stronger wind whistles higher). 'howl'/'whistle' sharpen the band."""
    rng = c.rng
    sharp = c.has("howl", "whistle")
    # Control signals live at the STFT frame rate (hop = 512 samples).
    frames, frame_rate = c.n // 512 + 4, c.rate / 512
    gust = _smooth_noise(rng, frames, frame_rate, 0.35)[:, 0] + 0.35 * _smooth_noise(
        rng, frames, frame_rate, 1.5)[:, 0]
    wander = _smooth_noise(rng, frames, frame_rate, 0.2, c.channels).T
    level = np.exp(0.8 * c.mods.density * gust)  # (T,)
    centre = 380.0 * c.pitch * np.exp(np.clip(0.25 * wander + 0.25 * gust, -0.7, 0.9))  # (ch, T)
    width = 0.18 if sharp else 0.45  # octaves

    def gain(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        count = times.size
        f = freqs[None, :, None]
        octs = np.log2(np.maximum(f, 1.0) / centre[:, None, :count])
        band = np.exp(-0.5 * (octs / width) ** 2)
        floor = 1.0 / (1.0 + (f / (600.0 * c.pitch)) ** 2)  # brown-ish roar under the band
        return level[None, None, :count] * (0.5 * floor + band) * (f > 25)

    return _shaped_noise(c, gain)


def _thunder(c: _Ctx) -> np.ndarray:
    """A tearing crack (a cluster of sharp bright bursts; absent when distant), then a low
    rumble that swells within a second and rolls away over the rest of the clip."""
    rng, rate, n = c.rng, c.rate, c.n
    t = np.arange(n) / rate
    onset = rng.uniform(0.05, 0.25)
    rise = rng.uniform(0.3, 0.7)
    decay = max(c.dur, 1.0) * rng.uniform(0.3, 0.45)
    swell = np.clip((t - onset) / rise, 0.0, 1.0) ** 1.5 * np.exp(-np.maximum(t - onset - rise,
                                                                                0.0) / decay)
    # Rolling: echoes off the land arrive as a few later peals and a restless level.
    rolls = np.exp(0.8 * _smooth_noise(rng, n, rate, 1.0, 1))
    for peal in rng.uniform(onset + rise, max(c.dur * 0.7, onset + rise + 0.1), 2):
        rolls += 1.5 * np.exp(-0.5 * ((t - peal) / 0.25) ** 2)[:, None]
    rumble = _filt(c.noise(), "lowpass", 140.0 * c.pitch, rate, 3) * swell[:, None] * rolls
    rumble += 0.25 * _filt(c.noise(), "bandpass", (150.0, 500.0 * c.pitch), rate) * (
        swell[:, None] * rolls) ** 2
    if c.mods.distance > 0:
        return rumble
    tears = onset + np.sort(rng.exponential(0.06, rng.integers(4, 9)))
    env = _scatter(c, tears, _decay_grains(rate, rng.uniform(0.3, 1.0, tears.size), 0.03,
                                           0.25), rng.uniform(-0.5, 0.5, tears.size))
    crack = _filt(c.noise() * env, "bandpass", (200.0 * c.pitch, 4000.0), rate)
    return rumble + _mix_to(crack, rumble, 0.3)


def _explosion(c: _Ctx) -> np.ndarray:
    """Broadband blast transient, a sub-bass boom sweeping down, a dull body, and debris:
    small bright impacts whose rate dies away over a couple of seconds."""
    rng, rate, n = c.rng, c.rate, c.n
    t0 = rng.uniform(0.02, 0.05)
    t = np.maximum(np.arange(n) / rate - t0, 0.0) * (np.arange(n) / rate >= t0)
    body_env = (1.0 - np.exp(-t / 0.004)) * np.exp(-t / (0.35 / c.pitch))
    body = _filt(c.noise(), "lowpass", 700.0 * c.pitch, rate) * body_env[:, None]
    tail = _filt(c.noise(), "lowpass", 120.0 * c.pitch, rate, 3) * (
        (1.0 - np.exp(-t / 0.05)) * np.exp(-t / max(0.3 * c.dur, 0.4)))[:, None]
    boom = _tone_grains(rate, np.array([75.0 * c.pitch]), 28.0 * c.pitch, 1.2, 0.45,
                        harmonics=(1.0, 0.3), attack=0.003)
    boom_track = _scatter(c, np.array([t0]), boom)
    blast = c.noise() * (np.exp(-t / 0.01) * (t > 0))[:, None]
    debris_rate = 35.0 * c.mods.density
    times = _poisson_times(rng, c.dur, debris_rate, lambda s: np.exp(-(s - t0) / 0.9),
                           start=t0 + 0.15)
    debris_env = _scatter(c, times, _decay_grains(
        rate, rng.lognormal(0.0, 0.7, times.size), 0.006, 0.05), rng.uniform(-1, 1, times.size))
    debris = _filt(c.noise() * debris_env, "bandpass", (900.0, 7000.0), rate)
    low = boom_track + _mix_to(body, boom_track, 1.0) + _mix_to(tail, boom_track, 0.6)
    return low + _mix_to(blast, low, 0.2) + _mix_to(debris, low, 0.06)


def _glass_break(c: _Ctx) -> np.ndarray:
    """A bright crash, then many shards: grains of 3 inharmonic high partials (2.5-11 kHz)
    ringing for tens of ms, dense at first and thinning out, with a second bounce cluster."""
    rng, rate = c.rng, c.rate
    t0 = rng.uniform(0.02, 0.06)
    bounce = t0 + rng.uniform(0.3, 0.6)

    def density(s: np.ndarray) -> np.ndarray:  # dense at impact, a second bounce cluster
        return 0.75 * np.exp(-(s - t0) / 0.25) + 0.25 * np.exp(-np.abs(s - bounce) / 0.3) * (
            s > bounce)

    times = _poisson_times(rng, c.dur, 160.0 * c.mods.density, density, start=t0)
    k = times.size
    amps = rng.lognormal(0.0, 0.6, k) * np.exp(-(times - t0) / 0.8)
    base = rng.uniform(2500, 7000, k) * c.pitch
    pans = rng.uniform(-0.8, 0.8, k)
    shard_track = np.zeros((c.n, c.channels))
    for ratio_range, tau, weight in (((1.0, 1.0), 0.06, 1.0), ((1.45, 1.85), 0.035, 0.7),
                                     ((2.2, 2.9), 0.02, 0.5)):  # inharmonic partials
        freq = base * rng.uniform(*ratio_range, k)
        decay = rng.uniform(0.5, 1.5, k) * tau
        shard_track += _scatter_tones(c, times, weight * amps, pans, freq, freq, 4 * decay,
                                      decay)
    crash_env = _scatter(c, np.array([t0]), _decay_grains(rate, np.ones(1), 0.05, 0.4))
    crash = _filt(c.noise() * crash_env, "highpass", 2500.0 * c.pitch, rate, 3)
    return shard_track + _mix_to(crash, shard_track, 1.0)


def _swell_sweep(c: _Ctx, peak_at: float, f_lo: float, f_hi: float, width: float,
                 rising: bool = True) -> np.ndarray:
    """Band-passed noise swelling to ``peak_at`` (0..1 of the clip) while its centre glides
    ``f_lo`` -> ``f_hi`` -> back (doppler-ish), panning left to right (shared by the fallback).
    """
    def gain(freqs: np.ndarray, times: np.ndarray) -> np.ndarray:
        u = np.clip(times / max(c.dur, 1e-9), 0.0, 1.0)
        env = np.where(u < peak_at, (u / peak_at) ** 2.2,
                       ((1.0 - u) / (1.0 - peak_at)) ** 1.3)
        bell = np.exp(-(((u - peak_at) / 0.25) ** 2))
        curve = bell if rising else 1.0 - bell
        centre = f_lo * (f_hi / f_lo) ** curve
        octs = np.log2(np.maximum(freqs, 1.0)[:, None] / centre[None, :])
        shape = np.exp(-0.5 * (octs / width) ** 2) * env[None, :]
        pan = (np.pi / 4) * (1.0 + np.clip(1.6 * (u - peak_at), -0.9, 0.9))
        if c.channels == 1:
            return shape[None]
        return np.stack([shape * np.cos(pan)[None, :], shape * np.sin(pan)[None, :]])

    return _shaped_noise(c, gain)


def _whoosh(c: _Ctx) -> np.ndarray:
    """Band-passed noise with a swell envelope and a centre rising then falling as the
    object passes (doppler-ish), panned across."""
    rng = c.rng
    f_lo = rng.uniform(220, 380) * c.pitch
    return _swell_sweep(c, rng.uniform(0.55, 0.7), f_lo, f_lo * rng.uniform(5.0, 8.0),
                        rng.uniform(0.5, 0.7))


class _Blip(NamedTuple):
    freq: tuple[float, float]  # range of the note
    length: float  # seconds
    tau: float  # decay
    notes: int  # 1, or 2 for a rising two-note notification
    harmonics: tuple[float, ...]
    tick: float  # level of the mechanical tick at the start


_BLIPS: tuple[tuple[tuple[str, ...], _Blip], ...] = (
    (("beep",), _Blip((900, 1800), 0.12, 1.0, 1, (1.0, 0.1), 0.0)),
    (("notification", "ping", "blip", "chime"), _Blip((1300, 2600), 0.08, 0.05, 2, (1.0, 0.2),
                                                      0.0)),
)
_CLICK = _Blip((2600, 4200), 0.045, 0.012, 1, (1.0, 0.3, 0.1), 0.25)


def _ui_click(c: _Ctx) -> np.ndarray:
    """Very short tonal blips (a high decaying sine with a tick), repeated every ~0.5 s when
    the clip is longer; 'beep' and 'notification' select longer or two-note variants."""
    rng, rate = c.rng, c.rate
    blip = _pick(c, _BLIPS, _CLICK)
    times = _periodic_times(rng, max(c.dur - blip.length * blip.notes, 0.02),
                            0.5 / c.mods.speed, 0.3, 0.01)
    k = times.size
    freq = rng.uniform(*blip.freq, k) * c.pitch
    if blip.notes == 2:  # second note a fourth or fifth above, right after the first
        times = np.concatenate((times, times + blip.length))
        freq = np.concatenate((freq, freq * rng.choice((4 / 3, 3 / 2), k)))
    tones = _tone_grains(rate, freq, freq, blip.length, blip.tau, harmonics=blip.harmonics,
                         attack=0.0008)
    out = _scatter(c, times, tones)
    if blip.tick:
        tick = _scatter(c, times[:k], _decay_grains(rate, np.ones(k), 0.0008, 0.005))
        out += blip.tick * _filt(tick * c.noise(1), "highpass", 3000.0, rate)
    return out


# Vowel formants (F1, F2, F3) in Hz; babble switches vowel per syllable.
_VOWELS = ((730, 1090, 2440), (530, 1840, 2480), (270, 2290, 3010), (570, 840, 2410),
           (300, 870, 2240), (660, 1720, 2410))


def _crowd(c: _Ctx) -> np.ndarray:
    """Babble: each voice is a glottal pulse train (its own pitch and intonation) gated into
    ~4 syllables/s and talk/pause phrases; each syllable goes through one of six vowel formant
    filters. The voices are panned, blurred by a room and laid over room noise.

    Per voice only the control curves are computed (on a coarse grid); pulse times come from
    inverting the integrated pitch with ``np.interp``, so a voice costs O(pulses), not O(n).
    """
    rng, rate, n = c.rng, c.rate, c.n
    empty = c.has("room tone", "roomtone", "empty")
    voices = 0 if empty else round(12 * c.mods.density)
    # Speech formants sit below ~4 kHz: build the babble at a third of the rate, upsample once.
    q = max(1, rate // 16000)
    low_rate, low_n = rate / q, -(-n // q)
    step = 64
    grid = np.arange(low_n // step + 2) * (step / low_rate)  # coarse time grid (s)
    ctl_rate = low_rate / step
    idx_parts: list[np.ndarray] = []
    vowel_parts: list[np.ndarray] = []
    weight_parts: list[np.ndarray] = []
    for _ in range(voices):  # a dozen voices, each O(pulses)
        f0 = rng.choice((rng.uniform(95, 140), rng.uniform(170, 250))) * c.pitch
        f0_t = f0 * np.exp(0.08 * _smooth_noise(rng, grid.size, ctl_rate, 3.0)[:, 0])
        pitch_phase = np.concatenate(([0.0], np.cumsum(f0_t[:-1]) / ctl_rate))
        pulses = np.interp(np.arange(1.0, pitch_phase[-1]), pitch_phase, grid)
        syll_rate = rng.uniform(3.0, 5.0) * np.exp(
            0.2 * _smooth_noise(rng, grid.size, ctl_rate, 1.0)[:, 0])
        syll_phase = np.interp(pulses, grid, np.concatenate(
            ([0.0], np.cumsum(syll_rate[:-1]) / ctl_rate)))
        talking = np.interp(pulses, grid, _smooth_noise(rng, grid.size, ctl_rate, 0.6)[:, 0])
        env = np.sin(np.pi * (syll_phase % 1.0)) ** 2 * (talking > -0.4)
        syllable_vowel = rng.integers(0, len(_VOWELS), int(syll_phase.max(initial=0.0)) + 2)
        vowel_parts.append(syllable_vowel[syll_phase.astype(int)])
        idx_parts.append(np.minimum(np.round(pulses * low_rate).astype(np.int64), low_n - 1))
        angle = (rng.uniform(-0.9, 0.9) + 1.0) * np.pi / 4
        gains = np.array((np.cos(angle), np.sin(angle)) if c.channels == 2 else (1.0,))
        weight_parts.append(rng.lognormal(0.0, 0.4) * env[:, None] * gains[None, :])
    t = np.arange(n) / rate
    room = _filt(c.noise(), "lowpass", 1800.0, rate) + 0.3 * _filt(c.noise(), "bandpass", (
        2000.0, 8000.0), rate)
    room += 0.3 * np.sin(_TAU * 100.0 * t)[:, None] * (1 + 0.02 * c.noise())  # ventilation hum
    if not voices:
        return room
    vowel = np.concatenate(vowel_parts)
    idx = np.concatenate(idx_parts)
    weights = np.concatenate(weight_parts)
    low = np.zeros((low_n, c.channels))
    for v, formants in enumerate(_VOWELS):
        mine = vowel == v
        src = np.stack([np.bincount(idx[mine], weights=weights[mine, ch], minlength=low_n)
                        for ch in range(c.channels)], axis=1)
        low += _resonate(src, low_rate, np.array(formants) * c.pitch, (0.025, 0.016, 0.011),
                         (1.0, 0.6, 0.2))
    babble = scipy.signal.resample_poly(low, q, 1, axis=0)[:n] if q > 1 else low
    babble = _filt(babble, "lowpass", 800.0, rate, 1)  # glottal spectral tilt
    babble = _reverb(babble, c, 0.6, 0.45)
    return babble + _mix_to(room, babble, 0.25)


def _birds(c: _Ctx) -> np.ndarray:
    """A few birds, each singing short phrases of FM chirps (up, down or arched sweeps with
    harmonics) in its own register, note length and position, pausing between phrases.
    Short notes sweep wide and fast (chirps), long ones narrow and slow (whistles)."""
    rng, rate = c.rng, c.rate
    calls: list[np.ndarray] = []  # rows: time, f_start, f_mid, f_end, dur, amp, pan
    for _bird in range(int(rng.integers(3, 6))):
        base = rng.uniform(2200, 4800) * c.pitch
        chirp_len = np.exp(rng.uniform(np.log(0.04), np.log(0.25)))
        span = np.clip(rng.uniform(0.2, 0.6) * np.sqrt(0.08 / chirp_len), 0.05, 0.9)
        starts = _poisson_times(rng, c.dur - 0.3, 0.8 * c.mods.speed, start=rng.uniform(0, 0.5))
        for start in starts:  # a few phrases per bird
            count = int(rng.integers(2, 7))
            at = start + np.arange(count) * chirp_len * rng.uniform(1.2, 1.8)
            shape = rng.integers(0, 3)  # up, down, arch
            lo, hi = base * rng.uniform(0.9, 1.1, count), base * (1 + span)
            f_start = np.where(shape == 1, hi, lo)
            f_end = np.where(shape == 0, hi, lo)
            f_mid = np.where(shape == 2, hi * 1.15, 0.5 * (f_start + f_end))
            calls.append(np.stack([at, f_start, f_mid, f_end, np.full(count, chirp_len),
                                   np.full(count, rng.lognormal(0, 0.4)),
                                   np.full(count, rng.uniform(-0.9, 0.9))], axis=1))
    out = np.zeros((c.n, c.channels))
    if calls:
        at, f_start, f_mid, f_end, dur, amp, pan = np.concatenate(calls).T
        keep = at + dur < c.dur
        chirps = _tone_grains(rate, f_start[keep], f_end[keep], dur[keep], np.inf,
                              f_mid=f_mid[keep], harmonics=(1.0, 0.3, 0.1), hann=True)
        out = _scatter(c, at[keep], chirps * amp[keep, None], pan[keep])
    air = _filt(c.noise(), "bandpass", (300.0, 3000.0), rate)
    return out + _mix_to(air, out if _rms(out) else air, 0.02)


class _Flow(NamedTuple):
    bubbles: float  # per second
    bed: float  # bed level relative to the bubbles
    swell: float  # period of surf swells in s (0 = steady)


_FLOWS: tuple[tuple[tuple[str, ...], _Flow], ...] = (
    (("drip",), _Flow(2.5, 0.0, 0.0)),
    (("ocean", "wave", "surf", "sea", "beach"), _Flow(40.0, 3.0, 7.0)),
    (("waterfall", "river", "fountain", "pour"), _Flow(250.0, 1.5, 0.0)),
)
_BROOK = _Flow(120.0, 0.5, 0.0)


def _water(c: _Ctx) -> np.ndarray:
    """A stream: small air bubbles ringing as rising sines (Minnaert resonance, 300-2000 Hz,
    bigger = lower = longer) over a flowing noise bed; drips or surf swells on request."""
    rng, rate = c.rng, c.rate
    flow = _pick(c, _FLOWS, _BROOK)
    times = _poisson_times(rng, c.dur, flow.bubbles * c.mods.density)
    k = times.size
    f0 = np.exp(rng.uniform(np.log(300), np.log(2000), k)) * c.pitch
    tau = np.clip(6.0 / f0, 0.003, 0.02) * (6.0 if flow.bubbles < 10 else 1.0)
    out = _scatter_tones(c, times, rng.lognormal(0, 0.5, k), rng.uniform(-1, 1, k), f0,
                         f0 * rng.uniform(1.1, 1.5, k), tau * 3, tau)
    if flow.bubbles < 10:  # drips ring in a cave-like space
        out = _reverb(out, c, 1.2, 0.35)
    if flow.bed:
        bed = _filt(c.noise(), "bandpass", (200.0 * c.pitch, 3500.0), rate)
        bed *= np.exp(0.3 * _smooth_noise(rng, c.n, rate, 2.0, c.channels))
        if flow.swell:
            phase = np.arange(c.n) / rate / flow.swell + rng.uniform()
            bed *= (0.15 + np.sin(np.pi * phase) ** 4)[:, None]
        out = out + _mix_to(bed, out if _rms(out) else bed, flow.bed)
    return out


def _fire(c: _Ctx) -> np.ndarray:
    """Low roar with a fast flicker, faint hiss, and sharp crackles: sub-millisecond pops with
    heavy-tailed loudness that come in little clusters."""
    rng, rate = c.rng, c.rate
    roar = _filt(c.noise(), "lowpass", 350.0 * c.pitch, rate, 2)
    roar *= np.exp(0.4 * _smooth_noise(rng, c.n, rate, 3.0, c.channels))
    flicker = _filt(c.noise(), "bandpass", (300.0 * c.pitch, 1500.0 * c.pitch), rate)
    flicker *= np.exp(0.8 * _smooth_noise(rng, c.n, rate, 12.0, c.channels))
    hiss = _filt(c.noise(), "bandpass", (2500.0, 9000.0), rate)
    lead = _poisson_times(rng, c.dur, 8.0 * c.mods.density)
    followers = np.repeat(lead, rng.integers(0, 5, lead.size))
    times = np.sort(np.concatenate((lead, followers + rng.exponential(0.015, followers.size))))
    amps = np.minimum(rng.pareto(2.0, times.size), 4.0) + 0.2  # heavy tail, capped
    pops = _decay_grains(rate, amps, 0.0006, 0.01, attack=0.00005)
    crackle = _scatter(c, times, pops * rng.standard_normal(pops.shape),
                       rng.uniform(-0.8, 0.8, times.size))
    crackle = _filt(crackle, "bandpass", (700.0, 9000.0), rate)
    return (roar + _mix_to(flicker, roar, 0.4) + _mix_to(hiss, roar, 0.08)
            + _mix_to(crackle, roar, 0.6))


def _heartbeat(c: _Ctx) -> np.ndarray:
    """Lub-dub at ~68 bpm: two low thumps (a sine dropping in pitch plus a muffled knock),
    the second higher, softer and ~0.3 s after the first."""
    rng, rate = c.rng, c.rate
    period = 60.0 / (68.0 * c.mods.speed * rng.uniform(0.93, 1.07))
    lubs = _periodic_times(rng, c.dur - 0.5, period, 0.02, rng.uniform(0.05, 0.2))
    dubs = lubs + 0.3 * period**0.5
    times = np.concatenate((lubs, dubs))
    k = lubs.size
    f = np.concatenate((np.full(k, 55.0), np.full(k, 68.0))) * c.pitch
    amps = np.concatenate((np.ones(k), np.full(k, 0.7))) * rng.uniform(0.9, 1.0, 2 * k)
    thumps = _tone_grains(rate, f, f * 0.75, 0.15, 0.045, harmonics=(1.0, 0.25), attack=0.006)
    out = _scatter(c, times, thumps * amps[:, None])
    knock = _filt(_scatter(c, times, _decay_grains(rate, amps, 0.015, 0.1, 0.004))
                  * c.noise(1), "lowpass", 180.0 * c.pitch, rate)
    return out + _mix_to(knock, out, 0.3)


def _phone_ring(c: _Ctx) -> np.ndarray:
    """An electromechanical telephone: a hammer alternates between two bells at 20 strikes/s
    in a double-ring cadence (0.4 on, 0.2 off, 0.4 on, 2 off; continuous for alarms); each
    strike rings a few inharmonic bell partials."""
    rng, rate, n = c.rng, c.rate, c.n
    t = np.arange(n) / rate
    if c.has("alarm"):
        on = np.ones(n, dtype=bool)
    else:
        cycle = (t - rng.uniform(0.0, 0.05)) % 3.0
        on = (cycle < 0.4) | ((cycle >= 0.6) & (cycle < 1.0))
    strikes = np.arange(0.0, c.dur, 1.0 / 20.0)
    strikes = strikes[on[np.minimum(_samples(strikes, c), n - 1)]]
    bells: list[np.ndarray] = []
    f0 = rng.uniform(950, 1250) * c.pitch
    for which, detune in enumerate((1.0, rng.uniform(1.04, 1.09))):
        exc = _scatter(c, strikes[which::2], np.ones((1, 1)))
        bells.append(_resonate(exc, rate, f0 * detune * np.array((1.0, 2.32, 4.25, 6.63)),
                               (0.5, 0.3, 0.15, 0.08), (1.0, 0.5, 0.3, 0.15)))
    return bells[0] + bells[1]


def _engine(c: _Ctx) -> np.ndarray:
    """Idle: cylinder firing pulses (~30 Hz, a fixed per-cylinder unevenness that makes the
    lumpy sub-rhythm) through exhaust resonances, plus valve-train clatter noise."""
    rng, rate, n = c.rng, c.rate, c.n
    firing = rng.uniform(26, 34) * c.pitch * c.mods.speed
    if c.has("rev", "accelerate"):  # rev up and back down
        u = np.arange(n) / max(n - 1, 1)
        rev = 1.0 + 1.8 * np.sin(np.pi * np.clip(1.3 * u, 0, 1)) ** 2
    else:
        rev = np.ones(n)
    f_t = firing * rev * np.exp(0.02 * _smooth_noise(rng, n, rate, 1.5)[:, 0])
    idx = np.flatnonzero(np.diff(np.floor(np.cumsum(f_t) / rate))) + 1
    cylinders = rng.uniform(0.75, 1.0, 4)
    amps = cylinders[np.arange(idx.size) % 4] * rng.uniform(0.9, 1.0, idx.size)
    exc = np.bincount(idx, weights=amps, minlength=n)[:, None]
    pulse = _filt(exc, "lowpass", 900.0 * c.pitch, rate, 4)
    exhaust = _resonate(pulse, rate, np.array((85.0, 170.0, 390.0)) * c.pitch,
                        (0.08, 0.06, 0.04), (1.0, 0.7, 0.4))
    clatter = _filt(c.noise(1), "bandpass", (1000.0, 4000.0), rate) * _filt(
        exc, "lowpass", 60.0, rate)
    return exhaust + _mix_to(pulse, exhaust, 0.3) + _mix_to(clatter, exhaust, 0.08)


def _texture(c: _Ctx) -> np.ndarray:
    """Fallback: a band-passed whoosh swelling into a soft resonant impact with a short
    decaying tail; band, sweep direction and impact time come from the prompt's hash."""
    h = c.prompt_hash
    centre = 200.0 * 2.0 ** (h[0] / 255 * 4.0) * c.pitch  # 200-3200 Hz
    hit_at = 0.35 + 0.3 * h[1] / 255
    swell = _swell_sweep(c, hit_at, centre / 2, centre * 1.5, 0.6, rising=h[2] % 2 == 0)
    hit_time = np.array([hit_at * c.dur])
    exc = _scatter(c, hit_time, _decay_grains(c.rate, np.ones(1), 0.02, 0.1))
    hit = _resonate(exc * c.noise(), c.rate, (centre / 3, centre / 1.7, centre * 1.1),
                    (0.4, 0.25, 0.15), (1.0, 0.6, 0.3))
    return swell + _mix_to(hit, swell, 1.5)


_RENDERERS: dict[str, Callable[[_Ctx], np.ndarray]] = {
    "door_creak": _door_creak,
    "footsteps": _footsteps,
    "knock": _knock,
    "rain": _rain,
    "wind": _wind,
    "thunder": _thunder,
    "explosion": _explosion,
    "glass_break": _glass_break,
    "whoosh": _whoosh,
    "ui_click": _ui_click,
    "crowd": _crowd,
    "birds": _birds,
    "water": _water,
    "fire": _fire,
    "heartbeat": _heartbeat,
    "phone_ring": _phone_ring,
    "engine": _engine,
    "texture": _texture,
}


# --- finishing ------------------------------------------------------------------------------
def _finish(x: np.ndarray, c: _Ctx) -> np.ndarray:
    """Distance/closeness colour, DC removal, edge fades and peak normalisation."""
    rate = c.rate
    if c.mods.distance > 0:
        x = _reverb(_filt(x, "lowpass", 2200.0, rate), c, 1.6, 0.5)
    elif c.mods.close:
        x = x + 0.5 * _filt(x, "highpass", 3000.0, rate)
    x = _filt(x, "highpass", 20.0, rate)  # sub-audio drift and DC
    x = x - x.mean(axis=0, keepdims=True)
    fade_in = min(int(FADE_IN_S * rate), c.n // 4)
    fade_out = min(int(FADE_OUT_S * rate), c.n // 4)
    if fade_in:
        x[:fade_in] *= (0.5 - 0.5 * np.cos(np.pi * np.arange(fade_in) / fade_in))[:, None]
    if fade_out:
        x[c.n - fade_out :] *= (0.5 + 0.5 * np.cos(
            np.pi * (np.arange(fade_out) + 1) / fade_out))[:, None]
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if not np.isfinite(peak) or peak < 1e-12:
        return np.zeros_like(x, dtype=np.float32)
    target_db = TARGET_PEAK_DBFS - DISTANT_ATTENUATION_DB * c.mods.distance
    return (x * (10.0 ** (target_db / 20.0) / peak)).astype(np.float32)


def synthesize(prompt: str, duration: float | None, seed: int, rate: int = 48000) -> np.ndarray:
    """Render the prompt's sound effect: float32 ``(frames, channels)``.

    ``frames == round(duration * rate)`` (the family's ``default_duration`` when ``duration``
    is None); ``channels`` is the family's (1 or 2). Same arguments -> bit-identical output.
    Raises ValueError for a negative or non-finite duration or a non-positive rate.
    """
    family = classify(prompt)
    seconds = family.default_duration if duration is None else float(duration)
    if not np.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a finite number of seconds >= 0, got {duration!r}")
    if rate <= 0:
        raise ValueError(f"rate must be positive, got {rate!r}")
    n = round(seconds * rate)
    if n == 0:
        return np.zeros((0, family.channels), dtype=np.float32)
    words = _words(prompt)
    ctx = _Ctx(
        n=n,
        rate=int(rate),
        channels=family.channels,
        rng=np.random.default_rng(seed),
        words=words,
        mods=_modifiers(words),
        prompt_hash=hashlib.blake2b(" ".join(words).encode(), digest_size=8).digest(),
    )
    x = np.asarray(_RENDERERS[family.name](ctx), dtype=float).reshape(n, -1)
    if x.shape[1] != family.channels:  # a renderer may return one channel for a stereo bed
        x = np.repeat(x[:, :1], family.channels, axis=1)
    return _finish(x, ctx)
