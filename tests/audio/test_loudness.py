"""BS.1770-4 / EBU R128 meter: EBU Tech 3341/3342 cases, ITU compliance files, pyloudnorm."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import scipy.signal
import soundfile

from audiostudio.audio.kweighting import CHUNK, SectionFilter, k_weighting_sos
from audiostudio.audio.loudness import (
    Loudness,
    LoudnessMeter,
    OversampledPeaks,
    gain_to_target_db,
    measure,
    measure_file,
)
from audiostudio.errors import AudioError, CancelledError, DecodeError

# The ITU compliance files ship with the tests (tests/data/itu-1770/README.md names them).
ITU_DIR = Path(__file__).resolve().parents[1] / "data" / "itu-1770"
RATE = 48000


def sine_levels(segments: list[tuple[float, float]], rate: int = RATE, freq: float = 1000.0,
                channels: int = 2) -> np.ndarray:
    """A continuous sine whose peak level (dBFS, in every channel) steps per (level, seconds)."""
    lengths = [round(seconds * rate) for _, seconds in segments]
    amplitude = np.concatenate([np.full(n, 10 ** (level / 20)) for (level, _), n
                                in zip(segments, lengths, strict=True)])
    wave = amplitude * np.sin(2 * np.pi * freq * np.arange(len(amplitude)) / rate)
    return np.repeat(wave[:, None], channels, axis=1).astype(np.float32)


def music_like(rate: int, seconds: float, channels: int, seed: int) -> np.ndarray:
    """Harmonic tones with a tremolo over low-passed noise, with two silent gaps."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(rate * seconds)) / rate
    tones = sum(0.3 / k * np.sin(2 * np.pi * 220 * k * t + k) for k in range(1, 8))
    tones = tones * (0.6 + 0.4 * np.sin(2 * np.pi * 1.3 * t))
    noise = scipy.signal.sosfilt(scipy.signal.butter(2, 4000, fs=rate, output="sos"),
                                 rng.standard_normal((len(t), channels)), axis=0)
    x = tones[:, None] * np.linspace(1.0, 0.5, channels) + 0.2 * noise
    x[round(rate * 1.0):round(rate * 2.5)] = 0.0
    x[round(rate * 4.0):round(rate * 4.3)] *= 1e-4
    return x.astype(np.float32)


def noise(rate: int, seconds: float, channels: int, seed: int, level: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((round(rate * seconds), channels)) * level
    x[: rate // 2] *= 0.01  # a quiet start the relative gate should drop
    return x.astype(np.float32)


# --- EBU Tech 3341 (integrated loudness) -----------------------------------------------------
@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        pytest.param([(-23, 20)], -23.0, id="case1"),
        pytest.param([(-33, 20)], -33.0, id="case2"),
        pytest.param([(-36, 10), (-23, 60), (-36, 10)], -23.0, id="case3"),
        pytest.param([(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)], -23.0, id="case4"),
        pytest.param([(-26, 20), (-20, 20.1), (-26, 20)], -23.0, id="case5"),
    ],
)
def test_ebu_3341_integrated(segments: list[tuple[float, float]], expected: float) -> None:
    assert measure(sine_levels(segments), RATE).integrated_lufs == pytest.approx(expected, abs=0.1)


# --- ITU-R BS.2217 compliance files --------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [("1770-2_Comp_AbsGateTest.wav", -69.5), ("1770-2_Comp_RelGateTest.wav", -10.0)],
)
def test_itu_compliance_files(name: str, expected: float) -> None:
    data, rate = soundfile.read(ITU_DIR / name, dtype="float32", always_2d=True)
    assert measure(data, rate).integrated_lufs == pytest.approx(expected, abs=0.1)
    assert measure_file(ITU_DIR / name, block_frames=4096).integrated_lufs == pytest.approx(
        expected, abs=0.1)


# --- agreement with pyloudnorm ---------------------------------------------------------------
# pyloudnorm's "DeMan" filters are the standard's K-weighting; its default ones are a cookbook
# approximation that reads ~0.04 LU lower on full-band noise.
@pytest.mark.parametrize("rate", [44100, 48000])
@pytest.mark.parametrize("channels", [1, 2])
@pytest.mark.parametrize("kind", ["noise", "music"])
def test_agrees_with_pyloudnorm(rate: int, channels: int, kind: str) -> None:
    make = noise if kind == "noise" else music_like
    x = make(rate, 6.0, channels, seed=rate + channels)
    reference = pyloudnorm.Meter(rate, filter_class="DeMan").integrated_loudness(
        x[:, 0] if channels == 1 else x)
    assert measure(x, rate).integrated_lufs == pytest.approx(reference, abs=1e-6)


