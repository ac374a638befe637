"""The mixer dock: a strip per track (fader, pan, mute, solo, auto-level, duck role, live peak
meter) and a master strip (loudness target preset, true-peak ceiling, master gain, auto-level
by kind, ducking): the only place the project's master settings are edited. Every change is an
undoable edit; one fader drag is one undo step. Meters read the feeder's levels on a GUI timer,
never in the audio path."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from audiostudio.model import AutoLevel, Track
from audiostudio.model.edits import Scope, SetFields
from audiostudio.model.schema import to_json
from audiostudio.ui.document import Document
from audiostudio.ui.preview import Preview

FADER_MIN_DB, FADER_MAX_DB = -60.0, 12.0
FADER_STEPS_PER_DB = 10
METER_FLOOR_DB = -60.0
METER_MS = 50
PEAK_FALL_DB_PER_S = 20.0  # meters fall back smoothly, as a PPM does
TARGETS = (("Podcast / streaming (-16 LUFS)", -16.0), ("Music apps (-14 LUFS)", -14.0),
           ("YouTube (-14 LUFS)", -14.0), ("Broadcast EBU R128 (-23 LUFS)", -23.0))
ROLE_WORDS = (("Ducks others", "key"), ("Ducked", "ducked"), ("No ducking", "none"))
STYLE = """
QFrame#mixerStrip { background: #26282d; border: 1px solid #3d4047; border-radius: 6px; }
QFrame#mixerStrip QToolButton { background: #3a3c42; color: #c9ccd2; border: none;
                                border-radius: 3px; min-width: 22px; font-weight: bold; }
