"""Min/max peak pyramid for waveform drawing: a view costs pixels, not samples.

Design note. Audacity keeps two summaries (256 and 65,536 samples per min/max pair), so a column
may reduce up to 256 pairs between them. Here *every* power of two from 2^8 is a level, up to
the first level where the whole file fits in <= 2,048 buckets:
- a view at F frames per pixel reads the level of the largest 2^k <= F, so a column reduces 1-2
  buckets (plus one edge bucket it shares with its neighbour) and a query is O(pixels) at every
  zoom; a factor-4 ladder (2^8, 2^10, ...) would touch up to 2x more buckets to save 1/3 memory;
- the levels above 0 together are as large as level 0, so the pyramid is 2 x 8 bytes per 256
  frames: 10.8 MB for an hour at 48 kHz, against 1.4 GB of stereo samples;
- stopping at ~2,048 buckets bounds the widest view (a whole file in a small thumbnail) to
  2,048 buckets touched; a file under ~11 s at 48 kHz has only level 0.
Below 256 frames per pixel level 0 is coarser than a column, so the caller reads the samples
(`samples_needed`, `column_minmax_from_samples`): at most 256 x pixels frames.

One lane for all channels (min of the channels' mins, max of their maxes): the timeline draws
one waveform per clip and its envelope is what shows clipping and silence; per-channel lanes
would double memory and work for a picture nobody draws.

Columns are conservative: a column reduces every bucket its frames touch, so its [min, max]
always contains the true min/max of its frames (a one-sample spike is never lost) and is never
wider than the bucket-aligned superset. Frames outside [0, frames) count as silence (0.0).

Level 0 is built from the samples in blocks of 2^20 frames (8 MB of stereo memmap pages at a
time, so an hour-long source never sits in memory); each higher level halves the one below.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from audiostudio.audio.decode import decode
from audiostudio.audio.file_key import file_key
from audiostudio.caches import PEAKS, mark_used, write_atomically
from audiostudio.errors import CancelledError
from audiostudio.progress import Cancelled, Progress

BASE_SHIFT = 8
BASE = 1 << BASE_SHIFT  # frames per bucket of level 0
TOP_BUCKETS = 2048  # stop adding levels once the whole file fits in this many buckets
BLOCK_FRAMES = 1 << 20  # multiple of BASE: buckets never straddle two blocks
FORMAT_VERSION = 1

_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, eq=False)  # arrays: compare levels explicitly
class PeakPyramid:
    """``levels[k]`` is (buckets, 2) float32 [min, max] over all channels, 2^(8+k) frames each."""

    frames: int
    rate: int
    levels: tuple[np.ndarray, ...]

    def bucket_frames(self, level: int) -> int:
        return BASE << level

    def samples_needed(self, start: int, end: int, pixels: int) -> bool:
        """True when a column spans fewer than 256 frames: draw from the samples instead."""
        _check(start, end, pixels)
        return (end - start) // pixels < BASE

    def query(self, start_frame: int, end_frame: int, pixels: int
              ) -> tuple[np.ndarray, np.ndarray] | None:
        """(mins, maxs) float32 per column for frames [start, end), or None if samples are needed.

        Columns split the range at ``start + i * (end - start) // pixels``; the level is the
        coarsest whose bucket is <= frames per column, so cost is O(pixels + buckets touched).
        """
        if self.samples_needed(start_frame, end_frame, pixels):
            return None
        per_column = int(end_frame - start_frame) // int(pixels)  # int: numpy ints lack bit_length
        level = min(per_column.bit_length() - 1 - BASE_SHIFT, len(self.levels) - 1)
        data = self.levels[level]
        return _columns(start_frame, end_frame, pixels, self.frames, BASE << level,
                        lambda lo, hi: (data[lo:hi, 0], data[lo:hi, 1]))

    # --- storage: one uncompressed .npz (noise-like peaks barely compress; loading is a read)
    def save(self, path: Path) -> None:
        """Write atomically (temp file + os.replace): readers see the old file or the new one."""
        write_atomically(path, lambda out: np.savez(
            out, version=np.int64(FORMAT_VERSION), frames=np.int64(self.frames),
            rate=np.int64(self.rate), **{f"level{k}": lv for k, lv in enumerate(self.levels)}),
            binary=True)

    @classmethod
    def load(cls, path: Path) -> PeakPyramid:
        """Read a saved pyramid; ValueError if it is from another format version or malformed."""
        with np.load(path, allow_pickle=False) as npz:
            if int(npz["version"]) != FORMAT_VERSION:
                raise ValueError(f"peak file version {int(npz['version'])}")
            count = sum(1 for name in npz.files if name.startswith("level"))
            levels = tuple(_frozen(npz[f"level{k}"]) for k in range(count))
            frames, rate = int(npz["frames"]), int(npz["rate"])
        expected = -(-frames // BASE)
        for lv in levels:
            if lv.dtype != np.float32 or lv.shape != (expected, 2):
                raise ValueError("peak file levels do not match its length")
            expected = -(-expected // 2)
        if not levels:
            raise ValueError("peak file has no levels")
        return cls(frames=frames, rate=rate, levels=levels)


def build_pyramid(samples: np.ndarray, rate: int, progress: Progress | None = None,
                  cancelled: Cancelled | None = None) -> PeakPyramid:
    """Summarise float (frames, channels) samples (1-D = mono); reads them once, block by block."""
    if samples.ndim == 1:
        samples = samples.reshape(-1, 1)
    frames, channels = samples.shape
    base = np.empty((-(-frames // BASE), 2), np.float32)
    for start in range(0, frames, BLOCK_FRAMES):
        if cancelled is not None and cancelled():
            raise CancelledError("Waveform analysis was cancelled")
        block = samples[start : start + BLOCK_FRAMES]
        full = len(block) // BASE
        first = start // BASE
        if full:
            # All channels of a bucket are adjacent in a C-contiguous block, so one row of
            # 256 x channels values is one bucket: a single contiguous (SIMD) reduction per lane.
            rows = block[: full * BASE].reshape(full, BASE * channels)
            base[first : first + full, 0] = rows.min(axis=1)
            base[first : first + full, 1] = rows.max(axis=1)
        if len(block) > full * BASE:  # the file's last, partial bucket: real frames only
            tail = block[full * BASE :]
            base[first + full] = tail.min(), tail.max()
        if progress is not None:
            progress(min(start + BLOCK_FRAMES, frames) / frames)
    levels = [_frozen(base)]
    while len(levels[-1]) > TOP_BUCKETS:
        levels.append(_frozen(_halve(levels[-1])))
    if progress is not None:
        progress(1.0)
    return PeakPyramid(frames=frames, rate=rate, levels=tuple(levels))


def column_minmax_from_samples(samples: np.ndarray, start: int, end: int, pixels: int
                               ) -> tuple[np.ndarray, np.ndarray]:
    """Exact (mins, maxs) per column from the samples, for zooms below 256 frames per pixel.

    Same columns as ``PeakPyramid.query``; when there are more columns than frames each column
    shows the frame it starts on. Reads only the in-range frames of [start, end): O(end - start).
    """
    _check(start, end, pixels)
    if samples.ndim == 1:
        samples = samples.reshape(-1, 1)

    def frames_of(lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
        # Whole frames: reducing rows first and channels last is ~10x faster than a per-frame
        # min over a 2-wide channel axis.
        block = np.asarray(samples[lo:hi])
        return block, block

    return _columns(start, end, pixels, len(samples), 1, frames_of)


def peaks_for(path: Path, rate: int, cache: Path, progress: Progress | None = None,
              cancelled: Cancelled | None = None) -> PeakPyramid:
    """The pyramid of an audio file at ``rate``: decoded once, built once, then loaded from cache.

    Stored as ``<cache>/peaks/<key>-<rate>.npz`` (``cache``: the user cache folder, which the
    caller chooses; never the project folder); ``key`` is the asset's content hash when the file
    is named ``<sha256>.<ext>``, so copies of a project share it, else ``file_key(path)``.
    """
    path = Path(path)
    if cancelled is not None and cancelled():
        raise CancelledError("Waveform analysis was cancelled")
    source = decode(path, rate, cache, _scaled(progress, 0.0, 0.5))
    target = cache / PEAKS / f"{_peaks_key(path)}-{rate}.npz"
    try:
        cached: PeakPyramid | None = PeakPyramid.load(target)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        cached = None  # missing, torn or outdated: (re)build and replace it, not a user error
    if cached is not None and cached.frames == source.frames and cached.rate == rate:
        mark_used(target)
        if progress is not None:
            progress(1.0)
        return cached
    pyramid = build_pyramid(source.samples, rate, _scaled(progress, 0.5, 1.0), cancelled)
    pyramid.save(target)
    return pyramid


# --- helpers ---------------------------------------------------------------------------------
def _check(start: int, end: int, pixels: int) -> None:
    if pixels < 1:
        raise ValueError(f"pixels must be >= 1, not {pixels}")
    if end < start:
        raise ValueError(f"frame range is reversed: {start}..{end}")


def _frozen(array: np.ndarray) -> np.ndarray:
    # Pyramids are built on a worker and read by the GUI thread: make sharing them safe.
    array.flags.writeable = False
    return array


def _halve(level: np.ndarray) -> np.ndarray:
    if len(level) % 2:  # repeat the last bucket: neutral for min and max
        level = np.concatenate([level, level[-1:]])
    pairs = level.reshape(-1, 2, 2)
    return np.stack([pairs[:, :, 0].min(axis=1), pairs[:, :, 1].max(axis=1)], axis=1)


def _columns(start: int, end: int, pixels: int, frames: int, bucket: int,
             fetch: Callable[[int, int], tuple[np.ndarray, np.ndarray]]
             ) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``bucket``-frame units into ``pixels`` columns of [min, max].

    ``fetch(lo, hi)`` returns the (min, max) lanes of units lo..hi-1: pyramid buckets (n,), or
    frames (n, channels) when bucket == 1. Column i covers frames [e_i, max(e_i+1, e_(i+1)))
    and every unit those frames touch.
    """
    mins = np.zeros(pixels, np.float32)
    maxs = np.zeros(pixels, np.float32)
    if end == start:
        return mins, maxs
    edges = start + (np.arange(pixels + 1, dtype=np.int64) * (end - start)) // pixels
    firsts = edges[:-1]
    lasts = np.maximum(edges[1:], firsts + 1)  # exclusive; >= 1 frame even when zoomed past 1:1
    a = np.clip(firsts, 0, frames)
    b = np.clip(lasts, 0, frames)
    inside = np.flatnonzero(b > a)  # one contiguous run: the range crosses [0, frames) once
    if len(inside):
        i0, i1 = int(inside[0]), int(inside[-1]) + 1
        lo = a[i0:i1] // bucket
        hi = -(-b[i0:i1] // bucket)
        low, high = fetch(int(lo[0]), int(hi[-1]))
        rel = lo - lo[0]
        # reduceat gives units [lo_i, lo_(i+1)) (a single unit when they are equal) and the last
        # column runs to the end of the units; a column ending mid-unit also takes that unit.
        shared = np.flatnonzero(hi[:-1] > lo[1:])
        mn = np.minimum.reduceat(low, rel, axis=0)
        mx = np.maximum.reduceat(high, rel, axis=0)
        mn[shared] = np.minimum(mn[shared], low[rel[shared + 1]])
        mx[shared] = np.maximum(mx[shared], high[rel[shared + 1]])
        if mn.ndim == 2:  # frames: one lane over all channels
            mn, mx = mn.min(axis=1), mx.max(axis=1)
        mins[i0:i1] = mn
        maxs[i0:i1] = mx
    outside = (firsts < 0) | (lasts > frames)  # silence before the start and after the end
    mins[outside] = np.minimum(mins[outside], 0.0)
    maxs[outside] = np.maximum(maxs[outside], 0.0)
    return mins, maxs


def _peaks_key(path: Path) -> str:
    if _SHA256.fullmatch(path.stem.lower()):
        return path.stem.lower()  # content-addressed asset: the name is the identity
    return file_key(path)


def _scaled(progress: Progress | None, lo: float, hi: float) -> Progress | None:
    if progress is None:
        return None
    return lambda fraction, label="": progress(lo + (hi - lo) * fraction)  # decode has no phases
