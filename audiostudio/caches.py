"""The user cache folder: its layout, and pruning it to the size the settings allow.

Layout: ``generated/`` (provider output by cache key), ``decoded/`` (sources as float32 at a
project rate), ``peaks/`` (waveform pyramids), ``levels/`` (each asset's measured loudness,
for auto-level). Every entry can be rebuilt: a project never needs a cache file, because a
take's audio is copied into the project's ``assets/``.
Rebuilding costs differ, so pruning removes decoded audio and waveforms first (a local decode
brings them back) and generated audio last (it may cost credits to make again), least recently
used first within each group. "Used" is the later of a file's atime and mtime; a cache hit sets
both (``mark_used``), so the order holds on filesystems mounted with noatime. Files being
written (``.part``, ``generated/work/``) are never touched; a generated entry's extras
(``<key>.meta.json``: its request id and seed) go with it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

GENERATED = "generated"
DECODED = "decoded"
PEAKS = "peaks"
LEVELS = "levels"
WORK = "work"  # under generated/: providers' scratch folders
META = ".meta.json"  # beside a generated entry, its extras: pruned with it
_PRUNE_FIRST = (DECODED, PEAKS, LEVELS)  # then GENERATED


def write_atomically(path: Path, write: Callable[[IO[Any]], object], binary: bool = False) -> None:
    """Write ``path`` through ``write`` into a temporary beside it, then ``os.replace``: readers
    see the old file or the new one, and the temporary (``.part``: never pruned while written)
    never stays. Errors are the caller's: most caches just rebuild the entry next time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8")) as out:
            write(out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mark_used(path: Path) -> None:
    """Record a cache hit, so pruning keeps this file longer."""
    with contextlib.suppress(OSError):  # read-only or just removed: only the order suffers
        os.utime(path)


@dataclass(frozen=True)
class PruneReport:
    removed: int  # files
    freed_bytes: int
    size_bytes: int  # what is left


def _entries(root: Path, group: str) -> list[tuple[float, int, Path]]:
    """(last use, size, path) of the finished files of one cache group."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root / group):
        if group == GENERATED and Path(dirpath) == root / GENERATED:
            dirnames[:] = [d for d in dirnames if d != WORK]
        for name in filenames:
            if name.endswith((".part", META)):  # being written; or goes with its entry
                continue
            path = Path(dirpath, name)
            try:
                st = path.stat()
            except OSError:
                continue  # removed meanwhile
            found.append((max(st.st_atime, st.st_mtime), st.st_size, path))
    return found


def prune(root: Path, limit_bytes: int) -> PruneReport:
    """Delete cache files until the cache holds at most ``limit_bytes`` (see the module note)."""
    prunable = sorted(e for g in _PRUNE_FIRST for e in _entries(root, g))
    generated = sorted(_entries(root, GENERATED))
    size = sum(e[1] for e in prunable) + sum(e[1] for e in generated)
    removed = freed = 0
    for _, bytes_, path in [*prunable, *generated]:
        if size <= limit_bytes:
            break
        try:
            path.unlink(missing_ok=True)  # another process may have pruned it first
        except OSError:
            continue  # not ours to delete (permissions): keep going with the others
        size -= bytes_
        removed += 1
        freed += bytes_
        extras = path.with_name(path.stem + META)
        with contextlib.suppress(OSError):  # most entries have none
            freed += extras.stat().st_size
            extras.unlink()
        if path.parent.parent != root:  # a bucket (generated/ab/): gone when left empty
            with contextlib.suppress(OSError):  # not empty (or refilled meanwhile)
                path.parent.rmdir()
    return PruneReport(removed, freed, size)
