"""Auto-level in the window: the mixer turns it on and off, the inspector shows a clip's gain
and lets the user fix it; every change is an undoable edit of the model."""

import shutil
from pathlib import Path

import pytest
import soundfile as sf
from PySide6.QtCore import Qt

from audiostudio.audio.loudness import LoudnessMeter
from audiostudio.audio.mixer import build_plan
from audiostudio.model.assets import resolve_path
from audiostudio.settings import cache_dir
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.inspector import Inspector
from audiostudio.ui.mixer import MixerDock
from audiostudio.ui.preview import Preview
from tests.conftest import SAMPLE_PROJECT
from tests.fakes.providers import FakeProvider


@pytest.fixture
def studio(qtbot, tmp_path):
    document = Document()
    document.open(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    preview = Preview(document, cache_dir(), device="none")
    mixer = MixerDock(document, preview)
    generation = GenerationController(document, tmp_path / "gen", {"fake": FakeProvider()},
                                      {"fake": 1})
    inspector = Inspector(document, generation, "none")
    qtbot.addWidget(mixer)
    qtbot.addWidget(inspector)
    yield document, mixer, inspector
    preview.close()
    generation.close()


def test_the_master_strip_turns_auto_level_on_and_sets_how_far_under(qtbot, studio):
    document, mixer, _inspector = studio
    master = mixer.master
    assert document.project.mix.auto_level is None  # a file from before: off, as it was
    assert not master.auto_level.isChecked() and not master.music_under.isEnabled()
    master.auto_level.click()
    level = document.project.mix.auto_level
    assert level is not None and level.enabled and level.music_under_lu == 16.0
    master.music_under.setValue(18.0)
    master.sfx_under.setValue(4.0)
    assert (document.project.mix.auto_level.music_under_lu,
            document.project.mix.auto_level.sfx_under_lu) == (18.0, 4.0)
    master.auto_level.click()  # off again: the numbers are kept
    assert not document.project.mix.auto_level.enabled
    assert document.project.mix.auto_level.music_under_lu == 18.0
    for _ in range(4):
        document.undo_stack.undo()
    assert document.project.mix.auto_level is None and not master.auto_level.isChecked()
    # a track leaves auto-level
    strip = mixer.strips[2]
    qtbot.mouseClick(strip.level, Qt.MouseButton.LeftButton)
    assert document.project.tracks[2].auto_level is False


def test_the_inspector_shows_a_clips_auto_level_gain_and_fixes_it(qtbot, studio):
    document, mixer, inspector = studio
    mixer.master.auto_level.click()
    track = document.project.tracks[0]
    clip = track.clips[1]
    document.select({clip.id})
    row = inspector.auto_gain
    # measured in the background unless the level cache has it (the preview measures too)
    qtbot.waitUntil(lambda: "speech-gated" in row.note.text(), timeout=10000)
    assert not row.fixed.isChecked() and not row.spin.isEnabled()
    assert "-18.0 LUFS" in row.note.text()
    # the gain shown brings this line to the dialogue level: measured independently
    meter = LoudnessMeter(document.project.sample_rate_hz, 1)
    audio, _ = sf.read(str(resolve_path(document.folder, clip.source)), always_2d=True,
                       dtype="float32")
    meter.add(audio[:, :1])
    assert row.spin.value() == pytest.approx(-18.0 - meter.speech_gated(), abs=0.06)
    plan = build_plan(document.project, document.folder, cache=cache_dir())
    [planned] = [c for c in plan.tracks[0].clips if c.clip_id == clip.id]
    assert planned.auto_gain_db == pytest.approx(row.spin.value(), abs=0.06)
    # Fix keeps it; the spin box then changes it; unticking measures again
    shown = row.spin.value()
    row.fixed.click()
    assert clip.auto_gain_db == pytest.approx(shown) and row.spin.isEnabled()
    row.spin.setValue(-3.0)
    assert clip.auto_gain_db == -3.0 and "Fixed" in row.note.text()
    row.fixed.click()
    assert clip.auto_gain_db is None and row.spin.value() == pytest.approx(shown)
    # a track left alone says so
    track.auto_level = False
    inspector.refresh()
    assert "Not auto-levelled" in row.note.text() and not row.fixed.isEnabled()
