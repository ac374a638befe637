"""True-peak limiter: ceiling held at 4x (and at 8x for program-like content), transparency,
streaming equivalence, latency and the exported gain curve."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal

from audiostudio.audio.limiter import TruePeakLimiter, apply_gain, limit
from audiostudio.audio.loudness import measure
from audiostudio.errors import AudioError

RATE = 48000
CEILING = -1.0


def program(seconds: float, seed: int, over_db: float = 6.0, cutoff: float = 12000.0,
            rate: int = RATE) -> np.ndarray:
    """Band-limited noise, a 997 Hz tone and bursts of a fs/4 sine sampled 45 degrees off its
    peaks (true peak 3 dB over the samples), under a slow swell; scaled so its true peak is
    ``over_db`` above the ceiling."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(rate * seconds)) / rate
    sos = scipy.signal.butter(4, cutoff, fs=rate, output="sos")
    hiss = scipy.signal.sosfilt(sos, rng.standard_normal((len(t), 2)), axis=0)
    hiss /= np.abs(hiss).max()
    isp = np.sin(2 * np.pi * rate / 4 * t + np.pi / 4)[:, None] * np.array([1.0, 0.7])
    tone = np.sin(2 * np.pi * 997 * t)[:, None]
    swell = (0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t + seed))[:, None]
    x = (0.5 * hiss + 0.4 * isp * (t % 1 < 0.5)[:, None] + 0.3 * tone) * swell
    true_peak = measure(x.astype(np.float32), rate).true_peak_dbtp
    return (x * 10 ** ((CEILING + over_db - true_peak) / 20)).astype(np.float32)


def peak_db(x: np.ndarray, up: int) -> float:
    """Independent true-peak estimate: scipy's polyphase resampler."""
    return float(20 * np.log10(np.abs(scipy.signal.resample_poly(
        x.astype(np.float64), up, 1, axis=0)).max()))


def stream(limiter: TruePeakLimiter, x: np.ndarray, sizes: list[int], gains: bool = False
           ) -> np.ndarray:
    run = limiter.process_gain if gains else limiter.process
    parts, start = [], 0
    for size in sizes:
        parts.append(run(x[start:start + size]))
        start += size
    parts.append(run(x[start:]))
    parts.append(limiter.flush_gain() if gains else limiter.flush())
    return np.concatenate(parts)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_loud_program_is_held_under_the_ceiling(seed: int) -> None:
    x = program(4.0, seed, cutoff=(8000.0, 12000.0, 16000.0)[seed])
    assert measure(x, RATE).true_peak_dbtp == pytest.approx(CEILING + 6.0, abs=0.01)
    out, gain = limit(x, RATE, CEILING)
    assert measure(out, RATE).true_peak_dbtp <= CEILING
    assert peak_db(out, 4) <= CEILING
    assert peak_db(out, 8) <= CEILING
    assert gain.min() < 10 ** (-6 / 20)  # it really had to work


def test_white_noise_is_held_under_the_ceiling_at_4x() -> None:
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((RATE * 3, 2)) * 0.6).astype(np.float32)
    out, _ = limit(x, RATE, CEILING)
    assert measure(out, RATE).true_peak_dbtp <= CEILING
    # Full-band noise peaks between the 4x points: within the documented few tenths at 8x.
    assert peak_db(out, 8) <= CEILING + 0.4


def test_isolated_inter_sample_peak_is_caught() -> None:
    x = np.zeros((RATE, 1), np.float32)
    n = np.arange(64)
    x[20000:20064, 0] = 1.2 * np.sin(np.pi / 2 * n + np.pi / 4) * np.hanning(64)
    out, _ = limit(x, RATE, CEILING)
    assert measure(out, RATE).true_peak_dbtp <= CEILING
    assert peak_db(out, 8) <= CEILING


def test_quiet_material_passes_bit_identical() -> None:
    t = np.arange(RATE * 2) / RATE
    x = (0.5 * np.sin(2 * np.pi * 440 * t)[:, None] * np.array([1.0, 0.8])).astype(np.float32)
    out, gain = limit(x, RATE, CEILING)  # -6 dBTP: nothing to do
    assert np.array_equal(out, x)
    assert np.all(gain == 1.0)