def test_agrees_with_pyloudnorm_on_mono_1d_input() -> None:
    x = music_like(RATE, 5.0, 1, seed=3)[:, 0]
    reference = pyloudnorm.Meter(RATE, filter_class="DeMan").integrated_loudness(x)
    assert measure(x, RATE).integrated_lufs == pytest.approx(reference, abs=1e-6)


# --- K-weighting filter ----------------------------------------------------------------------
def test_k_weighting_at_48k_is_the_bs1770_table() -> None:
    table = [[1.53512485958697, -2.69169618940638, 1.19839281085285,
              1.0, -1.69065929318241, 0.73248077421585],
             [1.0, -2.0, 1.0, 1.0, -1.99004745483398, 0.99007225036621]]
    np.testing.assert_allclose(k_weighting_sos(48000), table, rtol=0, atol=1e-11)


@pytest.mark.parametrize("rate", [44100, 88200, 96000])
def test_k_weighting_response_barely_moves_with_the_rate(rate: int) -> None:
    freqs = [20.0, 38.0, 100.0, 1000.0, 1681.97, 4000.0, 10000.0]
    _, at_rate = scipy.signal.sosfreqz(k_weighting_sos(rate), freqs, fs=rate)
    _, at_48k = scipy.signal.sosfreqz(k_weighting_sos(48000), freqs, fs=48000)
    assert np.abs(20 * np.log10(np.abs(at_rate) / np.abs(at_48k))).max() < 0.03


@pytest.mark.parametrize("split", [[1, 2047, 2048, 2049, 5000], [70_000], [3] * 1000])
def test_section_filter_equals_sosfilt_for_any_split(split: list[int]) -> None:
    sos = k_weighting_sos(44100)
    x = noise(44100, 2.0, 2, seed=5)
    reference = scipy.signal.sosfilt(sos, x.astype(np.float64), axis=0).T
    filt = SectionFilter(sos, 2)
    pieces, start = [], 0
    for size in [*split, len(x)]:
        pieces.append(filt.push(x[start:start + size]))
        start += size
    assert start >= len(x)
    pieces.append(filt.pending())
    out = np.concatenate(pieces, axis=1)
    assert out.shape == reference.shape
    np.testing.assert_allclose(out, reference, rtol=0, atol=1e-9)


# --- streaming ---------------------------------------------------------------------------------
@pytest.mark.parametrize("rate", [44100, 48000, 22050])
def test_any_block_split_gives_identical_results(rate: int) -> None:
    x = music_like(rate, 5.0, 2, seed=7)
    whole = measure(x, rate)
    rng = np.random.default_rng(rate)
    meter = LoudnessMeter(rate, 2)
    first_sizes = iter([1, 1, 2, 3, 5, 4409, 4410, 4411, 70_000, 0])
    start = 0
    while start < len(x):
        size = next(first_sizes, None)
        size = int(rng.integers(1, 30_000)) if size is None else size
        meter.add(x[start:start + size])
        start += size
    assert meter.integrated() == whole.integrated_lufs
    assert meter.loudness_range() == whole.lra
    assert meter.true_peak_dbtp() == whole.true_peak_dbtp
    assert meter.sample_peak_dbfs() == whole.sample_peak_dbfs


def test_memory_is_one_float_per_100_ms() -> None:
    meter = LoudnessMeter(RATE, 2)
    block = noise(RATE, 1.0, 2, seed=1)
    for _ in range(30):
        meter.add(block[:12_345])
    seconds = 30 * 12_345 / RATE
    # The K-weighting filter holds back up to one chunk (85 ms at 48 kHz) of input.
    assert int(seconds * 10) - 1 <= len(meter._sums) <= int(seconds * 10)
    assert len(meter._filter._buffer) < CHUNK
    assert len(meter._pending) < RATE // 10


