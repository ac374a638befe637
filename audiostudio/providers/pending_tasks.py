"""Paid long-running tasks that have no audio yet, remembered on disk by request.

A provider that submits a task and then polls it (Suno) writes the task id here before it
polls, so a run that crashes, is cancelled or passes its deadline does not pay again: the next
run for the same request picks the task up. Several tasks may wait under one request (two
identical clips generated at once); within a process each is polled by one job at a time.
Files are small JSON, written atomically; they hold task ids and times, never a key.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import ClassVar

from audiostudio.caches import write_atomically

MAX_AGE_S = 14 * 24 * 3600.0  # the partner services keep a task's files about two weeks


class PendingTasks:
    _claimed: ClassVar[set[str]] = set()  # task ids a job of this process polls now
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, folder: Path | None, prefix: str) -> None:
        """``folder`` None: nothing is remembered (every run submits its own task)."""
        self.folder = folder
        self.prefix = prefix

    def claim(self, key: str) -> str | None:
        """A remembered task for ``key`` that no job is polling, now claimed; or None."""
        with self._lock:
            for task in self._read(key):
                if task["id"] not in self._claimed:
                    self._claimed.add(task["id"])
                    return str(task["id"])
        return None

    def add(self, key: str, task_id: str) -> None:
        """Remember a task just submitted for ``key`` (claimed by the caller)."""
        with self._lock:
            self._claimed.add(task_id)
            tasks = [t for t in self._read(key) if t["id"] != task_id]
            self._write(key, [*tasks, {"id": task_id, "submitted": time.time()}])

    def release(self, key: str, task_id: str, finished: bool) -> None:
        """Stop polling ``task_id``: forget it when ``finished`` (its audio is out, or it
        failed for good), else leave it for a later run."""
        with self._lock:
            self._claimed.discard(task_id)
            if finished:
                self._write(key, [t for t in self._read(key) if t["id"] != task_id])

    def _path(self, key: str) -> Path | None:
        return self.folder / f"{self.prefix}-{key}.json" if self.folder else None

    def _read(self, key: str) -> list[dict]:
        path = self._path(key)
        if path is None or not path.is_file():
            return []
        try:
            tasks = json.loads(path.read_text(encoding="utf-8")).get("tasks", [])
        except (OSError, ValueError, AttributeError):
            return []  # unreadable: a new task costs money, but a wrong one would be worse
        now = time.time()
        return [t for t in tasks if isinstance(t, dict) and isinstance(t.get("id"), str)
                and now - float(t.get("submitted", 0)) < MAX_AGE_S]

    def _write(self, key: str, tasks: list[dict]) -> None:
        path = self._path(key)
        if path is None:
            return
        if not tasks:
            path.unlink(missing_ok=True)
            return
        write_atomically(path, lambda out: json.dump({"tasks": tasks}, out))
