"""Mouse gestures on clips: each previews by moving items, then yields ONE edit on release.

A gesture never touches the model while it runs, so a drag is exactly one undo step and a
refused edit (locked track, trim past the audio) leaves nothing to clean up but the preview.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtWidgets import QRubberBand

from audiostudio.model.edits import Edit, MoveClip, SetFields, TrimClip
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.selection_edits import compound, plural

if TYPE_CHECKING:
    from audiostudio.ui.timeline.items import ClipItem
    from audiostudio.ui.timeline.view import TimelineView

MIN_CLIP_PX = 2  # a trim never makes a clip narrower than this on screen
Modifiers = Qt.KeyboardModifier


class Drag:
    """One mouse gesture: ``update`` on each move, then ``finish`` or ``cancel``."""

    def __init__(self, view: TimelineView, press: QPointF) -> None:
        self.view = view
        self.press = press  # scene coordinates

    def seconds_moved(self, pos: QPointF) -> float:
        return (pos.x() - self.press.x()) / self.view.pixels_per_second

    def update(self, pos: QPointF, modifiers: Modifiers) -> None:
        raise NotImplementedError

    def finish(self) -> tuple[Edit, str] | None:
        """The edit to apply and its undo text, or None when nothing changed."""
        raise NotImplementedError

    def cancel(self) -> None:
        """Drop the preview (after a refused edit or a click that never moved)."""


class _ItemsDrag(Drag):
    def __init__(self, view: TimelineView, press: QPointF, items: list[ClipItem]) -> None:
        super().__init__(view, press)
        self.items = items

    def cancel(self) -> None:
        for item in self.items:
            self.view.resync(item)


class MoveDrag(_ItemsDrag):
    """Moves the selection in time and across tracks; snaps the grabbed clip's edges."""

    def __init__(self, view: TimelineView, press: QPointF, grabbed: ClipItem,
                 items: list[ClipItem]) -> None:
        super().__init__(view, press, items)
        self.grabbed = grabbed
        self.origins = [(item, item.start, item.row) for item in items]
        self.ids = {item.clip_id for item in items}
        self.earliest = min(item.start for item in items)
        self.rows = (min(item.row for item in items), max(item.row for item in items))
        self.press_row = view.row_at(press.y())
        self.delta = 0.0
        self.row_shift = 0

    def update(self, pos: QPointF, modifiers: Modifiers) -> None:
        view = self.view
        start = self.grabbed_start() + self.seconds_moved(pos)
        start += view.snap_delta([start, start + self.grabbed.length], modifiers, self.ids)
        self.delta = max(start - self.grabbed_start(), -self.earliest)
        last_row = view.row_count() - 1
        self.row_shift = min(max(view.row_at(pos.y()) - self.press_row, -self.rows[0]),
                             last_row - self.rows[1])
        for item, origin, row in self.origins:
            item.preview(start=origin + self.delta, row=row + self.row_shift)

    def grabbed_start(self) -> float:
        return next(origin for item, origin, _ in self.origins if item is self.grabbed)

    def finish(self) -> tuple[Edit, str] | None:
        if self.delta == 0 and self.row_shift == 0:
            return None
        tracks = self.view.document.project.tracks
        edits: list[Edit] = [
            MoveClip(item.clip_id, origin + self.delta,
                     tracks[row + self.row_shift].id if self.row_shift else None)
            for item, origin, row in self.origins
        ]
        return ByHand(compound(edits)), f"Move {plural(len(edits), 'clip')}"


class TrimDrag(_ItemsDrag):
    """Moves one edge; trimming the start moves start and offset together (the model's rule)."""

    def __init__(self, view: TimelineView, press: QPointF, item: ClipItem, side: str) -> None:
        super().__init__(view, press, [item])
        self.item = item
        self.side = side
        clip = item.clip
        start, end = item.start, item.start + item.length
        min_len = MIN_CLIP_PX / view.pixels_per_second
        self.edge = start if side == "start" else end
        self.time = self.edge
        if side == "start":
            earliest = 0.0 if clip.loop else max(0.0, start - clip.offset)
            self.bounds = (earliest, end - min_len)
        else:
            latest = math.inf
            if not clip.loop and clip.source_duration is not None:
                latest = max(end, start + clip.source_duration - clip.offset)
            self.bounds = (start + min_len, latest)

    def update(self, pos: QPointF, modifiers: Modifiers) -> None:
        time = self.edge + self.seconds_moved(pos)
        time += self.view.snap_delta([time], modifiers, {self.item.clip_id})
        self.time = min(max(time, self.bounds[0]), self.bounds[1])
        clip = self.item.clip
        if self.side == "start":
            end = clip.start + self.item.length
            self.item.preview(start=self.time, length=end - self.time,
                              offset=clip.offset + (self.time - clip.start))
        else:
            self.item.preview(length=self.time - clip.start)

    def finish(self) -> tuple[Edit, str] | None:
        if self.time == self.edge:
            return None
        return ByHand(TrimClip(self.item.clip_id, self.side, self.time)), f"Trim clip {self.side}"


class FadeDrag(_ItemsDrag):
    """Drags a fade handle; the two fades together never exceed the clip."""

    def __init__(self, view: TimelineView, press: QPointF, item: ClipItem, side: str) -> None:
        super().__init__(view, press, [item])
        self.item = item
        self.side = side  # "fade_in" / "fade_out"
        self.initial = getattr(item, side)
        other = item.fade_out if side == "fade_in" else item.fade_in
        self.limit = max(0.0, item.length - other)
        self.value = self.initial

    def update(self, pos: QPointF, modifiers: Modifiers) -> None:
        moved = self.seconds_moved(pos)
        value = self.initial + (moved if self.side == "fade_in" else -moved)
        self.value = min(max(value, 0.0), self.limit)
        self.item.preview(**{self.side: self.value})

    def finish(self) -> tuple[Edit, str] | None:
        if self.value == self.initial:
            return None
        text = "Fade in" if self.side == "fade_in" else "Fade out"
        return SetFields(self.item.clip_id, {self.side: self.value}), text


class RubberBandDrag(Drag):
    """Selects the clips a rectangle touches (added to the selection with Shift/Ctrl)."""

    def __init__(self, view: TimelineView, press: QPointF, additive: bool) -> None:
        super().__init__(view, press)
        self.base = set(view.document.selection) if additive else set()
        self.band = QRubberBand(QRubberBand.Shape.Rectangle, view.viewport())

    def update(self, pos: QPointF, modifiers: Modifiers) -> None:
        rect = QRectF(self.press, pos).normalized()
        top_left = self.view.mapFromScene(rect.topLeft())
        self.band.setGeometry(QRect(top_left, QSize(round(rect.width()), round(rect.height()))))
        self.band.show()
        self.view.document.select(self.base | self.view.clip_ids_in(rect))

    def finish(self) -> tuple[Edit, str] | None:
        self.cancel()
        return None

    def cancel(self) -> None:
        self.band.hide()
        self.band.deleteLater()
