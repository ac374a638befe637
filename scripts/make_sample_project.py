"""Build resources/sample-project: a 30 s scene with real audio files, made procedurally.

Until the offline provider speaks, the "voice" lines are formant-synthesised babble (vowel
formants on a gliding pitch, in syllables), which the engine treats like any voice: it keys the
ducking of the music bed. Run again to rebuild; the output is deterministic.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import lfilter

RATE = 48000
ROOT = Path(__file__).resolve().parent.parent / "resources" / "sample-project"
VOWELS = [(730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480),
          (570, 840, 2410)]


def _resonator(x: np.ndarray, freq: float, bw: float) -> np.ndarray:
    r = np.exp(-np.pi * bw / RATE)
    a = [1.0, -2 * r * np.cos(2 * np.pi * freq / RATE), r * r]
    return lfilter([1 - r], a, x)


def voice_line(seconds: float, pitch: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    f0 = pitch * (1 + 0.08 * np.sin(2 * np.pi * 0.7 * t)) * np.linspace(1.05, 0.9, n)
    phase = np.cumsum(f0 / RATE)
    source = (phase % 1.0) * 2 - 1  # sawtooth glottal source
    out = np.zeros(n)
    syllable = int(0.22 * RATE)
    for start in range(0, n, syllable):
        seg = slice(start, min(n, start + syllable))
        f1, f2, f3 = VOWELS[rng.integers(len(VOWELS))]
        part = source[seg]
        voiced = sum(_resonator(part, f, 80 + f / 20) for f in (f1, f2, f3))
        env = np.sin(np.linspace(0, np.pi, len(part))) ** 0.6
        out[seg] = voiced * env * (0.6 + 0.4 * rng.random())
    return (out / np.max(np.abs(out)) * 0.5).astype(np.float32)[:, None]


def music_bed(seconds: float) -> np.ndarray:
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    chords = [(220.0, 277.18, 329.63), (196.0, 246.94, 293.66), (174.61, 220.0, 261.63),
              (196.0, 246.94, 329.63)]
    left = np.zeros(n)
    right = np.zeros(n)
    bar = 2.0
    for i, chord in enumerate(chords * int(np.ceil(seconds / bar / len(chords)))):
        seg = (t >= i * bar) & (t < (i + 1) * bar)
        local = t[seg] - i * bar
        env = np.minimum(1, local / 0.3) * np.exp(-local * 0.4)
        for k, f in enumerate(chord):
            left[seg] += np.sin(2 * np.pi * f * t[seg] + k) * env / 3
            right[seg] += np.sin(2 * np.pi * f * 1.003 * t[seg] + 2 * k) * env / 3
        bass = np.sin(2 * np.pi * chord[0] / 2 * t[seg]) * env * 0.5
        left[seg] += bass
        right[seg] += bass
    return (np.stack([left, right], axis=1) * 0.35).astype(np.float32)


def door_knock(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.zeros(int(1.2 * RATE))
    for hit in (0.0, 0.25, 0.5):
        start = int(hit * RATE)
        length = int(0.12 * RATE)
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / (0.015 * RATE))
        out[start : start + length] += _resonator(burst, 180, 60) * 8 + burst * 0.2
    return (out / np.max(np.abs(out)) * 0.8).astype(np.float32)[:, None]


def wind(seconds: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    noise = rng.standard_normal((n, 2))
    noise = lfilter([0.02], [1, -0.98], noise, axis=0)
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.15 * np.arange(n) / RATE)[:, None]
    out = noise * swell
    return (out / np.max(np.abs(out)) * 0.4).astype(np.float32)


def write_asset(audio: np.ndarray, assets: Path) -> tuple[str, float]:
    buf = io.BytesIO()
    sf.write(buf, audio, RATE, format="FLAC", subtype="PCM_16")
    data = buf.getvalue()
    name = f"{hashlib.sha256(data).hexdigest()}.flac"
    (assets / name).write_bytes(data)
    return f"assets/{name}", round(len(audio) / RATE, 6)


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)
    assets = ROOT / "assets"
    assets.mkdir(parents=True)
    lines = [(1.5, 3.2, 120.0, "NARRATOR", "The door had been shut for thirty years."),
             (6.0, 2.6, 210.0, "MAYA", "[whispering] Did you hear that?"),
             (12.5, 3.6, 120.0, "NARRATOR", "Someone, or something, was knocking."),
             (18.0, 2.4, 210.0, "MAYA", "[excited] Open it. Now!")]
    voice_clips = []
    for i, (start, seconds, pitch, speaker, text) in enumerate(lines):
        source, dur = write_asset(voice_line(seconds, pitch, seed=i), assets)
        voice_clips.append({
            "id": f"c-voice{i:07d}", "name": text.split("] ")[-1][:24], "start": start,
            "duration": dur, "speaker": speaker, "source": source, "source_duration": dur,
            "fade_out": 0.05, "request": {"kind": "voice", "text": text},
        })
    music_src, music_dur = write_asset(music_bed(16.0), assets)
    knock_src, knock_dur = write_asset(door_knock(7), assets)
    wind_src, wind_dur = write_asset(wind(8.0, 3), assets)
    project = {
        "format": "audiostudio-project", "version": 1, "name": "Sample scene",
        "sample_rate_hz": RATE, "length": 24.0,
        "cast": {"NARRATOR": {"provider": "offline", "voice": "piper:en_US-joe-medium"},
                 "MAYA": {"provider": "offline", "voice": "espeak:en-us+f3"}},
        "tracks": [
            {"id": "t-narration01", "name": "Narration", "kind": "voice", "clips": voice_clips},
            {"id": "t-sfx00000001", "name": "SFX", "kind": "sfx", "gain_db": -3.0, "clips": [
                {"id": "c-knock000001", "name": "Knock", "start": 10.0, "source": knock_src,
                 "source_duration": knock_dur,
                 "request": {"kind": "sfx", "prompt": "three knocks on a wooden door",
                             "duration": knock_dur}},
                {"id": "c-wind0000001", "name": "Wind", "start": 0.0, "duration": 24.0,
                 "loop": True, "gain_db": -12.0, "fade_in": 2.0, "fade_out": 3.0,
                 "source": wind_src, "source_duration": wind_dur}]},
            {"id": "t-music000001", "name": "Music Bed", "kind": "music", "clips": [
                {"id": "c-music000001", "name": "Bed", "start": 0.0, "duration": 24.0,
                 "loop": True, "fade_in": 1.0, "fade_out": 4.0, "fade_out_curve": "s_curve",
                 "source": music_src, "source_duration": music_dur,
                 "request": {"kind": "music", "prompt": "slow mysterious minor piano pads",
                             "duration": 16.0}}]},
        ],
        "mix": {"target_lufs": -16.0, "true_peak_ceiling_dbtp": -1.0},
        "markers": [{"id": "m-knock000001", "time": 10.0, "label": "Knock"}],
    }
    (ROOT / "project.json").write_text(json.dumps(project, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {ROOT}")


if __name__ == "__main__":
    main()
