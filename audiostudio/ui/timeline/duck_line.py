"""The ducking envelope drawn as a line over the clips of ducked tracks: 0 dB at the top of the
clip, the duck depth lower down, so a creator sees where the music dips under the voice."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

LINE = QColor(245, 165, 36, 220)
INSET = 5.0  # px from the clip's top edge for 0 dB
SPAN = 0.55  # of the row height between 0 dB and the deepest duck drawn


@dataclass(frozen=True)
class DuckLine:
    times: np.ndarray  # seconds of the envelope's control points
    gain_db: np.ndarray  # the ducking gain there (<= 0)
    track_ids: frozenset[str]  # the ducked tracks it applies to
    depth_db: float  # the deepest duck (for the scale)

    def polyline(self, t0: float, t1: float, pps: float, top: float, height: float) -> QPolygonF:
        """Points for [t0, t1] in scene coordinates: at most ~one per pixel (the deepest gain
        within each pixel, so short dips stay visible at any zoom)."""
        i0 = max(0, int(np.searchsorted(self.times, t0)) - 1)
        i1 = min(len(self.times), int(np.searchsorted(self.times, t1)) + 1)
        if i1 - i0 < 2:
            return QPolygonF()
        times, gains = self.times[i0:i1], self.gain_db[i0:i1]
        columns = max(2, int((t1 - t0) * pps))
        if len(times) > columns:  # decimate to pixel columns, keeping the minimum
            edges = np.linspace(0, len(times), columns + 1).astype(int)
            gains = np.minimum.reduceat(gains, edges[:-1])
            times = times[edges[:-1]]
        scale = SPAN * height / max(1e-6, -self.depth_db)
        xs = np.clip(times, t0, t1) * pps
        ys = top + INSET + np.minimum(0.0, gains) * -scale
        return QPolygonF([QPointF(float(x), float(y)) for x, y in zip(xs, ys, strict=True)])

    def draw(self, painter: QPainter, t0: float, t1: float, pps: float, top: float,
             height: float) -> None:
        line = self.polyline(t0, t1, pps, top, height)
        if line.size() > 1:
            painter.setPen(QPen(LINE, 1.5))
            painter.drawPolyline(line)
