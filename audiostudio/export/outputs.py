"""A set of output files that appear together or not at all.

Each file is written under a hidden temporary name in its final folder (same filesystem, so
``os.replace`` is atomic); ``commit`` renames them all at the end. If anything fails before, the
temporary files are removed and whatever was already in the output folder is left untouched.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from types import TracebackType


class OutputSet:
    def __init__(self) -> None:
        self._pending: list[tuple[Path, Path]] = []

    def path_for(self, final: Path) -> Path:
        """A temporary path to write ``final`` to; it becomes ``final`` on commit."""
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = final.with_name(f".{final.name}.{uuid.uuid4().hex[:8]}.partial")
        self._pending.append((tmp, final))
        return tmp

    def pending(self, final: Path) -> Path:
        """The temporary path ``final`` is being written to (read it before the commit)."""
        return next(tmp for tmp, target in self._pending if target == final)

    def commit(self) -> None:
        for tmp, final in self._pending:
            os.replace(tmp, final)
        self._pending.clear()

    def discard(self) -> None:
        for tmp, _ in self._pending:
            tmp.unlink(missing_ok=True)
        self._pending.clear()

    def __enter__(self) -> OutputSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.discard()
