"""While the user zooms (Ctrl+wheel, + and -), the timeline shows its last sharp frame stretched.

Why: a zoom changes every clip's width, so every visible clip repaints in Python and rebuilds
its cached pixels: 40-60 ms for the benchmark's 600 visible clips, three frames of a 60 Hz
wheel gesture. The first step of a gesture renders the viewport once from the clips' caches (a
warm paint, 5-10 ms) and each step after only stretches that image to the new zoom, as the
waveforms' outlines already are until they are exact; the sharp repaint comes when the wheel
rests for ``REST_MS``, or at once when anything else happens (a click, an edit, a resize).
Clip geometry is always the real one: hit tests, snapping and tests see the new zoom at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QTimer
from PySide6.QtGui import QImage, QPainter

from audiostudio.ui.timeline import style

if TYPE_CHECKING:
    from audiostudio.ui.timeline.view import TimelineView

REST_MS = 120  # the wheel this long at rest: the gesture is over, paint sharp
MAX_STRETCH = 2.5  # further from the last sharp frame, take a new one (4 notches of 1.25)


@dataclass(frozen=True)
class _Frame:
    image: QImage  # the viewport as last painted sharp
    pps: float
    scroll_x: int
    scroll_y: int


class ZoomPreview(QObject):
    def __init__(self, view: TimelineView) -> None:
        super().__init__(view)
        self._view = view
        self._frame: _Frame | None = None
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(REST_MS)
        self._rest.timeout.connect(self.end)

    @property
    def active(self) -> bool:
        return self._frame is not None

    @property
    def stretch(self) -> float:
        """The current zoom over the shown frame's (1.0 when not active)."""
        return self._view.pixels_per_second / self._frame.pps if self._frame else 1.0

    def begin(self, factor: float) -> None:
        """Call before a gesture's zoom step changes the zoom by ``factor``."""
        view = self._view
        if not 1 / MAX_STRETCH <= self.stretch * factor <= MAX_STRETCH:
            # A long gesture: stretched further, zooming out would show more and more empty
            # lanes. A new sharp frame (this one repaints every clip, once per 4 notches).
            self._frame = None
        if self._frame is None and view.isVisible():
            viewport = view.viewport()
            ratio = viewport.devicePixelRatioF()
            image = QImage(viewport.size() * ratio, QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            viewport.render(image)  # sharp: the clips blit their cached pixels
            self._frame = _Frame(image, view.pixels_per_second,
                                 view.horizontalScrollBar().value(),
                                 view.verticalScrollBar().value())
        self._rest.start()

    def end(self) -> None:
        """Paint sharp again (the gesture rested, or something else needs the real frame)."""
        self._rest.stop()
        if self._frame is not None:
            self._frame = None
            self._view.viewport().update()

    def paint(self) -> None:
        """The last sharp frame stretched to the current zoom and scroll, over the rows' own
        background where it does not reach; the playhead where it is now."""
        view, frame = self._view, self._frame
        assert frame is not None
        viewport = view.viewport()
        painter = QPainter(viewport)
        scroll_x, scroll_y = view.horizontalScrollBar().value(), view.verticalScrollBar().value()
        painter.save()
        painter.translate(-scroll_x, -scroll_y)
        view.drawBackground(painter, QRectF(scroll_x, scroll_y, viewport.width(),
                                            viewport.height()))
        painter.restore()
        stretch = view.pixels_per_second / frame.pps
        size = frame.image.deviceIndependentSize()
        painter.drawImage(QRectF(frame.scroll_x * stretch - scroll_x, frame.scroll_y - scroll_y,
                                 size.width() * stretch, size.height()), frame.image)
        playhead = view.view_x(view.document.playhead)
        painter.fillRect(QRectF(playhead - 0.75, 0, 1.5, viewport.height()), style.PLAYHEAD)
        painter.end()
