"""The open project as the window sees it: model + folder + undo stack + selection + playhead.

Widgets never change the model directly: they call ``Document.apply(edit, text)`` and redraw on
``changed`` (the touched ids), so undo/redo and every view stay in step.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from audiostudio.errors import EditError, ProjectError
from audiostudio.model import Project
from audiostudio.model.assets import resolve_path
from audiostudio.model.edits import Edit, EditResult, apply
from audiostudio.model.store import (
    AUTOSAVE_FILE,
    load_autosave,
    load_project,
    save_autosave,
    save_project,
)
from audiostudio.ui.commands import EditCommand

DEFAULT_TRACK_HEIGHT = 84


class Document(QObject):
    changed = Signal(object)  # set[str]: ids of tracks/clips/markers (or scope names) touched
    reset = Signal()  # a different project (new / open): views rebuild everything
    selection_changed = Signal()
    playhead_moved = Signal(float)
    dirty_changed = Signal(bool)
    saved = Signal(object)  # Path of the folder

    def __init__(self, project: Project | None = None, folder: Path | None = None) -> None:
        super().__init__()
        self.project = project or Project(name="Untitled")
        self.folder = folder
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self.selection: set[str] = set()
        self.playhead = 0.0
        self.recovered = False
        # Counts every change of the model's content (edits, undo, redo, another project):
        # what caches of the mix key on (``project.revision`` only changes on save).
        self.revision = 0

    def _clean_changed(self, clean: bool) -> None:
        self.dirty_changed.emit(not clean or self.recovered)

    # --- files ----------------------------------------------------------------------------
    def replace(self, project: Project, folder: Path | None, recovered: bool = False) -> None:
        """Show another project (New / Open): fresh undo history, selection and playhead."""
        self.project = project
        self.folder = folder
        self.recovered = recovered  # recovered work is unsaved work: closing must ask
        self.undo_stack.clear()
        self.selection = set()
        self.playhead = 0.0
        self.revision += 1
        self.reset.emit()
        self.dirty_changed.emit(self.is_dirty)

    def open(self, path: Path, recover: Callable[[], bool] | None = None) -> bool:
        """Open ``path`` (read once); when its autosave is newer, ``recover()`` decides whether
        to show the autosave instead. Returns True when the autosave was opened."""
        loaded = load_project(path)
        use_autosave = loaded.autosave_newer and recover is not None and recover()
        project = load_autosave(loaded.folder) if use_autosave else loaded.project
        self.replace(project, loaded.folder, recovered=use_autosave)
        return use_autosave

    @property
    def is_dirty(self) -> bool:
        return not self.undo_stack.isClean() or self.recovered

    def save(self, folder: Path | None = None) -> Path:
        target = folder or self.folder
        if target is None:
            raise ValueError("save needs a folder for a new project")
        same_folder = self.folder is not None and target.resolve() == self.folder.resolve()
        if not same_folder and (target / "project.json").exists():
            raise ProjectError(f"{target} already holds another project; choose an empty folder")
        if folder is not None and self.project.name in (None, "Untitled"):
            self.project.name = folder.name
        if self.folder is not None and target.resolve() != self.folder.resolve():
            self._copy_assets(self.folder, target)  # Save As: the new folder must be whole
        save_project(self.project, target)
        self.folder = target
        (target / AUTOSAVE_FILE).unlink(missing_ok=True)  # the save supersedes it
        self.recovered = False
        self.undo_stack.setClean()
        self.dirty_changed.emit(False)
        self.saved.emit(target)
        return target

    def _copy_assets(self, source: Path, target: Path) -> None:
        sources = {c.source for _, c in self.project.iter_clips() if c.source}
        sources |= {t.source for _, c in self.project.iter_clips() for t in c.takes}
        for rel in sorted(sources):
            destination = resolve_path(target, rel)
            if not destination.exists():
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(resolve_path(source, rel), destination)

    def autosave(self) -> bool:
        """Write the autosave file when there are unsaved changes; True if written."""
        if self.folder is None or not self.is_dirty:
            return False
        save_autosave(self.project, self.folder)
        return True

    # --- edits ----------------------------------------------------------------------------
    def apply(self, edit: Edit, text: str, merge_key: str | None = None) -> EditResult:
        """Apply ``edit`` as one undo step; raises EditError (model unchanged) if refused."""
        result = apply(self.project, edit)
        self.undo_stack.push(EditCommand(self, edit, result, text, merge_key))
        return result

    def try_apply(self, edit: Edit, text: str, merge_key: str | None = None) -> str | None:
        """Like ``apply``, for widgets: the refusal's message (model unchanged), else None."""
        try:
            self.apply(edit, text, merge_key)
        except EditError as error:
            return str(error)
        return None

    def notify(self, touched: set[str]) -> None:
        live = {c.id for _, c in self.project.iter_clips()}
        if self.selection - live:
            self.selection &= live
            self.selection_changed.emit()
        self.revision += 1
        self.changed.emit(set(touched))

    # --- selection and playhead -----------------------------------------------------------
    def select(self, clip_ids: set[str]) -> None:
        if clip_ids != self.selection:
            self.selection = set(clip_ids)
            self.selection_changed.emit()

    def set_playhead(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        if seconds != self.playhead:
            self.playhead = seconds
            self.playhead_moved.emit(seconds)

    def track_height(self, track_index: int) -> int:
        height = self.project.tracks[track_index].height
        return int(height) if height else DEFAULT_TRACK_HEIGHT
