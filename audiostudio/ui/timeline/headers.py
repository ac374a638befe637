"""Track headers: one row per track beside the timeline (name, kind, gain, pan, M/S, ducking).

Every control edits through ``Document.apply``; continuous controls (gain, pan sliders) pass a
merge key per gesture, so dragging a slider is one undo step and the next drag is another.
Rows take their tops and heights from the view's ``PaintContext.rows`` (the panel relays the
view's ``rows_changed``), so they match the lanes at any lane zoom; the column scrolls by
moving one content widget (the panel feeds it the view's vertical scroll value). Ctrl+wheel
over the headers zooms the lanes' height.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPoint, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audiostudio.model.edits import SetFields
from audiostudio.model.project import DUCK_ROLES, Track
from audiostudio.ui.document import Document
from audiostudio.ui.timeline import style
from audiostudio.ui.timeline.context import PaintContext

RESIZE_ZONE = 5  # px at a header's bottom edge that resize the track
GAIN_RANGE_DB = (-60.0, 12.0)
CONTROL_HEIGHT = 20
LANE_WHEEL_ZOOM = 1.15  # lane height per wheel notch with Ctrl
_DUCK_LABELS = {"key": "Duck key", "ducked": "Ducked", "none": "No duck"}
_DUCK_TIPS = {
    "key": "Key: this track lowers the ducked tracks while it plays (voice)",
    "ducked": "Ducked: lowered while a key track plays (music)",
    "none": "No ducking",
}

HEADER_STYLE = f"""
TrackHeader QLineEdit {{ background: transparent; border: none; color: {style.TEXT.name()};
    font-weight: 600; padding: 0 2px; }}
TrackHeader QLineEdit[editing="true"] {{ background: #1e1f22; border: 1px solid #4f8cff;
    border-radius: 3px; }}
TrackHeader QLabel {{ color: {style.TEXT_DIM.name()}; font-size: 8pt; }}
TrackHeader QToolButton {{ background: #3a3c42; color: #c9ccd2; border: none; border-radius: 3px;
    font-weight: 700; min-width: 20px; max-width: 20px; }}