QFrame#mixerStrip QToolButton:hover { background: #4a4d55; }
QFrame#mixerStrip QToolButton#muteButton:checked { background: #f0b429; color: #1e1f22; }
QFrame#mixerStrip QToolButton#soloButton:checked { background: #3cc08a; color: #1e1f22; }
QFrame#mixerStrip QToolButton#levelButton:checked { background: #5b8def; color: #1e1f22; }
"""


def _db(linear: float) -> float:
    return 20 * math.log10(linear) if linear > 0 else -math.inf


class Meter(QWidget):
    """A vertical peak meter: green to -12 dBFS, amber to -3, red above."""

    def __init__(self) -> None:
        super().__init__()
        self.level_db = -math.inf
        self.setFixedWidth(10)
        self.setMinimumHeight(80)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Expanding)

    def show_level(self, db: float) -> None:
        fallen = self.level_db - PEAK_FALL_DB_PER_S * METER_MS / 1000
        level = max(db, fallen) if math.isfinite(self.level_db) else db
        if level != self.level_db:
            self.level_db = level
            self.update()

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        rect = QRectF(self.rect())
        painter.fillRect(rect, QColor("#15171c"))
        if math.isfinite(self.level_db) and self.level_db > METER_FLOOR_DB:
            x = min(1.0, (self.level_db - METER_FLOOR_DB) / -METER_FLOOR_DB)
            top = rect.bottom() - x * rect.height()
            color = ("#e5484d" if self.level_db > -3 else "#f5a524" if self.level_db > -12
                     else "#46a758")
            painter.fillRect(QRectF(rect.left(), top, rect.width(), rect.bottom() - top),
                             QColor(color))


class TrackStrip(QFrame):
    def __init__(self, document: Document, track: Track, drags: itertools.count) -> None:
        super().__init__()
        self.setObjectName("mixerStrip")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.document = document
        self.track_id = track.id
        self._drags = drags
        self._drag = 0
        self.name = QLabel(track.name or track.id)
        self.name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name.setWordWrap(True)
        self.fader = QSlider(Qt.Orientation.Vertical)
        self.fader.setRange(round(FADER_MIN_DB * FADER_STEPS_PER_DB),
                            round(FADER_MAX_DB * FADER_STEPS_PER_DB))
        self.fader.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no wheel changes unless focused
        self.fader.setToolTip("Track gain (double-click: 0 dB)")
        self.fader.sliderPressed.connect(self._new_drag)
        self.fader.valueChanged.connect(self._fader_moved)
        self.gain_label = QLabel()
        self.gain_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.meter = Meter()
        self.pan = QSlider(Qt.Orientation.Horizontal)
        self.pan.setRange(-100, 100)
        self.pan.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pan.setToolTip("Pan")
        self.pan.sliderPressed.connect(self._new_drag)
        self.pan.valueChanged.connect(self._pan_moved)
        self.mute = QToolButton(text="M", checkable=True, toolTip="Mute")
        self.mute.setObjectName("muteButton")
        self.mute.toggled.connect(lambda on: self._set({"mute": on}, "Mute" if on else "Unmute"))
        self.solo = QToolButton(text="S", checkable=True, toolTip="Solo")
        self.solo.setObjectName("soloButton")
        self.solo.toggled.connect(lambda on: self._set({"solo": on}, "Solo" if on else "Unsolo"))
        self.level = QToolButton(text="A", checkable=True,
                                 toolTip="Auto-level: this track's clips balanced by kind")
        self.level.setObjectName("levelButton")
        self.level.toggled.connect(lambda on: self._set(
            {"auto_level": on}, "Auto-level" if on else "No auto-level"))
        self.role = QComboBox()
        for words, role in ROLE_WORDS:
            self.role.addItem(words, role)
        self.role.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.role.activated.connect(
            lambda i: self._set({"duck": self.role.itemData(i)}, "Change ducking"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.mute)
        buttons.addWidget(self.solo)
        buttons.addWidget(self.level)
        faders = QHBoxLayout()
        faders.addWidget(self.fader)
        faders.addWidget(self.meter)
        layout = QVBoxLayout(self)
        layout.addWidget(self.name)
        layout.addLayout(faders, 1)
        layout.addWidget(self.gain_label)
        layout.addWidget(self.pan)
        layout.addLayout(buttons)
        layout.addWidget(self.role)
        self.setFixedWidth(126)
        self.sync()

    def track(self) -> Track | None:
        return next((t for t in self.document.project.tracks if t.id == self.track_id), None)

    def sync(self) -> None:
        track = self.track()
        if track is None:
            return
        for widget, value in ((self.fader, round(track.gain_db * FADER_STEPS_PER_DB)),
                              (self.pan, round(track.pan * 100)),
                              (self.mute, track.mute), (self.solo, track.solo),
                              (self.level, track.auto_level)):
            widget.blockSignals(True)
            if isinstance(value, bool):
                widget.setChecked(value)
            else:
                widget.setValue(value)
            widget.blockSignals(False)
        self.role.setCurrentIndex([r for _, r in ROLE_WORDS].index(track.duck_role))
        self.name.setText(track.name or track.id)
        self.gain_label.setText(f"{track.gain_db:+.1f} dB")

    def mouseDoubleClickEvent(self, event) -> None:
        if self.fader.geometry().contains(event.position().toPoint()):
            self._new_drag()
            self._set({"gain_db": 0.0}, "Reset gain")
        super().mouseDoubleClickEvent(event)

    def _new_drag(self) -> None:
        self._drag = next(self._drags)

    def _fader_moved(self, value: int) -> None:
        gain = value / FADER_STEPS_PER_DB
        self.gain_label.setText(f"{gain:+.1f} dB")
        self._set({"gain_db": gain}, "Track gain", f"gain:{self.track_id}:{self._drag}")

    def _pan_moved(self, value: int) -> None:
        self._set({"pan": value / 100}, "Pan", f"pan:{self.track_id}:{self._drag}")

    def _set(self, fields: dict, text: str, merge_key: str | None = None) -> None:
        track = self.track()
        label = track.name if track and track.name else self.track_id
        problem = self.document.try_apply(SetFields(self.track_id, fields), f"{text}: {label}",
                                          merge_key)
        if problem:
            self.sync()


class MasterStrip(QGroupBox):
    def __init__(self, document: Document) -> None:
        super().__init__("Master")
        self.document = document
        self.target = QComboBox()
        for words, lufs in TARGETS:
            self.target.addItem(words, lufs)
        self.target.addItem("Custom", None)
        self.target.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.target.activated.connect(self._preset_chosen)
        self.custom = self._spin(-40.0, -5.0, 0.5, " LUFS")
        self.custom.valueChanged.connect(
            lambda v: self._set(Scope.MIX, {"target_lufs": v}, "Loudness target", "target"))
        self.normalize = QCheckBox("Normalise loudness")
        self.normalize.toggled.connect(self._normalize_toggled)
        self.ceiling = self._spin(-9.0, 0.0, 0.1, " dBTP")
        self.ceiling.valueChanged.connect(lambda v: self._set(
            Scope.MIX, {"true_peak_ceiling_dbtp": v}, "True-peak ceiling", "ceiling"))
        self.auto_level = QCheckBox("Auto-level by kind")
        self.auto_level.setToolTip("Each clip's gain from its measured loudness: voice at the "
                                   "dialogue level, music and SFX under it")
        self.auto_level.toggled.connect(lambda on: self._set_auto(
            "Auto-level" if on else "No auto-level", enabled=on))
        self.music_under = self._spin(0.0, 40.0, 1.0, " LU")
        self.music_under.setToolTip("How far under the dialogue music sits while the voice "
                                    "plays")
        self.music_under.valueChanged.connect(lambda v: self._set_auto(
            "Music under voice", "music_under", music_under_lu=v))
        self.sfx_under = self._spin(0.0, 40.0, 1.0, " LU")
        self.sfx_under.setToolTip("How far under the dialogue sound effects sit")
        self.sfx_under.valueChanged.connect(lambda v: self._set_auto(
            "SFX under voice", "sfx_under", sfx_under_lu=v))
        self.depth = self._spin(-40.0, 0.0, 1.0, " dB")
        self.depth.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"depth_db": v}, "Duck depth", "depth"))
        self.threshold = self._spin(-70.0, 0.0, 1.0, " dBFS")
        self.threshold.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"threshold_db": v}, "Duck threshold", "threshold"))
        self.attack = self._spin(1.0, 2000.0, 10.0, " ms")
        self.attack.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"attack_ms": v}, "Duck attack", "attack"))
        self.release = self._spin(10.0, 5000.0, 50.0, " ms")
        self.release.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"release_ms": v}, "Duck release", "release"))
        self.hold = self._spin(0.0, 10000.0, 50.0, " ms")
        self.hold.setToolTip("How long the music stays down after the voice stops")
        self.hold.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"hold_ms": v}, "Duck hold", "hold"))
        self.lookahead = self._spin(0.0, 2000.0, 10.0, " ms")
        self.lookahead.setToolTip("How early the music starts going down before a line")
        self.lookahead.valueChanged.connect(
            lambda v: self._set(Scope.DUCK, {"lookahead_ms": v}, "Duck look-ahead", "lookahead"))
        self.master_gain = self._spin(-40.0, 24.0, 0.5, " dB")
        self.master_gain.setToolTip("Gain of the whole mix before normalisation and the limiter")
        self.master_gain.valueChanged.connect(lambda v: self._set(
            Scope.MIX, {"master_gain_db": v}, "Master gain", "master_gain"))
        self.meter = Meter()
        # Two columns (loudness | ducking): the strip stays as low as the track strips.
        form = QFormLayout()
        form.addRow(self.normalize)
        form.addRow("Target", self.target)
        form.addRow("", self.custom)
        form.addRow("Ceiling", self.ceiling)
        form.addRow("Master gain", self.master_gain)
        form.addRow(self.auto_level)
        form.addRow("Music under", self.music_under)
        form.addRow("SFX under", self.sfx_under)
        ducking = QFormLayout()
        ducking.addRow(QLabel("<b>Music under voice</b>"))
        ducking.addRow("Depth", self.depth)
        ducking.addRow("Threshold", self.threshold)
        ducking.addRow("Attack", self.attack)
        ducking.addRow("Release", self.release)
        ducking.addRow("Hold", self.hold)
        ducking.addRow("Look-ahead", self.lookahead)
        layout = QHBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(ducking)
        layout.addWidget(self.meter)
        self.sync()

    @staticmethod
    def _spin(low: float, high: float, step: float, suffix: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(1)
        spin.setSuffix(suffix)
        spin.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # the wheel changes it only when focused
        spin.setKeyboardTracking(False)
        return spin

    def sync(self) -> None:
        mix = self.document.project.mix
        target = mix.target_lufs
        preset = next((i for i, (_, lufs) in enumerate(TARGETS) if lufs == target), None)
        level = mix.auto_level or AutoLevel(enabled=False)
        values = ((self.normalize, target is not None), (self.auto_level, level.enabled),
                  (self.music_under, level.music_under_lu), (self.sfx_under, level.sfx_under_lu),
                  (self.custom, target if target is not None else -16.0),
                  (self.ceiling, mix.true_peak_ceiling_dbtp), (self.depth, mix.duck.depth_db),
                  (self.threshold, mix.duck.threshold_db), (self.attack, mix.duck.attack_ms),
                  (self.release, mix.duck.release_ms), (self.hold, mix.duck.hold_ms),
                  (self.lookahead, mix.duck.lookahead_ms), (self.master_gain, mix.master_gain_db))
        for widget, value in values:
            widget.blockSignals(True)
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            else:
                widget.setValue(value)
            widget.blockSignals(False)
        self.target.setCurrentIndex(len(TARGETS) if preset is None else preset)
        self.target.setEnabled(target is not None)
        self.custom.setVisible(target is not None and preset is None)
        self.music_under.setEnabled(level.enabled)
        self.sfx_under.setEnabled(level.enabled)

    def _preset_chosen(self, index: int) -> None:
        lufs = self.target.itemData(index)
        if lufs is None:
            self.custom.setVisible(True)
            self.custom.setFocus()
            return
        self._set(Scope.MIX, {"target_lufs": lufs}, "Loudness target")

    def _normalize_toggled(self, on: bool) -> None:
        lufs = self.custom.value() if on else None
        self._set(Scope.MIX, {"target_lufs": lufs},
                  "Normalise loudness" if on else "No loudness normalisation")

    def _set(self, scope: Scope, fields: dict, text: str, merge_key: str | None = None) -> None:
        if self.document.try_apply(SetFields(scope, fields), text, merge_key):
            self.sync()

    def _set_auto(self, text: str, merge_key: str | None = None, **changes) -> None:
        """Change the mix's auto-level (created with its defaults when a file had none)."""
        level = replace(self.document.project.mix.auto_level or AutoLevel(), **changes)
        self._set(Scope.MIX, {"auto_level": to_json(level)}, text,
                  None if merge_key is None else f"auto:{merge_key}")


