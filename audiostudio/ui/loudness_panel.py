"""The loudness panel: momentary, short-term and integrated loudness and true peak while playing
(read from the feeder's levels on a GUI timer), and the delivered mix's short-term loudness over
the whole timeline against the target, measured in the background and refreshed after edits."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from audiostudio.ui.document import Document
from audiostudio.ui.preview import Preview

READ_MS = 100
FLOOR_LUFS = -50.0


def _lufs(value: float | None, unit: str = "LUFS") -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.1f} {unit}"


def loudness_words(preview: Preview) -> str:
    """The mix's measured and delivered loudness in a line (also the inspector's overview)."""
    target = preview.target_lufs
    if preview.measuring:
        return "Measuring the mix's loudness…"
    if preview.lufs is None:
        return "The mix is silent: nothing to measure yet"
    if target is None:
        return f"Mix {_lufs(preview.lufs)} — not normalised"
    missed = preview.target_missed
    return (f"Mix measured {_lufs(preview.lufs)}; delivered at "
            f"{_lufs(preview.delivered_lufs)} (target {target:g}, gain {preview.norm_db:+.1f} dB)"
            + (f" — target missed: {missed}" if missed else ""))


class LoudnessPanel(QWidget):
    def __init__(self, document: Document, preview: Preview) -> None:
        super().__init__()
        self.document = document
        self.preview = preview
        self.status = QLabel()
        self.status.setObjectName("loudnessStatus")
        self.status.setWordWrap(True)
        self.readouts: dict[str, QLabel] = {}
        grid = QGridLayout()
        for column, name in enumerate(("Momentary", "Short-term", "Integrated", "True peak")):
            caption = QLabel(name)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            value = QLabel("—")
            value.setObjectName("loudnessReadout")
            value.setAlignment(Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(caption, 0, column)
            grid.addWidget(value, 1, column)
            self.readouts[name] = value
        self.plot = pg.PlotWidget(background="#1b1d23")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("left", "Short-term", units="LUFS")
        self.plot.setLabel("bottom", "Time", units="s")
        self.plot.showGrid(x=False, y=True, alpha=0.15)
        self.plot.setYRange(FLOOR_LUFS, 0.0)
        self.curve = self.plot.plot(pen=pg.mkPen("#5eb1ef", width=2))
        self.target = pg.InfiniteLine(angle=0, pen=pg.mkPen("#f5a524", style=Qt.PenStyle.DashLine),
                                      label="target", labelOpts={"color": "#f5a524",
                                                                 "position": 0.03})
        self.plot.addItem(self.target)
        self.playhead = pg.InfiniteLine(angle=90, pen=pg.mkPen("#e5484d"))
        self.plot.addItem(self.playhead)
        self.plot.setMinimumHeight(140)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.status)
        layout.addLayout(grid)
        layout.addWidget(self.plot, 1)
        preview.loudness_changed.connect(self.refresh)
        document.playhead_moved.connect(self.playhead.setValue)
        self._timer = QTimer(self)
        self._timer.setInterval(READ_MS)
        self._timer.timeout.connect(self._read)
        self._timer.start()
        self.refresh()

    def refresh(self) -> None:
        target = self.preview.target_lufs
        self.status.setText(loudness_words(self.preview))
        self.target.setVisible(target is not None)
        if target is not None:
            self.target.setValue(target)
        ends, lufs = self.preview.loudness_curve()
        shown = np.where(np.isfinite(lufs), np.maximum(lufs, FLOOR_LUFS), FLOOR_LUFS)
        self.curve.setData(ends, shown)
        length = max(1.0, self.document.project.timeline_length())
        self.plot.setXRange(0.0, length, padding=0.01)
        self.playhead.setValue(self.document.playhead)

    def _read(self) -> None:
        levels = self.preview.levels()
        if levels is None:
            return
        self.readouts["Momentary"].setText(_lufs(levels.momentary))
        self.readouts["Short-term"].setText(_lufs(levels.short_term))
        self.readouts["Integrated"].setText(_lufs(levels.integrated))
        self.readouts["True peak"].setText(_lufs(levels.true_peak, "dBTP"))