TrackHeader QToolButton:hover {{ background: #4a4d55; }}
TrackHeader QToolButton#mute:checked {{ background: #f0b429; color: #1e1f22; }}
TrackHeader QToolButton#solo:checked {{ background: #3cc08a; color: #1e1f22; }}
TrackHeader QComboBox {{ background: #3a3c42; color: #c9ccd2; border: none; border-radius: 3px;
    padding: 0 6px; font-size: 8pt; }}
TrackHeader QSlider::groove:horizontal {{ height: 4px; background: #1a1b1e; border-radius: 2px; }}
TrackHeader QSlider::sub-page:horizontal {{ background: #5a6070; border-radius: 2px; }}
TrackHeader QSlider::handle:horizontal {{ background: #d5d8de; width: 10px; margin: -4px 0;
    border-radius: 5px; }}
"""


def gain_text(db: float) -> str:
    return f"{db:+.1f} dB" if db else "0.0 dB"


def pan_text(pan: float) -> str:
    if abs(pan) < 0.005:
        return "C"
    return f"{'L' if pan < 0 else 'R'}{round(abs(pan) * 100)}"


class _NameEdit(QLineEdit):
    """Read-only until double-clicked, so clicks on the header never start typing."""

    renamed = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.editingFinished.connect(self._finish)

    def _set_editing(self, editing: bool) -> None:
        self.setReadOnly(not editing)
        self.setProperty("editing", editing)
        self.style().unpolish(self)
        self.style().polish(self)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self._set_editing(True)
        self.selectAll()
        self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not self.isReadOnly():
            self._set_editing(False)
            self.renamed.emit("")  # an empty rename means "put the model's name back"
            return
        super().keyPressEvent(event)

    def _finish(self) -> None:
        if not self.isReadOnly():
            self._set_editing(False)
            self.renamed.emit(self.text())


class TrackHeader(QWidget):
    def __init__(self, headers: TrackHeaders, track: Track) -> None:
        super().__init__(headers.content)
        self.headers = headers
        self.track = track
        self.setMouseTracking(True)
        self._gesture = 0  # counts slider presses: one merge key (undo step) per drag
        self._resize: tuple[float, int] | None = None  # press y, start height

        self.kind = QLabel(self)
        self.kind.setFixedWidth(30)
        self.kind.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = _NameEdit(self)
        self.name.renamed.connect(self._rename)
        self.mute = self._toggle("M", "mute", "Mute this track")
        self.solo = self._toggle("S", "solo", "Solo this track")
        self.gain = self._slider(int(GAIN_RANGE_DB[0] * 10), int(GAIN_RANGE_DB[1] * 10),
                                 "gain_db", 10.0, "Track gain")
        self.gain_label = self._value_label(48)
        self.pan = self._slider(-100, 100, "pan", 100.0, "Pan: left … right")
        self.pan_label = self._value_label(28)
        self.duck = QComboBox(self)
        self.duck.setFixedSize(84, CONTROL_HEIGHT)
        for role in DUCK_ROLES:
            self.duck.addItem(_DUCK_LABELS[role], role)
            self.duck.setItemData(self.duck.count() - 1, _DUCK_TIPS[role],
                                  Qt.ItemDataRole.ToolTipRole)
        self.duck.setToolTip("Ducking role of this track")
        self.duck.currentIndexChanged.connect(
            lambda i: self._set("duck", self.duck.itemData(i), "Change ducking"))

        for control in (self.gain, self.pan, self.duck):
            control.installEventFilter(headers)  # the wheel scrolls the column, not the value
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 5, 6, RESIZE_ZONE + 1)
        layout.setSpacing(3)
        self.lines = [self._line(self.kind, self.name, self.mute, self.solo),
                      self._line(self.gain, self.gain_label),
                      self._line(self.pan, self.pan_label, self.duck)]
        for line in self.lines:
            layout.addWidget(line)
        layout.addStretch(1)
        self.refresh(track)

    # --- construction helpers ---------------------------------------------------------------
    def _line(self, *widgets: QWidget) -> QWidget:
        line = QWidget(self)
        box = QHBoxLayout(line)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        for widget in widgets:
            widget.setParent(line)
            box.addWidget(widget, 1 if isinstance(widget, QLineEdit | QSlider) else 0)
        line.setFixedHeight(CONTROL_HEIGHT)
        return line

    def _toggle(self, text: str, key: str, tip: str) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setObjectName(key)
        button.setCheckable(True)
        button.setToolTip(tip)
        button.setFixedHeight(CONTROL_HEIGHT)
        button.toggled.connect(
            lambda on: self._set(key, on, f"{'' if on else 'Un'}{key} track".capitalize()))
        return button

    def _slider(self, low: int, high: int, key: str, scale: float, tip: str) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setRange(low, high)
        slider.setToolTip(tip)
        slider.setFixedHeight(CONTROL_HEIGHT)
        slider.sliderPressed.connect(self._new_gesture)
        slider.valueChanged.connect(
            lambda v: self._set(key, v / scale, f"Change track {key.split('_')[0]}",
                                f"{key}:{self.track.id}:{self._gesture}"))
        return slider

    def _value_label(self, width: int) -> QLabel:
        label = QLabel(self)
        label.setFixedWidth(width)
        label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return label

    def _new_gesture(self) -> None:
        self._gesture += 1

    # --- model <-> widgets ------------------------------------------------------------------
    def _set(self, key: str, value: Any, text: str, merge_key: str | None = None) -> None:
        if not self.headers.apply(SetFields(self.track.id, {key: value}), text, merge_key):
            self.refresh(self.track)  # refused: show the model's value again

    def _rename(self, text: str) -> None:
        text = text.strip()
        if text and text != self.track.name:
            self._set("name", text, "Rename track")
        else:
            self.refresh(self.track)

    def refresh(self, track: Track) -> None:
        self.track = track
        blockers = [QSignalBlocker(w) for w in (self.mute, self.solo, self.gain, self.pan,
                                                self.duck)]
        kind = track.effective_kind
        badge = (f"background: {style.track_color(track).name()}; color: #1e1f22;"
                 " border-radius: 3px; font-weight: 700; font-size: 7pt;")
        if badge != self.kind.styleSheet():  # re-polishing costs: only when the colour changed
            self.kind.setStyleSheet(badge)
        self.kind.setText(style.KIND_LABELS[kind])
        self.kind.setToolTip(f"{kind} track")
        if self.name.isReadOnly():
            self.name.setText(track.name or "Untitled track")
            self.name.setCursorPosition(0)
        self.mute.setChecked(track.mute)
        self.solo.setChecked(track.solo)
        self.gain.setValue(round(track.gain_db * 10))
        self.gain_label.setText(gain_text(track.gain_db))
        self.pan.setValue(round(track.pan * 100))
        self.pan_label.setText(pan_text(track.pan))
        self.duck.setCurrentIndex(DUCK_ROLES.index(track.duck_role))
        del blockers
        self.update()

    def fit_lines(self, height: int) -> None:
        """Hide the lower control lines when the row is too short for them."""
        room = height - 5 - RESIZE_ZONE - 1
        for index, line in enumerate(self.lines):
            line.setVisible(room >= (index + 1) * CONTROL_HEIGHT + index * 3)

    # --- painting and resizing --------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.RULER_BG)
        color = style.track_color(self.track)
        if self.track.mute:
            color = color.darker(250)
        painter.fillRect(0, 0, 4, self.height() - 1, color)
        painter.fillRect(0, self.height() - 1, self.width(), 1, style.ROW_LINE)

    def _in_resize_zone(self, y: float) -> bool:
        return y >= self.height() - RESIZE_ZONE

    def mousePressEvent(self, event: QMouseEvent) -> None:
        left = event.button() == Qt.MouseButton.LeftButton
        if left and self._in_resize_zone(event.position().y()):
            self._resize = (event.globalPosition().y(), self.height())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._resize is None:
            cursor = (Qt.CursorShape.SizeVerCursor if self._in_resize_zone(event.position().y())
                      else Qt.CursorShape.ArrowCursor)
            self.setCursor(cursor)
            return
        start_y, start_height = self._resize
        height = round(start_height + event.globalPosition().y() - start_y)
        height = min(max(height, style.MIN_TRACK_HEIGHT), style.MAX_TRACK_HEIGHT)
        self.headers.preview_height(self.track.id, height)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._resize is None:
            return
        self._resize = None
        height = self.headers.previewed_height(self.track.id)
        self.headers.preview_height(self.track.id, None)
        if height is None:
            return
        # The drag shows pixels; the track keeps its height before the lane zoom.
        own = round(height / self.headers.context.lane_scale)
        own = min(max(own, style.MIN_TRACK_HEIGHT), style.MAX_TRACK_HEIGHT)
        index = self.headers.document.project.tracks.index(self.track)
        if own != self.headers.document.track_height(index):
            self._set("height", own, "Resize track")


class TrackHeaders(QWidget):
    """The header column; ``set_scroll`` follows the timeline's vertical scroll."""

    message = Signal(str)
    height_preview = Signal(str, object)  # track id, px or None when the drag ends
    wheel_scrolled = Signal(QPoint)  # angle delta, for the panel to scroll the timeline
    lanes_zoomed = Signal(float)  # Ctrl+wheel: the lanes' height times this

    def __init__(self, document: Document, context: PaintContext,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.context = context  # the view's rows: where each header goes
        self.setFixedWidth(style.HEADER_WIDTH)
        self.setStyleSheet(HEADER_STYLE)
        self.content = QWidget(self)
        self.rows: dict[str, TrackHeader] = {}
        self._preview: dict[str, int] = {}
        self._scroll = 0
        document.changed.connect(self._on_changed)
        document.reset.connect(self.rebuild)
        self.rebuild()

    def apply(self, edit: SetFields, text: str, merge_key: str | None = None) -> bool:
        error = self.document.try_apply(edit, text, merge_key)
        if error:
            self.message.emit(error)
        return error is None

    def rebuild(self) -> None:
        for row in self.rows.values():
            _discard(row)
        self.rows = {}
        self._sync_rows(set())

    def _on_changed(self, touched: set[str]) -> None:
        self._sync_rows(touched)

    def _sync_rows(self, touched: set[str]) -> None:
        tracks = self.document.project.tracks
        live = {track.id for track in tracks}
        for track_id in [t for t in self.rows if t not in live]:
            _discard(self.rows.pop(track_id))
        for track in tracks:
            row = self.rows.get(track.id)
            if row is None:
                row = self.rows[track.id] = TrackHeader(self, track)
                row.show()
            elif track.id in touched or row.track is not track:
                row.refresh(track)
        self.relayout()

    def relayout(self) -> None:
        """Put each header beside its lane (a track the view has no row for yet waits)."""
        rows = self.context.rows
        for index, track in enumerate(self.document.project.tracks):
            row = self.rows.get(track.id)
            if row is None or index >= len(rows):
                continue
            top, height = round(rows[index][0]), round(rows[index][1])
            row.setGeometry(0, top, self.width(), height)
            row.fit_lines(height)
        bottom = round(self.context.rows_bottom())
        self.content.setGeometry(0, -self._scroll, self.width(), max(bottom, self.height()))

    def set_scroll(self, value: int) -> None:
        self._scroll = value
        self.content.move(0, -value)

    def preview_height(self, track_id: str, height: int | None) -> None:
        """Show a resize drag: the view lays out the lanes, then these rows follow."""
        if height is None:
            self._preview.pop(track_id, None)
        else:
            self._preview[track_id] = height
        self.height_preview.emit(track_id, height)

    def previewed_height(self, track_id: str) -> int | None:
        return self._preview.get(track_id)

    def paintEvent(self, event: QPaintEvent) -> None:
        QPainter(self).fillRect(self.rect(), style.EMPTY_AREA)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.relayout()

    def wheelEvent(self, event: QWheelEvent) -> None:
        self._wheel(event)
        event.accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Sliders and combos would eat the wheel while the user scrolls past them.
        if event.type() == QEvent.Type.Wheel and isinstance(event, QWheelEvent):
            self._wheel(event)
            return True
        return super().eventFilter(watched, event)

    def _wheel(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.lanes_zoomed.emit(LANE_WHEEL_ZOOM ** (event.angleDelta().y() / 120))
        else:
            self.wheel_scrolled.emit(event.angleDelta())


def _discard(row: QWidget) -> None:
    """Hide at once (deleteLater waits for the event loop, and a stale row would still show)."""
    row.hide()
    row.deleteLater()
