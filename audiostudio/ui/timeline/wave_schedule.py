"""When clip items compute their waveform outlines, so a zoom over hundreds of clips stays
interactive.

Outlines cost ~0.1 ms per clip (peak query + polygon). A repaint computes them for
``FRAME_BUDGET_S``; the clips that ran out of time show the previous zoom's outline stretched
and ask to be finished (``defer``): ``BATCH`` of them per following frame. A clip whose pyramid
is still being built is repainted when it arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QTimer

from audiostudio.ui.timeline.waveform import Waveform, WaveformCache

if TYPE_CHECKING:
    from audiostudio.ui.timeline.items import ClipItem

FRAME_BUDGET_S = 0.004
BATCH = 32


class WaveformScheduler(QObject):
    def __init__(self, visible_rect: Callable[[], QRectF], parent: QObject | None = None
                 ) -> None:
        super().__init__(parent)
        self.cache = WaveformCache(self)
        self.cache.ready.connect(self._on_ready)
        self._visible_rect = visible_rect  # scene rect on screen: only those are finished
        self._deadline = 0.0
        self._deferred: dict[int, ClipItem] = {}  # by id(item): the order they asked in
        self._waiting: dict[str, dict[int, ClipItem]] = {}  # source path -> items to repaint
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._finish_batch)

    # --- for items, while they paint --------------------------------------------------------
    def waveform(self, path: Path, rate: int, item: ClipItem) -> Waveform | None:
        """The waveform of ``path`` if built; else None, and ``item`` repaints when it is."""
        waveform = self.cache.get(path, rate)
        if waveform is None:
            self._waiting.setdefault(str(path), {})[id(item)] = item
        return waveform

    def time_left(self) -> bool:
        """Whether the repaint in progress may still compute outlines."""
        return time.perf_counter() < self._deadline

    def defer(self, item: ClipItem) -> None:
        """``item`` drew a stand-in: finish its outline on a following frame."""
        self._deferred[id(item)] = item

    def badge(self, path: Path) -> str | None:
        """Why ``path`` has no waveform, as a short badge (missing audio, no waveform)."""
        return self.cache.badges.get(str(path))

    def error(self, path: Path) -> str | None:
        """Why ``path`` has no waveform, in full."""
        return self.cache.errors.get(str(path))

    # --- for the view -----------------------------------------------------------------------
    def begin_frame(self) -> None:
        self._deadline = time.perf_counter() + FRAME_BUDGET_S

    def end_frame(self) -> None:
        self._deadline = 0.0
        if self._deferred and not self._timer.isActive():
            self._timer.start(0)  # after this frame is out: the next batch

    def settled(self) -> bool:
        """No pyramid being built and no outline waiting (tests, screenshots, benchmarks)."""
        return self.cache.is_idle() and not self._deferred

    def reset(self) -> None:
        """Forget every item (the view rebuilt them) and retry sources that failed."""
        self._deferred.clear()
        self._waiting.clear()
        self.cache.forget_errors()

    def shutdown(self) -> None:
        self.cache.shutdown()

    def _finish_batch(self) -> None:
        visible = self._visible_rect()
        repainting = False
        for key in list(self._deferred)[:BATCH]:
            item = self._deferred.pop(key)
            if item.scene() is not None and item.sceneBoundingRect().intersects(visible):
                item.wave_forced = True
                item.update()
                repainting = True
        # The repaint restarts the timer; with nothing to repaint (a second zoom moved the
        # deferred clips off screen) no paint would come, and the rest would wait forever.
        if self._deferred and not repainting:
            self._timer.start(0)

    def _on_ready(self, path: str) -> None:
        for item in self._waiting.pop(path, {}).values():
            if item.scene() is not None:
                item.update()
