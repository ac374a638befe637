"""The project's ``assets/`` folder: audio named by the sha256 of its bytes, written once."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from audiostudio.errors import ProjectError, ProjectFormatError
from audiostudio.model.disk import fsync_dir, os_reason
from audiostudio.model.schema import relative_path

ASSETS_DIR = "assets"


def import_asset(folder: str | os.PathLike[str], file: str | os.PathLike[str]) -> str:
    """Copy ``file`` into ``assets/<sha256>.<ext>`` (write-once) and return that relative path."""
    source = Path(file)
    ext = source.suffix[1:].lower()
    if not (ext.isascii() and ext.isalnum()):
        ext = "bin"
    assets = Path(folder) / ASSETS_DIR
    try:
        assets.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as inp:
            fd, tmp_name = tempfile.mkstemp(dir=assets, prefix=".import-", suffix=".tmp")
            tmp = Path(tmp_name)
            try:
                digest = hashlib.sha256()
                with os.fdopen(fd, "wb") as out:
                    while chunk := inp.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
                    out.flush()
                    os.fsync(out.fileno())
                rel = f"{ASSETS_DIR}/{digest.hexdigest()}.{ext}"
                target = Path(folder) / rel
                if target.exists():  # same bytes already stored: assets are never rewritten
                    tmp.unlink()
                else:
                    os.replace(tmp, target)
                    fsync_dir(assets)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    except OSError as error:
        raise ProjectError(f"Could not import {source}: {os_reason(error)}") from error
    return rel


def resolve_path(folder: str | os.PathLike[str], rel: str) -> Path:
    """The absolute path of a project-relative path; refuses paths that leave the folder."""
    rel = relative_path(rel, "path")
    root = Path(folder).resolve()
    full = (root / rel).resolve()
    if not full.is_relative_to(root):
        raise ProjectFormatError(f"{rel!r} points outside the project folder {root}")
    return full
