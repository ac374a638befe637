"""File > New from Script…: pick a script, see what it makes and costs, cast it, create it.

Nothing is generated here: the preview (counts per kind, characters, the estimated cost, or the
parse error with its line) is computed from the parsed script before the project exists. The
parsing and layout are the script package's (the CLI's ``new --from-script`` runs the same).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from audiostudio.errors import AudiostudioError
from audiostudio.generation.batch import estimate
from audiostudio.generation.service import GenerationService
from audiostudio.model import Project
from audiostudio.model.edits import apply
from audiostudio.model.store import PROJECT_FILE, new_project
from audiostudio.script import ImportOptions, ScriptPlan, plan_import, read_script
from audiostudio.script.cues import Script
from audiostudio.script.layout import DEFAULT_GAP_S
from audiostudio.settings import Settings
from audiostudio.ui.forms import DoubleSpinBox, own_items

SCRIPT_FILTER = "Scripts (*.txt *.fountain *.spmd *.csv *.tsv *.srt *.vtt *.json);;All files (*)"


def _path_row(edit: QLineEdit, browse: QPushButton) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(edit, 1)
    layout.addWidget(browse)
    return row


class ScriptDialog(QDialog):
    """After ``exec()`` returns Accepted, ``folder`` holds the saved project and ``generate``
    says whether the user asked for its clips to be generated now."""

    def __init__(self, service: GenerationService, settings: Settings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New from Script")
        self.setMinimumWidth(560)
        self.service = service
        self.settings = settings
        self.folder: Path | None = None
        self._script: Script | None = None
        self._error = ""  # why the chosen file cannot be read, if it cannot
        self._speakers: tuple[str, ...] = ()
        layout = QVBoxLayout(self)

        form = QFormLayout()
        self.script_edit = QLineEdit()
        self.script_edit.setPlaceholderText("plain text, Fountain, CSV, SRT, podcastfy, "
                                            "WavJourney JSON")
        browse_script = QPushButton("Browse…")
        browse_script.clicked.connect(self._browse_script)
        form.addRow("Script", _path_row(self.script_edit, browse_script))
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("a new or empty folder")
        browse_folder = QPushButton("Browse…")
        browse_folder.clicked.connect(self._browse_folder)
        form.addRow("Project folder", _path_row(self.folder_edit, browse_folder))
        self.narration_box = QCheckBox("All lines on one Narration track")
        form.addRow(self.narration_box)
        self.gap_spin = DoubleSpinBox()
        self.gap_spin.setRange(0.0, 10.0)
        self.gap_spin.setSingleStep(0.1)
        self.gap_spin.setDecimals(2)
        self.gap_spin.setSuffix(" s")
        self.gap_spin.setValue(DEFAULT_GAP_S)
        form.addRow("Gap between lines", self.gap_spin)
        layout.addLayout(form)

        self.cast_group = QGroupBox("Voices")
        self.cast_form = QFormLayout(self.cast_group)
        layout.addWidget(self.cast_group)
        self.voice_combos: dict[str, QComboBox] = {}

        self.preview_label = QLabel("Choose a script to see what it makes.")
        self.preview_label.setObjectName("scriptPreview")
        self.preview_label.setWordWrap(True)
        layout.addWidget(self.preview_label)
        self.generate_box = QCheckBox("Generate the clips now")
        self.generate_box.setChecked(True)
        layout.addWidget(self.generate_box)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.addButton(
            "Create", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.script_edit.editingFinished.connect(self.load_script)
        self.folder_edit.textChanged.connect(lambda _t: self.refresh())
        self.narration_box.toggled.connect(lambda _c: self.refresh())
        self.gap_spin.valueChanged.connect(lambda _v: self.refresh())
        self.refresh()

    @property
    def generate(self) -> bool:
        return self.generate_box.isChecked()

    # --- choosing ---------------------------------------------------------------------------
    def _browse_script(self) -> None:
        file, _ = QFileDialog.getOpenFileName(self, "Script", "", SCRIPT_FILTER)
        if file:
            self.set_script(Path(file))

    def _browse_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Project folder")
        if folder:
            self.folder_edit.setText(folder)

    def set_script(self, path: Path) -> None:
        self.script_edit.setText(str(path))
        if not self.folder_edit.text():
            self.folder_edit.setText(str(path.with_suffix("")))
        self.load_script()

    def load_script(self) -> None:
        """Parse the chosen file once; the preview follows the options from then on."""
        text = self.script_edit.text().strip()
        self._script, self._error = None, ""
        if text:
            try:
                self._script = read_script(Path(text))
            except AudiostudioError as exc:
                self._error = str(exc)
        self._fill_cast()
        self.refresh()

    def _fill_cast(self) -> None:
        speakers = tuple(self._script.speakers()) if self._script else ()
        if speakers == self._speakers:
            return
        self._speakers = speakers
        while self.cast_form.rowCount():
            self.cast_form.removeRow(0)
        self.voice_combos = {}
        defaults = self._plan_for(ImportOptions())
        cast = defaults[0].cast if not isinstance(defaults, str) else {}
        for speaker in speakers:
            combo = QComboBox()
            items = own_items(combo)
            for provider in self.service.providers.values():
                for option in provider.voices():
                    combo.addItem(f"{option.name} — {option.id}", option.id)
                    if option.unavailable:  # listed, greyed, with how to make it speak
                        item = items.item(combo.count() - 1)
                        item.setEnabled(False)
                        item.setToolTip(option.unavailable)
            entry = cast.get(speaker)
            if entry is not None and entry.voice:
                combo.setCurrentIndex(max(0, combo.findData(entry.voice)))
            combo.currentIndexChanged.connect(lambda _i: self.refresh())
            self.voice_combos[speaker] = combo
            self.cast_form.addRow(speaker, combo)
        self.cast_group.setVisible(bool(speakers))

    def options(self) -> ImportOptions:
        return ImportOptions(gap=self.gap_spin.value(),
                             narration_track=self.narration_box.isChecked(),
                             voices={s: c.currentData() for s, c in self.voice_combos.items()
                                     if c.currentData()})

    # --- preview and creation ---------------------------------------------------------------
    def _plan_for(self, options: ImportOptions) -> tuple[Project, ScriptPlan] | str:
        """The project the script makes (in memory), or why it cannot be made."""
        if self._script is None:
            return self._error or "Choose a script to see what it makes."
        project = self.settings.blank_project()
        try:
            plan = plan_import(self._script, project, self.service.providers, options)
            apply(project, plan.edit)
        except AudiostudioError as exc:
            return str(exc)
        return project, plan

    def refresh(self) -> None:
        planned = self._plan_for(self.options())
        folder_problem = self._folder_problem()
        if isinstance(planned, str):
            self.preview_label.setText(planned)
        else:
            project, plan = planned
            clips = [c for _, c in project.iter_clips() if c.id in plan.clip_ids]
            try:
                costs = estimate(self.service, project, clips)
                cost = ", ".join(f"{c.amount:g} {c.unit}" for c in costs.values()) or "nothing"
            except AudiostudioError as exc:
                cost = f"unknown ({exc})"
            self.preview_label.setText(
                f"{plan.summary.describe()}.\nEstimated cost to generate: {cost}."
                + (f"\n{folder_problem}" if folder_problem else ""))
        self.create_button.setEnabled(not isinstance(planned, str) and not folder_problem)

    def _folder_problem(self) -> str:
        text = self.folder_edit.text().strip()
        if not text:
            return "Choose a folder for the project."
        if (Path(text) / PROJECT_FILE).exists():
            return f"{text} already holds a project: choose another folder."
        return ""

    def create(self) -> None:
        """Save the project into the folder and close; on a refusal say why and stay open."""
        planned = self._plan_for(self.options())
        problem = planned if isinstance(planned, str) else self._folder_problem()
        if problem:
            self.preview_label.setText(problem)
            return
        project, _ = planned  # type: ignore[misc]
        folder = Path(self.folder_edit.text().strip())
        try:
            new_project(folder, name=folder.name, template=project)
        except (AudiostudioError, OSError) as exc:
            self.preview_label.setText(f"Cannot create the project: {exc}")
            return
        self.folder = folder
        self.accept()
