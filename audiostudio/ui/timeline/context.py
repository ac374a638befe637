"""What clip items read to place and paint themselves, kept current by the view.

Items get this and a ``WaveformScheduler`` instead of the view: they see the zoom, the rows,
the left edge and where their audio lives, and nothing they could use to edit or steer it.
The track headers lay out from the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from audiostudio.model import Clip
from audiostudio.ui.timeline import style


class PaintContext:
    def __init__(self, source_path: Callable[[Clip], Path | None]) -> None:
        self.pps = 50.0  # pixels per second
        self.left_edge = 0.0  # scene x at the viewport's left edge (names pin to it)
        self.sample_rate = 48000  # the project's: waveforms are read at this rate
        self.rows: list[tuple[float, float]] = []  # (top, height) per track, in scene px
        self.lane_scale = 1.0  # lane height / the track's own height (the view's lane zoom)
        self.source_path = source_path  # a clip's audio file, or None (no waveform)

    def row_top(self, row: int) -> float:
        return self.rows[row][0] if 0 <= row < len(self.rows) else self.rows_bottom()

    def row_height(self, row: int) -> float:
        return self.rows[row][1] if 0 <= row < len(self.rows) else style.MIN_TRACK_HEIGHT

    def rows_bottom(self) -> float:
        return self.rows[-1][0] + self.rows[-1][1] if self.rows else 0.0
