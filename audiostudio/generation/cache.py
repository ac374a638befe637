"""Generated audio by cache key, in the user cache dir: a hit never calls a provider again.

Files are moved in with ``os.replace`` from a work folder on the same filesystem, so a reader
never sees half a file; an entry is never rewritten (the key already fixes its content).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from audiostudio.caches import GENERATED, WORK, mark_used


class AssetCache:
    def __init__(self, cache: Path) -> None:
        """``cache``: the user cache folder (the caller chooses it); entries go in generated/."""
        self.root = cache / GENERATED

    def _folder(self, key: str) -> Path:
        return self.root / key[:2]

    def get(self, key: str) -> Path | None:
        folder = self._folder(key)
        if not folder.is_dir():
            return None
        hit = next((p for p in folder.iterdir() if p.stem == key and p.is_file()), None)
        if hit:
            mark_used(hit)
        return hit

    def put(self, key: str, file: Path) -> Path:
        existing = self.get(key)
        if existing:
            file.unlink(missing_ok=True)
            return existing
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{key}{file.suffix.lower()}"
        os.replace(file, target)
        return target

    def workdir(self) -> Path:
        """A fresh folder for a provider to write into (same filesystem as the cache)."""
        base = self.root / WORK
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))
