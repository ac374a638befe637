"""TimelineView: the tracks as a QGraphicsScene, edited with the mouse and keys.

Design notes:
- Scene x = seconds x pixels-per-second, scene y = rows stacked from 0; no view transform, so
  zooming re-places items (a few ms for thousands) and text never scales.
- The view, not the items, interprets the mouse (``drags.py``), so a gesture can span many
  items (a multi-clip move) and always ends in one ``Document.apply``.
- ``Document.changed`` carries the touched ids; only those items (and the clips of touched
  tracks) are synced, so a drag repaints one clip, not the timeline.
- Rows, grid and marker lines are painted in ``drawBackground`` for the exposed rect only.
- Row heights are the tracks' own (``Track.height``, undoable) times a lane zoom of the view
  (``lane_scale``, like the time zoom not saved): Fit makes the lanes fill the viewport's
  height and keeps them filling it while the window or its docks are resized, until the user
  zooms the lanes. The headers lay out from the same ``PaintContext.rows``.
- Kept elsewhere, so this class stays zoom, scroll, model sync, painting and the mouse: what
  a command does to the selection (``model/selection_edits.py``, no Qt), the keys
  (``ui/actions.py``), when waveform outlines are made (``wave_schedule.py``); clip items
  read a ``PaintContext``, never the view.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmapCache,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsScene, QGraphicsView, QMenu, QToolTip, QWidget

from audiostudio.errors import ProjectFormatError
from audiostudio.generation.takes import clips_to_generate
from audiostudio.model import Clip, Request, Track, new_id, selection_edits
from audiostudio.model.assets import resolve_path
from audiostudio.model.edits import AddClip, Edit
from audiostudio.model.project import REQUEST_KINDS
from audiostudio.model.selection_edits import Clipboard, Hint, SelectionEdit
from audiostudio.ui.actions import ActionRegistry
from audiostudio.ui.document import Document
from audiostudio.ui.forms import choice_words
from audiostudio.ui.timeline import style
from audiostudio.ui.timeline.context import PaintContext
from audiostudio.ui.timeline.drags import (
    Drag,
    FadeDrag,
    MoveDrag,
    RubberBandDrag,
    TrimDrag,
)
from audiostudio.ui.timeline.duck_line import DuckLine
from audiostudio.ui.timeline.items import ClipItem, PlayheadItem
from audiostudio.ui.timeline.ruler import Ruler, TimeGrid, tick_times, time_grid
from audiostudio.ui.timeline.snapping import Snapper, snap_targets
from audiostudio.ui.timeline.wave_schedule import WaveformScheduler
from audiostudio.ui.timeline.zoom_preview import ZoomPreview

MIN_PPS = 0.2
MAX_PPS = 24000.0  # two samples per pixel at 48 kHz: enough to see every sample
DRAG_START_PX = 3
WHEEL_ZOOM_PER_NOTCH = 1.25
EXTRA_SECONDS = 30.0  # room to drag past the last clip
PIXMAP_CACHE_KB = 96 * 1024
EMPTY_FIT_SECONDS = 10.0
FIT_MIN_LANE = 48  # px: Fit never squeezes a lane below a title and a readable waveform
FIT_MAX_LANE = 220  # px: nor stretches one track into a wall of waveform
LANE_ZOOM_STEP = 1.25
AUTOSCROLL_ZONE = 24  # px from a viewport edge where a drag scrolls the timeline
AUTOSCROLL_MAX_PX = 24  # per 30 ms tick
CONTEXT_MENU = ("split", "duplicate", "copy", "paste", "mute_track", "delete")

@dataclass
class _Press:
    view_pos: QPointF
    drag: Drag
    select_on_click: set[str] | None  # what a click without movement selects
    moved: bool = False
    last_pos: QPointF = field(default_factory=QPointF)
    modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier


def _edge_speed(position: float, size: int) -> float:
    """Autoscroll pixels per tick: up to AUTOSCROLL_MAX_PX, faster the closer to the edge."""
    if position < AUTOSCROLL_ZONE:
        return -AUTOSCROLL_MAX_PX * (AUTOSCROLL_ZONE - position) / AUTOSCROLL_ZONE
    if position > size - AUTOSCROLL_ZONE:
        return AUTOSCROLL_MAX_PX * (position - size + AUTOSCROLL_ZONE) / AUTOSCROLL_ZONE
    return 0.0


@lru_cache(maxsize=64)
def _grid(pps: float, fps: float | None) -> TimeGrid:
    return time_grid(pps, fps)


class TimelineView(QGraphicsView):
    message = Signal(str)  # a refused edit or a hint, for the status bar
    zoom_changed = Signal(float)  # pixels per second
    snap_changed = Signal(bool)
    rows_changed = Signal()  # track order or heights changed: headers re-lay out
    vertical_scroll_changed = Signal(int)
    clip_activated = Signal(str)  # a clip was double-clicked or added (open it in the inspector)
    generate_requested = Signal(list)  # clip ids: a track's empty or stale prompt clips

    def __init__(self, document: Document, clipboard: Clipboard | None = None,
                 commands: ActionRegistry | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.clipboard = clipboard if clipboard is not None else Clipboard()
        self.commands = commands if commands is not None else ActionRegistry()
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setViewportMargins(0, style.RULER_HEIGHT, 0, 0)
        # Always-on bars keep the viewport width fixed, so fit-to-width and headers stay put.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.ruler = Ruler(self)
        self.playhead_item = PlayheadItem()
        self.scene().addItem(self.playhead_item)
        # Clip items cache their pixels (DeviceCoordinateCache lives in QPixmapCache): make
        # room for a screenful of clips at 4K so they are not evicted while scrolling.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), PIXMAP_CACHE_KB))
        self.context = PaintContext(self.source_path)  # what clip items read
        self.wave_scheduler = WaveformScheduler(
            lambda: self.mapToScene(self.viewport().rect()).boundingRect(), self)
        self.waveforms = self.wave_scheduler.cache
        self.zoom_preview = ZoomPreview(self)  # a wheel zoom stretches the last sharp frame

        self.snap_enabled = True
        self._lanes_fitted = False  # Fit chose the lane zoom: a resize fits again
        self._fitted_height = 0  # the viewport height the lanes were fitted to
        self.duck_line: DuckLine | None = None
        self._items: dict[str, ClipItem] = {}
        self._track_ids: tuple[str, ...] = ()
        self._marker_ids: set[str] = set()
        self._height_preview: dict[str, int] = {}
        self._shown_selection: set[str] = set()
        self._shown_playhead = document.playhead
        self._progress: dict[str, float] = {}
        self._failures: dict[str, str] = {}
        self._paths: dict[tuple[Path, str], Path | None] = {}
        self._snapper: tuple[tuple, Snapper] | None = None
        self._press: _Press | None = None
        self._pinned: set[ClipItem] = set()  # clips whose name is pinned to the left edge
        self._hovered: ClipItem | None = None
        self._autoscroll = QTimer(self)
        self._autoscroll.setInterval(30)
        self._autoscroll.timeout.connect(self._autoscroll_step)
        self._autoscroll_speed = QPointF()

        document.changed.connect(self._on_changed)
        document.reset.connect(self.rebuild)
        document.selection_changed.connect(self._on_selection_changed)
        document.playhead_moved.connect(self._on_playhead_moved)
        self.horizontalScrollBar().valueChanged.connect(self._on_horizontal_scroll)
        self.verticalScrollBar().valueChanged.connect(self.vertical_scroll_changed)
        self._build_actions()
        self.rebuild()

    def _build_actions(self) -> None:
        """The timeline's commands, keyed while the focus is in the timeline (``actions.py``)."""
        for name, text, slot in (
                ("playhead_start", "Start", self.move_playhead_to_start),
                ("playhead_end", "End", self.move_playhead_to_end),
                ("split", "Split at Playhead", self.split_selected),
                ("delete", "Delete", self.delete_selected),
                ("duplicate", "Duplicate", self.duplicate_selected),
                ("copy", "Copy", self.copy_selected),
                ("paste", "Paste at Playhead", self.paste),
                ("nudge_left", "Nudge Left", lambda: self.nudge(-1)),
                ("nudge_right", "Nudge Right", lambda: self.nudge(1)),
                ("zoom_in", "Zoom In", self.zoom_in),
                ("zoom_out", "Zoom Out", self.zoom_out),
                ("taller_tracks", "Taller Tracks", lambda: self.zoom_lanes(LANE_ZOOM_STEP)),
                ("shorter_tracks", "Shorter Tracks",
                 lambda: self.zoom_lanes(1 / LANE_ZOOM_STEP)),
                ("snap", "Snapping On/Off", self.toggle_snap),
                ("mute_track", "Mute Track", self.mute_selected_tracks)):
            self.commands.create(self, name, text, slot, scope=self)

    # --- coordinates ----------------------------------------------------------------------
    @property
    def pixels_per_second(self) -> float:
        return self.context.pps

    def time_at(self, view_x: float) -> float:
        """Seconds at a viewport x (the ruler shares the viewport's x)."""
        return (self.horizontalScrollBar().value() + view_x) / self.context.pps

    def view_x(self, seconds: float) -> float:
        return seconds * self.context.pps - self.horizontalScrollBar().value()

    def grid(self) -> TimeGrid:
        rate = self.document.project.frame_rate
        return _grid(self.context.pps, rate.fps if rate else None)

    def row_count(self) -> int:
        return len(self.context.rows)

    def row_top(self, row: int) -> float:
        return self.context.row_top(row)

    def row_height(self, row: int) -> float:
        return self.context.row_height(row)

    def rows_bottom(self) -> float:
        return self.context.rows_bottom()

    def row_at(self, scene_y: float) -> int:
        """The row at a scene y, clamped to the first/last row (-1 when there are no tracks)."""
        tops = [top for top, _ in self.context.rows]
        return max(0, bisect.bisect_right(tops, scene_y) - 1) if tops else -1

    def track_id_at(self, pos: QPoint) -> str | None:
        """The track whose row is at ``pos`` in this widget's coordinates (e.g. where files
        are dropped); None over the ruler or below the last track."""
        viewport_pos = self.viewport().mapFrom(self, pos)
        if not self.viewport().rect().contains(viewport_pos):
            return None
        y = self._scene_pos(QPointF(viewport_pos)).y()
        row = self.row_at(y)
        if row < 0 or y >= self.rows_bottom():
            return None
        return self._track_ids[row]

    def clip_item(self, clip_id: str) -> ClipItem | None:
        return self._items.get(clip_id)

    def clip_ids_in(self, scene_rect: QRectF) -> set[str]:
        return {item.clip_id for item in self.scene().items(scene_rect)
                if isinstance(item, ClipItem)}

    # --- zoom and scrolling ---------------------------------------------------------------
    def set_pixels_per_second(self, pps: float, anchor_x: float | None = None) -> None:
        """Zoom keeping the time under viewport x ``anchor_x`` (default: the centre) in place."""
        pps = min(max(pps, MIN_PPS), MAX_PPS)
        if pps == self.context.pps:
            return
        if anchor_x is None:
            anchor_x = self.viewport().width() / 2
        anchor_time = self.time_at(anchor_x)
        self.context.pps = pps
        self._snapper = None
        for item in self._items.values():
            item.place()
        self.playhead_item.setPos(self.document.playhead * pps, 0)
        self._update_scene_rect()
        self.horizontalScrollBar().setValue(round(anchor_time * pps - anchor_x))
        self.viewport().update()
        self.ruler.update()
        self.zoom_changed.emit(pps)

    def zoom_by(self, factor: float, anchor_x: float | None = None) -> None:
        self.set_pixels_per_second(self.context.pps * factor, anchor_x)

    def zoom_step(self, factor: float, anchor_x: float | None = None) -> None:
        """One step of a user's zoom gesture (wheel, keys): painted as the last sharp frame
        stretched until the gesture rests (``zoom_preview.py``)."""
        self.zoom_preview.begin(factor)
        self.zoom_by(factor, anchor_x)

    def zoom_in(self) -> None:
        self.zoom_step(WHEEL_ZOOM_PER_NOTCH, self._playhead_anchor())

    def zoom_out(self) -> None:
        self.zoom_step(1 / WHEEL_ZOOM_PER_NOTCH, self._playhead_anchor())

    def _playhead_anchor(self) -> float | None:
        x = self.view_x(self.document.playhead)
        return x if 0 <= x <= self.viewport().width() else None

    def fit_scene(self) -> None:
        """The whole scene in view: its length across, its tracks filling the height."""
        self.zoom_to_fit()
        self.fit_lanes()

    def zoom_to_fit(self) -> None:
        """The whole scene's length across the viewport (the lanes keep their height)."""
        project = self.document.project
        # An empty or very short scene still shows a useful stretch of time to place clips in.
        length = max(project.timeline_length(), project.content_end(), EMPTY_FIT_SECONDS)
        width = max(self.viewport().width() - 16, 50)
        self.set_pixels_per_second(width / length, anchor_x=0)
        self.horizontalScrollBar().setValue(0)

    # --- lane heights -----------------------------------------------------------------------
    @property
    def lane_scale(self) -> float:
        return self.context.lane_scale

    def _lane_bounds(self, low_px: float, high_px: float) -> tuple[float, float]:
        """The lane zooms that keep every track between ``low_px`` and ``high_px`` tall."""
        heights = [self.document.track_height(i) for i in range(len(self.document.project.tracks))]
        if not heights:
            return 1.0, 1.0
        return low_px / min(heights), max(low_px / min(heights), high_px / max(heights))

    def set_lane_scale(self, scale: float) -> None:
        """Every lane ``scale`` times its track's height (kept between the track heights'
        limits); the user's own choice: the lanes stop following the viewport's height."""
        self._lanes_fitted = False
        self._set_lane_scale(scale, style.MIN_TRACK_HEIGHT, style.MAX_TRACK_HEIGHT)

    def zoom_lanes(self, factor: float) -> None:
        self.set_lane_scale(self.context.lane_scale * factor)

    def fit_lanes(self) -> None:
        """Lanes that fill the viewport's height (within FIT_MIN_LANE..FIT_MAX_LANE each)."""
        natural = sum(self.document.track_height(i)
                      for i in range(len(self.document.project.tracks)))
        self._fitted_height = self.viewport().height()
        if natural:
            self._set_lane_scale(self._fitted_height / natural, FIT_MIN_LANE, FIT_MAX_LANE)
        self._lanes_fitted = True

    def _set_lane_scale(self, scale: float, low_px: float, high_px: float) -> None:
        low, high = self._lane_bounds(low_px, high_px)
        scale = min(max(scale, low), high)
        if scale == self.context.lane_scale:
            return
        self.context.lane_scale = scale
        self._relayout()

    def _relayout(self) -> None:
        """Re-place everything after the rows changed height."""
        self.zoom_preview.end()
        if self._layout_rows():
            for item in self._items.values():
                item.place()
            self._update_scene_rect()
            self.viewport().update()
            self.rows_changed.emit()

    def _on_horizontal_scroll(self, value: int) -> None:
        self.context.left_edge = float(value)
        self.ruler.update()
        # Clips crossing the left edge draw their name at the edge: repaint them (and the
        # ones that just stopped crossing it); every other clip scrolls as cached pixels.
        left = self.context.left_edge
        edge = QRectF(left, 0, 1, self.sceneRect().height())
        crossing = {item for item in self.scene().items(edge)
                    if isinstance(item, ClipItem) and item.pos().x() < left}
        for item in crossing | self._pinned:
            item.update()
        self._pinned = crossing

    def ensure_time_visible(self, seconds: float) -> None:
        x = self.view_x(seconds)
        if not 0 <= x <= self.viewport().width():
            bar = self.horizontalScrollBar()
            bar.setValue(round(seconds * self.context.pps - self.viewport().width() / 3))

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.ControlModifier:
            self.zoom_step(WHEEL_ZOOM_PER_NOTCH ** (delta.y() / 120), event.position().x())
        elif modifiers & Qt.KeyboardModifier.ShiftModifier:
            bar = self.horizontalScrollBar()
            bar.setValue(bar.value() - (delta.y() or delta.x()))
        else:
            super().wheelEvent(event)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self.zoom_preview.end()
        super().resizeEvent(event)
        viewport = self.viewport().geometry()
        self.ruler.setGeometry(viewport.left(), viewport.top() - style.RULER_HEIGHT,
                               viewport.width(), style.RULER_HEIGHT)
        if self._lanes_fitted and self.viewport().height() != self._fitted_height:
            self.fit_lanes()
        self._update_scene_rect()

    def _update_scene_rect(self) -> None:
        project = self.document.project
        end = max(project.timeline_length(), project.content_end(), self.document.playhead)
        viewport = self.viewport().size()
        width = max((end * 1.25 + EXTRA_SECONDS) * self.context.pps, viewport.width())
        height = max(self.rows_bottom() + 48, viewport.height())
        if self.sceneRect() != QRectF(0, 0, width, height):
            self.setSceneRect(0, 0, width, height)
            self.playhead_item.set_height(height)

    # --- model -> items -------------------------------------------------------------------
    def rebuild(self) -> None:
        """Recreate every item (a different project was opened)."""
        self.zoom_preview.end()
        scene = self.scene()
        for item in self._items.values():
            scene.removeItem(item)
        self._items.clear()
        self._pinned.clear()
        self._hovered = None
        self._paths.clear()
        self._progress.clear()
        self._failures.clear()
        self.wave_scheduler.reset()  # a file missing before may be there now
        self.context.sample_rate = self.document.project.sample_rate_hz
        self._snapper = None
        self._layout_rows()
        for row, track in enumerate(self.document.project.tracks):
            for clip in track.clips:
                self._add_item(track, clip, row)
        self._marker_ids = {m.id for m in self.document.project.markers}
        self._shown_selection = set(self.document.selection)
        self._update_scene_rect()
        self._on_playhead_moved(self.document.playhead)
        self.viewport().update()
        self.ruler.update()
        self.rows_changed.emit()

    def _add_item(self, track: Track, clip: Clip, row: int) -> ClipItem:
        item = ClipItem(self.context, self.wave_scheduler, track, clip, row)
        item.set_selected(clip.id in self.document.selection)
        if clip.id in self._progress:
            item.set_progress(self._progress[clip.id])
        if clip.id in self._failures:
            item.set_failure(self._failures[clip.id])
        self._items[clip.id] = item
        self.scene().addItem(item)
        return item

    def resync(self, item: ClipItem) -> None:
        """Put an item back where the model says (drops a drag preview)."""
        found = self.document.project.find_clip(item.clip_id)
        if found is not None:
            track, clip = found
            item.sync(track, clip, self._track_ids.index(track.id))

    def _layout_rows(self) -> bool:
        """Recompute row tops and heights; True when they or the track order changed.
        Rows are whole pixels: scaled bottoms are rounded, so fitted lanes end exactly at the
        viewport's edge. A header drag previews a height in pixels, unscaled."""
        project = self.document.project
        scale = self.context.lane_scale
        rows, top, exact = [], 0.0, 0.0
        for index, track in enumerate(project.tracks):
            preview = self._height_preview.get(track.id)
            exact += preview if preview else self.document.track_height(index) * scale
            bottom = max(float(round(exact)), top + style.MIN_TRACK_HEIGHT)
            if bottom > exact + 0.5:  # held at the smallest lane: later rows start lower
                exact = bottom
            rows.append((top, bottom - top))
            top = bottom
        ids = tuple(track.id for track in project.tracks)
        changed = rows != self.context.rows or ids != self._track_ids
        self.context.rows, self._track_ids = rows, ids
        return changed

    def preview_track_height(self, track_id: str, height: int | None) -> None:
        """Show a track-height drag from the headers (None ends the preview)."""
        if height is None:
            self._height_preview.pop(track_id, None)
        else:
            self._height_preview[track_id] = height
        self._relayout()

    def _on_changed(self, touched: set[str]) -> None:
        self.zoom_preview.end()
        project = self.document.project
        self.context.sample_rate = project.sample_rate_hz
        self._snapper = None
        relayout = self._layout_rows()
        tracks_touched = touched.intersection(self._track_ids)
        live: set[str] = set()
        for row, track in enumerate(project.tracks):
            refresh_track = relayout or track.id in tracks_touched
            for clip in track.clips:
                live.add(clip.id)
                item = self._items.get(clip.id)
                if item is None:
                    self._add_item(track, clip, row)
                elif refresh_track or clip.id in touched:
                    item.sync(track, clip, row)
        for clip_id in [c for c in self._items if c not in live]:
            item = self._items.pop(clip_id)
            self._pinned.discard(item)
            if item is self._hovered:
                self._hovered = None
            self.scene().removeItem(item)
        markers = {m.id for m in project.markers}
        if relayout or touched & (markers | self._marker_ids | {"project"}):
            self.viewport().update()  # rows, marker lines or the frame grid
            self.ruler.update()
        self._marker_ids = markers
        self._update_scene_rect()
        if relayout:
            self.rows_changed.emit()

    def _on_selection_changed(self) -> None:
        self.zoom_preview.end()
        selection = self.document.selection
        for clip_id in self._shown_selection ^ selection:
            item = self._items.get(clip_id)
            if item is not None:
                item.set_selected(clip_id in selection)
        self._shown_selection = set(selection)

    def _on_playhead_moved(self, seconds: float) -> None:
        if seconds * self.context.pps > self.sceneRect().width():
            self._update_scene_rect()  # the scene always reaches past the playhead
        self.playhead_item.setPos(seconds * self.context.pps, 0)
        self.ruler.update_strip(self._shown_playhead, seconds)
        self._shown_playhead = seconds

    # --- generation states and waveforms --------------------------------------------------
    def set_clip_progress(self, clip_id: str, fraction: float | None) -> None:
        """Show generation progress (0..1) on a clip; None removes the bar."""
        if fraction is None:
            self._progress.pop(clip_id, None)
        else:
            fraction = self._progress[clip_id] = min(max(fraction, 0.0), 1.0)
        item = self._items.get(clip_id)
        if item is not None:
            item.set_progress(fraction)

    def set_clip_failed(self, clip_id: str, message: str | None) -> None:
        """Mark a clip whose generation failed (red badge, message as tooltip); None clears."""
        if message is None:
            self._failures.pop(clip_id, None)
        else:
            self._failures[clip_id] = message
        item = self._items.get(clip_id)
        if item is not None:
            item.set_failure(message)

    def source_path(self, clip: Clip) -> Path | None:
        folder = self.document.folder
        if not clip.source or folder is None:
            return None
        key = (folder, clip.source)
        if key not in self._paths:
            try:
                self._paths[key] = resolve_path(folder, clip.source)
            except ProjectFormatError:
                self._paths[key] = None  # the loader reports bad paths; here: no waveform
        return self._paths[key]

    def source_error(self, path: Path) -> str | None:
        """Why a source has no waveform (missing or unreadable file), if it failed."""
        return self.wave_scheduler.error(path)

    def waveforms_settled(self) -> bool:
        """No pyramid being built and no outline waiting (tests, screenshots, benchmarks)."""
        return self.wave_scheduler.settled()

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.zoom_preview.active:
            self.zoom_preview.paint()
            return
        self.wave_scheduler.begin_frame()
        super().paintEvent(event)
        self.wave_scheduler.end_frame()

    # --- painting -------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        # Opaque, pixel-centred lines (no antialiasing): blending would cost 10x more.
        painter.fillRect(rect, style.EMPTY_AREA)
        grid = self.grid()
        t0, t1 = rect.left() / self.context.pps, rect.right() / self.context.pps
        steps = [(step, color) for step, color in ((grid.frame, style.GRID_FRAME),
                                                   (grid.minor, style.GRID_MINOR),
                                                   (grid.major, style.GRID_MAJOR)) if step]
        columns = [(color, [round(t * self.context.pps) + 0.5 for t in tick_times(step, t0, t1)])
                   for step, color in steps]
        rows = [(index, top, height) for index, (top, height) in enumerate(self.context.rows)
                if top <= rect.bottom() and top + height >= rect.top()]
        for index, top, height in rows:
            painter.fillRect(QRectF(rect.left(), top, rect.width(), height),
                             style.ROW if index % 2 == 0 else style.ROW_ALT)
        bottom = min(rect.bottom(), self.rows_bottom())
        if rows and bottom > rect.top():
            # One line per tick through all rows (not one per row: a tenth of the QLineFs), in
            # its opaque colour over the even rows' fill (the odd rows' is 3 levels darker).
            for color, xs in columns:
                painter.setPen(QPen(style.over(color, style.ROW), 1))
                painter.drawLines([QLineF(x, rect.top(), x, bottom) for x in xs])
        for _index, top, height in rows:  # the row lines over the grid
            painter.fillRect(QRectF(rect.left(), top + height - 1, rect.width(), 1), style.ROW_LINE)
        pen = QPen(style.MARKER.darker(160), 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        for marker in self.document.project.markers:
            x = round(self.ruler.marker_time(marker) * self.context.pps) + 0.5
            if rect.left() - 1 <= x <= rect.right() + 1 and bottom > rect.top():
                painter.drawLine(QLineF(x, rect.top(), x, bottom))

    def set_duck_line(self, line: DuckLine | None) -> None:
        """The ducking envelope to draw over ducked clips (None: none), from live preview."""
        self.duck_line = line
        self.viewport().update()

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:
        line = self.duck_line
        if line is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pps = self.context.pps
        for index, track in enumerate(self.document.project.tracks):
            if track.id not in line.track_ids or index >= len(self.context.rows):
                continue
            top, height = self.context.rows[index]
            if top > rect.bottom() or top + height < rect.top():
                continue
            for clip in track.clips:
                t0, t1 = max(clip.start, rect.left() / pps), min(clip.end, rect.right() / pps)
                if t1 > t0:
                    line.draw(painter, t0, t1, pps, top, height)

    # --- snapping -------------------------------------------------------------------------
    def set_snap_enabled(self, enabled: bool) -> None:
        if enabled != self.snap_enabled:
            self.snap_enabled = enabled
            self.snap_changed.emit(enabled)

    def toggle_snap(self) -> None:
        self.set_snap_enabled(not self.snap_enabled)
        self.message.emit("Snapping on" if self.snap_enabled else "Snapping off")

    def snap_delta(self, times: list[float], modifiers: Qt.KeyboardModifier,
                   exclude_clips: Iterable[str] = (), exclude_marker: str | None = None) -> float:
        """Seconds to add so one of ``times`` lands on a snap target (0: none, or Alt held)."""
        if not self.snap_enabled or modifiers & Qt.KeyboardModifier.AltModifier:
            return 0.0
        key = (frozenset(exclude_clips), exclude_marker, self.context.pps, self.document.playhead)
        if self._snapper is None or self._snapper[0] != key:
            targets = snap_targets(self.document.project, self.document.playhead, key[0],
                                   exclude_marker)
            grid = self.grid()
            snapper = Snapper(targets, grid.snap_step, style.SNAP_PX / self.context.pps,
                              frame=1.0 / grid.fps if grid.fps else None)
            self._snapper = (key, snapper)
        return self._snapper[1].delta(times)

    # --- mouse ----------------------------------------------------------------------------
    def _clip_item_at(self, view_pos: QPointF) -> ClipItem | None:
        for item in self.items(view_pos.toPoint()):
            if isinstance(item, ClipItem):
                return item
        return None

    def _scene_pos(self, view_pos: QPointF) -> QPointF:
        return self.mapToScene(QPoint(0, 0)) + view_pos

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.zoom_preview.end()
        if event.button() != Qt.MouseButton.LeftButton:
            super().mousePressEvent(event)
            return
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._snapper = None
        pos = event.position()
        scene_pos = self._scene_pos(pos)
        toggle = bool(event.modifiers() & (Qt.KeyboardModifier.ShiftModifier
                                           | Qt.KeyboardModifier.ControlModifier))
        document = self.document
        item = self._clip_item_at(pos)
        if item is None:
            if not toggle:
                document.select(set())
            self._press = _Press(pos, RubberBandDrag(self, scene_pos, additive=toggle), None)
            return
        zone = item.zone_at(item.mapFromScene(scene_pos))
        clip_id = item.clip_id
        click: set[str] | None = None
        if toggle and zone == "body":
            document.select(document.selection ^ {clip_id})
            if clip_id not in document.selection:
                return  # toggled off: nothing to drag
        elif clip_id not in document.selection:
            document.select({clip_id})
        elif zone == "body":
            click = {clip_id}  # a plain click on a selected clip narrows the selection to it
        drag: Drag
        if zone == "body":
            items = [self._items[c] for c in document.selection if c in self._items]
            drag = MoveDrag(self, scene_pos, item, items)
        elif zone in ("start", "end"):
            drag = TrimDrag(self, scene_pos, item, zone)
        else:
            drag = FadeDrag(self, scene_pos, item, zone)
        self._press = _Press(pos, drag, click)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        press = self._press
        pos = event.position()
        if press is None:
            self._update_hover(pos)
            super().mouseMoveEvent(event)
            return
        if not press.moved:
            if (pos - press.view_pos).manhattanLength() < DRAG_START_PX:
                return
            press.moved = True
        press.last_pos, press.modifiers = pos, event.modifiers()
        press.drag.update(self._scene_pos(pos), event.modifiers())
        # Near an edge of the viewport the timeline scrolls under the drag, so a clip can be
        # carried past what is visible; the timer keeps it going while the mouse rests there.
        self._autoscroll_speed = QPointF(_edge_speed(pos.x(), self.viewport().width()),
                                         _edge_speed(pos.y(), self.viewport().height()))
        if self._autoscroll_speed.isNull():
            self._autoscroll.stop()
        elif not self._autoscroll.isActive():
            self._autoscroll.start()

    def _autoscroll_step(self) -> None:
        press = self._press
        if press is None or self._autoscroll_speed.isNull():
            self._autoscroll.stop()
            return
        for bar, speed in ((self.horizontalScrollBar(), self._autoscroll_speed.x()),
                           (self.verticalScrollBar(), self._autoscroll_speed.y())):
            bar.setValue(bar.value() + round(speed))
        press.drag.update(self._scene_pos(press.last_pos), press.modifiers)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        press, self._press = self._press, None
        self._autoscroll.stop()
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseReleaseEvent(event)
            return
        if press.moved:  # the release may land somewhere the last move did not report
            press.drag.update(self._scene_pos(event.position()), event.modifiers())
        result = press.drag.finish() if press.moved else None
        if result is None:
            press.drag.cancel()
            if not press.moved and press.select_on_click is not None:
                self.document.select(press.select_on_click)
            return
        edit, text = result
        if not self.apply(edit, text):
            press.drag.cancel()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self._clip_item_at(QPointF(event.pos()))
        if item is None:
            self._track_menu(QPointF(event.pos()), event.globalPos())
            return
        if item.clip_id not in self.document.selection:
            self.document.select({item.clip_id})
        menu = QMenu(self)
        menu.addActions([self.commands[name] for name in CONTEXT_MENU])
        menu.exec(event.globalPos())

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            item = self._clip_item_at(QPointF(event.pos()))
            if item is None:
                QToolTip.hideText()
            else:  # built now, so it says what the clip is at this moment
                area = self.mapFromScene(item.sceneBoundingRect()).boundingRect()
                QToolTip.showText(event.globalPos(), item.tooltip(), self.viewport(), area)
            return True
        return super().viewportEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._update_hover(None)
        super().leaveEvent(event)

    def _track_menu(self, view_pos: QPointF, global_pos: QPoint) -> None:
        """Right-click on an empty spot of a track: add a prompt clip there, generate the
        track's empty or stale prompt clips."""
        track = self._track_at(view_pos)
        if track is None:
            return
        menu = QMenu(self)
        add = menu.addAction("Add Prompt Clip Here")
        add.setEnabled(track.effective_kind in REQUEST_KINDS)
        add.triggered.connect(lambda: self.add_prompt_clip(track.id, self.time_at(view_pos.x())))
        generate = menu.addAction(f"Generate Track “{track.name or track.kind}”")
        generate.setToolTip("Generate this track's empty and stale prompt clips")
        generate.triggered.connect(lambda: self.generate_track(track.id))
        menu.exec(global_pos)

    def _track_at(self, view_pos: QPointF) -> Track | None:
        y = self._scene_pos(view_pos).y()
        row = self.row_at(y)
        if row < 0 or y >= self.rows_bottom():
            return None
        return self.document.project.find_track(self._track_ids[row])

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        item = self._clip_item_at(event.position())
        if item is not None:
            self.clip_activated.emit(item.clip_id)
            return
        track = self._track_at(event.position())
        if track is None or event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        self.add_prompt_clip(track.id, self.time_at(event.position().x()))

    def add_prompt_clip(self, track_id: str, seconds: float) -> str | None:
        """One undoable AddClip of an empty prompt of the track's kind at ``seconds``; it is
        selected and opened in the inspector. Returns its id (None if refused)."""
        track = self.document.project.find_track(track_id)
        if track is None:
            return None
        if track.effective_kind not in REQUEST_KINDS:
            self.message.emit("An audio track holds imported files: double-click a voice, SFX "
                              "or music track to add a prompt clip")
            return None
        kind = track.effective_kind
        clip = Clip(new_id("c"), start=max(0.0, seconds),
                    request=Request(kind=kind, provider="offline"))
        if not self.apply(AddClip(track.id, clip), f"Add {choice_words(kind).lower()}"):
            return None
        self.document.select({clip.id})
        self.clip_activated.emit(clip.id)
        return clip.id

    def generate_track(self, track_id: str) -> None:
        track = self.document.project.find_track(track_id)
        ids = [c.id for c in track.clips] if track is not None else []
        todo = [c.id for c in clips_to_generate(self.document.project, ids)] if ids else []
        if todo:
            self.generate_requested.emit(todo)
        else:
            self.message.emit("Nothing to generate on this track: its prompt clips are up to "
                              "date")

    def _update_hover(self, pos: QPointF | None) -> None:
        """Cursor shape for the zone under the mouse; the hovered clip shows its handles."""
        item = self._clip_item_at(pos) if pos is not None else None
        if item is not self._hovered:
            if self._hovered is not None and self._hovered.scene() is not None:
                self._hovered.set_hovered(False)
            if item is not None:
                item.set_hovered(True)
            self._hovered = item
        zone = item.zone_at(item.mapFromScene(self._scene_pos(pos))) if item else "none"
        shape = {
            "start": Qt.CursorShape.SizeHorCursor,
            "end": Qt.CursorShape.SizeHorCursor,
            "fade_in": Qt.CursorShape.PointingHandCursor,
            "fade_out": Qt.CursorShape.PointingHandCursor,
        }.get(zone, Qt.CursorShape.ArrowCursor)
        if self.viewport().cursor().shape() != shape:
            self.viewport().setCursor(shape)

    # --- edits ----------------------------------------------------------------------------
    def apply(self, edit: Edit, text: str, merge_key: str | None = None) -> bool:
        """Apply through the document; a refused edit becomes a ``message``. True if applied."""
        error = self.document.try_apply(edit, text, merge_key)
        if error:
            self.message.emit(error)
        return error is None

    def _run(self, result: SelectionEdit | Hint | None) -> None:
        """Apply a selection command's edit (then show its selection), or show its hint."""
        if isinstance(result, Hint):
            self.message.emit(result.message)
        elif (result is not None and self.apply(result.edit, result.text, result.merge_key)
              and result.select is not None):
            self.document.select(set(result.select))

    def split_selected(self) -> None:
        doc = self.document
        self._run(selection_edits.split(doc.project, doc.selection, doc.playhead))

    def delete_selected(self) -> None:
        self._run(selection_edits.delete(self.document.project, self.document.selection))

    def duplicate_selected(self) -> None:
        self._run(selection_edits.duplicate(self.document.project, self.document.selection))

    def copy_selected(self) -> None:
        doc = self.document
        self._run(selection_edits.copy_to(self.clipboard, doc.project, doc.selection))

    def paste(self) -> None:
        doc = self.document
        self._run(selection_edits.paste(self.clipboard, doc.project, doc.selection, doc.playhead))

    def nudge(self, direction: int) -> None:
        """Move the selection by one grid step; a held key is one undo step."""
        doc, step = self.document, direction * self.grid().snap_step
        self._run(selection_edits.nudge(doc.project, doc.selection, step))

    def mute_selected_tracks(self) -> None:
        doc = self.document
        self._run(selection_edits.toggle_track_mute(doc.project, doc.selection))

    def move_playhead_to_end(self) -> None:
        self.document.set_playhead(self.document.project.timeline_length())
        self.ensure_time_visible(self.document.playhead)

    def move_playhead_to_start(self) -> None:
        self.document.set_playhead(0.0)
        self.ensure_time_visible(0.0)

    # --- life cycle -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop background waveform work (call before the window closes)."""
        self.wave_scheduler.shutdown()
