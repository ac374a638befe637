"""Generated audio by cache key, in the user cache dir: a hit never calls a provider again.

Files are moved in with ``os.replace`` from a work folder on the same filesystem, so a reader
never sees half a file; an entry is never rewritten (the key already fixes its content).
Beside an entry, ``<key>.meta.json`` keeps what the provider said of that audio and a hit must
give back: its request id (ElevenLabs stitches neighbouring lines by it) and the seed it used.
Never a key or a header: only the fields ``put`` is given.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from audiostudio.caches import GENERATED, META, WORK, mark_used, write_atomically


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

    def put(self, key: str, file: Path, meta: dict[str, Any] | None = None) -> Path:
        """Move ``file`` in as ``key``'s entry, with ``meta`` (JSON values) beside it."""
        existing = self.get(key)
        if existing:
            file.unlink(missing_ok=True)
            return existing
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{key}{file.suffix.lower()}"
        os.replace(file, target)  # first: the paid-for audio needs no free space to move in
        if meta:
            self._put_meta(folder / f"{key}{META}", meta)
        return target

    @staticmethod
    def _put_meta(path: Path, meta: dict[str, Any]) -> None:
        """The extras; on a full disk (or with a value JSON cannot hold) they are lost, never
        the audio."""
        with contextlib.suppress(OSError, TypeError, ValueError):
            write_atomically(path, lambda out: json.dump(meta, out))

    def meta(self, key: str) -> dict[str, Any]:
        """What ``put`` kept beside ``key``'s entry; {} when nothing (or it is unreadable:
        the audio is still good, only the extras are lost)."""
        path = self._folder(key) / f"{key}{META}"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        mark_used(path)
        return data if isinstance(data, dict) else {}

    def workdir(self) -> Path:
        """A fresh folder for a provider to write into (same filesystem as the cache)."""
        base = self.root / WORK
        base.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(dir=base))