def test_gain_recovers_exactly_after_a_burst() -> None:
    x = program(3.0, seed=4) * 0.05
    x[RATE:RATE + 2400] *= 40.0  # 50 ms, well over the ceiling
    out, gain = limit(x, RATE, CEILING, release_ms=50.0)
    assert gain[RATE:RATE + 2400].min() < 0.9
    assert np.all(gain[RATE * 2:] == 1.0)  # one second later: untouched
    assert np.array_equal(out[RATE * 2:], x[RATE * 2:])
    assert np.all(np.diff(gain[RATE + 2400 + 300:]) >= 0)  # after the look-ahead: only recovery


def test_gain_curve_applied_to_input_is_the_output() -> None:
    x = program(2.0, seed=6)
    out, gain = limit(x, RATE, CEILING)
    assert gain.shape == (len(x),)
    assert gain.dtype == np.float32
    assert np.all((gain > 0) & (gain <= 1))
    assert np.array_equal(out, x * gain[:, None])


def test_stems_limited_by_the_mix_gain_sum_to_the_limited_mix() -> None:
    voice, music = program(2.0, seed=7), program(2.0, seed=8)
    mix = voice + music
    out, gain = limit(mix, RATE, CEILING)
    stems = apply_gain(voice, gain) + apply_gain(music, gain)
    np.testing.assert_allclose(stems, out, atol=1e-6)


@pytest.mark.parametrize("sizes", [
    [1, 1, 2, 3, 100, 239, 240, 241, 70_000],  # tiny blocks, block == latency, > internal chunk
    [4800] * 20,
    [100_000],
])
def test_blockwise_equals_whole(sizes: list[int]) -> None:
    x = program(3.0, seed=9)
    out, gain = limit(x, RATE, CEILING)
    limiter = TruePeakLimiter(RATE, 2, CEILING)
    streamed = stream(limiter, x, sizes)
    assert np.array_equal(streamed[limiter.latency_frames:], out)
    gains = stream(TruePeakLimiter(RATE, 2, CEILING), x, sizes, gains=True)
    assert np.array_equal(gains[limiter.latency_frames:], gain)


def test_random_block_sizes_equal_whole() -> None:
    x = program(3.0, seed=10)
    out, _ = limit(x, RATE, CEILING)
    rng = np.random.default_rng(10)
    sizes = [int(s) for s in rng.integers(0, 9000, size=40)]
    limiter = TruePeakLimiter(RATE, 2, CEILING)
    assert np.array_equal(stream(limiter, x, sizes)[limiter.latency_frames:], out)


def test_latency_alignment() -> None:
    x = program(1.0, seed=11) * 0.1  # quiet: the output is the input, delayed
    limiter = TruePeakLimiter(RATE, 2, CEILING, lookahead_ms=5.0)
    assert limiter.latency_frames == 240
    first = limiter.process(x[:1000])
    rest = limiter.process(x[1000:])
    tail = limiter.flush()
    assert len(first) == 1000 and len(rest) == len(x) - 1000
    assert len(tail) == limiter.latency_frames
    streamed = np.concatenate([first, rest, tail])
    assert np.all(streamed[:limiter.latency_frames] == 0.0)
    assert np.array_equal(streamed[limiter.latency_frames:], x)


def test_gain_is_down_before_the_peak_arrives() -> None:
    x = np.full((RATE // 2, 1), 0.1, np.float32)
    x[12000, 0] = 2.0
    _, gain = limit(x, RATE, CEILING, lookahead_ms=5.0)
    required = 10 ** ((CEILING - 0.2) / 20) / 2.0
    assert gain[12000] <= required
    assert gain[12000 - 100] < 1.0  # the attack ramp starts within the look-ahead
    assert gain[12000 - 300] == 1.0  # but not before it


def test_mono_1d_and_bad_input() -> None:
    x = program(0.5, seed=12)[:, 0]
    out, gain = limit(x, RATE, CEILING)
    assert out.shape == x.shape and gain.shape == x.shape
    assert measure(out, RATE).true_peak_dbtp <= CEILING
    limiter = TruePeakLimiter(RATE, 2)
    with pytest.raises(AudioError):
        limiter.process(np.zeros((10, 1), np.float32))
    bad = np.zeros((10, 2), np.float32)
    bad[3, 0] = np.inf
    with pytest.raises(AudioError):
        limiter.process(bad)
    with pytest.raises(AudioError):
        TruePeakLimiter(RATE, 2, release_ms=0.0)

