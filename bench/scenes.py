"""Deterministic benchmark scenes, written as real project folders (project.json + assets/).

* ``typical``: a dialogue scene: 3 voice tracks of 2-6 s lines (one mono WAV per line, as TTS
  gives), 3 SFX tracks (0.3-3 s mono one-shots, some reused and trimmed), 2 music tracks with
  two stereo beds of a few minutes looped under the scene; fades, pan and gain; sources at
  44.1 and 48 kHz, 16-bit. About 200 clips for 10 minutes (scaled with ``minutes``).
* ``stress``: 32 tracks, each one full-length 48 kHz stereo WAV (4 voice, 8 music, 20 SFX
  tracks, so ducking runs too).

Everything comes from numpy with fixed seeds, so every machine benchmarks the same bytes.
Usage: ``python bench/scenes.py [typical|stress] [--minutes 10] [--work bench/_work]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import lfilter

WORK = Path(__file__).resolve().parent / "_work"
VOWELS = ((730, 1090, 2440), (270, 2290, 3010), (530, 1840, 2480), (570, 840, 2410),
          (300, 870, 2240), (660, 1720, 2410))
CHORDS = ((0, 4, 7), (9, 12, 16), (5, 9, 12), (7, 11, 14))  # I-vi-IV-V in semitones


def scene_dir(kind: str, minutes: float, work: Path = WORK) -> Path:
    return work / f"{kind}-{minutes:g}m"


# --- sources ----------------------------------------------------------------------------------
def _resonate(x: np.ndarray, freq: float, rate: int, bw: float = 90.0) -> np.ndarray:
    r = np.exp(-np.pi * bw / rate)
    a = [1.0, -2 * r * np.cos(2 * np.pi * freq / rate), r * r]
    return lfilter([1 - r], a, x)


def voice_line(rng: np.random.Generator, seconds: float, rate: int) -> np.ndarray:
    """Formant-filtered glottal buzz in syllables with a pitch contour: speech-like, mono."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    f0 = rng.uniform(95, 220) * (1 + 0.04 * np.sin(2 * np.pi * 5.5 * t)) * (1 - 0.15 * t / seconds)
    buzz = 2 * (np.cumsum(f0 / rate) % 1.0) - 1 + 0.05 * rng.standard_normal(n)
    out = np.zeros(n)
    pos = int(0.05 * rate)
    while pos < n - int(0.1 * rate):
        size = min(int(rng.uniform(0.12, 0.3) * rate), n - pos)
        seg = buzz[pos : pos + size]
        vowel = VOWELS[rng.integers(len(VOWELS))]
        gains = (1.0, 0.6, 0.3)
        voiced = sum(_resonate(seg, f, rate) * g for f, g in zip(vowel, gains, strict=True))
        out[pos : pos + size] = voiced * np.hanning(size)
        pos += size + (int(rng.uniform(0.15, 0.4) * rate) if rng.random() < 0.15 else 0)
    return out / (np.abs(out).max() + 1e-9) * 0.5


def sfx(rng: np.random.Generator, seconds: float, rate: int) -> np.ndarray:
    """A one-shot: impact (pitch-dropping thump + click), filtered noise burst or whoosh."""
    n = int(seconds * rate)
    t = np.arange(n) / rate
    noise = rng.standard_normal(n)
    kind = rng.integers(3)
    if kind == 0:
        f = 40 + 120 * np.exp(-t * 12)
        out = np.sin(2 * np.pi * np.cumsum(f) / rate) * np.exp(-t * 6)
        out += 0.3 * noise * np.exp(-t * 40)
    elif kind == 1:
        out = _resonate(noise, rng.uniform(300, 5000), rate, bw=rng.uniform(200, 1500))
        out *= np.exp(-t * rng.uniform(2, 10))
    else:
        out = _resonate(noise, rng.uniform(500, 3000), rate, bw=600) * np.hanning(n)
    return out / (np.abs(out).max() + 1e-9) * rng.uniform(0.3, 0.8)


