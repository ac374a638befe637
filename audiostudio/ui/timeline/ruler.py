"""Time grid (tick steps and labels for a zoom) and the ruler widget above the tracks.

With a frame rate every step is a whole number of frames (a "second" at 29.97 is 30 frames,
1.001 s: one timecode second), so ticks, snapping and nudging land on frames. The labels are
clock time, or SMPTE timecode from the project's ``start_timecode`` (``show_timecode``).

The ruler is a plain widget in the view's top margin rather than a scene item: it must stay put
while the tracks scroll vertically, and a widget gets that for free. It owns the playhead
clicks, the marker drags (one MoveMarker on release) and double-click-to-add-marker.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QMenu, QWidget

from audiostudio.model import Marker, new_id, timecode
from audiostudio.model.edits import AddMarker, MoveMarker, RemoveMarker
from audiostudio.model.hand_edits import ByHand
from audiostudio.ui.timeline import style

if TYPE_CHECKING:
    from audiostudio.ui.timeline.view import TimelineView

_SECOND_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0,
                 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1800.0, 3600.0)
_FRAME_MULTIPLES = (1, 2, 5, 10)
MAJOR_MIN_PX = 80  # labelled ticks at least this far apart (a "0:00.5" label is ~40 px)
MINOR_MIN_PX = 10
FRAME_GRID_MIN_PX = 6  # frame lines only when a frame is at least this wide
TICK_AREA = 20  # top part of the ruler: ticks and labels; the rest holds the marker flags


@dataclass(frozen=True)
class TimeGrid:
    """Tick steps (seconds) for one zoom; ``frame`` is set when the frame grid is visible."""

    major: float
    minor: float
    frame: float | None
    fps: float | None

    @property
    def snap_step(self) -> float:
        """What snapping and nudging use: the frame grid when shown, else the minor ticks."""
        return self.frame or self.minor

    def label(self, seconds: float) -> str:
        if self.fps and self.major < 1.0:
            whole = math.floor(seconds + 1e-9)
            frame = round((seconds - whole) * self.fps)
            return f"{_clock(whole)}:{frame:02d}"
        decimals = next((d for d, step in enumerate((1.0, 0.1, 0.01)) if self.major >= step), 3)
        return _clock(seconds, decimals)


def _clock(seconds: float, decimals: int = 0) -> str:
    """``m:ss`` (or ``h:mm:ss``) with ``decimals`` digits of the seconds."""
    seconds = round(seconds, decimals) + 0.0
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    width = 2 + (decimals + 1 if decimals else 0)
    text = f"{int(minutes)}:{secs:0{width}.{decimals}f}"
    return f"{int(hours)}:{int(minutes):02d}:{secs:0{width}.{decimals}f}" if hours else text


def time_grid(pixels_per_second: float, fps: float | None = None) -> TimeGrid:
    steps = list(_SECOND_STEPS)
    if fps:
        # Whole frames only: labels, snapping and nudging land on frames.
        steps = sorted({m / fps for m in _FRAME_MULTIPLES if m / fps < 1.0}
                       | {round(s * fps) / fps for s in steps if s >= 1.0})
    major = next((s for s in steps if s * pixels_per_second >= MAJOR_MIN_PX), steps[-1])
    finer = [s for s in steps if s < major and s * pixels_per_second >= MINOR_MIN_PX]
    dividing = [s for s in finer if abs(major / s - round(major / s)) < 1e-6]
    minor = (dividing or finer or [major])[0]
    frame = 1.0 / fps if fps and pixels_per_second / fps >= FRAME_GRID_MIN_PX else None
    return TimeGrid(major, minor, frame, fps)


def tick_times(step: float, start: float, end: float) -> np.ndarray:
    """Multiples of ``step`` in [start, end] (computed as k * step so they never drift)."""
    first = math.ceil(start / step - 1e-9)
    last = math.floor(end / step + 1e-9)
    return np.arange(max(first, 0), max(last, -1) + 1, dtype=np.float64) * step


class Ruler(QWidget):
    """Time labels, markers and the playhead head; lives in the view's top margin."""

    marker_activated = Signal(str)  # a marker was double-clicked (the lead may rename it)

    def __init__(self, view: TimelineView) -> None:
        super().__init__(view)
        self.view = view
        self.setMouseTracking(True)
        self.setFixedHeight(style.RULER_HEIGHT)
        self._marker_drag: tuple[str, float, float] | None = None  # id, grab dx, preview time
        self._scrubbing = False
        self.show_timecode = False  # labels as HH:MM:SS:FF from the project's start timecode

    def set_show_timecode(self, on: bool) -> None:
        self.show_timecode = on
        self.update()

    def label(self, grid: TimeGrid, seconds: float) -> str:
        if self.show_timecode:
            return timecode.project_label(self.view.document.project, seconds)
        return grid.label(seconds)

    # --- geometry ----------------------------------------------------------------------------
    def _flag_rect(self, marker: Marker, time: float) -> QRectF:
        x = self.view.view_x(time)
        width = 10 + self.fontMetrics().horizontalAdvance(marker.label) if marker.label else 10
        return QRectF(x, TICK_AREA, width, style.RULER_HEIGHT - TICK_AREA)

    def marker_time(self, marker: Marker) -> float:
        drag = self._marker_drag
        return drag[2] if drag is not None and drag[0] == marker.id else marker.time

    def marker_at(self, x: float, y: float) -> Marker | None:
        # Last drawn is on top, so search from the end.
        for marker in reversed(self.view.document.project.markers):
            if self._flag_rect(marker, self.marker_time(marker)).contains(QPointF(x, y)):
                return marker
        return None

    # --- painting ----------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.RULER_BG)
        painter.setPen(style.ROW_LINE)
        painter.drawLine(0, self.height() - 1, self.width(), self.height() - 1)
        self._paint_ticks(painter)
        self._paint_markers(painter)
        self._paint_playhead(painter)

    def _paint_ticks(self, painter: QPainter) -> None:
        view = self.view
        grid = view.grid()
        t0, t1 = view.time_at(0), view.time_at(self.width())
        painter.setPen(style.RULER_TICK)
        lines = []
        for step, length in ((grid.frame, 3), (grid.minor, 5), (grid.major, 9)):
            if step is None:
                continue
            for t in tick_times(step, t0, t1):
                x = round(view.view_x(float(t))) + 0.5
                lines.append((x, TICK_AREA - length))
        painter.drawLines([QPointF(x, y) for x, top in lines for y in (top, TICK_AREA)])
        painter.setFont(style.ui_font(8))
        painter.setPen(style.RULER_TEXT)
        for t in tick_times(grid.major, t0 - grid.major, t1):
            x = round(view.view_x(float(t)))
            painter.drawText(QRectF(x + 3, 0, 90, TICK_AREA - 6),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             self.label(grid, float(t)))

    def _paint_markers(self, painter: QPainter) -> None:
        painter.setFont(style.ui_font(8))
        for marker in self.view.document.project.markers:
            rect = self._flag_rect(marker, self.marker_time(marker))
            if rect.right() < 0 or rect.left() > self.width():
                continue
            x = rect.left()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(style.MARKER)
            top, bottom = rect.top() + 1, rect.bottom()
            painter.drawPolygon(QPolygonF([QPointF(x, top), QPointF(x + 7, top),
                                           QPointF(x + 7, bottom - 5), QPointF(x, bottom)]))
            if marker.label:
                painter.setPen(style.MARKER)
                painter.drawText(rect.adjusted(9, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter,
                                 marker.label)

    def _paint_playhead(self, painter: QPainter) -> None:
        x = self.view.view_x(self.view.document.playhead)
        painter.setPen(QPen(style.PLAYHEAD, 1.5))
        painter.setBrush(style.PLAYHEAD)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.drawPolygon(QPolygonF([QPointF(x - 5, 0), QPointF(x + 5, 0),
                                       QPointF(x + 5, 6), QPointF(x, 11), QPointF(x - 5, 6)]))
        painter.drawLine(QPointF(x, 11), QPointF(x, self.height()))

    def update_strip(self, old_time: float, new_time: float) -> None:
        """Repaint only around two playhead positions (playback moves it 30 times a second)."""
        for t in (old_time, new_time):
            self.update(round(self.view.view_x(t)) - 7, 0, 14, self.height())

    # --- mouse -------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position()
        marker = self.marker_at(pos.x(), pos.y())
        if marker is not None:
            grab = self.view.time_at(pos.x()) - marker.time
            self._marker_drag = (marker.id, grab, marker.time)
            return
        self._scrubbing = True
        self.view.document.set_playhead(self.view.time_at(pos.x()))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._marker_drag is not None:
            marker_id, grab, _ = self._marker_drag
            time = self.view.time_at(pos.x()) - grab
            snap = self.view.snap_delta([time], event.modifiers(), exclude_marker=marker_id)
            time = max(0.0, time + snap)
            self._marker_drag = (marker_id, grab, time)
            self.update()
            self.view.viewport().update()  # the marker's line through the tracks
        elif self._scrubbing:
            self.view.document.set_playhead(self.view.time_at(pos.x()))
        else:
            hover = self.marker_at(pos.x(), pos.y()) is not None
            self.setCursor(Qt.CursorShape.SizeHorCursor if hover else Qt.CursorShape.ArrowCursor)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._scrubbing = False
        drag, self._marker_drag = self._marker_drag, None
        if drag is None:
            return
        marker_id, _, time = drag
        found = next((m for m in self.view.document.project.markers if m.id == marker_id), None)
        if found is not None and time != found.time:
            self.view.apply(ByHand(MoveMarker(marker_id, time)), "Move marker")
        self.update()
        self.view.viewport().update()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        marker = self.marker_at(pos.x(), pos.y())
        if marker is not None:
            self.marker_activated.emit(marker.id)
            return
        markers = self.view.document.project.markers
        time = max(0.0, self.view.time_at(pos.x()))
        marker = Marker(id=new_id("m"), time=time, label=f"Marker {len(markers) + 1}")
        self.view.apply(AddMarker(marker), "Add marker")

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        marker = self.marker_at(event.pos().x(), event.pos().y())
        if marker is None:
            return
        menu = QMenu(self)
        remove = menu.addAction(f"Remove marker “{marker.label or marker.id}”")
        if menu.exec(event.globalPos()) is remove:
            self.view.apply(RemoveMarker(marker.id), "Remove marker")

