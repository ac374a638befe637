"""Offline procedural music: prompt parsing, the output contract, determinism and variants, and
that the music is measurably what the spec says: the tempo (onset autocorrelation), the key
(chroma profile), a sting's decay, a bed's fade and a loop's seamless wrap-around."""

from __future__ import annotations

import itertools
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import scipy.ndimage
import scipy.signal

from audiostudio.errors import BadRequestError
from audiostudio.providers.offline import music
from audiostudio.providers.offline.music import compose, parse_prompt

RATE = 48000
ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts" / "music"
D, E, A = 2, 4, 9  # pitch classes


@lru_cache(maxsize=32)
def render(prompt: str, duration: float | None = None, seed: int = 7, variant: int = 0,
           rate: int = RATE) -> np.ndarray:
    """compose(), cached across tests (read-only: callers must not modify the array)."""
    audio = compose(prompt, duration, seed, rate, variant=variant)
    audio.flags.writeable = False
    return audio


def db(value: float) -> float:
    return 20 * np.log10(max(value, 1e-12))


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def onset_strength(audio: np.ndarray, rate: int = RATE) -> tuple[np.ndarray, float]:
    """Spectral flux (which catches a snare's noise) plus the rise in energy (which catches a
    kick's thump), each scaled to unit deviation; 5.3 ms frames. Returns (envelope, fps)."""
    hop = 256
    _, _, spec = scipy.signal.stft(audio.mean(axis=1), rate, nperseg=1024,
                                   noverlap=1024 - hop, boundary=None)
    mag = np.abs(spec)
    flux = np.maximum(np.diff(np.log1p(100 * mag), axis=1), 0).sum(axis=0)
    rise = np.maximum(np.diff(np.sqrt((mag ** 2).sum(axis=0))), 0)
    return flux / flux.std() + rise / rise.std(), rate / hop


def measured_tempo(audio: np.ndarray, rate: int = RATE) -> float:
    """BPM of a drum track by onset autocorrelation. The onsets are peak-picked and counted
    equal, so a backbeat's kick and snare weigh the same (raw strengths alternate, and the
    two-beat period would win); then blurred, autocorrelated, and the strongest lag between
    60 and 200 BPM refined with a parabola through its neighbours."""
    strength, fps = onset_strength(audio, rate)
    peaks, _ = scipy.signal.find_peaks(strength, height=0.4 * np.percentile(strength, 99),
                                       distance=round(0.06 * fps))
    onsets = np.zeros_like(strength)
    onsets[peaks] = 1
    onsets = scipy.ndimage.gaussian_filter1d(onsets, 1.5)
    acf = scipy.signal.correlate(onsets, onsets, "full", method="fft")[len(onsets) - 1:]
    lo, hi = int(fps * 60 / 200), int(fps * 60 / 60) + 1
    lag = lo + int(np.argmax(acf[lo:hi]))
    a, b, c = acf[lag - 1:lag + 2]
    return 60 * fps / (lag + 0.5 * (a - c) / (a - 2 * b + c))


def chroma(audio: np.ndarray, rate: int = RATE) -> np.ndarray:
    """Per-frame pitch-class magnitudes (12, frames) from an 0.34 s STFT, 80 Hz to 4 kHz."""
    freqs, _, spec = scipy.signal.stft(audio.mean(axis=1), rate, nperseg=16384, noverlap=8192)
    keep = (freqs > 80) & (freqs < 4000)
    pitch_class = np.round(12 * np.log2(freqs[keep] / 440) + 69).astype(int) % 12
    out = np.zeros((12, spec.shape[1]))
    np.add.at(out, pitch_class, np.abs(spec[keep]))
    return out


