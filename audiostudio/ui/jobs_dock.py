"""The Jobs dock: every generation of this session with its state, progress, message and cost;
cancel what is queued or running, retry what failed, and the running cost total."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from audiostudio.ui.generation import GenerationController, JobRow

STATE_WORDS = {"queued": "Queued", "running": "Generating", "done": "Done", "failed": "Failed",
               "cancelled": "Cancelled"}
COLUMNS = ("Clip", "Provider", "State", "Details")


def _money(totals: dict[str, float]) -> str:
    return ", ".join(f"{amount:g} {unit}" for unit, amount in totals.items()) or "nothing"


class JobsDock(QWidget):
    def __init__(self, controller: GenerationController) -> None:
        super().__init__()
        self.controller = controller
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the selected jobs (all running and queued ones "
                                      "when none is selected)")
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button = QPushButton("Retry")
        self.retry_button.setToolTip("Run the selected failed or cancelled jobs again")
        self.retry_button.clicked.connect(self._retry)
        self.summary = QLabel()
        self.summary.setObjectName("jobsSummary")
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.retry_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.summary)
        controller.rows_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        rows = list(reversed(self.controller.rows))  # newest first
        selected = {r.id for r in self._selected()}
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = (row.label, row.provider, STATE_WORDS[row.state], self._details(row))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if row.state == "failed":
                    item.setForeground(Qt.GlobalColor.red)
                self.table.setItem(i, column, item)
            self._progress_cell(i, row)
            if row.id in selected:
                self.table.selectRow(i)
        self.summary.setText(self._summary())
        self._update_buttons()

    def _progress_cell(self, i: int, row: JobRow) -> None:
        if row.state != "running":
            self.table.removeCellWidget(i, 2)
            return
        bar = self.table.cellWidget(i, 2)
        if not isinstance(bar, QProgressBar):
            bar = QProgressBar()
            bar.setRange(0, 100)
            bar.setFormat("Generating %p %")
            self.table.setCellWidget(i, 2, bar)
        bar.setValue(round(100 * row.progress))

    @staticmethod
    def _details(row: JobRow) -> str:
        if row.message:
            return row.message
        if row.cost is not None:
            return f"{row.cost.amount:g} {row.cost.unit}"
        if row.estimate is not None and row.active:
            return f"about {row.estimate.amount:g} {row.estimate.unit}"
        return ""

    def _summary(self) -> str:
        rows = self.controller.rows
        counts = {state: sum(1 for r in rows if r.state == state) for state in STATE_WORDS}
        parts = [f"{n} {STATE_WORDS[s].lower()}" for s, n in counts.items() if n]
        spent = self.controller.spent()
        return f"{' · '.join(parts) or 'No jobs yet'} — spent this session: {_money(spent)}"

    def _selected(self) -> list[JobRow]:
        ids = {item.data(Qt.ItemDataRole.UserRole) for item in self.table.selectedItems()}
        return [r for r in self.controller.rows if r.id in ids]

    def _update_buttons(self) -> None:
        selected = self._selected()
        active = [r for r in (selected or self.controller.rows) if r.active]
        self.cancel_button.setEnabled(bool(active))
        self.retry_button.setEnabled(any(r.state in ("failed", "cancelled") for r in selected))

    def _cancel(self) -> None:
        for row in [r for r in (self._selected() or self.controller.rows) if r.active]:
            self.controller.cancel(row)

    def _retry(self) -> None:
        for row in [r for r in self._selected() if r.state in ("failed", "cancelled")]:
            self.controller.retry(row)
