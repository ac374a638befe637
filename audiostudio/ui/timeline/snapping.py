"""Where a dragged time wants to land: clip edges, the playhead, markers, then the grid.

Object targets win over the grid when both are in reach, as in most editors: lining a sound up
with another clip or a marker is the intent; the grid is the fallback. With a video's frame
grid, a time that reaches neither still lands on a frame, as in a video editor. Targets are gathered
once per drag into a sorted array, so each mouse move is a binary search.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from audiostudio.model import Project


def snap_targets(project: Project, playhead: float, exclude_clips: Iterable[str] = (),
                 exclude_marker: str | None = None) -> np.ndarray:
    """Sorted unique times of clip edges (minus the excluded clips), playhead and markers."""
    skip = set(exclude_clips)
    times = [playhead]
    for _, clip in project.iter_clips():
        if clip.id not in skip:
            times += (clip.start, clip.end)
    times += (m.time for m in project.markers if m.id != exclude_marker)
    return np.unique(np.asarray(times, dtype=np.float64))


class Snapper:
    """Snaps within ``threshold`` seconds (the view converts its pixel reach for the zoom)."""

    def __init__(self, targets: np.ndarray, grid_step: float | None, threshold: float,
                 frame: float | None = None) -> None:
        self.targets = targets
        self.grid_step = grid_step
        self.threshold = threshold
        self.frame = frame  # seconds per frame of the project's frame grid, if it has one

    def delta(self, times: Sequence[float]) -> float:
        """The shift that lands the nearest of ``times`` on a target; with nothing in reach,
        the first of ``times`` on a frame (with a frame grid) or no shift."""
        best = self._nearest_target(times)
        if best is None and self.grid_step:
            grid = min(((round(t / self.grid_step) * self.grid_step - t) for t in times), key=abs)
            best = grid if abs(grid) <= self.threshold else None
        if best is None and self.frame:
            best = round(times[0] / self.frame) * self.frame - times[0]
        return best if best is not None else 0.0

    def _nearest_target(self, times: Sequence[float]) -> float | None:
        if not len(self.targets):
            return None
        best: float | None = None
        for t in times:
            i = int(np.searchsorted(self.targets, t))
            for j in (i - 1, i):
                if 0 <= j < len(self.targets):
                    d = float(self.targets[j]) - t
                    if abs(d) <= self.threshold and (best is None or abs(d) < abs(best)):
                        best = d
        return best
