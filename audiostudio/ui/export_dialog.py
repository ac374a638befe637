"""The export dialog: what to deliver, how loud, which part, where; then progress and a summary.

It builds an ``ExportOptions`` and calls ``export_project`` on a worker, exactly what
`audiostudio render` does, so the window and the command line deliver the same files: the mix,
the stems (WAV or MP3) with the video editors' hand-off files beside them, and the mix put into
a copy of the reference video. The summary lists every file written (``written_files``). Loudness
and rate start from the project (they belong to the scene); what to deliver, the formats and
the destination are remembered per user in QSettings (dialog state, like window geometry;
each project keeps its own destination, so one project never overwrites another's export).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QColor, QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audiostudio.errors import CancelledError, MissingSourceError
from audiostudio.export.render import (
    MP3_BITRATES,
    ExportOptions,
    export_project,
    written_files,
)
from audiostudio.model.schema import project_from_dict, project_to_dict
from audiostudio.settings import cache_dir
from audiostudio.ui import workers
from audiostudio.ui.document import Document
from audiostudio.ui.mixer import TARGETS
from audiostudio.ui.theme import RAISED

FORMATS = (("WAV", ("wav",)), ("MP3", ("mp3",)), ("WAV and MP3", ("wav", "mp3")))
STEM_FORMATS = (("WAV", "wav"), ("MP3", "mp3"))
VIDEO_AUDIO = (("AAC, 320 kbps", "aac"), ("PCM, 24-bit (lossless, larger)", "pcm"))
# Two lines of its own (a word-wrapped label in a form row is cut to one line's height).
HANDOFF_NOTE = ("Beside the stems, for the video editor: timeline.otio, timeline.xml\n"
                "(Premiere, Resolve), an EDL per stem, markers.csv, subtitles (.srt, .vtt).")
VIDEO_NEEDS = "Needs the whole project and a WAV mix (the video gets the whole mix)."
DEPTHS = (("16-bit", "16"), ("24-bit", "24"), ("32-bit float", "32f"))
RATES = (44100, 48000, 96000)
CUSTOM, OFF = "custom", "off"
SKIP_LABEL = "Skip clips without audio (export them as silence)"
SETTINGS_GROUP = "exportDialog"
SHOWN_WARNINGS = 3  # in the summary; report.json has them all

Span = tuple[float, float]


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0.0, seconds), 60.0)
    return f"{int(minutes)}:{secs:04.1f}"


def window_message(error: BaseException) -> str:
    """The error in the window's words: a missing clip is skipped with a checkbox here."""
    text = str(error)
    if isinstance(error, MissingSourceError):
        text = re.sub(r"\s*\([^()]*--skip-missing[^()]*\)", "", text).rstrip(".")
        text += (f". Generate it first, or tick “{SKIP_LABEL.split(' (')[0]}” "
                 "to export the rest.")
    return text


