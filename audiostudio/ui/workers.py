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


class Workers:
    """The workers a window started and that have not reported back yet (so closing can cancel
    them); each leaves the list when its result or error arrives."""

    def __init__(self) -> None:
        self.running: list[Worker] = []

    def start(
        self,
        fn: Callable[[Callable[[float], None], Callable[[], bool]], Any],
        on_finished: Callable[[Any], None],
        on_failed: Callable[[BaseException], None],
        on_progress: Callable[[float], None] | None = None,
    ) -> Worker:
        worker = Worker(fn)
        # Released before the callbacks run: a callback that raises still lets it go.
        worker.signals.finished.connect(lambda _result: self._release(worker))
        worker.signals.failed.connect(lambda _exc: self._release(worker))
        worker.signals.finished.connect(on_finished)
        worker.signals.failed.connect(on_failed)
        if on_progress:
            worker.signals.progress.connect(on_progress)
        self.running.append(worker)
        QThreadPool.globalInstance().start(worker)
        return worker

    def cancel_all(self) -> None:
        for worker in self.running:
            worker.cancel()

    def _release(self, worker: Worker) -> None:
        if worker in self.running:
            self.running.remove(worker)
