"""The Problems dock: the warnings pass (``audiostudio/problems.py``) over the open project,
refreshed shortly after each change; clicking a problem selects its clip. Its count also sits
in the status bar (``status_button``), which brings the dock to the front."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audiostudio.problems import ERROR, Problem, find_problems
from audiostudio.providers.base import Provider
from audiostudio.ui.document import Document

REFRESH_MS = 300  # after the last edit: a drag of many small moves runs the pass once


def problem_count(problems: list[Problem]) -> str:
    if not problems:
        return "No problems"
    errors = sum(1 for p in problems if p.severity == ERROR)
    text = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
    return f"{text} ({errors} error{'s' * (errors != 1)})" if errors else text


class ProblemsDock(QWidget):
    clip_chosen = Signal(str)  # a problem's clip was clicked (and is now selected)
    show_requested = Signal()  # the status-bar count was clicked

    def __init__(self, document: Document, providers: Mapping[str, Provider]) -> None:
        super().__init__()
        self.document = document
        self.providers = providers
        self.problems: list[Problem] = []
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Where", "Problem"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemClicked.connect(self._clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tree)
        self.status_button = QToolButton()
        self.status_button.setObjectName("problemsStatus")
        self.status_button.setAutoRaise(True)
        self.status_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.status_button.clicked.connect(self.show_requested)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        document.changed.connect(lambda _ids: self._timer.start())
        document.reset.connect(self.refresh)
        document.saved.connect(lambda _folder: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        self._timer.stop()
        self.problems = find_problems(self.document.project, self.document.folder,
                                      self.providers)
        pixmap = QStyle.StandardPixmap
        self.tree.clear()
        for problem in self.problems:
            item = QTreeWidgetItem([problem.where, problem.message])
            item.setIcon(0, self.style().standardIcon(
                pixmap.SP_MessageBoxCritical if problem.severity == ERROR
                else pixmap.SP_MessageBoxWarning))
            item.setToolTip(1, problem.message)
            item.setData(0, Qt.ItemDataRole.UserRole, problem.clip_id)
            self.tree.addTopLevelItem(item)
        self.tree.resizeColumnToContents(0)
        self.status_button.setText(problem_count(self.problems))
        pixmap = QStyle.StandardPixmap
        self.status_button.setIcon(self.style().standardIcon(
            pixmap.SP_MessageBoxWarning if self.problems else pixmap.SP_DialogApplyButton))

    def _clicked(self, item: QTreeWidgetItem) -> None:
        clip_id = item.data(0, Qt.ItemDataRole.UserRole)
        if clip_id and self.document.project.find_clip(clip_id) is not None:
            self.document.select({clip_id})
            self.clip_chosen.emit(clip_id)
