"""One key for "this file, as it is now", shared by the decode and waveform caches."""

from __future__ import annotations

import hashlib
from pathlib import Path


def file_key(path: Path) -> str:
    """sha256 hex of the resolved path, size and mtime: identifies the bytes without reading
    them (assets are write-once; a file edited in place gets a new mtime, hence a new key)."""
    st = path.stat()
    ident = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    return hashlib.sha256(ident.encode()).hexdigest()
