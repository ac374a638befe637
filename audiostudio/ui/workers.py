"""Background work on Qt's thread pool; results reach the GUI only through signals.

A worker runs a plain function (``fn(progress, cancelled)``) that knows nothing of Qt; its
signals object lives in the GUI thread, so connected slots run there. Workers never touch widgets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class WorkerSignals(QObject):
    progress = Signal(float)
    finished = Signal(object)
    failed = Signal(object)  # the exception


class Worker(QRunnable):
    def __init__(self, fn: Callable[[Callable[[float], None], Callable[[], bool]], Any]) -> None:
        super().__init__()
        self.fn = fn
        self.signals = WorkerSignals()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        try:
            result = self.fn(self.signals.progress.emit, self._cancel.is_set)
        except Exception as exc:  # handed to the GUI, which shows every error
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


def start(
    fn: Callable[[Callable[[float], None], Callable[[], bool]], Any],
    on_finished: Callable[[Any], None],
    on_failed: Callable[[BaseException], None],
    on_progress: Callable[[float], None] | None = None,
) -> Worker:
    worker = Worker(fn)
    worker.signals.finished.connect(on_finished)
    worker.signals.failed.connect(on_failed)
    if on_progress:
        worker.signals.progress.connect(on_progress)
    QThreadPool.globalInstance().start(worker)
    return worker
