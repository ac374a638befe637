"""Peak pyramid: columns checked against a brute-force min/max, spikes, cache, cancel, memory."""

from __future__ import annotations

import itertools
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio import peaks
from audiostudio.audio.peaks import (
    BASE,
    PeakPyramid,
    build_pyramid,
    column_minmax_from_samples,
    peaks_for,
)
from audiostudio.errors import CancelledError
from tests.conftest import RATE

SHA = "0123456789abcdef" * 4


def _edges(start: int, end: int, pixels: int) -> list[int]:
    return [start + i * (end - start) // pixels for i in range(pixels + 1)]


def _lane_range(x: np.ndarray, lo: int, hi: int) -> tuple[float, float]:
    """min/max over frames [lo, hi) of x zero-padded outside [0, len(x))."""
    a, b = max(lo, 0), min(hi, len(x))
    values = [x[a:b].min(), x[a:b].max()] if b > a else []
    if lo < 0 or hi > len(x):
        values.append(0.0)
    return float(min(values)), float(max(values))


def brute(x: np.ndarray, start: int, end: int, pixels: int) -> np.ndarray:
    """(pixels, 2) exact min/max of each column's own frames (a column has >= 1 frame)."""
    e = _edges(start, end, pixels)
    return np.array([_lane_range(x, e[i], max(e[i + 1], e[i] + 1)) for i in range(pixels)])


def aligned_superset(x: np.ndarray, start: int, end: int, pixels: int, bucket: int) -> np.ndarray:
    """(pixels, 2) min/max over every whole bucket each column's in-range frames touch."""
    e = _edges(start, end, pixels)
    out = []
    for i in range(pixels):
        a, b = max(e[i], 0), min(e[i + 1], len(x))
        values = []
        if b > a:
            lo, hi = a // bucket * bucket, min(-(-b // bucket) * bucket, len(x))
            values += [x[lo:hi].min(), x[lo:hi].max()]
        if e[i] < 0 or e[i + 1] > len(x):
            values.append(0.0)
        out.append((min(values), max(values)))
    return np.array(out)


def level_bucket(pyr: PeakPyramid, start: int, end: int, pixels: int) -> int:
    per_column = (end - start) // pixels
    k = min(int(np.log2(per_column / BASE)), len(pyr.levels) - 1)
    return BASE << k


@pytest.fixture(scope="module")
def signal() -> tuple[np.ndarray, PeakPyramid]:
    rng = np.random.default_rng(1)
    # Odd length (partial last bucket, odd level lengths) and 4 levels; heavy tails for outliers.
    x = (rng.standard_t(3, size=(3_000_017, 2)) * 0.1).astype(np.float32)
    return x, build_pyramid(x, RATE)


def test_levels_halve_down_to_about_2048_buckets(signal):
    x, pyr = signal
    sizes = [len(lv) for lv in pyr.levels]
    assert sizes[0] == -(-len(x) // BASE)
    assert all(b == -(-a // 2) for a, b in itertools.pairwise(sizes))
    assert sizes[-1] <= peaks.TOP_BUCKETS < sizes[-2]
    lane = np.stack([x.min(axis=1), x.max(axis=1)], axis=1)
    for k, lv in enumerate(pyr.levels):
        assert lv.dtype == np.float32 and lv.shape[1] == 2
        b = pyr.bucket_frames(k)
        assert lv[3, 0] == lane[3 * b : 4 * b, 0].min() and lv[3, 1] == lane[3 * b : 4 * b, 1].max()
        assert lv[-1, 0] == lane[(len(lv) - 1) * b :, 0].min()


def test_query_contains_brute_force_and_stays_within_buckets(signal):
    x, pyr = signal
    lane_min, lane_max = x.min(axis=1), x.max(axis=1)
    rng = np.random.default_rng(2)
    views = [(0, len(x), 1600), (0, len(x), 37), (-5000, len(x) + 9000, 300), (0, 256 * 50, 50)]
    for _ in range(60):
        pixels = int(rng.integers(1, 400))
        span = int(pixels * BASE * 2 ** rng.uniform(0, 9))
        start = int(rng.integers(-span // 2, len(x)))
        views.append((start, start + span, pixels))
    for start, end, pixels in views:
        got = pyr.query(start, end, pixels)
        assert got is not None
        mins, maxs = got
        assert mins.shape == maxs.shape == (pixels,) and mins.dtype == np.float32
        exact_min = brute(lane_min, start, end, pixels)[:, 0]
        exact_max = brute(lane_max, start, end, pixels)[:, 1]
        bucket = level_bucket(pyr, start, end, pixels)
        wide_min = aligned_superset(lane_min, start, end, pixels, bucket)[:, 0]
        wide_max = aligned_superset(lane_max, start, end, pixels, bucket)[:, 1]
        assert np.all(mins <= exact_min) and np.all(maxs >= exact_max), (start, end, pixels)
        assert np.all(mins >= wide_min) and np.all(maxs <= wide_max), (start, end, pixels)


def test_out_of_range_columns_are_silence(signal):
    x, pyr = signal
    mins, maxs = pyr.query(-10 * 256 * 100, -1, 100)
    assert not mins.any() and not maxs.any()
    mins, maxs = pyr.query(len(x) + 1, len(x) + 256 * 1000, 100)
    assert not mins.any() and not maxs.any()
    mins, maxs = pyr.query(-256 * 50, 256 * 50, 100)
    assert not mins[:50].any() and (mins[50:] < 0).all() and (maxs[50:] > 0).all()
    # A column straddling either end includes the silence around the file.
    positive = build_pyramid(np.full((256 * 40 + 7, 1), 0.5, np.float32), RATE)
    mins, maxs = positive.query(-100, 256 * 40 + 107, 40)
    assert mins[0] == mins[-1] == 0.0 and maxs[0] == maxs[-1] == 0.5
    assert (mins[1:-1] == 0.5).all()
    mins, maxs = column_minmax_from_samples(-np.ones((10, 1), np.float32), -3, 13, 4)
    assert mins.tolist() == [-1, -1, -1, -1] and maxs.tolist() == [0, -1, -1, 0]


def test_query_reads_the_right_level_and_few_buckets(signal, monkeypatch):
    _, pyr = signal
    seen: list[tuple[int, int]] = []
    real = peaks._columns

    def spy(start, end, pixels, frames, bucket, fetch):
        def counted(lo: int, hi: int) -> np.ndarray:
            seen.append((bucket, hi - lo))
            return fetch(lo, hi)

        return real(start, end, pixels, frames, bucket, counted)

    monkeypatch.setattr(peaks, "_columns", spy)
    for per_column in (256, 511, 512, 1000, 2048, 4095):
        pyr.query(0, per_column * 1000, 1000)
        bucket, touched = seen.pop()
        assert bucket <= per_column < 2 * bucket
        assert touched <= 2 * 1000 + 2  # O(pixels), not O(samples)
    pyr.query(0, 3_000_017, 10)  # whole file in 10 px: the top level, <= TOP_BUCKETS touched
    assert seen.pop() == (pyr.bucket_frames(len(pyr.levels) - 1), len(pyr.levels[-1]))


def test_fine_zoom_asks_for_samples_and_samples_are_exact(signal):
    x, pyr = signal
    lane_min, lane_max = x.min(axis=1), x.max(axis=1)
    assert pyr.samples_needed(0, 255 * 100, 100) and pyr.query(0, 255 * 100, 100) is None
    assert not pyr.samples_needed(0, 256 * 100, 100)
    assert pyr.query(np.int64(0), np.int64(256 * 100), np.int64(100)) is not None
    for start, end, pixels in [(1000, 1000 + 255 * 40, 40), (5, 905, 300), (-50, 60, 7),
                               (len(x) - 10, len(x) + 20, 90), (0, 3, 10), (7, 7, 4)]:
        mins, maxs = column_minmax_from_samples(x, start, end, pixels)
        if end == start:
            assert not mins.any() and not maxs.any()
            continue
        assert np.array_equal(mins, brute(lane_min, start, end, pixels)[:, 0].astype(np.float32))
        assert np.array_equal(maxs, brute(lane_max, start, end, pixels)[:, 1].astype(np.float32))


@pytest.mark.parametrize("frames", [1, 255, 256, 70_001, 1_234_567])
def test_a_single_sample_spike_is_never_lost(frames):
    rng = np.random.default_rng(frames)
    x = np.zeros((frames, 2), np.float32)
    up, down = int(rng.integers(frames)), int(rng.integers(frames))
    x[up, 1], x[down, 0] = 1.0, -1.0  # one channel each: the lane takes every channel
    pyr = build_pyramid(x, RATE)
    pixels = 700
    for span in [pixels * 2**k for k in range(0, 22)]:
        for start in (0, up - span // 3, up - span + 1, down - span // 2):
            end = start + span
            if pyr.samples_needed(start, end, pixels):
                mins, maxs = column_minmax_from_samples(x, start, end, pixels)
            else:
                mins, maxs = pyr.query(start, end, pixels)
            e = np.array(_edges(start, end, pixels))
            if start <= up < end:
                column = np.searchsorted(e, up, side="right") - 1
                assert maxs[column] == 1.0, (frames, start, end)
            if start <= down < end:
                column = np.searchsorted(e, down, side="right") - 1
                assert mins[column] == -1.0, (frames, start, end)


def test_empty_and_mono_sources():
    pyr = build_pyramid(np.zeros((0, 2), np.float32), RATE)
    assert pyr.frames == 0 and pyr.levels[0].shape == (0, 2)
    mins, maxs = pyr.query(0, 256 * 10, 10)
    assert not mins.any() and not maxs.any()
    mono = build_pyramid(np.linspace(-1, 1, 1000, dtype=np.float32), RATE)
    assert mono.levels[0][0, 0] == -1.0 and mono.levels[0][-1, 1] == 1.0


def test_progress_reaches_one_and_cancel_raises():
    x = np.zeros((3 * peaks.BLOCK_FRAMES + 5, 1), np.float32)
    seen: list[float] = []
    build_pyramid(x, RATE, progress=seen.append)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4

    calls = iter(range(100))
    with pytest.raises(CancelledError):
        build_pyramid(x, RATE, cancelled=lambda: next(calls) >= 2)
    with pytest.raises(CancelledError):
        build_pyramid(x, RATE, cancelled=lambda: True)


def test_save_load_round_trip(signal, tmp_path):
    _, pyr = signal
    target = tmp_path / "sub" / "p.npz"
    pyr.save(target)
    assert [p.name for p in target.parent.iterdir()] == ["p.npz"]  # no temp file left
    back = PeakPyramid.load(target)
    assert (back.frames, back.rate) == (pyr.frames, pyr.rate)
    assert len(back.levels) == len(pyr.levels)
    assert all(np.array_equal(a, b) for a, b in zip(back.levels, pyr.levels, strict=True))


def _asset(tmp_path: Path, name: str, seconds: float = 3.0) -> tuple[Path, np.ndarray]:
    folder = tmp_path / "Scene" / "assets"
    folder.mkdir(parents=True)
    audio = np.random.default_rng(3).uniform(-0.9, 0.9, (int(seconds * RATE), 2))
    path = folder / name
    sf.write(str(path), audio.astype(np.float32), RATE, subtype="FLOAT")
    return path, audio.astype(np.float32)


def test_peaks_for_builds_once_then_loads(tmp_path, monkeypatch):
    path, audio = _asset(tmp_path, f"{SHA}.wav")
    seen: list[float] = []
    cache = tmp_path / "cache"
    pyr = peaks_for(path, RATE, cache, progress=seen.append)
    assert seen[-1] == pytest.approx(1.0)
    cached = cache / "peaks" / f"{SHA}-{RATE}.npz"
    assert cached.is_file()
    assert sorted(p.name for p in (tmp_path / "Scene").rglob("*")) == [f"{SHA}.wav", "assets"]
    expected = build_pyramid(audio, RATE)
    assert all(np.array_equal(a, b) for a, b in zip(pyr.levels, expected.levels, strict=True))

    def no_build(*args, **kwargs):
        raise AssertionError("rebuilt a cached pyramid")

    monkeypatch.setattr(peaks, "build_pyramid", no_build)
    again = peaks_for(path, RATE, cache)
    assert again.frames == pyr.frames
    assert all(np.array_equal(a, b) for a, b in zip(again.levels, pyr.levels, strict=True))


def test_peaks_cache_key_and_the_callers_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    path, _ = _asset(tmp_path, "take.wav", seconds=0.5)
    chosen = tmp_path / "chosen"
    peaks_for(path, RATE, chosen)
    peaks_for(path, 24000, chosen)
    files = sorted(p.name for p in (chosen / "peaks").iterdir())
    assert sorted(p.name for p in chosen.iterdir()) == ["decoded", "peaks"]
    assert not (tmp_path / "user-cache").exists()  # the settings' location is not consulted
    assert len(files) == 2 and {f.split("-")[1] for f in files} == {"24000.npz", f"{RATE}.npz"}
    assert all(len(f.split("-")[0]) == 64 for f in files)


def test_torn_cache_file_is_rebuilt(tmp_path):
    path, _ = _asset(tmp_path, f"{SHA}.wav", seconds=0.5)
    target = tmp_path / "cache" / "peaks" / f"{SHA}-{RATE}.npz"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"PK\x03\x04 not really a zip")
    pyr = peaks_for(path, RATE, tmp_path / "cache")
    assert PeakPyramid.load(target).frames == pyr.frames == RATE // 2


def test_building_from_a_long_memmap_keeps_memory_small(tmp_path):
    frames = 20 * 60 * RATE  # 20 minutes mono: 230 MB on disk
    raw = tmp_path / "long.f32"
    chunk = np.random.default_rng(4).uniform(-1, 1, 1 << 20).astype(np.float32)
    with raw.open("wb") as out:
        for start in range(0, frames, len(chunk)):
            chunk[: frames - start].tofile(out)
    samples = np.memmap(raw, dtype=np.float32, mode="r").reshape(-1, 1)
    assert samples.shape == (frames, 1)
    tracemalloc.start()
    try:
        pyr = build_pyramid(samples, RATE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert pyr.frames == frames and pyr.levels[0][0, 0] == chunk[:256].min()
    # The pyramid itself is ~3.6 MB; the samples (230 MB) must never be copied whole.
    assert peak < 16 * 2**20, f"peak traced numpy memory {peak / 2**20:.1f} MB"
    del samples