# --- parse_prompt ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("dark tense bed in D minor, 90 bpm",
         {"kind": "bed", "tempo": 90, "root": D, "mode": "minor", "mood": "dark"}),
        ("Upbeat energetic action music", {"tempo": 128, "mood": "upbeat"}),
        ("slow calm ambient pads", {"tempo": 70, "mood": "slow"}),
        ("happy uplifting corporate tune", {"mode": "major", "mood": "happy", "tempo": 116}),
        ("sad piano", {"mode": "minor", "mood": "sad"}),
        ("mysterious, with a major hit of strings", {"mode": "minor"}),  # "a major": article
        ("A major, 120 BPM, bright", {"root": A, "mode": "major", "tempo": 120}),
        ("chill song in a minor", {"root": A, "mode": "minor", "tempo": 84}),
        ("epic F# minor theme", {"root": 6, "mode": "minor"}),
        ("Bb major", {"root": 10, "mode": "major"}),
        ("something in e flat major", {"root": 3, "mode": "major"}),
        ("brooding Em groove", {"root": E, "mode": "minor"}),
        ("happy tune in the key of D", {"root": D, "mode": "major"}),
        ("background music", {"kind": "bed", "tempo": 100, "mood": "neutral", "loop": False,
                              "duration": 30.0}),
        ("logo sting", {"kind": "sting", "duration": 3.0}),
        ("short transition stinger, 4 seconds", {"kind": "sting", "duration": 4.0}),
        ("a 10 second sting", {"kind": "sting", "duration": 5.0}),  # stings stay 2-5 s
        ("loopable lofi hip-hop beat", {"loop": True, "tempo": 84, "mood": "lofi"}),
        ("80s synthwave", {"duration": 30.0}),  # a decade, not a length
        ("a 2 minute bed at 95 bpm", {"duration": 120.0, "tempo": 95}),
    ],
)
def test_parse_prompt(prompt: str, expected: dict) -> None:
    spec = parse_prompt(prompt)
    assert {name: getattr(spec, name) for name in expected} == expected


@pytest.mark.parametrize(
    ("prompt", "present", "absent"),
    [
        ("upbeat energetic", {"pads", "bass", "drums"}, set()),
        ("upbeat energetic, no drums", {"pads", "bass"}, {"drums"}),
        ("calm ambient", {"pads", "piano"}, {"drums"}),
        ("calm ambient with a soft beat", {"drums"}, set()),
        ("solo piano", {"piano"}, {"pads", "bass", "drums", "pluck", "synth"}),
        ("warm acoustic guitar", {"pluck"}, set()),
        ("dark synth arpeggio, without any bass", {"synth", "drums"}, {"bass"}),
        ("strings and percussion", {"pads", "drums"}, set()),
    ],
)
def test_parse_instruments(prompt: str, present: set[str], absent: set[str]) -> None:
    instruments = parse_prompt(prompt).instruments
    assert present <= instruments and not absent & instruments
    assert instruments <= set(music.INSTRUMENTS)


def test_parse_is_stable_and_keys_cover_prompts() -> None:
    assert parse_prompt("gentle ambient") == parse_prompt("gentle ambient")
    roots = {parse_prompt(f"ambient bed number {word}").root for word in "abcdefghij"}
    assert len(roots) > 3  # without a key the tonic comes from the text, not always C


# --- the output contract --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "duration", "rate", "frames"),
    [
        ("upbeat energetic action", 7.3, RATE, 350400),
        ("calm ambient loop", 5.55, 44100, 244755),
        ("happy logo sting", None, RATE, 144000),
        ("dark bed", None, 22050, 661500),
        ("upbeat action", 2.0, 8000, 16000),
        ("bright bed", 0.01, RATE, 480),
        ("tense sting", 0.3, RATE, 14400),
    ],
)
def test_exact_length_and_format(prompt: str, duration: float | None, rate: int,
                                 frames: int) -> None:
    audio = render(prompt, duration, rate=rate)
    assert audio.shape == (frames, 2) and audio.dtype == np.float32
    assert np.isfinite(audio).all()
    assert db(float(np.abs(audio).max())) == pytest.approx(music.PEAK_DBFS, abs=0.01)


