"""A small data-driven form: field specs in, widgets out, one ``edited(key, value)`` signal.

The inspector builds its clip, request and mix panels from specs instead of hand-wiring each
widget, so adding a field is one line and every field behaves the same (undoable, merged while
a spin box is being turned, people's words for choices, no value changed by a passing wheel).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel, QWheelEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

# Words for the model's choice values; anything else is shown capitalised ("s_curve" the same way).
CHOICE_WORDS = {"linear": "Linear", "equal_power": "Equal power", "s_curve": "S-curve",
                "voice": "Voice line", "sfx": "Sound effect", "music": "Music"}


def choice_words(value: str) -> str:
    return CHOICE_WORDS.get(value, value.replace("_", " ").capitalize())


SPIN_MIN_WIDTH = 64


def _focus_wheel(base: type) -> type:
    """``base`` that takes the wheel only while it has the focus: scrolling the inspector over
    a spin box scrolls the inspector (the parent gets the ignored event) instead of editing."""

    class FocusWheel(base):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        def wheelEvent(self, event: QWheelEvent) -> None:
            if self.hasFocus():
                super().wheelEvent(event)
            else:
                event.ignore()

    FocusWheel.__name__ = FocusWheel.__qualname__ = base.__name__
    return FocusWheel


SpinBox = _focus_wheel(QSpinBox)
DoubleSpinBox = _focus_wheel(QDoubleSpinBox)


class ComboBox(_focus_wheel(QComboBox)):  # type: ignore[misc]
    """A list that fits a narrow dock: its width never follows its longest entry."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(6)
        self.items = own_items(self)


def own_items(combo: QComboBox) -> QStandardItemModel:
    """A model for ``combo`` made (and kept) here, to enable or annotate single entries: the
    one Qt makes, fetched with ``model()``, can come back as a stale wrapper of a deleted
    QRunnable at the same address (PySide 6.11, seen as 'QRunnable has no attribute item')."""
    items = QStandardItemModel(combo)
    combo.setModel(items)
    return items


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    # float / int / optional_float / optional_int / text / multiline / bool / choice
    kind: str = "float"
    minimum: float = 0.0
    maximum: float = 1e6
    step: float = 0.1
    decimals: int = 3
    suffix: str = ""
    choices: tuple[str, ...] = ()
    tip: str = ""


def spin_box(spec: FieldSpec) -> QSpinBox | QDoubleSpinBox:
    """A spin box for a numeric spec; an optional one shows "auto" at its lowest value."""
    is_int = spec.kind.endswith("int")
    box: QSpinBox | QDoubleSpinBox = SpinBox() if is_int else DoubleSpinBox()
    # An optional field's lowest value stands for null ("auto"), one step below the range
    # (a whole 1 for integers, so a seed of 0 stays a seed).
    low = spec.minimum - ((1 if is_int else spec.step) if is_optional(spec) else 0)
    if is_int:
        box.setRange(int(low), int(min(spec.maximum, 2**31 - 1)))
    else:
        box.setRange(low, spec.maximum)
        box.setDecimals(spec.decimals)
        box.setSingleStep(spec.step)
    if is_optional(spec):
        box.setSpecialValueText("auto")
    box.setSuffix(spec.suffix)
    box.setKeyboardTracking(False)
    box.setMinimumWidth(SPIN_MIN_WIDTH)  # not as wide as its largest value: the dock is narrow
    return box


def is_optional(spec: FieldSpec) -> bool:
    return spec.kind.startswith("optional")


def spin_value(box: QSpinBox | QDoubleSpinBox, spec: FieldSpec) -> Any:
    """The model's value of a spin box made by ``spin_box`` (None at "auto")."""
    value = box.value()
    if is_optional(spec) and value == box.minimum():
        return None
    return int(value) if spec.kind.endswith("int") else float(value)


class FieldForm(QWidget):
    edited = Signal(str, object)

    def __init__(self, specs: list[FieldSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = {s.key: s for s in specs}
        self.widgets: dict[str, QWidget] = {}
        self.rows = QFormLayout(self)
        self.rows.setContentsMargins(4, 4, 4, 4)
        for spec in specs:
            widget = self._make(spec)
            widget.setToolTip(spec.tip)
            self.widgets[spec.key] = widget
            self.rows.addRow(spec.label, widget)

    def _make(self, spec: FieldSpec) -> QWidget:
        emit = lambda value, key=spec.key: self.edited.emit(key, value)  # noqa: E731
        if spec.kind in ("float", "optional_float", "int", "optional_int"):
            box = spin_box(spec)
            box.valueChanged.connect(lambda _v, box=box: emit(spin_value(box, spec)))
            return box
        if spec.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(emit)
            return check
        if spec.kind == "choice":
            combo = ComboBox()
            for value in spec.choices:
                combo.addItem(choice_words(value), value)
            combo.currentIndexChanged.connect(lambda _i, combo=combo: emit(combo.currentData()))
            return combo
        # Text fields store what is typed; cleared, that is "" (every text key accepts it).
        if spec.kind == "multiline":
            edit = QPlainTextEdit()
            edit.setFixedHeight(84)
            edit.textChanged.connect(lambda: emit(edit.toPlainText()))
            return edit
        line = QLineEdit()
        line.editingFinished.connect(lambda: emit(line.text()))
        return line

    def set_visible(self, key: str, visible: bool) -> None:
        self.rows.setRowVisible(self.widgets[key], visible)

    def load(self, values: dict[str, Any]) -> None:
        """Show ``values`` without emitting ``edited``."""
        for key, widget in self.widgets.items():
            spec = self.specs[key]
            value = values.get(key)
            widget.blockSignals(True)
            try:
                if isinstance(widget, QSpinBox | QDoubleSpinBox):
                    widget.setValue(widget.minimum() if value is None else value)
                elif isinstance(widget, QCheckBox):
                    widget.setChecked(bool(value))
                elif isinstance(widget, QComboBox):
                    value = spec.choices[0] if value is None else value
                    if widget.findData(value) < 0:
                        widget.addItem(str(value), value)  # keep values from newer files visible
                    widget.setCurrentIndex(widget.findData(value))
                elif isinstance(widget, QPlainTextEdit):
                    if widget.toPlainText() != (value or ""):
                        widget.setPlainText(value or "")
                elif isinstance(widget, QLineEdit):
                    widget.setText("" if value is None else str(value))
            finally:
                widget.blockSignals(False)
