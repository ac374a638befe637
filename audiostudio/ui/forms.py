"""A small data-driven form: field specs in, widgets out, one ``edited(key, value)`` signal.

The inspector builds its clip, request and mix panels from specs instead of hand-wiring each
widget, so adding a field is one line and every field behaves the same (undoable, merged while
a spin box is being turned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Signal
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


class FieldForm(QWidget):
    edited = Signal(str, object)

    def __init__(self, specs: list[FieldSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.specs = {s.key: s for s in specs}
        self.widgets: dict[str, QWidget] = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for spec in specs:
            widget = self._make(spec)
            self.widgets[spec.key] = widget
            layout.addRow(spec.label, widget)

    def _make(self, spec: FieldSpec) -> QWidget:
        emit = lambda value, key=spec.key: self.edited.emit(key, value)  # noqa: E731
        if spec.kind in ("float", "optional_float", "int", "optional_int"):
            is_int = spec.kind.endswith("int")
            box: QSpinBox | QDoubleSpinBox = QSpinBox() if is_int else QDoubleSpinBox()
            optional = spec.kind.startswith("optional")
            # An optional field's lowest value stands for null ("auto"), one step below the range
            # (a whole 1 for integers, so a seed of 0 stays a seed).
            low = spec.minimum - ((1 if is_int else spec.step) if optional else 0)
            if is_int:
                box.setRange(int(low), int(min(spec.maximum, 2**31 - 1)))
            else:
                box.setRange(low, spec.maximum)
                box.setDecimals(spec.decimals)
                box.setSingleStep(spec.step)
            if optional:
                box.setSpecialValueText("auto")  # the lowest value stands for null
            box.setSuffix(spec.suffix)
            box.setKeyboardTracking(False)

            def changed(value: float, box=box, optional=optional, is_int=is_int) -> None:
                if optional and value == box.minimum():
                    emit(None)
                else:
                    emit(int(value) if is_int else float(value))

            box.valueChanged.connect(changed)
            return box
        if spec.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(emit)
            return check
        if spec.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(spec.choices))
            combo.currentTextChanged.connect(emit)
            return combo
        if spec.kind == "multiline":
            edit = QPlainTextEdit()
            edit.setFixedHeight(84)
            edit.textChanged.connect(lambda: emit(edit.toPlainText() or None))
            return edit
        line = QLineEdit()
        line.editingFinished.connect(lambda: emit(line.text() or None))
        return line

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
                    if value is not None and widget.findText(str(value)) < 0:
                        widget.addItem(str(value))  # keep values from newer files visible
                    widget.setCurrentText(str(value) if value is not None else spec.choices[0])
                elif isinstance(widget, QPlainTextEdit):
                    if widget.toPlainText() != (value or ""):
                        widget.setPlainText(value or "")
                elif isinstance(widget, QLineEdit):
                    widget.setText("" if value is None else str(value))
            finally:
                widget.blockSignals(False)
