"""The inspector dock: the selected clip (a prompt clip's request first, ``prompt_form.py``),
else an overview of the project (``project_overview.py``; the master settings are the Mixer's).

Every change is a SetFields edit through the document (undoable), named in people's words;
edits to the same field of the same object merge, so turning a spin box is one undo step.
A clip shows its auto-level gain (``AutoGainRow``): measured from its audio (in the background
when the level cache does not have it yet), or fixed by the user.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from audiostudio.audio.autolevel import (
    AutoGain,
    SourceLevel,
    cached_level,
    clip_gain,
    enabled,
    has_dialogue,
    levelled_kind,
    source_level,
)
from audiostudio.audio.decode import open_source
from audiostudio.errors import AudiostudioError
from audiostudio.model import Clip
from audiostudio.model.assets import resolve_path
from audiostudio.model.edits import SetFields
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.project import FADE_CURVES
from audiostudio.model.schema import to_json
from audiostudio.settings import cache_dir
from audiostudio.ui.clip_labels import clip_name
from audiostudio.ui.document import Document
from audiostudio.ui.forms import DoubleSpinBox, FieldForm, FieldSpec, choice_words
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.project_overview import ProjectOverview
from audiostudio.ui.prompt_form import PromptForm
from audiostudio.ui.workers import Workers

CLIP_FIELDS = [
    FieldSpec("name", "Name", "text", tip="Shown on the timeline; empty: the line's words"),
    FieldSpec("start", "Start", suffix=" s"),
    FieldSpec("duration", "Duration", minimum=0.001, suffix=" s"),
    FieldSpec("offset", "Offset", suffix=" s", tip="Seconds of the audio skipped at the start"),
    FieldSpec("gain_db", "Gain", minimum=-60, maximum=24, step=0.5, decimals=1, suffix=" dB"),
    FieldSpec("fade_in", "Fade-in", suffix=" s"),
    FieldSpec("fade_in_curve", "Fade-in curve", "choice", choices=FADE_CURVES),
    FieldSpec("fade_out", "Fade-out", suffix=" s"),
    FieldSpec("fade_out_curve", "Fade-out curve", "choice", choices=FADE_CURVES),
    FieldSpec("loop", "Loop", "bool"),
    FieldSpec("mute", "Mute", "bool"),
]


class AutoGainRow(QWidget):
    """The clip's auto-level gain, and a way to fix it: ticking "Fix" keeps the value shown,
    which the spin box then changes; unticking measures it again (from the take in use)."""

    edited = Signal(object)  # the clip's new auto_gain_db (None: measured)

    def __init__(self) -> None:
        super().__init__()
        self.spin = DoubleSpinBox()
        self.spin.setRange(-60.0, 60.0)
        self.spin.setSingleStep(0.5)
        self.spin.setDecimals(1)
        self.spin.setSuffix(" dB")
        self.spin.setKeyboardTracking(False)
        self.spin.valueChanged.connect(lambda v: self.edited.emit(v) if self.fixed.isChecked()
                                       else None)
        self.fixed = QCheckBox("Fix")
        self.fixed.setToolTip("Keep this gain whatever the audio measures")
        self.fixed.toggled.connect(
            lambda on: self.edited.emit(self.spin.value() if on else None))
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #9aa0a6;")
        line = QHBoxLayout()
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.spin, 1)
        line.addWidget(self.fixed)
        self.rows = rows = QFormLayout(self)
        rows.setContentsMargins(4, 0, 4, 4)
        rows.addRow("Auto level", line)
        rows.addRow(self.note)

    def show_gain(self, gain: AutoGain | None, note: str) -> None:
        for widget in (self.spin, self.fixed):
            widget.blockSignals(True)
        self.spin.setValue(0.0 if gain is None else gain.gain_db)
        self.fixed.setChecked(gain is not None and gain.fixed)
        for widget in (self.spin, self.fixed):
            widget.blockSignals(False)
        self.spin.setEnabled(gain is not None and gain.fixed)
        self.fixed.setEnabled(gain is not None)
        self.note.setText(note)


class Inspector(QScrollArea):
    def __init__(self, document: Document, generation: GenerationController,
                 play: Callable[[Path], None] | None = None,
                 parent: QWidget | None = None) -> None:
        """``play``: hears a voice sample through the preview (None: made, not played)."""
        super().__init__(parent)
        self.document = document
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # fit the dock
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(6, 6, 4, 6)
        self.title = QLabel()
        self.title.setStyleSheet("font-weight: bold; font-size: 14px;")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.error = QLabel()
        self.error.setStyleSheet("color: #ff6b6b;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.request_form = PromptForm(document, generation, play)
        self.clip_form = FieldForm(CLIP_FIELDS)
        self.auto_gain = AutoGainRow()
        self.workers = Workers()  # loudness measurements of clips' audio
        self._measuring: set[Path] = set()
        self._unmeasurable: dict[Path, str] = {}
        self.overview = ProjectOverview(generation)
        self.groups = {}
        # A prompt clip's words and voice come first: that is what a creator works on.
        for name, form in (("Generation", self.request_form), ("Clip", self.clip_form),
                           ("Overview", self.overview)):
            box = QGroupBox(name)
            inner = QVBoxLayout(box)
            inner.setContentsMargins(2, 2, 2, 2)  # the dock is narrow: room for the fields
            inner.addWidget(form)
            if form is self.clip_form:
                inner.addWidget(self.auto_gain)
            layout.addWidget(box)
            self.groups[name] = box
        layout.addStretch(1)
        self.setWidget(body)
        self.request_form.message.connect(self.error.setText)
        self.clip_form.edited.connect(self._edit_clip)
        self.auto_gain.edited.connect(self._edit_auto_gain)
        self.overview.clips_chosen.connect(document.select)
        generation.rows_changed.connect(self._jobs_changed)
        document.selection_changed.connect(self.refresh)
        document.changed.connect(lambda _ids: self.refresh())
        document.reset.connect(self.refresh)
        self.refresh()

    def selected_clip(self) -> Clip | None:
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
        self.groups["Overview"].setVisible(clip is None)
        if clip is None:
            self.title.setText(f"Project — {project.name or 'Untitled'}")
            self.overview.refresh()
            return
        kind = choice_words(clip.request.kind) if clip.request else "Clip"
        self.title.setText(f"{kind}: {clip_name(clip, limit=80)}")
        values: dict[str, Any] = to_json(clip)
        values["duration"] = clip.length or 0.0
        self.clip_form.load(values)
        for key in ("duration", "offset"):  # a prompt with no audio yet has no length to trim
            self.clip_form.set_visible(key, clip.length is not None)
        self.auto_gain.show_gain(*self._auto_gain(clip))
        if clip.request is not None:
            self.request_form.show_clip(clip)
        self._align_columns()

    def _align_columns(self) -> None:
        """The Generation and Clip fields start at one x: every label as wide as the widest
        word of any ("Fade-out curve" wraps, so the narrow dock keeps its room for the fields).
        After each show: the provider's parameter rows change with the provider."""
        labels = [item.widget()
                  for rows in (self.request_form.rows, self.clip_form.rows, self.auto_gain.rows)
                  for row in range(rows.rowCount())
                  if (item := rows.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
                  and isinstance(item.widget(), QLabel)]
        width = max(label.fontMetrics().horizontalAdvance(word)
                    for label in labels for word in label.text().split())
        for label in labels:
            label.setWordWrap(True)
            label.setFixedWidth(width + 2)

    def _jobs_changed(self) -> None:
        if self.selected_clip() is None:  # counts by state include the jobs' states
            self.overview.refresh()

    def _edit_auto_gain(self, value: float | None) -> None:
        clip = self.selected_clip()
        if clip is None:
            return
        text = "Auto level" if value is None else "Fixed auto level"
        error = self.document.try_apply(SetFields(clip.id, {"auto_gain_db": value}),
                                        f"{text}: {clip_name(clip)}", f"{clip.id}:auto_gain_db")
        self.error.setText(error or "")
        if error:
            self.refresh()

    def _auto_gain(self, clip: Clip) -> tuple[AutoGain | None, str]:
        """The clip's auto-level gain and a line saying where it comes from. Audio the preview
        has not measured yet is measured in the background (once per asset: the cache keeps
        it); the row shows it when that is done."""
        project, folder = self.document.project, self.document.folder
        found = project.find_clip(clip.id)
        if found is None or not enabled(project):
            return None, "Auto-level is off (Mixer: Master)"
        track = found[0]
        kind = levelled_kind(track)
        if kind is None:
            return None, "Not auto-levelled on this track"
        level = None
        path = resolve_path(folder, clip.source) if folder and clip.source else None
        if clip.auto_gain_db is None and path is not None and path.is_file():
            if path in self._unmeasurable:
                return None, f"Could not measure the audio: {self._unmeasurable[path]}"
            level = cached_level(path, cache_dir())
            if level is None:
                self._measure(path, project.sample_rate_hz)
        gain = clip_gain(project, track, clip, level, has_dialogue(project))
        if gain is None or gain.fixed:
            return gain, "Fixed: untick Fix to set it from the audio again"
        if gain.measured_lufs is None:
            return gain, ("Measuring its loudness…" if path in self._measuring
                          else "No audio to measure yet")
        what = "speech-gated" if kind == "voice" else "integrated"
        return gain, (f"Measured {gain.measured_lufs:.1f} LUFS ({what}); {kind} sits at "
                      f"{gain.target_lufs:.1f} LUFS before ducking")

    def _measure(self, path: Path, rate: int) -> None:
        if path in self._measuring:
            return
        self._measuring.add(path)
        cache = cache_dir()

        def measure(_progress, _cancelled) -> tuple[Path, SourceLevel | str]:
            try:
                return path, source_level(path, open_source(path, rate, cache), rate, cache)
            except AudiostudioError as exc:
                return path, str(exc)

        # Bound methods: a measurement that ends after the inspector closed calls nothing.
        self.workers.start(measure, self._measured, self._measure_crashed)

    def _measured(self, result: tuple[Path, SourceLevel | str]) -> None:
        path, level = result
        self._measuring.discard(path)
        if isinstance(level, str):
            self._unmeasurable[path] = level
        self.refresh()

    def _measure_crashed(self, exc: BaseException) -> None:
        self._measuring.clear()  # a bug: shown, and measured again on the next look
        self.error.setText(f"Could not measure the audio: {type(exc).__name__}: {exc}")

    def focus_text(self, clip_id: str) -> None:
        """Show ``clip_id`` and put the cursor in its line or prompt (a new or double-clicked
        prompt clip)."""
        self.document.select({clip_id})
        if self.groups["Generation"].isVisibleTo(self):
            self.request_form.focus_text()

    def _edit_clip(self, key: str, value: Any) -> None:
        clip = self.selected_clip()
        if clip is not None:
            self._apply(clip.id, key, value, self.clip_form,
                        clip_name(clip))

    def _apply(self, target: str, key: str, value: Any, form: FieldForm, what: str) -> None:
        """One undoable step named in people's words ("Fade-out curve: Line 3"), merged per
        field of one clip while a spin box turns."""
        merge_key = f"{target}:{key}"
        edit = SetFields(target, {key: value})  # a clip's Start or Duration is a hand edit
        error = self.document.try_apply(ByHand(edit) if form is self.clip_form else edit,
                                        f"{form.specs[key].label}: {what}", merge_key)
        self.error.setText(error or "")
        if error:
            self.refresh()
