"""File > New from Script… and Edit > Re-flow in the window, driven like a user would."""

from __future__ import annotations

from PySide6.QtCore import Qt

from audiostudio.model.reflow import overlapping_lines
from audiostudio.model.store import load_project
from audiostudio.ui.main_window import MainWindow

SCRIPT = """INT. HALL - NIGHT
A (whispering): Is anyone here?
[SFX: floorboard creak ~0.5s]
B: Only me, and the long quiet night.
"""
VOICES = {"A": "flite:slt", "B": "flite:rms"}  # quick to generate


def forget_changes(win: MainWindow) -> None:
    win.document.undo_stack.setClean()


def test_dialog_previews_creates_generates_and_reflow_is_undoable(qtbot, tmp_path) -> None:
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=forget_changes)
    dialog = win.new_from_script()
    qtbot.addWidget(dialog)

    bad = tmp_path / "bad.txt"
    bad.write_text("A: Hi.\nwho goes there\n", encoding="utf-8")
    dialog.set_script(bad)
    assert dialog.preview_label.text().startswith("bad.txt:2: expected a speaker line")
    assert not dialog.create_button.isEnabled()

    script = tmp_path / "hall.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    dialog.folder_edit.setText(str(tmp_path / "hall"))
    dialog.set_script(script)
    assert list(dialog.voice_combos) == ["A", "B"]
    defaults = {s: c.currentData() for s, c in dialog.voice_combos.items()}
    assert len(set(defaults.values())) == 2  # distinct default voices
    for speaker, voice in VOICES.items():
        combo = dialog.voice_combos[speaker]
        combo.setCurrentIndex(combo.findData(voice))
    preview = dialog.preview_label.text()
    characters = len("[whispering] Is anyone here?") + len(SCRIPT.splitlines()[3][3:])
    assert (f"2 voice line(s) by 2 speaker(s), {characters} characters; 1 sound effect(s), "
            "0 music cue(s), 1 marker(s)") in preview
    assert "Estimated cost to generate: 0 credits" in preview
    assert not (tmp_path / "hall").exists()  # nothing made before Create

    qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)
    saved = load_project(tmp_path / "hall").project
    assert {k: e.voice for k, e in saved.cast.items()} == VOICES
    assert win.document.folder == tmp_path / "hall"
    project = win.document.project
    qtbot.waitUntil(lambda: all(c.source for _, c in project.iter_clips()), timeout=20000)
    qtbot.waitUntil(lambda: not any(r.active for r in win.generation.rows), timeout=5000)

    first, second = (t.clips[0] for t in project.tracks[:2])
    before = (second.start, project.tracks[2].clips[0].start)
    win.reflow_action.trigger()
    assert win.document.undo_stack.undoText() == "Re-flow script timing"
    assert abs(second.start - (first.end + 0.4)) < 1e-6 and overlapping_lines(project) == []
    assert project.tracks[2].clips[0].start == first.end  # the creak follows its line
    win.document.undo_stack.undo()
    assert (second.start, project.tracks[2].clips[0].start) == before