def test_queries_do_not_disturb_the_stream() -> None:
    x = noise(RATE, 3.0, 2, seed=2)
    meter = LoudnessMeter(RATE, 2)
    meter.add(x[:RATE])
    meter.integrated(), meter.true_peak_dbtp(), meter.loudness_range()
    meter.add(x[RATE:])
    assert meter.true_peak_dbtp() == measure(x, RATE).true_peak_dbtp
    assert meter.integrated() == measure(x, RATE).integrated_lufs


# --- undefined values --------------------------------------------------------------------------
def test_silence_is_none_everywhere() -> None:
    result = measure(np.zeros((RATE * 5, 2), np.float32), RATE)
    assert result == Loudness(None, None, None, None, 5.0)
    assert json.loads(json.dumps(result.to_json_dict())) == {
        "integrated_lufs": None, "lra": None, "true_peak_dbtp": None,
        "sample_peak_dbfs": None, "duration_s": 5.0}


def test_shorter_than_one_gating_block_has_no_loudness() -> None:
    x = noise(RATE, 0.39, 2, seed=4, level=0.5)
    result = measure(x, RATE)
    assert result.integrated_lufs is None
    assert result.lra is None
    assert result.true_peak_dbtp is not None
    assert result.sample_peak_dbfs is not None
    assert measure(noise(RATE, 0.4, 2, seed=4, level=0.5), RATE).integrated_lufs is not None


def test_below_absolute_gate_is_none() -> None:
    result = measure(sine_levels([(-80, 5)]), RATE)
    assert result.integrated_lufs is None
    assert result.lra is None
    assert result.sample_peak_dbfs == pytest.approx(-80.0, abs=0.01)


def test_empty_input() -> None:
    assert measure(np.zeros((0, 2), np.float32), RATE) == Loudness(None, None, None, None, 0.0)


def test_bad_input_raises_audio_error() -> None:
    meter = LoudnessMeter(RATE, 2)
    with pytest.raises(AudioError):
        meter.add(np.zeros((10, 3), np.float32))
    bad = np.zeros((100, 2), np.float32)
    bad[5, 1] = np.nan
    with pytest.raises(AudioError):
        meter.add(bad)
    with pytest.raises(AudioError):
        LoudnessMeter(RATE, 9)


# --- EBU Tech 3342 (loudness range) ------------------------------------------------------------
@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        pytest.param([(-20, 20), (-30, 20)], 10.0, id="case1"),
        pytest.param([(-20, 20), (-15, 20)], 5.0, id="case2"),
        pytest.param([(-40, 20), (-20, 20)], 20.0, id="case3"),
        pytest.param([(-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)], 15.0, id="case4"),
    ],
)
def test_ebu_3342_loudness_range(segments: list[tuple[float, float]], expected: float) -> None:
    assert measure(sine_levels(segments), RATE).lra == pytest.approx(expected, abs=1.0)


def test_steady_tone_has_no_range() -> None:
    assert measure(sine_levels([(-20, 10)]), RATE).lra == pytest.approx(0.0, abs=0.1)


# --- peaks ---------------------------------------------------------------------------------
def test_true_peak_finds_inter_sample_peak_of_quarter_rate_sine() -> None:
    n = np.arange(RATE)
    x = np.sin(np.pi / 2 * n + np.pi / 4)  # 0 dBFS sine sampled only at +-0.707
    result = measure(np.stack([x, x], axis=1).astype(np.float32), RATE)
    assert result.sample_peak_dbfs == pytest.approx(-3.01, abs=0.01)
    assert -0.4 <= result.true_peak_dbtp <= 0.2


@pytest.mark.parametrize("rate", [44100, 48000])
def test_full_scale_997_hz_reads_0_dbtp(rate: int) -> None:
    x = sine_levels([(0.0, 1.0)], rate=rate, freq=997.0)
    result = measure(x, rate)
    assert -0.4 <= result.true_peak_dbtp <= 0.2
    assert result.true_peak_dbtp == pytest.approx(0.0, abs=0.02)
    assert result.sample_peak_dbfs <= 0.0


def test_true_peak_never_below_sample_peak() -> None:
    x = noise(RATE, 2.0, 2, seed=9, level=0.2)
    result = measure(x, RATE)
    assert result.true_peak_dbtp >= result.sample_peak_dbfs
    reference = np.abs(scipy.signal.resample_poly(x.astype(np.float64), 4, 1, axis=0)).max()
    assert result.true_peak_dbtp == pytest.approx(20 * np.log10(reference), abs=0.3)