def music(rng: np.random.Generator, seconds: float, rate: int, start: int = 0) -> np.ndarray:
    """Stereo chords (harmonic partials, detuned L/R), a bass line and hats: 2 s per chord."""
    n = int(seconds * rate)
    t = np.arange(n) / rate + start / rate
    key = rng.uniform(48, 57)
    chord_idx = (t // 2.0).astype(int) % len(CHORDS)
    out = np.zeros((n, 2))
    for voice in range(3):
        semis = np.take([c[voice] for c in CHORDS], chord_idx)
        freq = 440 * 2 ** ((key + 12 + semis - 69) / 12)
        for h, amp in ((1, 0.5), (2, 0.2), (3, 0.1)):
            for ch, detune in ((0, 0.998), (1, 1.002)):
                out[:, ch] += amp * np.sin(2 * np.pi * freq * h * detune * t)
    bass = 440 * 2 ** ((key - 12 + np.take([c[0] for c in CHORDS], chord_idx) - 69) / 12)
    out += (0.6 * np.sin(2 * np.pi * bass * t) * (1 - (t % 0.5) / 0.5) ** 2)[:, None]
    hats = rng.standard_normal((n, 2)) * np.exp(-((t + 0.25) % 0.5) * 60)[:, None] * 0.15
    out += np.diff(hats, axis=0, prepend=0)
    return out * 0.12


def _asset(folder: Path, audio: np.ndarray | Iterator[np.ndarray], rate: int, ch: int) -> str:
    """Write a 16-bit WAV into ``assets/`` named by the sha256 of its bytes (the format's rule)."""
    assets = folder / "assets"
    assets.mkdir(parents=True, exist_ok=True)
    tmp = assets / ".tmp.wav"
    with sf.SoundFile(str(tmp), "w", rate, ch, subtype="PCM_16", format="WAV") as out:
        for block in [audio] if isinstance(audio, np.ndarray) else audio:
            out.write(block.astype(np.float32))
    digest = hashlib.sha256()
    with tmp.open("rb") as f:
        while chunk := f.read(1 << 22):
            digest.update(chunk)
    rel = f"assets/{digest.hexdigest()}.wav"
    os.replace(tmp, folder / rel)
    return rel


def _ids(rng: np.random.Generator, prefix: str) -> Iterator[str]:
    while True:
        yield f"{prefix}-{rng.bytes(6).hex()}"


def _track(tid: str, name: str, kind: str, **keys: object) -> dict:
    return {"id": tid, "name": name, "kind": kind, **keys, "clips": []}


def _clip(cid: str, src: str, src_dur: float, start: float, **keys: object) -> dict:
    return {"id": cid, "start": round(start, 4), "source": src,
            "source_duration": round(src_dur, 6), **keys}


# --- scenes -----------------------------------------------------------------------------------
def build_typical(folder: Path, minutes: float) -> None:
    rng = np.random.default_rng(20261125)
    ids, length = _ids(rng, "c"), minutes * 60
    voices = [_track("t-voice1", "Narrator", "voice"),
              _track("t-voice2", "Alice", "voice", pan=-0.3, gain_db=-1.0),
              _track("t-voice3", "Bob", "voice", pan=0.3)]
    sfx_tracks = [_track("t-sfx1", "Foley", "sfx", pan=-0.4, gain_db=-3.0),
                  _track("t-sfx2", "Impacts", "sfx", gain_db=-2.0),
                  _track("t-sfx3", "Whooshes", "sfx", pan=0.4, gain_db=-4.0)]
    beds = [_track("t-music1", "Score A", "music", gain_db=-6.0),
            _track("t-music2", "Score B", "music", gain_db=-7.0)]
    # Dialogue: one line after another, each its own file, with gaps.
    t = 1.5
    while True:
        dur = float(rng.uniform(2, 6))
        if t + dur > length - 1:
            break
        rate = 48000 if rng.random() < 0.6 else 44100
        src = _asset(folder, voice_line(rng, dur, rate), rate, 1)
        track = voices[int(rng.choice(3, p=[0.5, 0.25, 0.25]))]
        extra = {"fade_in": 0.02, "fade_out": 0.05} if rng.random() < 0.5 else {}
        track["clips"].append(_clip(next(ids), src, dur, t,
                                    gain_db=round(float(rng.uniform(-3, 2)), 1), **extra))
        t += dur + float(rng.uniform(0.3, 1.8))
    # SFX: a library of one-shots, reused, some trimmed.
    library = []
    for _ in range(max(3, round(25 * minutes / 10))):
        dur, rate = float(rng.uniform(0.3, 3.0)), int(rng.choice([44100, 48000]))
        library.append((_asset(folder, sfx(rng, dur, rate), rate, 1), dur))
    for _ in range(max(3, round(80 * minutes / 10))):
        src, dur = library[rng.integers(len(library))]
        offset = round(float(rng.uniform(0, dur / 3)), 3) if rng.random() < 0.3 else 0.0
        clip = _clip(next(ids), src, dur, float(rng.uniform(0, length - dur)), offset=offset,
                     gain_db=round(float(rng.uniform(-6, 0)), 1),
                     fade_out=round(min(0.2, (dur - offset) / 2), 3))
        sfx_tracks[rng.integers(3)]["clips"].append(clip)
    # Music: bed A loops under the first ~55 %, bed B under the rest, crossfaded; A returns.
    bed_a, bed_b = min(180.0, length * 0.3), min(150.0, length * 0.25)
    src_a = _asset(folder, music(rng, bed_a, 44100), 44100, 2)
    src_b = _asset(folder, music(rng, bed_b, 48000), 48000, 2)
    cut = round(length * 0.55, 3)
    beds[0]["clips"].append(_clip(next(ids), src_a, bed_a, 0.0, duration=cut + 4, loop=True,
                                  fade_in=2.0, fade_out=4.0, fade_out_curve="s_curve"))
    beds[1]["clips"].append(_clip(next(ids), src_b, bed_b, cut, duration=length - cut,
                                  loop=True, fade_in=4.0, fade_out=5.0, gain_db=-1.0))
    reprise = min(bed_a / 2, length * 0.15)
    beds[0]["clips"].append(_clip(next(ids), src_a, bed_a, length * 0.8, offset=bed_a / 4,
                                  duration=reprise, fade_in=min(3.0, reprise / 4),
                                  fade_out=min(3.0, reprise / 4), fade_in_curve="linear",
                                  gain_db=-4.0))
    _save(folder, "typical", length, [*voices, *sfx_tracks, *beds])


def _long_source(seed: int, kind: str, seconds: float, rate: int) -> Iterator[np.ndarray]:
    """A full-length stereo track in 30 s blocks: a 10 s cell of material, varied over time."""
    rng = np.random.default_rng(seed)
    if kind == "music":
        cell = music(rng, 10.0, rate)
    else:
        maker = voice_line if kind == "voice" else sfx
        cell = np.stack([maker(rng, 10.0, rate), maker(rng, 10.0, rate)], axis=1)
    step, total = 30 * rate, int(seconds * rate)
    for b0 in range(0, total, step):
        idx = np.arange(b0, min(total, b0 + step))
        swell = 0.6 + 0.4 * np.sin(2 * np.pi * idx / rate / (47 + seed % 13))
        gate = 1.0 if kind != "voice" else ((idx // (rate * 7)) % 3 != 2).astype(float)
        yield cell[idx % len(cell)] * (swell * gate)[:, None]


def build_stress(folder: Path, minutes: float, count: int = 32) -> None:
    length, tracks = minutes * 60, []
    for i in range(count):
        kind = "voice" if i < 4 else "music" if i < 12 else "sfx"
        src = _asset(folder, _long_source(i, kind, length, 48000), 48000, 2)
        track = _track(f"t-{i:02d}", f"{kind.title()} {i + 1}", kind, gain_db=-12.0,
                       pan=round((i % 5 - 2) * 0.2, 1))
        track["clips"].append(_clip(f"c-{i:012x}", src, length, 0.0, fade_in=1.0, fade_out=1.0))
        tracks.append(track)
    _save(folder, "stress", length, tracks)


def _save(folder: Path, name: str, length: float, tracks: list[dict]) -> None:
    from audiostudio.model.schema import project_from_dict

    data = {"format": "audiostudio-project", "version": 1, "name": name,
            "sample_rate_hz": 48000, "length": length, "tracks": tracks,
            "mix": {"target_lufs": -16.0, "true_peak_ceiling_dbtp": -1.0}}
    project_from_dict(data)  # the scene must be a valid project
    tmp = folder / "project.json.tmp"
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, folder / "project.json")  # written last: its presence means "complete"


def ensure(kind: str, minutes: float, work: Path = WORK) -> Path:
    """The scene's folder, generated unless a complete one is already there."""
    folder = scene_dir(kind, minutes, work)
    if not (folder / "project.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        print(f"generating {kind} scene ({minutes:g} min) in {folder} ...", flush=True)
        (build_typical if kind == "typical" else build_stress)(folder, minutes)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kinds", nargs="*", choices=("typical", "stress"),
                        default=["typical", "stress"])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--work", type=Path, default=WORK)
    args = parser.parse_args()
    for kind in args.kinds:
        folder = ensure(kind, args.minutes, args.work)
        data = json.loads((folder / "project.json").read_text())
        clips = sum(len(t["clips"]) for t in data["tracks"])
        print(f"{folder}: {len(data['tracks'])} tracks, {clips} clips, "
              f"{len(list((folder / 'assets').iterdir()))} sources")


if __name__ == "__main__":
    main()
