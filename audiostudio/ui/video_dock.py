"""A small preview of the reference video that follows the playhead.

Frames come from ffmpeg (``video.frame_png``) on a worker, one at a time: while one is being
grabbed, later playhead moves only update the time wanted, and the newest is fetched next, so
playback never queues a backlog of grabs. Hidden, the dock grabs nothing. The video's path is
the window's to remember (QSettings, per project folder): the project file has no key for it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap, QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from audiostudio.ui import workers
from audiostudio.ui.document import Document


class VideoDock(QWidget):
    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.video: Path | None = None
        self.picture = QLabel("No reference video — File > Import Video")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumHeight(120)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picture)
        self.workers = workers.Workers()
        self.shown_time: float | None = None  # time of the picture on screen
        self._wanted: float | None = None
        self._busy = False
        document.playhead_moved.connect(self.want)

    def set_video(self, path: Path | None) -> None:
        self.video = path if path is not None and path.is_file() else None
        self.shown_time = None
        if self.video is None:
            self.picture.clear()
            self.picture.setText("No reference video — File > Import Video")
        self.want(self.document.playhead)

    def want(self, seconds: float) -> None:
        self._wanted = seconds
        self._next()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._next()

    def _next(self) -> None:
        if self._busy or self.video is None or self._wanted is None or not self.isVisible():
            return
        seconds, video = self._wanted, self.video
        self._wanted, self._busy = None, True
        from audiostudio.video import frame_png

        self.workers.start(lambda _p, _c: frame_png(video, seconds),
                           lambda png: self._show(png, seconds), self._failed)

    def _show(self, png: bytes, seconds: float) -> None:
        self._busy = False
        pixmap = QPixmap()
        if pixmap.loadFromData(png, "PNG"):
            self.picture.setPixmap(pixmap)
            self.shown_time = seconds
        self._next()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self.picture.setText(str(exc))  # past the video's end, a moved file: say so
        self._next()