class ExportDialog(QDialog):
    """``ranges``: named parts of the timeline offered besides the whole project (the loop,
    the selection). ``video``: the project's reference video, offered to put the mix into.
    ``store``: where the choices are remembered (tests give a private one)."""

    def __init__(self, document: Document, pool: workers.Workers,
                 ranges: list[tuple[str, Span]] | None = None,
                 store: QSettings | None = None, parent: QWidget | None = None,
                 video: Path | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.document = document
        self.pool = pool
        self.store = store or QSettings("Audiostudio", "Audiostudio")
        self.worker: workers.Worker | None = None
        self.report: dict[str, Any] | None = None
        self._out_dir: Path | None = None
        project = document.project
        layout = QVBoxLayout(self)

        deliver = QGroupBox("Deliver")
        form = self._deliver_form = QFormLayout(deliver)
        self.mix_box = _check_box("Mix (all tracks together)")
        self.stems_box = _check_box("Stems (one file per track, summing to the mix)")
        form.addRow(self.mix_box)
        form.addRow(self.stems_box)
        self.format_combo = _combo(FORMATS)
        form.addRow("Mix format", self.format_combo)
        self.stems_format_combo = _combo(STEM_FORMATS)
        form.addRow("Stems format", self.stems_format_combo)
        self.handoff_note = QLabel(HANDOFF_NOTE)
        form.addRow(self.handoff_note)
        self.depth_combo = _combo(DEPTHS)
        form.addRow("WAV bit depth", self.depth_combo)
        self.bitrate_combo = _combo([(f"{k} kbps", k) for k in MP3_BITRATES])
        form.addRow("MP3 bitrate", self.bitrate_combo)
        rates = sorted({*RATES, project.sample_rate_hz})
        self.rate_combo = _combo([(f"{r / 1000:g} kHz", r) for r in rates])
        _select(self.rate_combo, project.sample_rate_hz)
        form.addRow("Sample rate", self.rate_combo)
        layout.addWidget(deliver)

        loudness = QGroupBox("Loudness")
        form = QFormLayout(loudness)
        self.preset_combo = _combo([*TARGETS, ("Custom", CUSTOM),
                                    ("Off (no normalisation)", OFF)])
        form.addRow("Made for", self.preset_combo)
        self.target_spin = _spin(-40.0, -5.0, " LUFS")
        form.addRow("Target loudness", self.target_spin)
        self.ceiling_spin = _spin(-9.0, 0.0, " dBTP")
        self.ceiling_spin.setValue(project.mix.true_peak_ceiling_dbtp)
        form.addRow("Peak ceiling", self.ceiling_spin)
        layout.addWidget(loudness)

        part = QGroupBox("Range and destination")
        form = QFormLayout(part)
        self.range_combo = QComboBox()
        end = project.timeline_length()
        self.range_combo.addItem(f"Whole project (0:00.0 – {_clock(end)})", None)
        for name, (start, stop) in ranges or []:
            self.range_combo.addItem(f"{name} ({_clock(start)} – {_clock(stop)})", (start, stop))
        form.addRow("Range", self.range_combo)
        self.skip_box = _check_box(SKIP_LABEL)
        form.addRow(self.skip_box)
        self.dest_edit = QLineEdit()
        form.addRow("Into folder", _path_row(self.dest_edit, self._browse))
        layout.addWidget(part)

        picture = QGroupBox("Video")
        form = self._video_form = QFormLayout(picture)
        self.video_box = _check_box("Put the mix into a copy of the video (picture copied as is)")
        form.addRow(self.video_box)
        self.video_edit = QLineEdit(str(video or ""))
        self.video_edit.setPlaceholderText("the reference video (File > Import Video)")
        form.addRow("Video file", _path_row(self.video_edit, self._browse_video))
        self.video_audio_combo = _combo(VIDEO_AUDIO)
        form.addRow("Its audio", self.video_audio_combo)
        self.video_note = QLabel(VIDEO_NEEDS)
        self.video_note.setWordWrap(True)
        form.addRow(self.video_note)
        layout.addWidget(picture)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.files = QListWidget()
        self.files.hide()
        layout.addWidget(self.files)

        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open folder")
        self.open_button.clicked.connect(self.open_folder)
        self.open_button.hide()
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel export")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.hide()
        buttons.addWidget(self.cancel_button)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.reject)
        buttons.addWidget(self.close_button)
        self.export_button = QPushButton("Export")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.start)
        buttons.addWidget(self.export_button)
        layout.addLayout(buttons)
        self._choices = [deliver, loudness, part, picture]

        self._restore(project.mix.target_lufs)
        for box in (self.mix_box, self.stems_box, self.video_box):
            box.toggled.connect(self._update_enabled)
        for combo in (self.format_combo, self.stems_format_combo, self.range_combo):
            combo.currentIndexChanged.connect(self._update_enabled)
        self.preset_combo.currentIndexChanged.connect(self._preset_chosen)
        self.target_spin.valueChanged.connect(self._target_typed)
        self._update_enabled()
        self.resize(520, self.sizeHint().height())

    # --- choices -----------------------------------------------------------------------
    def options(self) -> ExportOptions:
        preset = self.preset_combo.currentData()
        span = self.range_combo.currentData()
        return ExportOptions(
            formats=self.format_combo.currentData() if self.mix_box.isChecked() else (),
            stems=self.stems_box.isChecked(),
            normalize=preset != OFF,
            target_lufs=None if preset == OFF else self.target_spin.value(),
            true_peak_dbtp=self.ceiling_spin.value(),
            sample_rate=self.rate_combo.currentData(),
            bit_depth=self.depth_combo.currentData(),
            mp3_bitrate=self.bitrate_combo.currentData(),
            skip_missing=self.skip_box.isChecked(),
            start=None if span is None else span[0],
            end=None if span is None else span[1],
            video=self.video() if self.video_box.isChecked() and self._video_possible() else None,
            video_audio=self.video_audio_combo.currentData(),
            stems_format=self.stems_format_combo.currentData(),
        )

    def destination(self) -> Path | None:
        text = self.dest_edit.text().strip()
        return Path(text).expanduser() if text else None

    def video(self) -> Path | None:
        text = self.video_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _video_possible(self) -> bool:
        """The video gets the whole mix as WAV (``check_options`` says so too)."""
        return (self.mix_box.isChecked() and "wav" in self.format_combo.currentData()
                and self.range_combo.currentData() is None)

    def _browse_video(self) -> None:
        file, _ = QFileDialog.getOpenFileName(
            self, "Put the mix into a copy of", self.video_edit.text(),
            "Videos (*.mp4 *.mov *.m4v *.mkv);;All files (*)")
        if file:
            self.video_edit.setText(file)
            self.video_box.setChecked(True)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export into folder",
                                                  self.dest_edit.text())
        if folder:
            self.dest_edit.setText(folder)

    def _preset_chosen(self) -> None:
        value = self.preset_combo.currentData()
        if isinstance(value, float):
            self.target_spin.blockSignals(True)
            self.target_spin.setValue(value)
            self.target_spin.blockSignals(False)
        self._update_enabled()

    def _target_typed(self, value: float) -> None:
        """A target no preset names is a custom one."""
        if self.preset_combo.currentData() != value:
            _select(self.preset_combo, next((v for _n, v in TARGETS if v == value), CUSTOM))

    def _update_enabled(self) -> None:
        mix = self.mix_box.isChecked()
        formats = self.format_combo.currentData() if mix else ()
        # Only the rows that apply are shown: a greyed MP3 bitrate reads as "MP3 too".
        stems = self.stems_box.isChecked()
        stems_format = self.stems_format_combo.currentData() if stems else None
        rows = self._deliver_form
        rows.setRowVisible(self.format_combo, mix)
        rows.setRowVisible(self.stems_format_combo, stems)
        rows.setRowVisible(self.handoff_note, stems)
        rows.setRowVisible(self.depth_combo, "wav" in formats or stems_format == "wav")
        rows.setRowVisible(self.bitrate_combo, "mp3" in formats or stems_format == "mp3")
        possible = self._video_possible()
        self.video_box.setEnabled(possible)
        self._video_form.setRowVisible(self.video_note, not possible)
        for widget in (self.video_edit, self.video_audio_combo):
            widget.setEnabled(possible and self.video_box.isChecked())
        self.target_spin.setEnabled(self.preset_combo.currentData() != OFF)
        nothing = not (mix or self.stems_box.isChecked())
        self.export_button.setEnabled(not nothing and self.worker is None)
        if self.worker is None and not self.report:
            self.status.setText("Tick the mix, the stems or both." if nothing else "")

    def _restore(self, project_target: float | None) -> None:
        store = self.store
        store.beginGroup(SETTINGS_GROUP)
        self.mix_box.setChecked(store.value("mix", True, type=bool))
        self.stems_box.setChecked(store.value("stems", True, type=bool))
        _select(self.stems_format_combo, str(store.value("stemsFormat", "wav")))
        self.video_box.setChecked(store.value("video", False, type=bool)
                                  and bool(self.video_edit.text()))
        _select(self.video_audio_combo, str(store.value("videoAudio", "aac")))
        _select(self.format_combo, tuple(str(store.value("formats", "wav")).split("+")))
        _select(self.depth_combo, str(store.value("bitDepth", "24")))
        _select(self.bitrate_combo, int(store.value("mp3Bitrate", 192)))
        destinations = json.loads(str(store.value("destinations", "{}")))
        store.endGroup()
        folder = self.document.folder
        default = folder / "export" if folder is not None else None
        self.dest_edit.setText(destinations.get(str(folder), str(default or "")))
        if project_target is None:
            _select(self.preset_combo, OFF)
        else:
            self.target_spin.setValue(project_target)
            _select(self.preset_combo,
                    next((v for _n, v in TARGETS if v == project_target), CUSTOM))

    def _remember(self, out_dir: Path, options: ExportOptions) -> None:
        store = self.store
        store.beginGroup(SETTINGS_GROUP)
        store.setValue("mix", self.mix_box.isChecked())
        store.setValue("stems", options.stems)
        store.setValue("stemsFormat", options.stems_format)
        store.setValue("video", self.video_box.isChecked())
        store.setValue("videoAudio", options.video_audio)
        store.setValue("formats", "+".join(self.format_combo.currentData()))
        store.setValue("bitDepth", options.bit_depth)
        store.setValue("mp3Bitrate", options.mp3_bitrate)
        destinations = json.loads(str(store.value("destinations", "{}")))
        destinations[str(self.document.folder)] = str(out_dir)
        store.setValue("destinations", json.dumps(destinations))
        store.endGroup()

    # --- running -----------------------------------------------------------------------
    def start(self) -> workers.Worker | None:
        out_dir = self.destination()
        if out_dir is None:
            self.status.setText("Choose a folder to export into.")
            return None
        if self.video_box.isChecked() and self._video_possible() and self.video() is None:
            self.status.setText("Choose the video to put the mix into, or untick it.")
            return None
        return self.run(out_dir, self.options())

    def run(self, out_dir: Path, options: ExportOptions) -> workers.Worker:
        """Export on a worker; the dialog shows progress, then the summary or the error."""
        # The worker renders a snapshot: the user may keep editing while it runs.
        project = project_from_dict(project_to_dict(self.document.project))
        folder = self.document.folder
        self._remember(out_dir, options)
        self._out_dir, self.report = out_dir, None

        def job(progress, cancelled):
            return export_project(project, folder, out_dir, options,
                                  progress=lambda f, _label: progress(f), cancelled=cancelled,
                                  cache=cache_dir())

        self.worker = self.pool.start(job, self._finished, self._failed,
                                      lambda f: self.progress.setValue(round(f * 1000)))
        self._show_running(True)
        self.status.setText(f"Exporting into {out_dir}…")
        return self.worker

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.status.setText("Cancelling…")

    def reject(self) -> None:
        self.cancel()  # closing the dialog stops its export
        super().reject()

    def _show_running(self, running: bool) -> None:
        for group in self._choices:
            group.setEnabled(not running)
        self.progress.setVisible(running)
        self.progress.setValue(0)
        self.cancel_button.setVisible(running)
        self.export_button.setEnabled(not running)
        self.files.setVisible(not running and bool(self.report))
        self.open_button.setVisible(not running and bool(self.report))

    def _finished(self, report: dict[str, Any]) -> None:
        self.worker, self.report = None, report
        self.files.clear()
        self.files.addItems(written_files(report))
        self._show_running(False)
        self.status.setText(summary(report))

    def _failed(self, error: BaseException) -> None:
        self.worker = None
        self._show_running(False)
        if isinstance(error, CancelledError):
            self.status.setText("Export cancelled: nothing in the folder was changed.")
        else:
            self.status.setText(f"Export failed: {window_message(error)}")

    def open_folder(self) -> None:
        if self._out_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._out_dir)))