@pytest.mark.parametrize("floor", [0.05, 0.3, 0.9])  # 0.05: most frames, the dense path
def test_peaks_above_a_floor_are_exact_and_the_rest_stay_below(floor: float) -> None:
    x = music_like(RATE, 3.0, 2, seed=12) * np.float32(1.5)
    dense = OversampledPeaks(2).push(x)
    sparse = OversampledPeaks(2).push(x, floor=floor)
    above = dense > floor
    assert 0 < above.sum() < len(x)
    assert np.array_equal(sparse[above], dense[above])
    assert np.all(sparse[~above] <= floor)
    assert np.all(sparse <= dense)


# --- files, report, gain ---------------------------------------------------------------------
def test_measure_file_matches_measure(tmp_path: Path) -> None:
    x = music_like(RATE, 5.0, 2, seed=11)
    path = tmp_path / "mix.wav"
    soundfile.write(path, x, RATE, subtype="FLOAT")
    seen: list[float] = []
    from_file = measure_file(path, block_frames=3000, progress=seen.append)
    assert from_file == measure(x, RATE)
    assert seen[-1] == 1.0
    assert seen == sorted(seen)


def test_measure_file_cancel_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "mix.wav"
    soundfile.write(path, noise(RATE, 1.0, 2, seed=1), RATE)
    with pytest.raises(CancelledError):
        measure_file(path, cancelled=lambda: True)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF not really a wave file")
    with pytest.raises(DecodeError):
        measure_file(broken)
    with pytest.raises(DecodeError):
        measure_file(tmp_path / "missing.wav")


def test_json_dict_rounds_and_keeps_exact_keys() -> None:
    result = Loudness(-16.23456, 7.891, -1.0049, -1.5561, 12.3456)
    assert result.to_json_dict() == {
        "integrated_lufs": -16.23, "lra": 7.89, "true_peak_dbtp": -1.0,
        "sample_peak_dbfs": -1.56, "duration_s": 12.35}
    partial = Loudness(None, None, -3.0, -3.0, 0.2).to_json_dict()
    assert json.dumps(partial) == ('{"integrated_lufs": null, "lra": null, "true_peak_dbtp": -3.0,'
                                   ' "sample_peak_dbfs": -3.0, "duration_s": 0.2}')


def test_gain_to_target() -> None:
    assert gain_to_target_db(-20.0, -16.0) == pytest.approx(4.0)
    assert gain_to_target_db(-10.5, -16.0) == pytest.approx(-5.5)
    assert gain_to_target_db(None, -16.0) == 0.0
    assert gain_to_target_db(float("-inf"), -16.0) == 0.0


def test_momentary_and_short_term_follow_the_last_seconds():
    meter = LoudnessMeter(RATE, 2)
    meter.add(sine_levels([(-20.0, 5.0), (-40.0, 0.5)]))
    # EBU 3341: a stereo 1 kHz sine at -23 dBFS reads -23 LUFS, so -20 dBFS -> -20 LUFS.
    assert meter.recent(0.4) == pytest.approx(-40.0, abs=0.1)  # the last 400 ms: quiet part
    short = meter.recent(3.0)
    assert -26.0 < short < -20.5  # 2.5 s loud + 0.5 s quiet
    curve = meter.short_term_curve()
    assert len(curve) == 55 - 30 + 1  # a value per 100 ms hop once 3 s are in
    assert curve[0] == pytest.approx(-20.0, abs=0.1)  # the first 3 s: all loud
    assert -26.0 < curve[-1] < curve[0] - 0.5  # the last 3 s hold the quiet end


def test_recent_counts_the_frames_the_filter_holds_back() -> None:
    tone = sine_levels([(-20, 1.0)])
    meter = LoudnessMeter(RATE, 2)
    meter.add(tone[:4800])  # one sub-block; the K-weighting has filtered one 4096-frame chunk
    assert meter.recent(0.1) == pytest.approx(-20.0, abs=0.3)
    assert meter.recent(0.1) == meter.recent(0.1)  # a query changes nothing
    meter.add(tone[4800:9600])
    assert meter.recent(0.1) == pytest.approx(-20.0, abs=0.1)
