"""Procedural music for the offline provider: beds and stings from a text prompt.

``parse_prompt`` reads tempo, key, mood, instruments and kind (bed or sting) from the words;
``compose`` turns that spec into a stereo float32 clip. No model and no network: a seeded
arranger picks a chord progression, voicings, a bass rhythm, a drum pattern and a melody or
arpeggio, and a small synthesiser plays them.

Design notes.

- Every pitched sound comes from one note renderer over band-limited wavetables (harmonic
  sums built once with an inverse FFT), so a note costs two table gathers and an envelope; a
  "bright" table fading into a "mellow" one stands in for a filter envelope (piano, pluck,
  synth). Drums are one-shots synthesised once per clip and added at their hit times. The only
  Python loops are over notes and hits; a 30 s bed renders in a fraction of a second.
- Time is counted in beats of a 4/4 grid, so bars, bass, drums and arpeggios stay aligned.
- Endings: a bed ends on the tonic and fades over its final bar to exactly zero; a sting is a
  cadence (lead-in chords, one beat each, then the tonic) whose tail decays to zero. A
  ``loop`` bed is instead rendered circularly: its tempo is nudged so a whole number of bars
  fills the clip, it is rendered past its end and the overhang (release and reverb tails) is
  added back onto its start. Everything between is linear and time-invariant, so this is an
  exact circular render: the last sample flows into the first and the rhythm never skips.
- Randomness is drawn from named streams keyed by (prompt, seed, variant, stream), so takes are
  bit-identical for a seed, and variant 1 differs from variant 0 in progression, voicing and
  rhythm while the key and tempo (from the prompt alone) stay the same.
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Literal

import numpy as np
import scipy.signal

from audiostudio.errors import BadRequestError

VERSION = "1"

Mode = Literal["major", "minor"]
Kind = Literal["bed", "sting"]

NOTE_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
INSTRUMENTS = ("pads", "bass", "drums", "piano", "pluck", "synth")
BED_SECONDS = 30.0
STING_SECONDS = 3.0
PEAK_DBFS = -3.0

_SCALES: dict[str, tuple[int, ...]] = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),  # natural minor: no raised leading tone, the third stays b3
}


# --- the prompt -----------------------------------------------------------------------------
@dataclass(frozen=True)
class MusicSpec:
    """What a prompt asks for; everything ``compose`` needs besides the seed."""

    kind: Kind
    tempo: float  # BPM
    root: int  # pitch class of the tonic, 0 = C
    mode: Mode
    mood: str  # the first mood word of the prompt, or "neutral"
    instruments: frozenset[str]  # a subset of INSTRUMENTS
    loop: bool = False
    duration: float = BED_SECONDS  # seconds, used when compose() is given none

    @property
    def key(self) -> str:
        return f"{NOTE_NAMES[self.root]} {self.mode}"


@dataclass(frozen=True)
class _Mood:
    tempo: float
    mode: Mode | None
    drums: bool  # whether the default ensemble has drums
    lead: str | None  # the melodic instrument added when the prompt names none
    flavour: str  # which progressions suit it


def _moods() -> dict[str, _Mood]:
    groups = (
        ("slow calm ambient peaceful relaxed relaxing gentle soft dreamy meditative serene",
         _Mood(70, None, False, "piano", "calm")),
        ("sad melancholic melancholy somber sombre lonely nostalgic",
         _Mood(72, "minor", False, "piano", "calm")),
        ("mysterious eerie ominous spooky haunting", _Mood(80, "minor", False, "pluck", "dark")),
        ("dark brooding gritty", _Mood(92, "minor", True, "synth", "dark")),
        ("tense suspense suspenseful thriller", _Mood(104, "minor", True, "synth", "dark")),
        ("lofi chill hiphop jazzy", _Mood(84, None, True, "piano", "calm")),
        ("cinematic epic dramatic", _Mood(96, None, True, None, "")),
        ("happy cheerful joyful playful fun sunny", _Mood(116, "major", True, "pluck", "bright")),
        ("bright uplifting hopeful inspiring inspirational positive warm",
         _Mood(112, "major", True, "pluck", "bright")),
        ("corporate pop", _Mood(110, None, True, "pluck", "bright")),
        ("upbeat energetic action fast driving exciting dance house edm electronic rock",
         _Mood(128, None, True, "synth", "")),
    )
    return {word: mood for words, mood in groups for word in words.split()}


_MOODS = _moods()
_INSTRUMENT_WORDS = {
    word: instrument
    for instrument, words in (
        ("piano", "piano pianos keys rhodes keyboard"),
        ("pads", "pad pads strings string choir orchestral"),
        ("bass", "bass bassline basses"),
        ("drums", "drums drum beat beats percussion percussive kick groove breakbeat"),
        ("synth", "synth synths synthesizer synthwave arp arps arpeggio arpeggios arpeggiated"
                  " electronic"),
        ("pluck", "pluck plucks plucked guitar guitars harp kalimba"),
    )
    for word in words.split()
}
_STING_WORDS = frozenset(["sting", "stinger", "stingers", "logo", "transition", "jingle", "ident"])
_LOOP_WORDS = frozenset(["loop", "loops", "loopable", "looping", "seamless"])
_SOLO_WORDS = frozenset(["solo", "only", "just"])
_PHRASES = (  # multi-word genres, folded into one token before the words are read
    (re.compile(r"\bhip[\s-]?hop\b"), "hiphop"),
    (re.compile(r"\blo[\s-]?fi\b"), "lofi"),
)

_ACCIDENTAL = r"(#|♯|b|♭|[\s-]?sharp|[\s-]?flat)?"
_KEY_RE = re.compile(
    rf"(\b(?:in|key of)\s+)?\b([A-Ga-g]){_ACCIDENTAL}\s*(major|minor|maj|min|m)\b", re.I)
_BARE_KEY_RE = re.compile(rf"\b(?:in|key of)\s+([A-G]){_ACCIDENTAL}(?![\w#♯♭])")
_BPM_RE = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(?:bpm\b|beats per minute)", re.I)
_SECONDS_RE = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(s|secs?|seconds?|min|mins|minutes?)\b", re.I)
_NEGATION_RE = re.compile(r"\b(?:no|without|minus)\s+(?:any\s+|the\s+)?([a-z]+)")


def _pitch_class(letter: str, accidental: str | None) -> int:
    pc = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}[letter.lower()]
    accidental = (accidental or "").strip(" -").lower()
    if accidental in ("#", "♯", "sharp"):
        pc += 1
    elif accidental in ("b", "♭", "flat"):
        pc -= 1
    return pc % 12


def _parse_key(prompt: str) -> tuple[int | None, Mode | None]:
    # A key letter counts when capitalised ("A major") or after "in"/"key of" ("in a minor"),
    # so the article in "a major hit" is not read as A major.
    for match in _KEY_RE.finditer(prompt):
        lead, letter, accidental, mode = match.groups()
        if lead or letter.isupper():
            if mode == "M":  # "Am" is A minor, but a capital M says nothing
                continue
            minor = mode.lower() in ("minor", "min", "m")
            return _pitch_class(letter, accidental), ("minor" if minor else "major")
    bare = _BARE_KEY_RE.search(prompt)
    if bare:
        return _pitch_class(bare.group(1), bare.group(2)), None
    return None, None


def _parse_duration(prompt: str) -> float | None:
    for match in _SECONDS_RE.finditer(prompt):
        number, unit = match.groups()
        if unit == "s" and re.fullmatch(r"[5-9]0s", match.group(0)):
            continue  # "80s synthwave" is a decade, not a length
        value = float(number) * (60 if unit.lower().startswith("m") else 1)
        return min(max(value, 0.5), 600.0)
    return None


def parse_prompt(prompt: str) -> MusicSpec:
    """Read a music prompt ("dark tense bed in D minor, 90 bpm, no drums") into a spec.

    Explicit values win (``90 bpm``, ``in D minor``, ``20 seconds``); otherwise the first mood
    or genre word sets the tempo and the first one with a colour sets the mode. Without a key,
    the tonic is derived from the prompt's text, so a prompt always gets the same key.
    """
    text = prompt.lower()
    for pattern, token in _PHRASES:
        text = pattern.sub(token, text)
    bpm = _BPM_RE.search(text)
    words = re.findall(r"[a-z]+", _BPM_RE.sub(" ", text))

    moods = [(word, _MOODS[word]) for word in words if word in _MOODS]
    first = moods[0][1] if moods else None
    tempo = float(bpm.group(1)) if bpm else (float(first.tempo) if first else 100.0)
    root, mode = _parse_key(prompt)
    if mode is None:
        mode = next((m.mode for _, m in moods if m.mode), "major")
    if root is None:
        root = zlib.crc32(" ".join(words).encode()) % 12

    named = {_INSTRUMENT_WORDS[word] for word in words if word in _INSTRUMENT_WORDS}
    removed = {_INSTRUMENT_WORDS[w] for w in _NEGATION_RE.findall(text) if w in _INSTRUMENT_WORDS}
    if "drumless" in words:
        removed.add("drums")
    if named and _SOLO_WORDS.intersection(words):
        instruments = set(named)
    else:
        instruments = {"pads", "bass"} | named
        if first is None or first.drums:
            instruments.add("drums")
        if not named.intersection({"piano", "pluck", "synth"}):
            lead = first.lead if first else "piano"
            instruments.update([lead] if lead else [])
    instruments = (instruments - removed) or {"pads"}

    sting = bool(_STING_WORDS.intersection(words))
    duration = _parse_duration(_BPM_RE.sub(" ", prompt))
    if sting:
        duration = min(max(duration or STING_SECONDS, 2.0), 5.0)
    return MusicSpec(
        kind="sting" if sting else "bed",
        tempo=min(max(tempo, 40.0), 220.0),
        root=root,
        mode=mode,
        mood=moods[0][0] if moods else "neutral",
        instruments=frozenset(instruments),
        loop=not sting and bool(_LOOP_WORDS.intersection(words)),
        duration=duration or BED_SECONDS,
    )



def prompt_words() -> dict[str, object]:
    """The words ``parse_prompt`` reads, by what they set (``audiostudio music`` lists them)."""
    moods: dict[int, dict[str, object]] = {}
    for word, mood in _MOODS.items():  # the words of one group share one _Mood
        group = moods.setdefault(id(mood), {"words": [], "tempo_bpm": mood.tempo,
                                            "mode": mood.mode, "drums": mood.drums})
        group["words"].append(word)  # type: ignore[union-attr]
    instruments: dict[str, list[str]] = {name: [] for name in INSTRUMENTS}
    for word, instrument in _INSTRUMENT_WORDS.items():
        instruments[instrument].append(word)
    return {
        "moods": list(moods.values()),
        "instruments": instruments,
        "sting": sorted(_STING_WORDS),
        "loop": sorted(_LOOP_WORDS),
        "solo": sorted(_SOLO_WORDS),
        "without": ["no", "without", "minus", "drumless"],
        "values": ["90 bpm", "in D minor", "key of F# major", "20 seconds", "2 min"],
    }

# --- the arrangement ------------------------------------------------------------------------
# Progressions as scale degrees (0 = tonic). All start on the tonic and avoid the raised
# leading tone in minor, so the key reads clearly; the flavour ties some to moods.
_PROGRESSIONS: dict[str, tuple[tuple[tuple[int, ...], str], ...]] = {
    "major": (((0, 4, 5, 3), ""), ((0, 3, 4, 0), "bright"), ((0, 5, 3, 4), ""),
              ((0, 3, 5, 4), "calm"), ((0, 2, 3, 4), "calm"), ((0, 3, 0, 4), "bright"),
              ((0, 5, 1, 4), "dark")),
    "minor": (((0, 5, 2, 6), ""), ((0, 3, 4, 0), ""), ((0, 5, 3, 4), "calm"),
              ((0, 3, 5, 6), "calm"), ((0, 6, 5, 6), "bright"), ((0, 5, 0, 6), "dark"),
              ((0, 3, 0, 5), "dark")),
}
_CADENCES: dict[str, tuple[tuple[int, ...], ...]] = {  # sting lead-ins; the tonic follows
    "major": ((3, 4), (1, 4), (5, 3, 4), (3,)),
    "minor": ((5, 6), (3, 4), (3, 6), (5, 3, 6)),
}
# Bass rhythms per bar: (onset beat, length in beats, interval above the chord root).
_BASS_RHYTHMS = {
    "slow": (((0, 4, 0),), ((0, 2, 0), (2, 2, 0)), ((0, 3, 0), (3, 1, 7))),
    "mid": (((0, 1.5, 0), (1.5, 0.5, 0), (2, 2, 0)),
            ((0, 1, 0), (1, 1, 0), (2, 1, 0), (3, 1, 12)),
            ((0, 0.75, 0), (0.75, 0.75, 0), (1.5, 1.5, 0), (3, 1, 7))),
    "fast": (tuple((i / 2, 0.45, 12 * (i % 2)) for i in range(8)),
             tuple((i / 2, 0.45, 0) for i in range(8)),
             ((0, 1, 0), (1.5, 0.5, 0), (2, 1, 0), (2.5, 0.5, 12), (3, 1, 7))),
}
# Melody rhythms per bar: (onset beat, length in beats); the last ones close a phrase.
_MELODY_RHYTHMS = (
    ((0, 1), (1, 1), (2, 2)),
    ((0, 1.5), (1.5, 0.5), (2, 1), (3, 1)),
    ((0, 0.5), (0.5, 0.5), (1, 1), (2, 1.5), (3.5, 0.5)),
    ((0, 2), (2, 1), (3, 1)),
    ((0.5, 0.5), (1, 1), (2, 0.5), (2.5, 1.5)),
)
_PHRASE_ENDS = (((0, 3),), ((0, 2), (2, 2)))
_ARP_SHAPES = ((0, 1, 2, 3, 4, 5), (5, 4, 3, 2, 1, 0), (0, 1, 2, 3, 4, 5, 4, 3, 2, 1),
               (0, 2, 1, 3, 2, 4, 3, 5), (0, 2, 4, 1, 3, 5))
# Drum kick patterns on a 16-step bar; snare or clap on 2 and 4, hats on eighths.
_KICKS_FOUR = (0, 4, 8, 12)
_KICKS_HALF = ((0, 8), (0, 8, 10), (0, 6, 8), (0, 8, 11))


@dataclass(frozen=True)
class _Chord:
    start: float  # beats
    beats: float
    degree: int
    ending: bool = False  # the closing tonic of a sting or a bed


@dataclass(frozen=True)
class _Note:
    start: float  # seconds
    length: float  # seconds until note-off; the release follows
    midi: float
    velocity: float = 1.0
    pan: float = 0.0  # -1 left .. 1 right


@dataclass(frozen=True)
class _Hit:
    start: float  # seconds
    drum: str
    velocity: float = 1.0
    pan: float = 0.0


class _Streams:
    """Independent random streams per purpose, so adding one never shifts the others."""

    def __init__(self, prompt: str, seed: int, variant: int) -> None:
        self._key = [zlib.crc32(prompt.encode()), seed % 2**64, variant]
        self.variant = variant

    def __call__(self, name: str, per_variant: bool = True) -> np.random.Generator:
        key = self._key if per_variant else self._key[:2]
        return np.random.default_rng([*key, zlib.crc32(name.encode())])


def _midi(root: int, mode: str, degree_index: int, octave_base: int) -> int:
    """MIDI pitch of a scale degree counted from the tonic in ``octave_base``'s octave."""
    scale = _SCALES[mode]
    return octave_base + root + scale[degree_index % 7] + 12 * (degree_index // 7)


def _progression(spec: MusicSpec, streams: _Streams) -> tuple[int, ...]:
    flavour = _MOODS[spec.mood].flavour if spec.mood in _MOODS else ""
    options = [p for p, f in _PROGRESSIONS[spec.mode] if f in ("", flavour)]
    # The base pick depends on the seed only; the variant steps to the next option, so the
    # two takes of one request never share a progression.
    base = int(streams("progression", per_variant=False).integers(len(options)))
    return options[(base + streams.variant) % len(options)]


def _arrange(spec: MusicSpec, duration: float, streams: _Streams) -> tuple[list[_Chord], float]:
    """The chords (in beats) and the beat length in seconds."""
    if spec.kind == "sting":
        cadences = _CADENCES[spec.mode]
        base = int(streams("cadence", per_variant=False).integers(len(cadences)))
        lead = cadences[(base + streams.variant) % len(cadences)]
        # Lead-in chords of two beats (one when there are three), squeezed if need be so
        # the tonic lands by 45% of the clip and has room to ring.
        each = 2 if len(lead) <= 2 else 1
        beat = min(60.0 / spec.tempo, 0.45 * duration / (each * len(lead)))
        chords = [_Chord(each * i, each, degree) for i, degree in enumerate(lead)]
        ending = each * len(lead)
        return [*chords, _Chord(ending, duration / beat - ending, 0, True)], beat
    progression = _progression(spec, streams)
    bar = 240.0 / spec.tempo
    if spec.loop:  # a whole number of bars, so the rhythm runs on across the loop point
        bars = max(1, math.floor(duration / bar + 0.5))
        beat = duration / (4 * bars)
        return [_Chord(4 * b, 4, progression[b % 4]) for b in range(bars)], beat
    # The ending chord covers the last half to one and a half bars, so it is never a stub.
    ending = max(0, math.floor(duration / bar + 0.5) - 1)
    chords = [_Chord(4 * b, 4, progression[b % 4]) for b in range(ending)]
    return [*chords, _Chord(4 * ending, duration / (bar / 4) - 4 * ending, 0, True)], bar / 4


def _voicings(spec: MusicSpec, chords: Sequence[_Chord], rng: np.random.Generator
              ) -> list[list[int]]:
    """Close triads led smoothly from chord to chord (F3-D5), each over its root an octave
    lower; an ending chord has the tonic on top, as a final cadence should. Calm and dark
    moods hold the tonic under every chord instead (a drone), which anchors the key."""
    scale = _SCALES[spec.mode]
    drone = spec.mood in _MOODS and _MOODS[spec.mood].flavour in ("calm", "dark")
    previous = np.array([60, 64, 67]) + rng.integers(-2, 3)
    voicings = []
    for chord in chords:
        pcs = [(spec.root + scale[(chord.degree + 2 * i) % 7]) % 12 for i in range(3)]
        candidates = []
        for inversion in range(3):
            notes = pcs[inversion:] + pcs[:inversion]
            pitches = [53 + (notes[0] - 53) % 12]
            for pc in notes[1:]:
                pitches.append(pitches[-1] + (pc - pitches[-1]) % 12)
            for shift in (0, 12):
                candidate = np.array(pitches) + shift
                if candidate[-1] <= 76 and not (chord.ending and candidate[-1] % 12 != pcs[0]):
                    candidates.append(candidate)
        previous = min(candidates, key=lambda c: float(np.abs(c - previous).sum()))
        voicings.append([48 + (spec.root if drone else pcs[0]), *previous.tolist()])
    return voicings


def _bass(spec: MusicSpec, chords: Sequence[_Chord], beat: float, rng: np.random.Generator
          ) -> list[_Note]:
    speed = "slow" if spec.tempo < 85 else "mid" if spec.tempo < 115 else "fast"
    options = _BASS_RHYTHMS[speed]
    rhythm = options[int(rng.integers(len(options)))]
    notes = []
    for chord in chords:
        root = 36 + (spec.root + _SCALES[spec.mode][chord.degree]) % 12
        pattern = ((0, chord.beats, 0),) if chord.ending else rhythm
        for onset, length, interval in pattern:
            if onset < chord.beats:
                length = min(length, chord.beats - onset)
                notes.append(_Note((chord.start + onset) * beat, length * beat * 0.92,
                                   root + interval, 0.85 + 0.15 * (onset == 0)))
    return notes


def _melody(spec: MusicSpec, chords: Sequence[_Chord], beat: float, rng: np.random.Generator
            ) -> list[_Note]:
    """A scale melody: chord tones on strong beats, steps between, phrases of four bars
    (A B A, then a long closing note) and the tonic on an ending chord."""
    a, b = (_MELODY_RHYTHMS[i] for i in rng.permutation(len(_MELODY_RHYTHMS))[:2])
    phrase = (a, b, a, _PHRASE_ENDS[int(rng.integers(len(_PHRASE_ENDS)))])
    # Scale degrees counted from a tonic in F3..E4, kept to degrees 5..14 (about D4 to E6):
    # a line over the pads, whatever the key.
    base = 60 if spec.root <= 4 else 48
    index = 9
    notes = []
    for number, chord in enumerate(chords):
        tones = {(chord.degree + 2 * i) % 7 for i in range(3)}
        rhythm = ((0, chord.beats),) if chord.ending else phrase[number % 4]
        for onset, length in rhythm:
            if onset >= chord.beats:
                continue
            strong = onset % 2 == 0 or chord.ending
            if strong:  # the nearest chord tone (the tonic at the end), ties broken at random
                wanted = {0} if chord.ending else tones
                here, lean = index, float(rng.choice((-0.4, 0.4)))
                index = min((i for i in range(max(5, here - 4), min(14, here + 4) + 1)
                             if i % 7 in wanted), key=lambda i: abs(i - here - lean))
            else:
                step = int(rng.choice((-2, -1, 1, 2), p=(0.15, 0.35, 0.35, 0.15)))
                index = min(max(index + step, 5), 14)
            notes.append(_Note((chord.start + onset) * beat,
                               min(length, chord.beats - onset) * beat * 0.9,
                               _midi(spec.root, spec.mode, index, base),
                               0.8 + 0.2 * strong - 0.1 * rng.random(),
                               pan=-0.15))
    return notes


def _arpeggio(chords: Sequence[_Chord], voicings: Sequence[list[int]], beat: float,
              step: float, rng: np.random.Generator) -> list[_Note]:
    """Chord tones over two octaves in a seeded shape; an ending chord is strummed once."""
    shape = _ARP_SHAPES[int(rng.integers(len(_ARP_SHAPES)))]
    notes = []
    for chord, voicing in zip(chords, voicings, strict=True):
        tones = sorted(voicing[1:] + [p + 12 for p in voicing[1:]])
        if chord.ending:
            for i, pitch in enumerate(tones[:4]):
                start = chord.start * beat + 0.04 * i
                notes.append(_Note(start, chord.beats * beat, pitch, 0.8, pan=0.3 * (i % 2)))
            continue
        for i in range(max(1, int(chord.beats / step + 1e-9))):
            accent = 1.0 if (i * step) % 1 == 0 else 0.75
            notes.append(_Note((chord.start + i * step) * beat, step * beat * 0.8,
                               tones[shape[i % len(shape)]], accent - 0.1 * rng.random(),
                               pan=0.3 if i % 2 else -0.3))
    return notes


def _drum_hits(spec: MusicSpec, chords: Sequence[_Chord], beat: float, rng: np.random.Generator
               ) -> list[_Hit]:
    kicks = _KICKS_FOUR if spec.tempo >= 115 else _KICKS_HALF[int(rng.integers(len(_KICKS_HALF)))]
    snare = "clap" if rng.random() < 0.35 else "snare"
    hat_step = 1 if spec.tempo < 90 and rng.random() < 0.5 else 2
    sixteenth = beat / 4
    hits = []
    for number, chord in enumerate(chords):
        t0 = chord.start * beat
        if chord.ending:
            hits += [_Hit(t0, "kick"), _Hit(t0, "crash", 0.8, 0.2)]
            continue
        if chord.beats < 4:  # a sting lead-in: a kick per chord, a snare roll into the tonic
            hits.append(_Hit(t0, "kick", 0.8))
            if number == len(chords) - 2:
                roll = (chord.start + chord.beats - 1) * beat
                hits += [_Hit(roll + i * sixteenth, "snare", 0.3 + 0.15 * i) for i in range(4)]
            continue
        fill = number % 4 == 3 and rng.random() < 0.5
        hits += [_Hit(t0 + s * sixteenth, "kick") for s in kicks]
        hits += [_Hit(t0 + s * sixteenth, snare, 0.9) for s in (4, 12)]
        hits += [_Hit(t0 + s * sixteenth, snare, 0.45) for s in (14, 15) if fill]
        hits += [_Hit(t0 + s * sixteenth, "hat", (0.9 if s % 4 == 0 else 0.6) - 0.15 * rng.random(),
                      0.25) for s in range(0, 16, hat_step)]
    return hits


# --- the synthesiser ------------------------------------------------------------------------
_TABLE_SIZE = 1 << 16


@lru_cache(maxsize=16)
def _wavetable(harmonics: tuple[float, ...]) -> np.ndarray:
    """One cycle of a sum of sine harmonics (amplitudes for k = 1, 2, ...), peak 1."""
    spectrum = np.zeros(_TABLE_SIZE // 2 + 1, complex)
    spectrum[1:len(harmonics) + 1] = -0.5j * _TABLE_SIZE * np.asarray(harmonics)
    wave = np.fft.irfft(spectrum, _TABLE_SIZE)
    return (wave / np.abs(wave).max()).astype(np.float32)


def _saw(count: int, rolloff: float) -> tuple[float, ...]:
    """A sawtooth's harmonics, softened: ``rolloff`` is the harmonic where it falls by 1/e."""
    return tuple(math.exp(-(k - 1) / rolloff) / k for k in range(1, count + 1))


@dataclass(frozen=True)
class _Timbre:
    bright: tuple[float, ...]  # harmonics at the onset
    mellow: tuple[float, ...]  # harmonics it fades to with time constant bright_decay
    bright_decay: float
    attack: float
    decay: float  # seconds; the level falls towards sustain
    sustain: float
    release: float
    unison_cents: float = 0.0  # > 0: two detuned oscillators, one per channel
    pitch_decay: bool = False  # higher notes die sooner, as struck strings do


_TIMBRES = {
    "pads": _Timbre(_saw(24, 5), _saw(24, 5), 0, 0.45, 1, 1.0, 1.0, unison_cents=7),
    "bass": _Timbre((1, 0.5, 0.25, 0.1, 0.05), (1, 0.3, 0.08), 0.15, 0.006, 0.35, 0.65, 0.05),
    "piano": _Timbre(tuple(k ** -1.3 for k in range(1, 13)), (1, 0.3, 0.1, 0.04), 0.25,
                     0.003, 1.4, 0.0, 0.15, pitch_decay=True),
    "pluck": _Timbre(_saw(16, 8), (1, 0.2, 0.05), 0.06, 0.002, 0.5, 0.0, 0.08,
                     pitch_decay=True),
    "synth": _Timbre(_saw(16, 12), _saw(8, 2), 0.08, 0.004, 0.3, 0.25, 0.06),
}
# Bus gain and reverb send per voice, balanced on solo stem RMS (pads ~-17 dBFS, bass ~-17,
# leads ~-20..-24) before the mix is peak-normalised.
_LEVELS = {"pads": (0.07, 0.5), "bass": (0.32, 0.0), "piano": (0.26, 0.35),
           "pluck": (0.22, 0.35), "synth": (0.12, 0.3), "drums": (1.0, 0.08)}


def _pan_gains(pan: float) -> np.ndarray:
    angle = (pan + 1) * math.pi / 4  # constant power, unity in the centre
    return np.array([math.cos(angle), math.sin(angle)], np.float32) * math.sqrt(2)


def _envelope(n_on: int, total: int, timbre: _Timbre, rate: int) -> np.ndarray:
    """Raised-cosine attack, exponential decay to sustain, raised-cosine release to zero."""
    t = np.arange(total, dtype=np.float32) / rate
    attack = min(timbre.attack, 0.5 * n_on / rate)
    env = 0.5 - 0.5 * np.cos(np.pi * np.minimum(t / attack, 1))
    if timbre.sustain < 1:
        env *= timbre.sustain + (1 - timbre.sustain) * np.exp(-np.maximum(t - attack, 0)
                                                              / timbre.decay)
    release = total - n_on
    if release > 0:
        env[n_on:] = env[n_on - 1] * (0.5 + 0.5 * np.cos(np.pi * np.arange(1, release + 1)
                                                           / release))
    return env


def _table_index(freq: float, n: int, rate: int, phase: float = 0.0) -> np.ndarray:
    """Wavetable positions of n samples of a tone (nearest entry: 2^16 entries keep the
    error of smooth tables below -60 dB, with one gather per sample)."""
    cycles = np.arange(n) * (freq / rate) + phase
    return (cycles * _TABLE_SIZE).astype(np.int64) & (_TABLE_SIZE - 1)


def _render_notes(out: np.ndarray, notes: Sequence[_Note], timbre: _Timbre, rate: int,
                  rng: np.random.Generator) -> None:
    bright, mellow = _wavetable(timbre.bright), _wavetable(timbre.mellow)
    for note in notes:
        start = round(note.start * rate)
        n_on = max(2, round(note.length * rate))
        total = n_on + round(timbre.release * rate)
        n = min(total, len(out) - start)
        if n <= 0:
            continue
        freq = 440.0 * 2 ** ((note.midi - 69) / 12)
        if timbre.pitch_decay:  # an octave up halves the ring time
            here = replace(timbre, decay=timbre.decay * 2 ** ((60 - note.midi) / 12))
        else:
            here = timbre
        env = _envelope(n_on, total, here, rate)[:n] * note.velocity
        if timbre.unison_cents:  # detuned pair, spread left and right: a wide, moving pad
            detune = 2 ** (timbre.unison_cents / 1200)
            left, right = (bright[_table_index(freq * d, n, rate, phase)]
                           for d, phase in zip((detune, 1 / detune), rng.random(2), strict=True))
            out[start:start + n] += np.stack([left, right], axis=1) * env[:, None]
            continue
        index = _table_index(freq, n, rate)
        tone = mellow[index]
        if timbre.bright_decay:
            fade = np.exp(np.arange(n, dtype=np.float32) / np.float32(-timbre.bright_decay * rate))
            tone += (bright[index] - tone) * fade
        out[start:start + n] += (tone * env)[:, None] * _pan_gains(note.pan)


def _filtered_noise(rng: np.random.Generator, seconds: float, rate: int, band: tuple[float, ...],
                    decay: float) -> np.ndarray:
    """Noise through a Butterworth band (one edge: high-pass) under an exponential decay."""
    n = round(seconds * rate)
    edges = [min(edge, 0.45 * rate) for edge in band]  # low rates: keep under Nyquist
    btype = "bandpass" if len(edges) == 2 else "highpass"
    sos = scipy.signal.butter(2, edges if len(edges) == 2 else edges[0], btype, fs=rate,
                              output="sos")
    noise = scipy.signal.sosfilt(sos, rng.standard_normal(n))
    return noise / np.abs(noise).max() * np.exp(-np.arange(n) / (decay * rate))


def _drum_kit(root: int, rate: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """One-shots: a pitch-swept sine kick, a tone-plus-noise snare, a three-burst clap, noisy
    hats and a crash; each starts on a 1 ms ramp and ends at zero, so hits never click. The
    kick settles on the tonic (E1-D#2) and the snare's body rings on the fifth, as producers
    tune them, so the drums never blur the key."""
    kick_hz, snare_hz = (440 * 2 ** ((m - 69) / 12) for m in (28 + (root - 4) % 12,
                                                             50 + (root + 5) % 12))
    t = np.arange(round(0.5 * rate)) / rate
    sweep = kick_hz + 110 * np.exp(-t / 0.035)  # Hz: the thump falls ~110 Hz onto the tonic
    kick = np.sin(2 * np.pi * np.cumsum(sweep) / rate) * np.exp(-t / 0.2)
    ts = t[:round(0.3 * rate)]
    snare = (0.5 * np.sin(2 * np.pi * snare_hz * ts) * np.exp(-ts / 0.05)
             + 0.8 * _filtered_noise(rng, 0.3, rate, (1500, 9000), 0.09))
    bursts = sum(np.exp(-np.maximum(ts - d, 0) / 0.006) * (ts >= d) for d in (0, 0.011, 0.022))
    clap = _filtered_noise(rng, 0.3, rate, (900, 5000), 0.08) * (0.6 * bursts + 0.5)
    kit = {"kick": kick, "snare": snare, "clap": clap,
           "hat": 0.5 * _filtered_noise(rng, 0.08, rate, (7000,), 0.022),
           "crash": 0.45 * _filtered_noise(rng, 2.5, rate, (3500,), 0.7)}
    for name, sound in kit.items():
        ramp = np.minimum(np.arange(len(sound)) / (0.001 * rate), 1)
        kit[name] = (sound * ramp * np.linspace(1, 0, len(sound)) ** 0.25).astype(np.float32)
    return kit


def _render_hits(out: np.ndarray, hits: Sequence[_Hit], kit: dict[str, np.ndarray], rate: int
                 ) -> None:
    gains = {"kick": 0.9, "snare": 0.7, "clap": 0.75, "hat": 0.16, "crash": 0.3}
    for hit in hits:
        start = round(hit.start * rate)
        sound = kit[hit.drum][:max(0, len(out) - start)] * (gains[hit.drum] * hit.velocity)
        out[start:start + len(sound)] += sound[:, None] * _pan_gains(hit.pan)


def _reverb(send: np.ndarray, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A short plate: decorrelated decaying noise per channel (T60 ~1.4 s), dulled, convolved."""
    n = round(1.6 * rate)
    t = np.arange(n) / rate
    ir = rng.standard_normal((n, 2)) * np.exp(-t / 0.2)[:, None] * (t >= 0.015)[:, None]
    dull = scipy.signal.butter(1, min(4500, 0.45 * rate), fs=rate, output="sos")
    ir = scipy.signal.sosfilt(dull, ir, axis=0)
    ir /= np.sqrt((ir ** 2).sum(axis=0))
    wet = scipy.signal.oaconvolve(send, ir.astype(np.float32), axes=0)[:len(send)]
    return wet.astype(np.float32)


# --- composing ------------------------------------------------------------------------------
_LOOP_OVERHANG = 4.0  # seconds rendered past a loop's end: note releases plus the reverb


def compose(prompt: str, duration: float | None, seed: int, rate: int = 48000,
            variant: int = 0) -> np.ndarray:
    """Compose the clip a prompt describes: float32, shape (round(duration * rate), 2).

    ``duration`` None takes the spec's (30 s for a bed, 3 s for a sting, or the prompt's
    own). Same prompt, seed and variant give bit-identical audio; variants 0 and 1 are two
    takes of one spec (same key and tempo, other progression, voicing and rhythm).
    """
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise BadRequestError("must be a positive number of seconds", "offline",
                              field="duration")
    if rate < 8000 or variant < 0:
        raise BadRequestError("rate must be at least 8000 Hz and variant at least 0",
                              "offline", field="rate" if rate < 8000 else "variant")
    spec = parse_prompt(prompt)
    seconds = spec.duration if duration is None else float(duration)
    frames = round(seconds * rate)
    if frames == 0:
        return np.zeros((0, 2), np.float32)
    streams = _Streams(prompt, seed, variant)

    chords, beat = _arrange(spec, seconds, streams)
    voicings = _voicings(spec, chords, streams("voicing"))
    parts: dict[str, list[_Note]] = {
        "pads": [_Note(c.start * beat, c.beats * beat, p)
                 for c, v in zip(chords, voicings, strict=True) for p in v],
        "bass": _bass(spec, chords, beat, streams("bass")),
        "piano": _melody(spec, chords, beat, streams("melody")),
        "pluck": _arpeggio(chords, voicings, beat, 0.5, streams("pluck")),
        "synth": _arpeggio(chords, voicings, beat, 0.25 if spec.tempo <= 120 else 0.5,
                           streams("synth")),
    }
    timbres = dict(_TIMBRES)
    if spec.kind == "sting":  # a sting's pads speak at once: there is no time for a swell
        timbres["pads"] = replace(timbres["pads"], attack=0.03)

    total = frames + (round(_LOOP_OVERHANG * rate) if spec.loop else 0)
    mix = np.zeros((total, 2), np.float32)
    send = np.zeros_like(mix)
    voice = np.empty_like(mix)
    for name in INSTRUMENTS:
        if name not in spec.instruments:
            continue
        voice[:] = 0
        if name == "drums":
            kit = _drum_kit(spec.root, rate, streams("kit"))
            _render_hits(voice, _drum_hits(spec, chords, beat, streams("drums")), kit, rate)
        else:
            _render_notes(voice, parts[name], timbres[name], rate, streams(name + "-phase"))
        gain, reverb = _LEVELS[name]
        mix += gain * voice
        send += gain * reverb * voice
    mix += _reverb(send, rate, streams("reverb"))
    # A gentle high-pass takes any DC (the kick's sweep has some) out before the ending.
    mix = scipy.signal.sosfilt(scipy.signal.butter(2, 25, "highpass", fs=rate, output="sos"),
                               mix, axis=0)
    out = _finish(mix, frames, spec, chords, beat, rate)
    peak = float(np.abs(out).max())
    if peak > 0:
        out *= 10 ** (PEAK_DBFS / 20) / peak
    return out.astype(np.float32)


def _finish(mix: np.ndarray, frames: int, spec: MusicSpec, chords: Sequence[_Chord],
            beat: float, rate: int) -> np.ndarray:
    """Loop: fold the overhang onto the start. Otherwise shape the end down to zero."""
    if spec.loop:
        out = mix[:frames].copy()
        for start in range(frames, len(mix), frames):
            chunk = mix[start:start + frames]
            out[:len(chunk)] += chunk
        return out
    out = mix[:frames]
    begin = min(round(chords[-1].start * beat * rate), frames - 1)
    u = np.linspace(0, 1, frames - begin)
    if spec.kind == "sting":
        # The tonic rings, then decays by 40 dB to the end; the last 20 ms close to zero.
        close = np.clip((1 - u) * (frames - begin) / (0.02 * rate), 0, 1)
        fade = np.exp(-math.log(100) * np.maximum(u - 0.05, 0) / 0.95) * np.sin(np.pi / 2 * close)
    else:
        fade = (1 - u) ** 2  # a bed's final bar: the ending chord fades out to silence
    out[begin:] *= fade[:, None]
    return out
