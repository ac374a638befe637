"""The whole-mix loudness measurement, kept in the user cache so a mix is measured once.

Measuring a mix renders all of it and runs the export's limiter passes (``premaster_loudness``):
seconds for a long scene, and the window's first Play waits for it. The result is kept in the
cache's ``levels/`` folder under a key of everything that shapes the pre-master mix: the render
plan as pickled, with each source replaced by its file's identity (path, size, mtime: an edited
file is a new key), plus the target, the ceiling and the measurement's version. Reopening a
project, or undoing back to a mix already heard, then plays at once. A plan that cannot be
keyed (a source that is not a file) or a damaged entry is simply measured again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

from audiostudio.audio.file_key import file_key
from audiostudio.audio.master import MixLoudness, Normalisation, premaster_loudness
from audiostudio.audio.mixer import RenderPlan
from audiostudio.caches import LEVELS, mark_used, write_atomically
from audiostudio.progress import Progress

VERSION = 1  # part of the key: a change in how mixes are measured measures them again


class _KeyPickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        path = getattr(obj, "path", None)
        if isinstance(path, Path) and hasattr(obj, "read"):  # an AudioSource: its file's identity
            return f"{file_key(path)}|{obj.frames}|{obj.channels}"
        return None


def mix_key(plan: RenderPlan, target_lufs: float | None, ceiling_dbtp: float) -> str | None:
    """The cache key of the plan's measurement, or None when the plan cannot be keyed."""
    buffer = io.BytesIO()
    try:
        _KeyPickler(buffer, pickle.HIGHEST_PROTOCOL).dump(
            (VERSION, plan, target_lufs, ceiling_dbtp))
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return None
    return hashlib.sha256(buffer.getvalue()).hexdigest()


def measure_mix(plan: RenderPlan, cache: Path, progress: Progress | None = None,
                target_lufs: float | None = None, ceiling_dbtp: float = 0.0) -> MixLoudness:
    """``premaster_loudness`` of the plan, from the cache when this mix was measured before."""
    key = mix_key(plan, target_lufs, ceiling_dbtp)
    file = None if key is None else cache / LEVELS / f"mix-{key}.npz"
    if file is not None and (kept := _load(file)) is not None:
        return kept
    loudness = premaster_loudness(plan, progress, target_lufs, ceiling_dbtp)
    if file is not None:
        _store(file, loudness)
    return loudness


def _load(file: Path) -> MixLoudness | None:
    try:
        with np.load(file, allow_pickle=False) as data:
            # NaN stands for "none" (silence has no loudness; an unlimited mix no own curve).
            integrated, norm_db, delivered, target, ceiling, passes = data["scalars"].tolist()
            limited = data["limited"] if data["has_limited"] else None
            loudness = MixLoudness(
                None if np.isnan(integrated) else integrated, data["short_term"],
                Normalisation(norm_db, None if np.isnan(delivered) else delivered,
                              None if np.isnan(target) else target, ceiling, int(passes),
                              limited))
    except (OSError, ValueError, KeyError):
        return None  # missing or damaged: measured again
    mark_used(file)
    return loudness


def _store(file: Path, loudness: MixLoudness) -> None:
    norm = loudness.normalisation
    nan = float("nan")
    scalars = [nan if v is None else float(v) for v in (
        loudness.integrated, norm.norm_db, norm.delivered_lufs, norm.target_lufs,
        norm.ceiling_dbtp, norm.passes)]
    limited = norm.short_term
    with contextlib.suppress(OSError):  # a full or read-only cache: the next open measures again
        write_atomically(file, lambda out: np.savez(
            out, scalars=np.array(scalars), short_term=loudness.short_term,
            limited=np.zeros(0) if limited is None else limited,
            has_limited=limited is not None), binary=True)
