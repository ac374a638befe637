"""QUndoCommands over model edits: the only way the window changes a project.

The edit is applied (and so validated) before the command is pushed, so a refused edit never
reaches the stack; redo/undo then re-apply the edit or its inverse. Commands that share a
merge key (a nudge held down, a spin box being turned) fold into one undo step; a merge key
promises that its edits set the same fields to absolute values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QUndoCommand

from audiostudio.model.edits import Edit, EditResult, apply

if TYPE_CHECKING:
    from audiostudio.ui.document import Document

MERGEABLE_ID = 1


class EditCommand(QUndoCommand):
    def __init__(self, document: Document, edit: Edit, result: EditResult, text: str,
                 merge_key: str | None = None) -> None:
        super().__init__(text)
        self.document = document
        self.edit = edit
        self.undo_edit = result.undo
        self.touched = set(result.touched)
        self.merge_key = merge_key
        self._applied = True  # the document applied it before pushing

    def redo(self) -> None:
        if self._applied:
            self._applied = False
            self.document.notify(self.touched)
            return
        result = apply(self.document.project, self.edit)
        self.undo_edit = result.undo
        self.document.notify(result.touched)

    def undo(self) -> None:
        result = apply(self.document.project, self.undo_edit)
        self.document.notify(result.touched | self.touched)

    def id(self) -> int:
        return MERGEABLE_ID if self.merge_key else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        # Edits sharing a merge key set the same fields to absolute values (a spin box, a
        # nudge of the same clips), so the newest edit alone redoes the whole run and the
        # first one's inverse undoes it: the step stays flat however long the run.
        if not isinstance(other, EditCommand) or other.merge_key != self.merge_key:
            return False
        self.edit = other.edit
        self.touched |= other.touched
        return True