@pytest.mark.parametrize("prompt", ["upbeat energetic action", "calm ambient piano loop",
                                    "in E major, happy logo sting"])
def test_level_dc_and_start(prompt: str) -> None:
    audio = render(prompt)
    assert db(rms(audio)) > -24  # a full mix, not a whisper
    assert np.abs(audio.mean(axis=0)).max() < 1e-3  # no DC
    if "loop" not in prompt:
        assert np.abs(audio[0]).max() < 1e-4  # starts from silence, no click


@pytest.mark.parametrize("instrument", music.INSTRUMENTS)
def test_every_instrument_alone_sounds(instrument: str) -> None:
    for prompt in (f"solo {instrument}", f"solo {instrument} sting"):
        audio = render(prompt, 3.0)
        assert db(rms(audio)) > -40, prompt


def test_bad_requests_are_refused() -> None:
    for duration in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(BadRequestError) as info:
            compose("calm bed", duration, 1)
        assert info.value.field == "duration"
    with pytest.raises(BadRequestError):
        compose("calm bed", 1.0, 1, variant=-1)


def test_deterministic_per_seed_and_variant() -> None:
    first = render("dark tense bed in D minor", 8.0)
    assert np.array_equal(compose("dark tense bed in D minor", 8.0, 7), first)
    assert not np.allclose(render("dark tense bed in D minor", 8.0, seed=8), first)


def test_variants_are_distinct_takes_of_one_spec() -> None:
    takes = [render("uplifting corporate bed in E major", 16.0, variant=v) for v in (0, 1)]
    assert not np.allclose(*takes, atol=0.05)
    corr = np.corrcoef(takes[0][:, 0], takes[1][:, 0])[0, 1]
    assert abs(corr) < 0.5  # not the same clip with a small change
    # (The same key and tempo for both variants is checked by the key and tempo tests.)


# --- tempo and key --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "bpm"),
    [
        ("dark tense drums, 90 bpm, in D minor", 90),
        ("upbeat energetic action", 128),
        ("lofi hip hop beat", 84),
        ("slow ambient groove at 75 bpm", 75),
        ("driving rock drums 140 bpm", 140),
        ("happy pop drums", 116),
    ],
)
def test_tempo_is_measured_from_the_drum_track(prompt: str, bpm: float) -> None:
    """The spec's tempo, and the drum track ("solo drums": the same spec, drums only) played
    at it, for both variants. The full mix is not measured: its bass and arpeggio
    syncopations (dotted eighths, say) make any autocorrelation ambiguous."""
    assert parse_prompt(prompt).tempo == bpm
    for variant in (0, 1):
        drums = render(f"{prompt}, solo drums", 16.0, variant=variant)
        assert measured_tempo(drums) == pytest.approx(bpm, abs=3), variant


@pytest.mark.parametrize(
    ("prompt", "tonic", "minor"),
    [
        ("dark tense bed in D minor", D, True),
        ("sad strings in D minor", D, True),
        ("happy bed in E major", E, False),
        ("upbeat synth track in E major", E, False),
    ],
)
def test_key_reads_from_the_chroma(prompt: str, tonic: int, minor: bool) -> None:
    for variant in (0, 1):
        profile = chroma(render(prompt, 16.0, variant=variant)).sum(axis=1)
        assert tonic in np.argsort(profile)[-3:], (variant, profile.round())
        minor_third, major_third = profile[(tonic + 3) % 12], profile[(tonic + 4) % 12]
        assert (minor_third > major_third) == minor, (variant, profile.round())


