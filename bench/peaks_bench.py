"""Waveform peak pyramid: build speed on an hour of audio, and query time per 1600-px view.

    python bench/peaks_bench.py [--minutes 60] [--channels 2] [--keep]

Writes --minutes of 48 kHz float32 noise to bench/_work/ (git-ignored) in 1 M-frame chunks,
maps it like a decoded source (np.memmap, frames x channels), then times
- ``build_pyramid`` (target >= 500x real time), with the peak numpy memory of a second build
  (tracemalloc, which sees numpy's allocations but not the memory-mapped pages);
- ``query`` for a 1600-px view at five zooms (target < 1 ms at coarse zoom: a frame is 16 ms);
  at 1000 px/s and sample level the pyramid answers None and the view is read from the samples
  with ``column_minmax_from_samples``, as the timeline does. Median and max of 200 random views.
The file was just written, so it is read from the page cache (a cold disk would add its read
time to the build, once per asset).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audiostudio.audio.peaks import (  # noqa: E402  (run as a script from any directory)
    PeakPyramid,
    build_pyramid,
    column_minmax_from_samples,
)

RATE = 48_000
PIXELS = 1600
CHUNK = 1 << 20


def write_noise(path: Path, frames: int, channels: int) -> None:
    rng = np.random.default_rng(0)
    with path.open("wb") as out:
        for start in range(0, frames, CHUNK):
            n = min(CHUNK, frames - start)
            (rng.random((n, channels), dtype=np.float32) * 2 - 1).tofile(out)


def time_views(pyr: PeakPyramid, samples: np.ndarray, span: int, rng: np.random.Generator
               ) -> tuple[list[float], str]:
    times = []
    path = ""
    for _ in range(200):
        start = int(rng.integers(0, max(1, pyr.frames - span)))
        t0 = time.perf_counter()
        got = pyr.query(start, start + span, PIXELS)
        if got is None:
            got = column_minmax_from_samples(samples, start, start + span, PIXELS)
            path = "samples"
        else:
            per_column = span // PIXELS
            path = f"level 2^{min(per_column.bit_length() - 1, 7 + len(pyr.levels))}"
        times.append(time.perf_counter() - t0)
    return times, path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--channels", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the noise file for a re-run")
    args = parser.parse_args()
    print("command:", shlex.join([os.path.relpath(sys.executable, ROOT),
                                  os.path.relpath(__file__, ROOT), *sys.argv[1:]]))

    frames = round(args.minutes * 60 * RATE)
    work = ROOT / "bench" / "_work"
    work.mkdir(parents=True, exist_ok=True)
    raw = work / f"peaks-{args.minutes:g}m-{args.channels}ch.f32"
    if not raw.exists() or raw.stat().st_size != frames * args.channels * 4:
        t0 = time.perf_counter()
        write_noise(raw, frames, args.channels)
        print(f"wrote {raw.relative_to(ROOT)} ({raw.stat().st_size / 2**30:.2f} GiB) "
              f"in {time.perf_counter() - t0:.1f} s")
    samples = np.memmap(raw, dtype=np.float32, mode="r").reshape(-1, args.channels)
    audio_s = frames / RATE
    try:
        t0 = time.perf_counter()
        pyr = build_pyramid(samples, RATE)
        build_s = time.perf_counter() - t0
        size_mb = sum(lv.nbytes for lv in pyr.levels) / 2**20
        print(f"build_pyramid: {args.minutes:g} min {RATE} Hz x{args.channels}: {build_s:.2f} s "
              f"= {audio_s / build_s:.0f}x real time (target >= 500x); {len(pyr.levels)} levels "
              f"(2^8..2^{7 + len(pyr.levels)}), {size_mb:.1f} MB")
        tracemalloc.start()
        build_pyramid(samples, RATE)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"  peak numpy memory while building: {peak / 2**20:.1f} MB "
              f"(samples: {samples.nbytes / 2**20:.0f} MB, memory-mapped)")

        rng = np.random.default_rng(1)
        zooms = [("fit whole file", frames), ("10 px/s", PIXELS * RATE // 10),
                 ("100 px/s", PIXELS * RATE // 100), ("1000 px/s", PIXELS * RATE // 1000),
                 ("sample level", PIXELS)]
        print(f"query, {PIXELS} px wide, 200 random views each:")
        for name, wanted in zooms:
            span = min(wanted, frames)
            times, path = time_views(pyr, samples, span, rng)
            ms = np.array(times) * 1e3
            print(f"  {name:15s} {span // PIXELS:>7d} frames/px  {path:11s} "
                  f"median {np.median(ms):.3f} ms  max {ms.max():.3f} ms")
    finally:
        del samples
        if not args.keep:
            raw.unlink()


if __name__ == "__main__":
    main()
