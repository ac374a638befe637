"""The Problems dock in the window: it lists the warnings pass, follows edits, and a click
selects the clip a problem is about."""

import json
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from audiostudio.model.edits import MoveClip
from audiostudio.ui.main_window import MainWindow
from tests.conftest import SAMPLE_PROJECT


def forget_changes(win: MainWindow) -> None:
    win.document.undo_stack.setClean()


@pytest.fixture
def window(qtbot, tmp_path):
    folder = Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene"))
    data = json.loads((folder / "project.json").read_text())
    knock = next(c for t in data["tracks"] for c in t["clips"] if c["id"] == "c-knock000001")
    knock["strat"] = 10.0  # a typo: kept, and reported
    (folder / "project.json").write_text(json.dumps(data))
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=forget_changes)
    assert win.open_path(folder)
    win.show()
    return win


def _rows(win: MainWindow) -> list[tuple[str, str]]:
    tree = win.problems.tree
    return [(tree.topLevelItem(i).text(0), tree.topLevelItem(i).text(1))
            for i in range(tree.topLevelItemCount())]


def test_the_dock_lists_a_warning_and_a_click_selects_its_clip(window, qtbot):
    [(where, message)] = _rows(window)
    assert where == "clip 'Knock' (c-knock000001)"
    assert message.startswith("`strat`: unknown clip key — did you mean `start`?")
    assert window.problems.status_button.text() == "1 problem"
    assert window.statusBar().isAncestorOf(window.problems.status_button)
    tree = window.problems.tree
    rect = tree.visualItemRect(tree.topLevelItem(0))
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.document.selection == {"c-knock000001"}


def test_the_list_follows_edits(window, qtbot):
    # A line moved onto the one before it: two voices at once, until undone.
    window.document.apply(MoveClip("c-voice0000001", 3.0), "Move")
    qtbot.waitUntil(lambda: len(_rows(window)) == 2, timeout=3000)
    assert any("overlaps voice line 'The door had been shut f'" in m for _, m in _rows(window))
    assert window.problems.status_button.text() == "2 problems"
    window.document.undo_stack.undo()
    qtbot.waitUntil(lambda: len(_rows(window)) == 1, timeout=3000)
