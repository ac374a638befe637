"""The inspector dock: the selected clip (and its generation request), else the project's mix.

Every change is a SetFields edit through the document (undoable); edits to the same field of the
same object merge, so turning a spin box is one undo step.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QGroupBox, QLabel, QScrollArea, QVBoxLayout, QWidget

from audiostudio.model.edits import Scope, SetFields
from audiostudio.model.project import FADE_CURVES
from audiostudio.model.schema import to_json
from audiostudio.ui.document import Document
from audiostudio.ui.forms import FieldForm, FieldSpec

CLIP_FIELDS = [
    FieldSpec("name", "Name", "text"),
    FieldSpec("start", "Start", suffix=" s"),
    FieldSpec("duration", "Duration", minimum=0.001, suffix=" s"),
    FieldSpec("offset", "Offset", suffix=" s"),
    FieldSpec("gain_db", "Gain", minimum=-60, maximum=24, step=0.5, decimals=1, suffix=" dB"),
    FieldSpec("fade_in", "Fade in", suffix=" s"),
    FieldSpec("fade_in_curve", "Fade in curve", "choice", choices=FADE_CURVES),
    FieldSpec("fade_out", "Fade out", suffix=" s"),
    FieldSpec("fade_out_curve", "Fade out curve", "choice", choices=FADE_CURVES),
    FieldSpec("loop", "Loop", "bool"),
    FieldSpec("mute", "Mute", "bool"),
]
REQUEST_FIELDS = [
    FieldSpec("provider", "Provider", "text"),
    FieldSpec("text", "Text", "multiline"),
    FieldSpec("prompt", "Prompt", "multiline"),
    FieldSpec("voice", "Voice", "text"),
    FieldSpec("duration", "Duration", "optional_float", maximum=600, suffix=" s"),
    FieldSpec("seed", "Seed", "optional_int", maximum=2**31 - 1),
]
MIX_FIELDS = [
    FieldSpec("target_lufs", "Target", "optional_float", minimum=-40, maximum=-5, step=0.5,
              decimals=1, suffix=" LUFS"),
    FieldSpec("true_peak_ceiling_dbtp", "True-peak ceiling", minimum=-12, maximum=0, step=0.1,
              decimals=1, suffix=" dBTP"),
    FieldSpec("master_gain_db", "Master gain", minimum=-40, maximum=24, step=0.5, decimals=1,
              suffix=" dB"),
]
DUCK_FIELDS = [
    FieldSpec("depth_db", "Duck depth", minimum=-48, maximum=0, step=1, decimals=1, suffix=" dB"),
    FieldSpec("threshold_db", "Threshold", minimum=-80, maximum=0, step=1, decimals=1,
              suffix=" dB"),
    FieldSpec("attack_ms", "Attack", minimum=1, maximum=5000, step=10, decimals=0, suffix=" ms"),
    FieldSpec("release_ms", "Release", minimum=1, maximum=10000, step=50, decimals=0,
              suffix=" ms"),
    FieldSpec("hold_ms", "Hold", maximum=10000, step=50, decimals=0, suffix=" ms"),
    FieldSpec("lookahead_ms", "Look-ahead", maximum=2000, step=10, decimals=0, suffix=" ms"),
]


class Inspector(QScrollArea):
    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWidgetResizable(True)
        body = QWidget()
        layout = QVBoxLayout(body)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        layout.addWidget(self.title)
        self.clip_form = FieldForm(CLIP_FIELDS)
        self.request_form = FieldForm(REQUEST_FIELDS)
        self.mix_form = FieldForm(MIX_FIELDS)
        self.duck_form = FieldForm(DUCK_FIELDS)
        self.groups = {}
        for name, form in (("Clip", self.clip_form), ("Generation", self.request_form),
                           ("Loudness", self.mix_form), ("Ducking", self.duck_form)):
            box = QGroupBox(name)
            QVBoxLayout(box).addWidget(form)
            layout.addWidget(box)
            self.groups[name] = box
        self.error = QLabel()
        self.error.setStyleSheet("color: #ff6b6b;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        layout.addStretch(1)
        self.setWidget(body)
        self.clip_form.edited.connect(self._edit_clip)
        self.request_form.edited.connect(self._edit_request)
        self.mix_form.edited.connect(lambda k, v: self._apply(Scope.MIX, {k: v}, f"mix:{k}"))
        self.duck_form.edited.connect(lambda k, v: self._apply(Scope.DUCK, {k: v}, f"duck:{k}"))
        document.selection_changed.connect(self.refresh)
        document.changed.connect(lambda _ids: self.refresh())
        document.reset.connect(self.refresh)
        self.refresh()

    def selected_clip(self):
        for clip_id in sorted(self.document.selection):
            found = self.document.project.find_clip(clip_id)
            if found:
                return found[1]
        return None

    def refresh(self) -> None:
        clip = self.selected_clip()
        project = self.document.project
        self.groups["Clip"].setVisible(clip is not None)
        self.groups["Generation"].setVisible(clip is not None and clip.request is not None)
        self.groups["Loudness"].setVisible(clip is None)
        self.groups["Ducking"].setVisible(clip is None)
        if clip is None:
            self.title.setText(f"Mix — {project.name or 'Untitled'}")
            self.mix_form.load(to_json(project.mix))
            self.duck_form.load(to_json(project.mix.duck))
            return
        self.title.setText(f"Clip — {clip.name or clip.id}")
        values: dict[str, Any] = to_json(clip)
        values["duration"] = clip.length or 0.0
        self.clip_form.load(values)
        if clip.request is not None:
            self.request_form.load(to_json(clip.request))

    def _edit_clip(self, key: str, value: Any) -> None:
        clip = self.selected_clip()
        if clip is not None:
            self._apply(clip.id, {key: value}, f"{clip.id}:{key}")

    def _edit_request(self, key: str, value: Any) -> None:
        clip = self.selected_clip()
        if clip is None or clip.request is None:
            return
        request = to_json(clip.request)
        request[key] = value
        self._apply(clip.id, {"request": request}, f"{clip.id}:request:{key}")

    def _apply(self, target: Any, fields: dict[str, Any], merge_key: str) -> None:
        error = self.document.try_apply(SetFields(target, fields), f"Set {', '.join(fields)}",
                                        merge_key)
        self.error.setText(error or "")
        if error:
            self.refresh()