# --- endings --------------------------------------------------------------------------------
@pytest.mark.parametrize("prompt", ["in E major, happy logo sting", "dark transition stinger"])
def test_sting_resolves_to_the_tonic_and_decays(prompt: str) -> None:
    spec = parse_prompt(prompt)
    for variant in (0, 1):
        audio = render(prompt, variant=variant)
        n = len(audio)
        assert db(rms(audio[-n // 10:])) < db(rms(audio[2 * n // 5:3 * n // 5])) - 20
        assert np.abs(audio[-1]).max() < 1e-5
        # The tail (the final chord ringing out) is the tonic chord: the tonic dominates.
        tail = chroma(audio[n // 2:]).sum(axis=1)
        assert int(np.argmax(tail)) == spec.root, tail.round()


def test_bed_fades_over_its_final_bar_to_silence() -> None:
    audio = render("happy bed with drums, 120 bpm", 12.0)
    bar = round(2.0 * RATE)
    body = db(rms(audio[:-bar]))
    windows = [db(rms(w)) for w in np.array_split(audio[-bar:], 8)]
    assert windows[-1] < body - 30 and np.abs(audio[-1]).max() < 1e-6
    assert all(later < earlier + 1 for earlier, later in itertools.pairwise(windows[2:]))
    assert db(rms(audio[-2 * bar:-bar])) > body - 6  # ...and only over the final bar


@pytest.mark.parametrize("prompt", ["calm ambient piano pads loop, 72 bpm",
                                    "loopable upbeat energetic beat"])
def test_loop_wraps_around_seamlessly(prompt: str) -> None:
    audio = render(prompt, 12.0).astype(np.float64)
    # A seam is a click: the second difference across the wrap, compared with the largest
    # one inside the clip (content this smooth has small ones; a jump of a whole sample
    # amplitude would be far beyond them).
    wrapped = np.concatenate([audio[-2:], audio[:2]])
    seam = np.abs(np.diff(wrapped, 2, axis=0)).max()
    inside = np.abs(np.diff(audio, 2, axis=0)).max()
    assert seam < 0.5 * inside
    assert np.abs(audio[0] - audio[-1]).max() < 0.5 * np.abs(np.diff(audio, axis=0)).max()
    # No fade at either end: the loop point sits in the music.
    body = db(rms(audio))
    assert db(rms(audio[-RATE // 4:])) > body - 10 and db(rms(audio[:RATE // 4])) > body - 10


def test_loop_keeps_whole_bars() -> None:
    """A loop nudges its tempo so whole bars fill it: 12 s at 128 BPM is 6.4 bars, so it
    plays 6 bars at 120 BPM, and the drums say so."""
    drums = render("loopable upbeat energetic beat, solo drums", 12.0)
    assert measured_tempo(drums) == pytest.approx(120, abs=1.5)


# --- speed and pictures ---------------------------------------------------------------------
def test_spectrogram_artifacts() -> None:
    """Spectrograms and chromagrams to look at (tests/_artifacts/music/, git-ignored)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    clips = {
        "bed-dark-dminor-90": render("dark tense drums, 90 bpm, in D minor", 16.0),
        "bed-happy-emajor": render("happy bed in E major", 16.0),
        "bed-loop-calm": render("calm ambient piano pads loop, 72 bpm", 12.0),
        "sting-emajor": render("in E major, happy logo sting"),
    }
    for name, audio in clips.items():
        fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7))
        top.specgram(audio.mean(axis=1), NFFT=2048, Fs=RATE, noverlap=1536, cmap="magma",
                     vmin=-110)
        top.set(ylim=(0, 6000), title=name, ylabel="Hz")
        frames = chroma(audio)
        bottom.imshow(frames / frames.max(axis=0, keepdims=True), aspect="auto",
                      origin="lower", cmap="magma", interpolation="nearest",
                      extent=(0, len(audio) / RATE, -0.5, 11.5))
        bottom.set(yticks=range(12), yticklabels=music.NOTE_NAMES, xlabel="s")
        fig.tight_layout()
        fig.savefig(ARTIFACTS / f"{name}.png", dpi=72)
        plt.close(fig)
        assert (ARTIFACTS / f"{name}.png").stat().st_size > 10_000
