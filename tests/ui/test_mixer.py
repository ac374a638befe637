"""The mixer, loudness panel and Jobs dock driven like a user: the model changes, undoably."""

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from audiostudio.errors import ContentRefusedError
from audiostudio.model import Clip, Request
from audiostudio.model.edits import AddClip
from audiostudio.settings import cache_dir
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.jobs_dock import JobsDock
from audiostudio.ui.loudness_panel import LoudnessPanel
from audiostudio.ui.mixer import MixerDock
from audiostudio.ui.preview import Preview
from tests.conftest import SAMPLE_PROJECT
from tests.fakes.providers import FakeProvider

ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"


@pytest.fixture
def studio(qtbot, tmp_path):
    document = Document()
    document.open(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    preview = Preview(document, cache_dir(), device="none")
    mixer = MixerDock(document, preview)
    panel = LoudnessPanel(document, preview)
    qtbot.addWidget(mixer)
    qtbot.addWidget(panel)
    yield document, preview, mixer, panel
    preview.close()


def drag(strip, values):
    strip.fader.sliderPressed.emit()
    for value in values:
        strip.fader.setValue(value)
    strip.fader.sliderReleased.emit()


def test_a_fader_drag_is_one_undo_step(studio):
    document, _preview, mixer, _panel = studio
    strip = mixer.strips[0]
    track = document.project.tracks[0]
    drag(strip, [-10, -25, -60])  # tenths of a dB
    assert track.gain_db == pytest.approx(-6.0)
    assert document.undo_stack.count() == 1
    drag(strip, [-50, -40])
    assert track.gain_db == pytest.approx(-4.0) and document.undo_stack.count() == 2
    document.undo_stack.undo()
    assert track.gain_db == pytest.approx(-6.0)
    assert strip.fader.value() == -60 and strip.gain_label.text() == "-6.0 dB"


def test_mute_solo_duck_role_and_master_controls_edit_the_model(qtbot, studio):
    document, _preview, mixer, _panel = studio
    strip = mixer.strips[1]
    track = document.project.tracks[1]
    qtbot.mouseClick(strip.mute, Qt.MouseButton.LeftButton)
    assert track.mute
    qtbot.mouseClick(strip.solo, Qt.MouseButton.LeftButton)
    assert track.solo
    strip.role.activated.emit(2)  # "No ducking"
    assert track.duck == "none"
    master = mixer.master
    master.target.activated.emit(3)  # Broadcast EBU R128
    assert document.project.mix.target_lufs == -23.0
    master.ceiling.setValue(-2.0)
    assert document.project.mix.true_peak_ceiling_dbtp == -2.0
    master.depth.setValue(-18.0)
    assert document.project.mix.duck.depth_db == -18.0
    # Moved here from the inspector: the Master strip is the one place for them.
    master.hold.setValue(450.0)
    master.lookahead.setValue(90.0)
    master.master_gain.setValue(-3.0)
    mix = document.project.mix
    assert (mix.duck.hold_ms, mix.duck.lookahead_ms, mix.master_gain_db) == (450.0, 90.0, -3.0)
    assert document.undo_stack.count() == 9
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert not track.mute and master.target.currentIndex() == 0  # the widgets follow undo


def test_meters_and_loudness_readouts_move_while_playing(qtbot, studio):
    document, preview, mixer, panel = studio
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    assert "delivered at -16.0 LUFS" in panel.status.text()
    assert len(panel.curve.getData()[0]) > 100  # the short-term curve over the timeline
    document.set_playhead(5.0)
    preview.play()
    qtbot.waitUntil(lambda: panel.readouts["Short-term"].text().endswith("LUFS"), timeout=3000)
    with qtbot.waitSignal(mixer.level_read, timeout=2000):
        pass
    lit = [s for s in mixer.strips if s.meter.level_db > -60]
    assert lit and mixer.master.meter.level_db > -40
    preview.pause()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    mixer.resize(900, 360)
    mixer.grab().save(str(ARTIFACTS / "mixer.png"))
    panel.resize(700, 320)
    panel.grab().save(str(ARTIFACTS / "loudness-panel.png"))


def test_jobs_dock_lists_cancels_and_retries(qtbot, tmp_path, studio):
    document, _preview, _mixer, _panel = studio
    track = document.project.tracks[0]
    for i, text in enumerate(("Fine", "Refused", "Slow")):
        document.apply(AddClip(track.id, Clip(f"n{i}", start=30.0 + 3 * i, name=text,
                                              request=Request(kind="voice", provider="fake",
                                                              text=text))), "Add")
    fake = FakeProvider(fail_prompts={"Refused": ContentRefusedError("refused by the service")})
    gen = GenerationController(document, tmp_path / "gen-cache", {"fake": fake}, {"fake": 1})
    dock = JobsDock(gen)
    qtbot.addWidget(dock)
    try:
        gen.generate(["n0", "n1"])
        qtbot.waitUntil(lambda: not any(r.active for r in gen.rows), timeout=5000)
        fake.work_s = 5.0
        gen.generate(["n2"])
        assert dock.table.rowCount() == 3 and dock.table.item(0, 0).text() == "Slow"
        assert dock.table.item(1, 2).text() == "Failed"
        assert "refused by the service" in dock.table.item(1, 3).text()
        qtbot.mouseClick(dock.cancel_button, Qt.MouseButton.LeftButton)  # none selected: all
        qtbot.waitUntil(lambda: gen.rows[-1].state == "cancelled", timeout=3000)
        fake.work_s = 0.0
        fake.fail_prompts.clear()
        dock.table.selectRow(1)  # the failed one
        qtbot.mouseClick(dock.retry_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: gen.rows[-1].state == "done", timeout=5000)
        assert document.project.find_clip("n1")[1].source is not None
        # The retried row ran again in place: it counts as done now, its cost kept.
        summary = dock.summary.text()
        assert summary.startswith("2 done · 1 cancelled") and "failed" not in summary
        assert "credits" in summary
        dock.resize(640, 260)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        dock.grab().save(str(ARTIFACTS / "jobs-dock.png"))
    finally:
        gen.close()
