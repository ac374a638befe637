"""The main window driven like a user would: open, edit, undo, save, reopen, recover, export."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QDialog, QDockWidget, QDoubleSpinBox, QMessageBox

from audiostudio.cli import main
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import MoveClip
from audiostudio.model.store import load_project
from audiostudio.ui.main_window import MainWindow
from audiostudio.ui.timeline import style
from audiostudio.ui.timeline.items import clip_palette
from tests.conftest import RATE, SAMPLE_PROJECT, sine
from tests.ui.pixels import assert_clips_drawn, share_of

ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"


@pytest.fixture
def scene(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene"))


def forget_changes(win: MainWindow) -> None:
    """Tests end without the unsaved-changes question (it would wait for a click)."""
    win.document.undo_stack.setClean()
    win.document.recovered = False


def new_window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=forget_changes)
    return win


@pytest.fixture
def window(qtbot, scene):
    win = new_window(qtbot)
    assert win.open_path(scene)
    win.resize(1400, 900)
    win.show()
    return win


def test_opens_the_scene_with_a_clean_title(window):
    assert "Sample scene" in window.windowTitle() and not window.isWindowModified()
    assert len(window.document.project.tracks) == 3


def test_edit_marks_dirty_and_undo_redo(window):
    doc = window.document
    doc.apply(MoveClip("c-knock000001", 11.0), "Move")
    assert window.isWindowModified()
    assert doc.project.find_clip("c-knock000001")[1].start == 11.0
    window.undo_action.trigger()
    assert doc.project.find_clip("c-knock000001")[1].start == 10.0
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert doc.project.find_clip("c-knock000001")[1].start == 11.0


def test_inspector_edits_are_undoable(window, qtbot):
    doc = window.document
    doc.select({"c-knock000001"})
    gain = window.inspector.clip_form.widgets["gain_db"]
    gain.setValue(-6.0)
    assert doc.project.find_clip("c-knock000001")[1].gain_db == -6.0
    gain.setValue(-9.0)  # turning the same box merges into one undo step
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.project.find_clip("c-knock000001")[1].gain_db == 0.0
    window.mixer.master.custom.setValue(-23.0)  # the master settings live in the mixer
    assert doc.project.mix.target_lufs == -23.0


def test_the_overview_opens_the_mixer_for_the_master_settings(window, qtbot):
    window.document.select(set())
    mixer = window.findChild(QDockWidget, "mixerDock")
    window.findChild(QDockWidget, "loudnessDock").raise_()  # the Mixer's tab goes behind
    qtbot.waitUntil(lambda: mixer.visibleRegion().isEmpty())
    master = window.inspector.overview.master
    assert "target -16 LUFS" in master.text()
    master.linkActivated.emit("mixer")
    qtbot.waitUntil(lambda: not mixer.visibleRegion().isEmpty())


def test_an_overview_count_selects_its_clips_and_shows_the_first(window, qtbot):
    view, document = window.panel.view, window.document
    for _track, clip in list(document.project.iter_clips()):  # all of them off screen
        document.apply(MoveClip(clip.id, clip.start + 400.0), "Move far")
    view.horizontalScrollBar().setValue(0)
    document.select(set())
    assert not 0 <= view.view_x(400.0) <= view.viewport().width()
    counts = window.inspector.overview.counts
    button = next(b for b in counts.values() if b.isVisible() and b.text())
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    chosen = document.selection
    assert chosen
    first = min(document.project.find_clip(i)[1].start for i in chosen)
    assert 0 <= view.view_x(first) <= view.viewport().width()


def test_save_and_reopen_show_the_same_scene(window, scene, qtbot):
    window.document.apply(MoveClip("c-knock000001", 12.5), "Move")
    assert window.save()
    assert not window.isWindowModified()
    saved = json.loads((scene / "project.json").read_text())
    knock = next(c for t in saved["tracks"] for c in t["clips"] if c["id"] == "c-knock000001")
    assert knock["start"] == 12.5
    again = new_window(qtbot)
    assert again.open_path(scene)
    assert again.document.project.find_clip("c-knock000001")[1].start == 12.5


def test_autosave_recovery(window, scene, qtbot, monkeypatch):
    window.document.apply(MoveClip("c-knock000001", 14.0), "Move")
    window.autosave()
    assert (scene / "project.autosave.json").exists()
    assert load_project(scene).autosave_newer
    assert load_project(scene).project.find_clip("c-knock000001")[1].start == 10.0
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    recovered = new_window(qtbot)
    assert recovered.open_path(scene)
    assert recovered.document.project.find_clip("c-knock000001")[1].start == 14.0
    assert recovered.document.is_dirty  # recovered work still needs a save


def test_close_with_unsaved_changes_asks(window, monkeypatch):
    window.document.apply(MoveClip("c-knock000001", 11.0), "Move")
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Cancel)
    assert not window.close()
    assert window.isVisible()


def test_import_audio_in_the_background(window, qtbot, tmp_path):
    wav = tmp_path / "door.wav"
    sf.write(str(wav), sine(300, 1.5, channels=2), RATE)
    before = sum(len(t.clips) for t in window.document.project.tracks)
    window.document.set_playhead(5.0)
    window.import_files([wav])
    qtbot.waitUntil(
        lambda: sum(len(t.clips) for t in window.document.project.tracks) == before + 1,
        timeout=5000)
    [clip_id] = window.document.selection
    clip = window.document.project.find_clip(clip_id)[1]
    assert clip.start == 5.0 and clip.length == pytest.approx(1.5)
    assert (window.document.folder / clip.source).is_file()
    window.document.undo_stack.undo()
    assert window.document.project.find_clip(clip_id) is None


def test_one_registry_holds_every_shortcut_and_menus_use_it(window, qtbot):
    from audiostudio.ui.actions import KEYS

    commands = window.commands
    for name, (keys, _what) in KEYS.items():  # every command with keys exists (or KeyError)
        written = [k for k in keys if isinstance(k, str)]  # platform keys may be unbound
        assert len(commands[name].shortcuts()) >= len(written), name
    rows = dict(window.commands.shortcut_rows())
    assert rows["S"] == KEYS["split"][1] and rows["Ctrl+D"] == KEYS["duplicate"][1]
    assert rows["Ctrl+wheel"] == "Zoom around the mouse"
    menus = {a.text(): a.menu() for a in window.menuBar().actions()}
    assert commands["split"] in menus["&Edit"].actions()
    assert commands["zoom_in"] in menus["&View"].actions()
    # timeline keys act only while the timeline has the focus: S in a text box types an S
    doc = window.document
    doc.select({"c-knock000001"})
    doc.set_playhead(doc.project.find_clip("c-knock000001")[1].start + 0.1)
    clips = sum(len(t.clips) for t in doc.project.tracks)
    name = window.inspector.clip_form.widgets["name"]
    name.setFocus()
    qtbot.keyClick(name, "S")
    assert sum(len(t.clips) for t in doc.project.tracks) == clips
    window.panel.view.setFocus()
    qtbot.keyClick(window.panel.view, "S")
    assert sum(len(t.clips) for t in doc.project.tracks) == clips + 1


def test_finished_workers_are_released(window, qtbot, tmp_path):
    wav = tmp_path / "door.wav"
    sf.write(str(wav), sine(300, 0.5), RATE)
    for _ in range(3):
        window.import_files([wav])
    qtbot.waitUntil(lambda: len(window.document.selection) == 1 and not window.workers.running,
                    timeout=5000)
    assert window.workers.running == []  # once grew by one per import or export, forever


def test_a_preferences_save_error_is_shown_and_the_change_kept(window, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(blocker))
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, title, text: shown.append(text))

    def accept_with_new_interval(dialog):
        dialog.findChild(QDoubleSpinBox).setValue(45.0)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(QDialog, "exec", accept_with_new_interval)
    window.preferences()  # raised out of the dialog before
    assert len(shown) == 1 and "settings" in shown[0].lower()
    assert window.settings.autosave_interval_s == 45.0
    assert window.autosave_timer.interval() == 45000


def test_importing_several_files_is_one_step_on_one_track(qtbot, tmp_path):
    win = new_window(qtbot)
    win.document.save(tmp_path / "fresh")
    files = []
    for i, seconds in enumerate((1.0, 2.0, 0.5)):
        files.append(tmp_path / f"take{i}.wav")
        sf.write(str(files[-1]), sine(200 + 100 * i, seconds), RATE)
    win.import_files(files)
    qtbot.waitUntil(lambda: len(win.document.selection) == 3, timeout=5000)
    [track] = win.document.project.tracks
    assert [c.start for c in track.clips] == pytest.approx([0.0, 1.0, 3.0])
    assert win.document.undo_stack.count() == 1


def test_held_merges_stay_one_flat_undo_step(window):
    doc = window.document
    doc.select({"c-knock000001"})
    gain = window.inspector.clip_form.widgets["gain_db"]
    for step in range(1500):  # a long spin-box run must not nest (it once overflowed the stack)
        gain.setValue(-0.01 * (step + 1))
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.project.find_clip("c-knock000001")[1].gain_db == 0.0
    doc.undo_stack.redo()
    assert doc.project.find_clip("c-knock000001")[1].gain_db == pytest.approx(-15.0)


def test_export_runs_in_the_background(window, qtbot, tmp_path):
    out = tmp_path / "export"
    turns: list[bool] = []  # one per tick of the GUI's event loop: was the export running?
    ticker = QTimer()
    ticker.timeout.connect(lambda: turns.append(bool(window.workers.running)))
    ticker.start(5)
    window.export_to(out)
    qtbot.waitUntil(lambda: (out / "report.json").exists(), timeout=20000)
    qtbot.waitUntil(lambda: not window.workers.running, timeout=5000)
    ticker.stop()
    assert sum(turns) >= 3  # the loop kept turning while it rendered (none if on this thread)
    mix, rate = sf.read(str(out / "mix.wav"))
    assert rate == RATE and np.abs(mix).max() > 0.1
    assert len(list((out / "stems").glob("*.wav"))) == 3


def test_screenshot_of_the_window(window, qtbot):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    window.resize(1600, 1000)
    window.panel.view.zoom_to_fit()
    qtbot.wait(50)
    qtbot.waitUntil(window.panel.view.waveforms_settled, timeout=20000)
    image = window.grab()
    assert image.save(str(ARTIFACTS / "window-sample.png"))
    assert image.width() >= 1600
    assert assert_clips_drawn(ARTIFACTS / "window-sample.png", window.panel.view, window) >= 1


@pytest.mark.parametrize("order", ["project-first", "options-first", "open-subcommand"])
def test_cli_screenshot_flag(scene, tmp_path, order):
    png = tmp_path / "shot.png"
    options = ["--screenshot", str(png), "--size", "1280x800"]
    argv = {"project-first": [str(scene), *options],
            "options-first": [*options, str(scene)],
            "open-subcommand": [*options, "open", str(scene)]}[order]
    assert main(argv) == 0
    from PySide6.QtGui import QImage

    image = QImage(str(png))
    assert (image.width(), image.height()) == (1280, 800)
    # each track's clips are drawn in their kind's colours (the sample has one track per kind):
    # a clip with audio by its title strip, an empty prompt by its dashed outline
    for track in load_project(scene).project.tracks:
        colors = clip_palette(style.track_color(track).rgb(), False, False)
        has_audio = any(clip_state(c) is not ClipState.EMPTY for c in track.clips)
        assert share_of(image, colors["title" if has_audio else "wave"]) > 0.0005, track.kind


def test_screenshot_of_a_bad_project_is_one_error_line(tmp_path, capsys):
    assert main([str(tmp_path / "nothing-here"), "--screenshot", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and err.count("\n") == 0


def test_no_display_is_one_clear_line(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    run = subprocess.run([sys.executable, "-m", "audiostudio"], capture_output=True, text=True,
                         env=env, timeout=60, check=False)
    assert run.returncode == 1
    assert run.stderr.strip().count("\n") == 0 and "display" in run.stderr.lower()


def test_add_tracks_from_the_menu(qtbot):
    win = new_window(qtbot)
    for action in win.track_actions[:3]:
        action.trigger()
    win.track_actions[0].trigger()
    tracks = win.document.project.tracks
    assert [(t.name, t.kind) for t in tracks] == [
        ("Voice", "voice"), ("SFX", "sfx"), ("Music", "music"), ("Voice 2", "voice")]
    assert [t.duck_role for t in tracks] == ["key", "none", "ducked", "key"]
    win.document.undo_stack.undo()
    assert len(win.document.project.tracks) == 3
    visible = [r for r in win.panel.headers.rows.values() if not r.isHidden()]
    assert len(visible) == 3  # the header column follows the undo at once
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    win.resize(1600, 1000)
    win.show()
    win.panel.view.zoom_to_fit()
    assert win.panel.view.pixels_per_second < 200  # an empty scene still shows seconds
    assert win.grab().save(str(ARTIFACTS / "window-empty-tracks.png"))


def test_request_seed_zero_is_a_seed_not_auto(window):
    doc = window.document
    doc.select({"c-knock000001"})
    seed = window.inspector.request_form.widgets["seed"]
    seed.setValue(0)
    assert doc.project.find_clip("c-knock000001")[1].request.seed == 0
    seed.setValue(seed.minimum())
    assert doc.project.find_clip("c-knock000001")[1].request.seed is None


def test_save_as_never_overwrites_another_project(window, tmp_path, scene):
    other = tmp_path / "other"
    shutil.copytree(scene, other)
    before = (other / "project.json").read_bytes()
    from audiostudio.errors import ProjectError

    with pytest.raises(ProjectError, match="already holds"):
        window.document.save(other)
    assert (other / "project.json").read_bytes() == before
    copy = window.document.save(tmp_path / "copy")
    assert all((copy / c.source).is_file() for _, c in window.document.project.iter_clips())


def test_screenshots_of_an_empty_project_and_the_demo_scene(qtbot, tmp_path, capsys):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    empty = new_window(qtbot)
    empty.resize(1600, 1000)
    empty.show()
    assert empty.grab().save(str(ARTIFACTS / "window-empty.png"))
    assert main(["demo", str(tmp_path / "demo")]) == 0
    win = new_window(qtbot)
    assert win.open_path(tmp_path / "demo")
    win.resize(1600, 1000)
    win.show()
    win.panel.view.zoom_to_fit()
    qtbot.waitUntil(lambda: win.panel.view.duck_line is not None, timeout=10000)
    win.preview.plan_changed.disconnect()  # the waveform alone, without the ducking line over it
    win.panel.view.set_duck_line(None)
    qtbot.wait(100)  # a first paint asks for the waveforms
    qtbot.waitUntil(win.panel.view.waveforms_settled, timeout=20000)
    assert sum(len(t.clips) for t in win.document.project.tracks) == 8
    image = win.grab()
    assert image.save(str(ARTIFACTS / "window-demo.png"))
    # the music bed's row shows a waveform: many pixels in its lane differ from its fill
    view = win.panel.view
    music_clip = view.clip_item(win.document.project.tracks[2].clips[0].id)
    lane = music_clip.mapRectToScene(music_clip.boundingRect())
    top_left = view.viewport().mapTo(win, view.mapFromScene(lane.topLeft()))
    height = int(lane.height()) - 24  # below the clip's title bar
    body = image.copy(top_left.x() + 100, top_left.y() + 20, 700, height).toImage()
    fill = body.pixel(0, 2)  # the clip's plain fill at the top edge of its body
    heights = [sum(body.pixel(x, y) != fill for y in range(height)) for x in range(0, 700, 5)]
    assert len(set(heights)) > 10  # a waveform: its height changes along the clip
