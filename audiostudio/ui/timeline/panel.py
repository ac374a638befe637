"""TimelinePanel: the header column and the timeline side by side, scrolling together."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Signal
from PySide6.QtGui import QKeySequence, QPainter, QPaintEvent
from PySide6.QtWidgets import QApplication, QGridLayout, QHBoxLayout, QToolButton, QWidget

from audiostudio.model.selection_edits import Clipboard
from audiostudio.ui.actions import ActionRegistry
from audiostudio.ui.document import Document
from audiostudio.ui.timeline import style
from audiostudio.ui.timeline.headers import TrackHeaders
from audiostudio.ui.timeline.view import TimelineView

CORNER_STYLE = """
QToolButton { background: #3a3c42; color: #c9ccd2; border: none; border-radius: 3px;
    padding: 1px 7px; font-size: 8pt; }
QToolButton:hover { background: #4a4d55; }
QToolButton:checked { background: #4f8cff; color: #ffffff; }
"""


class _Corner(QWidget):
    """Above the headers, beside the ruler: snapping and zoom buttons."""

    def __init__(self, view: TimelineView, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFixedSize(style.HEADER_WIDTH, style.RULER_HEIGHT)
        self.setStyleSheet(CORNER_STYLE)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 5, 6, 6)
        layout.setSpacing(4)
        self.snap = QToolButton(self)
        self.snap.setText("Snap")
        self.snap.setCheckable(True)
        self.snap.setChecked(view.snap_enabled)
        key = view.commands["snap"].shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        self.snap.setToolTip(f"Snap to clips, markers, playhead and grid ({key}; "
                             "hold Alt to bypass)")
        self.snap.toggled.connect(view.set_snap_enabled)
        view.snap_changed.connect(self.snap.setChecked)
        layout.addWidget(self.snap)
        layout.addStretch(1)
        for text, tip, slot in (("−", view.commands.tip("zoom_out"), view.zoom_out),
                                ("+", view.commands.tip("zoom_in"), view.zoom_in),
                                ("Fit", "Fit the whole scene: its length across, its "
                                 "tracks to the height", view.fit_scene)):
            button = QToolButton(self)
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(slot)
            layout.addWidget(button)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), style.RULER_BG)
        painter.fillRect(0, self.height() - 1, self.width(), 1, style.ROW_LINE)


class TimelinePanel(QWidget):
    """What the main window embeds: ``.headers`` | ``.view`` (with its ruler)."""

    message = Signal(str)  # refused edits and hints from the view or the headers

    def __init__(self, document: Document, clipboard: Clipboard | None = None,
                 commands: ActionRegistry | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.view = TimelineView(document, clipboard, commands, self)
        self.headers = TrackHeaders(document, self.view.context, self)
        self.corner = _Corner(self.view, self)
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.corner, 0, 0)
        layout.addWidget(self.headers, 1, 0)
        layout.addWidget(self.view, 0, 1, 2, 1)
        layout.setColumnStretch(1, 1)
        layout.setRowStretch(1, 1)

        self.view.vertical_scroll_changed.connect(self.headers.set_scroll)
        self.headers.height_preview.connect(self.view.preview_track_height)
        self.view.rows_changed.connect(self.headers.relayout)
        self.headers.lanes_zoomed.connect(self.view.zoom_lanes)
        self.headers.wheel_scrolled.connect(self._scroll_from_headers)
        self.view.message.connect(self.message)
        self.headers.message.connect(self.message)
        self.headers.set_scroll(self.view.verticalScrollBar().value())

    def _scroll_from_headers(self, delta: QPoint) -> None:
        bar = self.view.verticalScrollBar()
        lines = delta.y() / 120 * QApplication.wheelScrollLines()
        bar.setValue(bar.value() - round(lines * bar.singleStep()))

    def shutdown(self) -> None:
        self.view.shutdown()


__all__ = ["TimelinePanel"]
