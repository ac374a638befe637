"""The window's live preview on the null output: plays the export's samples, follows edits."""

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model.edits import Compound, Scope, SetFields
from audiostudio.settings import cache_dir
from audiostudio.ui.document import Document
from audiostudio.ui.preview import Preview
from tests.conftest import RATE, SAMPLE_PROJECT


@pytest.fixture
def scene(tmp_path) -> Path:
    return Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene"))


@pytest.fixture
def preview(qtbot, scene):
    document = Document()
    document.open(scene)
    preview = Preview(document, cache_dir(), device="none", record=True)
    yield preview, document, lambda: preview.player.recording()[0]
    preview.close()


def exported_mix(document: Document, tmp_path: Path) -> np.ndarray:
    out = tmp_path / "export"
    export_project(document.project, document.folder, out, ExportOptions(bit_depth="32f"),
                   cache=cache_dir())
    return sf.read(str(out / "mix.wav"), dtype="float32", always_2d=True)[0]


def test_play_waits_for_the_loudness_then_plays_the_export(qtbot, preview, tmp_path):
    preview, document, recorded = preview
    document.set_playhead(4.0)
    preview.play()  # at once, before the first measurement can have finished
    assert preview.playing and not preview.player.playing
    qtbot.waitUntil(lambda: preview.player.playing, timeout=10000)
    assert preview.lufs is not None and not preview.measuring
    qtbot.waitUntil(lambda: document.playhead > 4.5, timeout=3000)  # the playhead moves
    preview.pause()
    heard = recorded()
    mix = exported_mix(document, tmp_path)
    np.testing.assert_allclose(heard, mix[4 * RATE:4 * RATE + len(heard)], atol=2e-6)
    assert document.playhead == pytest.approx(4.0 + len(heard) / RATE, abs=1e-3)


def test_an_edit_while_playing_is_heard_within_100_ms(qtbot, preview):
    preview, document, recorded = preview
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    preview.play()
    qtbot.waitUntil(lambda: document.playhead > 1.0, timeout=3000)
    # Mute every track: everything heard from 100 ms after the edit on must be silence.
    heard_before = len(recorded())
    document.apply(Compound([SetFields(t.id, {"mute": True}) for t in document.project.tracks]),
                   "Mute all")
    assert preview.measuring  # the changed mix is measured again in the background
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    time.sleep(0.2)
    preview.pause()
    heard = recorded()
    assert np.abs(heard[heard_before - RATE // 2:heard_before]).max() > 0.01  # it was playing
    assert not heard[heard_before + RATE // 10:].any()
    assert preview.player.underruns == 0


def test_a_new_loudness_ramps_in(qtbot, preview):
    preview, document, _recorded = preview
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    before = preview.lufs
    music = next(t for t in document.project.tracks if t.duck_role == "ducked")
    document.apply(SetFields(music.id, {"gain_db": music.gain_db - 12}), "Music down")
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    assert preview.lufs < before - 0.5


def test_stop_returns_to_where_play_started_and_a_click_seeks(qtbot, preview):
    preview, document, _recorded = preview
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    document.set_playhead(2.0)
    preview.play()
    qtbot.waitUntil(lambda: document.playhead > 2.2, timeout=3000)
    document.set_playhead(15.0)  # as a click on the ruler does
    qtbot.waitUntil(lambda: document.playhead > 15.05, timeout=3000)
    assert document.playhead < 15.6
    preview.stop()
    assert not preview.playing and document.playhead == 2.0


def test_playback_stops_at_the_end(qtbot, preview):
    preview, document, _recorded = preview
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    end = document.project.timeline_length()
    document.set_playhead(end - 0.2)
    preview.play()
    qtbot.waitUntil(lambda: not preview.playing, timeout=3000)
    assert document.playhead == pytest.approx(end, abs=0.01)


def test_clips_without_audio_play_as_silence_with_a_note(qtbot, preview):
    preview, document, _recorded = preview
    clip = document.project.tracks[0].clips[0]
    document.apply(SetFields(clip.id, {"source": None}), "Clear source")
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    with qtbot.waitSignal(preview.message, timeout=3000) as note:
        preview.play()
    assert "no audio yet" in note.args[0]
    time.sleep(0.1)
    preview.pause()


def test_a_voice_sample_plays_through_the_preview_output_and_leaves_the_playhead(
        qtbot, preview, scene):
    preview, document, recorded = preview
    qtbot.waitUntil(lambda: not preview.measuring, timeout=10000)
    sample = next((scene / "assets").glob("*.flac"))
    document.set_playhead(3.0)
    before = len(recorded())
    preview.audition(sample)
    assert not preview.playing  # a sample is not the transport playing
    qtbot.waitUntil(lambda: not preview.player.playing, timeout=10000)  # it ends by itself
    heard = recorded()[before:]
    audio, rate = sf.read(str(sample), dtype="float32", always_2d=True)
    assert rate == RATE
    stereo = np.repeat(audio, 2, axis=1) if audio.shape[1] == 1 else audio
    np.testing.assert_allclose(heard[:len(stereo)], stereo, atol=1e-6)
    assert document.playhead == 3.0


def test_the_loudness_curve_is_the_delivered_mix_after_the_limiter(qtbot, preview, tmp_path):
    from audiostudio.audio.loudness import LoudnessMeter

    preview, document, _recorded = preview
    document.apply(SetFields(Scope.MIX, {"target_lufs": -9.0}), "Hot target")  # limiter works
    qtbot.waitUntil(lambda: not preview.measuring, timeout=30000)
    mix = exported_mix(document, tmp_path)
    meter = LoudnessMeter(RATE, 2, true_peak=False)
    meter.add(mix)
    expected = meter.short_term_curve()
    _ends, curve = preview.loudness_curve()
    assert len(curve) == len(expected)
    shown = np.isfinite(expected) & (expected > -70)
    np.testing.assert_allclose(curve[shown], expected[shown], atol=0.05)
    premaster_plus_gain = preview.lufs + preview.norm_db
    assert abs(preview.delivered_lufs - premaster_plus_gain) > 0.3  # the limiter took some
