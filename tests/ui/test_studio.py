"""The whole job in the window, offline: write a line, generate it, listen, mix, export."""

import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from audiostudio.model import Clip, Request
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import AddClip
from audiostudio.ui.main_window import MainWindow
from tests.conftest import SAMPLE_PROJECT

ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: w.document.undo_stack.setClean())
    win.open_path(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    win.resize(1600, 1000)
    win.show()
    win.panel.view.zoom_to_fit()
    return win


def test_a_new_user_builds_hears_mixes_and_exports_a_scene(qtbot, window, tmp_path):
    doc = window.document
    assert window.preview.player.output().kind == "null"  # no sound card here
    voice = next(t for t in doc.project.tracks if t.kind == "voice")
    doc.apply(AddClip(voice.id, Clip("line", start=20.0, name="Outro", request=Request(
        kind="voice", provider="offline", text="Thanks for listening."))), "Add line")
    doc.select({"line"})
    window.generate_action.trigger()
    qtbot.waitUntil(lambda: not any(r.active for r in window.generation.rows), timeout=30000)
    clip = doc.project.find_clip("line")[1]
    assert clip_state(clip) is ClipState.CURRENT, window.generation.rows[-1].message
    assert window.jobs.table.item(0, 2).text() == "Done"

    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=3000)
    window.panel.view.setFocus()
    doc.set_playhead(18.0)
    QTest.keyClick(window.panel.view, Qt.Key.Key_Space)  # Space plays, wherever the focus is
    qtbot.waitUntil(lambda: window.preview.player.playing, timeout=10000)
    qtbot.waitUntil(lambda: doc.playhead > 18.3, timeout=3000)
    strip = next(s for s in window.mixer.strips if s.track_id == voice.id)
    strip.fader.sliderPressed.emit()
    strip.fader.setValue(-30)  # -3 dB while listening
    strip.fader.sliderReleased.emit()
    assert voice.gain_db == pytest.approx(-3.0)
    QTest.keyClick(window.panel.view, Qt.Key.Key_Space,
                   Qt.KeyboardModifier.ShiftModifier)  # stop
    assert not window.preview.playing and doc.playhead == 18.0
    assert window.preview.player.underruns == 0

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    qtbot.waitUntil(window.panel.view.waveforms_settled, timeout=20000)
    window.grab().save(str(ARTIFACTS / "studio-window.png"))

    out = tmp_path / "export"
    with qtbot.waitSignal(window.export_to(out).signals.finished, timeout=60000):
        pass
    mix, rate = sf.read(str(out / "mix.wav"), always_2d=True)
    assert pyloudnorm.Meter(rate).integrated_loudness(mix) == pytest.approx(-16.0, abs=0.3)
    # The new line is in the export, 3 dB down with its track.
    stem = sf.read(str(out / "stems" / f"01-{voice.name.lower()}.wav"), always_2d=True)[0]
    assert np.abs(stem[20 * rate:21 * rate]).max() > 0.01


def test_space_in_a_text_field_types_a_space(qtbot, window):
    from PySide6.QtWidgets import QLineEdit

    clip = window.document.project.tracks[0].clips[0]
    window.document.select({clip.id})
    field = next(f for f in window.inspector.findChildren(QLineEdit) if f.isVisible())
    field.setFocus()
    field.setText("Intro")
    QTest.keyClick(field, Qt.Key.Key_Space)
    assert field.text() == "Intro " and not window.preview.playing


def test_the_ducking_envelope_is_drawn_over_the_ducked_clips(qtbot, window):
    qtbot.waitUntil(lambda: window.panel.view.duck_line is not None, timeout=10000)
    line = window.panel.view.duck_line
    music = next(t for t in window.document.project.tracks if t.duck_role == "ducked")
    assert line.track_ids == {music.id}
    voice_clips = [c for t in window.document.project.tracks if t.duck_role == "key"
                   for c in t.clips if c.source]
    row = window.document.project.tracks.index(music)
    top, height = window.panel.view.context.rows[row]
    points = line.polyline(0.0, window.document.project.timeline_length(), 40.0, top, height)
    ys = {round(p.x() / 40.0, 1): p.y() for p in points}
    # Lower (larger y) while a voice line plays than before the first one starts.
    spoken = voice_clips[0].start + 0.5 * voice_clips[0].length
    quiet_before = min(ys, key=lambda t: abs(t - max(0.0, voice_clips[0].start - 1.0)))
    at_line = min(ys, key=lambda t: abs(t - spoken))
    assert ys[at_line] > ys[quiet_before] + 0.2 * height
    window.panel.view.viewport().repaint()  # draws without error