class MixerDock(QWidget):
    level_read = Signal()  # after each meter refresh (tests wait on it)

    def __init__(self, document: Document, preview: Preview) -> None:
        super().__init__()
        self.document = document
        self.preview = preview
        self._drags = itertools.count(1)
        self.setStyleSheet(STYLE)
        self.strips: list[TrackStrip] = []
        self._row = QHBoxLayout()
        self._row.setSpacing(4)
        holder = QWidget()
        holder.setLayout(self._row)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        self.master = MasterStrip(document)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.master)
        self._timer = QTimer(self)
        self._timer.setInterval(METER_MS)
        self._timer.timeout.connect(self._read_levels)
        self._timer.start()
        document.changed.connect(lambda _ids: self._sync())
        document.reset.connect(self._rebuild)
        self._rebuild()

    def _rebuild(self) -> None:
        for strip in self.strips:
            strip.deleteLater()
        while self._row.count():
            self._row.takeAt(0)
        self.strips = [TrackStrip(self.document, t, self._drags)
                       for t in self.document.project.tracks]
        for strip in self.strips:
            self._row.addWidget(strip)
        self._row.addStretch(1)
        self.master.sync()

    def _sync(self) -> None:
        if [s.track_id for s in self.strips] != [t.id for t in self.document.project.tracks]:
            self._rebuild()
            return
        for strip in self.strips:
            strip.sync()
        self.master.sync()

    def _read_levels(self) -> None:
        levels = self.preview.levels()
        peaks: dict[str, float] = {}
        if levels is not None and self.preview.audible_ids is not None:
            peaks = dict(zip(self.preview.audible_ids, levels.track_peaks, strict=False))
        for strip in self.strips:
            strip.meter.show_level(_db(peaks.get(strip.track_id, 0.0)))
        self.master.meter.show_level(_db(levels.mix_peak) if levels else -math.inf)
        self.level_read.emit()
