"""File-system helpers shared by the project file and the assets folder."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def os_reason(error: OSError) -> str:
    """Why a file operation failed, in a creator's words."""
    reasons = {
        errno.ENOSPC: "disk full",
        errno.EDQUOT: "disk quota exceeded",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EROFS: "the disk is read-only",
        errno.ENOENT: "file or folder not found",
    }
    return reasons.get(error.errno or 0, error.strerror or str(error))


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` survive a crash."""
    if os.name != "posix":  # directories cannot be opened for fsync on Windows
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