def summary(report: dict[str, Any]) -> str:
    """What was delivered, measured on the written mix (and the decoded MP3)."""
    def db(value: float | None, unit: str) -> str:
        return "n/a" if value is None else f"{value:.1f} {unit}"

    target = report["target_lufs"]
    span = report.get("range_s")
    part = "" if span is None else f" ({_clock(span[0])} – {_clock(span[1])})"
    handoff = report["handoff"]
    editors = f", {len(handoff)} for the video editor" if handoff else ""
    lines = [f"Exported {_clock(report['duration_s'])}{part}: {len(report['files'])} audio "
             f"file(s){editors} and report.json.",
             f"Mix: {db(report['integrated_lufs'], 'LUFS')} "
             f"(target {db(target, 'LUFS') if target is not None else 'off'}), true peak "
             f"{db(report['true_peak_dbtp'], 'dBTP')} "
             f"(ceiling {report['true_peak_ceiling_dbtp']:.1f} dBTP)."]
    if "mp3" in report:
        mp3 = report["mp3"]
        lines.append(f"MP3: {db(mp3['integrated_lufs'], 'LUFS')}, true peak "
                     f"{db(mp3['true_peak_dbtp'], 'dBTP')}.")
    margins = [t["mp3_margin_db"] for t in report["tracks"] if t.get("mp3_margin_db")]
    if margins:
        lines.append(f"MP3 stems: {len(margins)} limited up to {max(margins):.1f} dB further, "
                     "so that they stay under the ceiling once decoded.")
    warnings = report["warnings"]
    lines += [f"Note: {w['where'] + ': ' if w['where'] else ''}{w['message']}."
              for w in warnings[:SHOWN_WARNINGS]]
    if len(warnings) > SHOWN_WARNINGS:
        lines.append(f"… and {len(warnings) - SHOWN_WARNINGS} more notes in report.json.")
    return "\n".join(lines)


def _check_box(text: str) -> QCheckBox:
    """A check box whose empty square shows: the theme's Base is the dialog's background."""
    box = QCheckBox(text)
    palette = box.palette()
    palette.setColor(QPalette.ColorRole.Base, QColor(RAISED))
    box.setPalette(palette)
    return box


def _path_row(edit: QLineEdit, choose: Callable[[], None]) -> QHBoxLayout:
    """A path field with its "Choose…" button; the tooltip shows a path too long to see."""
    edit.textChanged.connect(edit.setToolTip)
    button = QPushButton("Choose…")
    button.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(edit, 1)
    row.addWidget(button)
    return row


def _combo(items) -> QComboBox:
    combo = QComboBox()
    for text, data in items:
        combo.addItem(text, data)
    return combo


def _select(combo: QComboBox, data: Any) -> None:
    index = next((i for i in range(combo.count()) if combo.itemData(i) == data), -1)
    if index >= 0:
        combo.setCurrentIndex(index)


def _spin(low: float, high: float, suffix: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setDecimals(1)
    box.setSingleStep(0.5)
    box.setSuffix(suffix)
    return box
