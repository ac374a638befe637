"""The timeline driven with real mouse, wheel and key events; asserts on the model and the undo
stack, and on the screenshots' pixels (each clip's colours and waveform where the clip is)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QHelpEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QToolTip

from audiostudio.model import Clip, FrameRate, Marker, Project, Request, Take, Track
from audiostudio.model.edits import AddTrack, Scope, SetFields
from audiostudio.model.request import request_hash
from audiostudio.ui.document import DEFAULT_TRACK_HEIGHT, Document
from audiostudio.ui.timeline import TimelinePanel, TimelineView
from audiostudio.ui.timeline.items import ClipItem
from audiostudio.ui.timeline.ruler import time_grid
from tests.ui.pixels import assert_clips_drawn

RATE = 48000
PPS = 100.0  # every test works at 100 px/s: 1 px = 10 ms
ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def write_source(folder: Path, name: str, seconds: float, kind: str = "voice") -> str:
    """A WAV under assets/ with a shape that reads as its kind in screenshots."""
    rng = np.random.default_rng(len(name) + int(seconds * 10))
    t = np.arange(int(seconds * RATE)) / RATE
    if kind == "sfx":
        audio = rng.normal(0, 0.45, len(t)) * np.exp(-3 * t)
    elif kind == "music":
        audio = 0.35 * np.sin(2 * np.pi * 110 * t) * (0.7 + 0.3 * np.sin(2 * np.pi * 0.3 * t))
    else:  # syllable-like bursts
        envelope = np.clip(np.sin(2 * np.pi * 2.3 * t) * np.sin(2 * np.pi * 0.45 * t), 0, 1)
        audio = envelope * (0.6 * np.sin(2 * np.pi * 190 * t) + rng.normal(0, 0.08, len(t)))
    (folder / "assets").mkdir(exist_ok=True)
    sf.write(folder / "assets" / name, audio.astype(np.float32), RATE)
    return f"assets/{name}"


def clip(clip_id: str, start: float, source: str, seconds: float, **values) -> Clip:
    return Clip(id=clip_id, start=start, source=source, source_duration=seconds, **values)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "scene").mkdir()
    return tmp_path / "scene"


@pytest.fixture
def project(folder: Path) -> Project:
    """Two voice tracks and an sfx track; clip a ends at 3.0, clip b starts at 5.0."""
    voice = write_source(folder, "voice.wav", 4.0)
    hit = write_source(folder, "hit.wav", 1.5, "sfx")
    return Project(name="Test", tracks=[
        Track(id="t-1", name="Narration", kind="voice", clips=[
            clip("c-a", 1.0, voice, 4.0, duration=2.0, offset=0.5, extra={"x-note": "keep me"})]),
        Track(id="t-2", name="Maya", kind="voice", clips=[clip("c-b", 5.0, voice, 4.0)]),
        Track(id="t-3", name="Effects", kind="sfx", clips=[clip("c-c", 2.0, hit, 1.5)]),
    ], markers=[Marker(id="m-1", time=8.0, label="Door")])


@contextmanager
def open_panel(qtbot, document: Document, size: tuple[int, int] = (1200, 500)
               ) -> Iterator[TimelinePanel]:
    panel = TimelinePanel(document)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    qtbot.waitExposed(panel)
    try:
        yield panel
    finally:
        panel.shutdown()  # no waveform worker outlives the test
        # Document's cleanChanged lambda outlives its Python wrapper at teardown ("Signal
        # source has been deleted"): not the timeline's to fix, so quiet it here.
        document.undo_stack.cleanChanged.disconnect()


@pytest.fixture
def panel(qtbot, project: Project, folder: Path) -> Iterator[TimelinePanel]:
    with open_panel(qtbot, Document(project, folder)) as panel:
        panel.view.set_pixels_per_second(PPS, anchor_x=0)
        panel.view.horizontalScrollBar().setValue(0)
        yield panel


@pytest.fixture
def view(panel: TimelinePanel) -> TimelineView:
    return panel.view


@pytest.fixture
def doc(panel: TimelinePanel) -> Document:
    return panel.document


# --- helpers ------------------------------------------------------------------------------------
def model_clip(doc: Document, clip_id: str) -> Clip:
    found = doc.project.find_clip(clip_id)
    assert found is not None, clip_id
    return found[1]


def track_of(doc: Document, clip_id: str) -> str:
    found = doc.project.find_clip(clip_id)
    assert found is not None
    return found[0].id


def at_clip(view: TimelineView, clip_id: str, x: float | None = None, y: float | None = None
            ) -> QPoint:
    """Viewport point inside a clip: ``x`` px from its left edge (default: the middle), ``y``
    px from its top (default: below the title strip)."""
    item = view.clip_item(clip_id)
    assert item is not None
    rect = item.sceneBoundingRect()
    scene = QPointF(rect.left() + (rect.width() / 2 if x is None else x),
                    rect.top() + (rect.height() * 0.6 if y is None else y))
    return view.mapFromScene(scene)


def hover_tooltip(view: TimelineView, clip_id: str) -> str:
    """The tooltip the view shows when the mouse rests on a clip (a real help event)."""
    pos = at_clip(view, clip_id)
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    QApplication.sendEvent(view.viewport(), event)
    return QToolTip.text()


def drag(qtbot, view: TimelineView, start: QPoint, end: QPoint,
         modifiers: Qt.KeyboardModifier = NO_MOD) -> None:
    """Press, move in steps, release: like a hand would (moves carry no modifiers in QTest,
    the release does, as the view re-reads the last position on release)."""
    viewport = view.viewport()
    qtbot.mousePress(viewport, LEFT, modifiers, start)
    for step in (0.25, 0.5, 0.75, 1.0):
        qtbot.mouseMove(viewport, start + (end - start) * step)
    qtbot.mouseRelease(viewport, LEFT, modifiers, end)


def wheel(widget, pos: QPoint, delta_y: int, modifiers: Qt.KeyboardModifier) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(widget.mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, delta_y), Qt.MouseButton.NoButton, modifiers,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def settle_waveforms(qtbot, view: TimelineView) -> None:
    """Paint until every visible clip shows its exact waveform. A grab paints synchronously
    (``repaint`` does not on the offscreen platform); each paint may start pyramid builds or
    defer outlines, so repeat until a paint leaves nothing pending."""
    for _ in range(100):
        view.viewport().grab()
        if view.waveforms_settled():
            return
        qtbot.waitUntil(view.waveforms_settled, timeout=10000)
    raise AssertionError("waveforms never settled")


# --- moving -------------------------------------------------------------------------------------
def test_drag_moves_a_clip_by_the_dragged_seconds_as_one_undo_step(qtbot, view, doc):
    view.set_snap_enabled(False)
    before = doc.undo_stack.count()
    start = at_clip(view, "c-b")
    drag(qtbot, view, start, start + QPoint(150, 0))
    assert model_clip(doc, "c-b").start == pytest.approx(6.5)
    assert doc.undo_stack.count() == before + 1
    doc.undo_stack.undo()
    assert model_clip(doc, "c-b").start == 5.0
    assert view.clip_item("c-b").pos().x() == pytest.approx(5.0 * PPS)
    doc.undo_stack.redo()
    assert model_clip(doc, "c-b").start == pytest.approx(6.5)


def test_drag_snaps_to_another_clips_edge_and_alt_bypasses(qtbot, view, doc):
    # c-b starts at 5.0; c-a ends at 3.0. Drag c-b left by 1.96 s: 4 px short of the edge.
    start = at_clip(view, "c-b")
    drag(qtbot, view, start, start - QPoint(196, 0))
    assert model_clip(doc, "c-b").start == 3.0  # exactly on c-a's end
    doc.undo_stack.undo()
    drag(qtbot, view, start, start - QPoint(196, 0), ALT)
    assert model_clip(doc, "c-b").start == pytest.approx(3.04)


def test_drag_snaps_to_playhead_and_markers(qtbot, view, doc):
    doc.set_playhead(6.0)
    start = at_clip(view, "c-b")
    drag(qtbot, view, start, start + QPoint(103, 0))  # start would be 6.03
    assert model_clip(doc, "c-b").start == 6.0
    doc.undo_stack.undo()
    # c-b ends at 9.0; the marker is at 8.0: drag left 0.95 s, its end snaps onto the marker.
    drag(qtbot, view, start, start - QPoint(95, 0))
    assert model_clip(doc, "c-b").end == pytest.approx(8.0)


def test_drag_across_tracks_moves_the_clip_to_that_track(qtbot, view, doc):
    view.set_snap_enabled(False)
    start = at_clip(view, "c-b")
    down = round(DEFAULT_TRACK_HEIGHT)
    drag(qtbot, view, start, start + QPoint(0, down))  # one row down: the sfx track
    assert track_of(doc, "c-b") == "t-3"
    assert model_clip(doc, "c-b").start == 5.0
    assert view.clip_item("c-b").row == 2
    doc.undo_stack.undo()
    assert track_of(doc, "c-b") == "t-2"


def test_selected_clips_move_together_in_one_compound_step(qtbot, view, doc):
    view.set_snap_enabled(False)
    doc.select({"c-a", "c-b"})
    before = doc.undo_stack.count()
    start = at_clip(view, "c-a")
    drag(qtbot, view, start, start + QPoint(50, round(DEFAULT_TRACK_HEIGHT)))
    assert model_clip(doc, "c-a").start == pytest.approx(1.5)
    assert model_clip(doc, "c-b").start == pytest.approx(5.5)
    assert (track_of(doc, "c-a"), track_of(doc, "c-b")) == ("t-2", "t-3")
    assert doc.undo_stack.count() == before + 1
    doc.undo_stack.undo()
    assert (model_clip(doc, "c-a").start, model_clip(doc, "c-b").start) == (1.0, 5.0)
    assert (track_of(doc, "c-a"), track_of(doc, "c-b")) == ("t-1", "t-2")


def test_dragging_against_the_right_edge_scrolls_and_carries_the_clip(qtbot, view, doc):
    view.set_snap_enabled(False)
    viewport = view.viewport()
    start = at_clip(view, "c-b")
    edge = QPoint(viewport.width() - 3, start.y())
    qtbot.mousePress(viewport, LEFT, NO_MOD, start)
    qtbot.mouseMove(viewport, start + QPoint(20, 0))
    qtbot.mouseMove(viewport, edge)
    qtbot.wait(250)  # the mouse rests at the edge: the timeline keeps scrolling
    qtbot.mouseRelease(viewport, LEFT, NO_MOD, edge)
    assert view.horizontalScrollBar().value() > 0
    moved = model_clip(doc, "c-b").start - 5.0
    assert moved > (edge.x() - start.x()) / PPS + 0.2
    assert doc.undo_stack.count() == 1


def test_refused_edit_snaps_back_and_reports(qtbot, view, doc):
    doc.apply(SetFields("t-2", {"locked": True}), "Lock")
    messages: list[str] = []
    view.message.connect(messages.append)
    before = doc.undo_stack.count()
    start = at_clip(view, "c-b")
    drag(qtbot, view, start, start + QPoint(120, 0))
    assert model_clip(doc, "c-b").start == 5.0
    assert view.clip_item("c-b").pos().x() == pytest.approx(5.0 * PPS)
    assert doc.undo_stack.count() == before
    assert messages and "locked" in messages[-1]


# --- trimming and fades -------------------------------------------------------------------------
def test_dragging_the_left_edge_trims_start_and_offset_together(qtbot, view, doc):
    view.set_snap_enabled(False)
    before = doc.undo_stack.count()
    edge = at_clip(view, "c-a", x=2)
    assert view.viewport().cursor().shape() in (Qt.CursorShape.ArrowCursor,
                                                 Qt.CursorShape.SizeHorCursor)
    drag(qtbot, view, edge, edge + QPoint(40, 0))
    clip_a = model_clip(doc, "c-a")
    assert clip_a.start == pytest.approx(1.4)
    assert clip_a.offset == pytest.approx(0.9)
    assert clip_a.end == pytest.approx(3.0)  # the audio stayed where it was
    assert doc.undo_stack.count() == before + 1
    # and back past the original start, as far as the source allows (offset 0 at 0.5 s)
    edge = at_clip(view, "c-a", x=2)
    drag(qtbot, view, edge, edge - QPoint(300, 0))
    assert model_clip(doc, "c-a").offset == pytest.approx(0.0, abs=1e-9)
    assert model_clip(doc, "c-a").start == pytest.approx(0.5)


def test_dragging_the_right_edge_trims_the_end(qtbot, view, doc):
    view.set_snap_enabled(False)
    item = view.clip_item("c-b")
    edge = at_clip(view, "c-b", x=item.boundingRect().width() - 2)
    drag(qtbot, view, edge, edge - QPoint(100, 0))
    assert model_clip(doc, "c-b").duration == pytest.approx(3.0)
    doc.undo_stack.undo()
    assert model_clip(doc, "c-b").length == pytest.approx(4.0)


def test_dragging_a_fade_handle_sets_the_fade(qtbot, view, doc):
    handle = at_clip(view, "c-b", x=3, y=3)
    assert view.clip_item("c-b").zone_at(QPointF(3, 3)) == "fade_in"
    drag(qtbot, view, handle, handle + QPoint(50, 0))
    assert model_clip(doc, "c-b").fade_in == pytest.approx(0.5, abs=0.03)
    item = view.clip_item("c-b")
    out = at_clip(view, "c-b", x=item.boundingRect().width() - 3, y=3)
    drag(qtbot, view, out, out - QPoint(80, 0))
    assert model_clip(doc, "c-b").fade_out == pytest.approx(0.8, abs=0.03)


# --- selection ----------------------------------------------------------------------------------
def test_click_selects_modifier_click_toggles_empty_click_clears(qtbot, view, doc):
    viewport = view.viewport()
    qtbot.mouseClick(viewport, LEFT, NO_MOD, at_clip(view, "c-a"))
    assert doc.selection == {"c-a"}
    qtbot.mouseClick(viewport, LEFT, SHIFT, at_clip(view, "c-b"))
    assert doc.selection == {"c-a", "c-b"}
    qtbot.mouseClick(viewport, LEFT, CTRL, at_clip(view, "c-a"))
    assert doc.selection == {"c-b"}
    assert view.clip_item("c-b").selected and not view.clip_item("c-a").selected
    qtbot.mouseClick(viewport, LEFT, NO_MOD, view.mapFromScene(QPointF(1100, 40)))
    assert doc.selection == set()


def test_rubber_band_selects_the_clips_it_touches(qtbot, view, doc):
    # From the empty space left of c-c (sfx row) up to mid c-a (row 0): touches c-a and c-c.
    start = view.mapFromScene(QPointF(0.5 * PPS, 2.5 * DEFAULT_TRACK_HEIGHT))
    end = view.mapFromScene(QPointF(2.5 * PPS, 0.5 * DEFAULT_TRACK_HEIGHT))
    drag(qtbot, view, start, end)
    assert doc.selection == {"c-a", "c-c"}


# --- keys ---------------------------------------------------------------------------------------
def test_s_splits_selected_clip_at_playhead_and_halves_meet_exactly(qtbot, view, doc):
    doc.select({"c-b"})
    doc.set_playhead(6.25)
    before = doc.undo_stack.count()
    qtbot.keyClick(view, Qt.Key.Key_S)
    clips = sorted(doc.project.find_track("t-2").clips, key=lambda c: c.start)
    assert len(clips) == 2
    left, right = clips
    assert left.id == "c-b" and left.end == right.start == 6.25
    assert round(left.end * RATE) == round(right.start * RATE)
    assert right.offset == pytest.approx(1.25)
    assert doc.undo_stack.count() == before + 1
    assert view.clip_item(right.id) is not None
    doc.undo_stack.undo()
    assert [c.id for c in doc.project.find_track("t-2").clips] == ["c-b"]
    assert view.clip_item(right.id) is None
    doc.undo_stack.redo()
    assert len(doc.project.find_track("t-2").clips) == 2


def test_delete_removes_selected_and_undo_restores(qtbot, view, doc):
    doc.select({"c-a", "c-c"})
    qtbot.keyClick(view, Qt.Key.Key_Delete)
    assert doc.project.find_clip("c-a") is None and doc.project.find_clip("c-c") is None
    assert view.clip_item("c-a") is None
    doc.undo_stack.undo()
    assert model_clip(doc, "c-a").extra == {"x-note": "keep me"}
    assert view.clip_item("c-a") is not None and view.clip_item("c-c") is not None
    doc.select({"c-b"})
    qtbot.keyClick(view, Qt.Key.Key_Backspace)
    assert doc.project.find_clip("c-b") is None


def test_copy_paste_at_playhead_on_selected_track_keeps_data_with_new_ids(qtbot, view, doc):
    doc.select({"c-a"})
    qtbot.keyClick(view, Qt.Key.Key_C, CTRL)
    doc.select({"c-c"})  # paste onto the sfx track
    doc.set_playhead(10.0)
    qtbot.keyClick(view, Qt.Key.Key_V, CTRL)
    pasted = [c for c in doc.project.find_track("t-3").clips if c.id != "c-c"]
    assert len(pasted) == 1
    copy = pasted[0]
    assert copy.id not in {"c-a", "c-b", "c-c"}
    assert copy.start == 10.0 and copy.offset == 0.5 and copy.duration == 2.0
    assert copy.extra == {"x-note": "keep me"}
    assert doc.selection == {copy.id}
    doc.undo_stack.undo()
    assert [c.id for c in doc.project.find_track("t-3").clips] == ["c-c"]


def test_ctrl_d_duplicates_right_after(qtbot, view, doc):
    doc.select({"c-a"})
    qtbot.keyClick(view, Qt.Key.Key_D, CTRL)
    clips = doc.project.find_track("t-1").clips
    assert len(clips) == 2 and clips[1].start == pytest.approx(3.0)
    assert doc.selection == {clips[1].id}


def test_arrow_nudges_by_grid_step_and_held_key_is_one_undo_step(qtbot, view, doc):
    doc.select({"c-b"})
    step = time_grid(PPS).snap_step
    before = doc.undo_stack.count()
    for _ in range(3):
        qtbot.keyClick(view, Qt.Key.Key_Right)
    assert model_clip(doc, "c-b").start == pytest.approx(5.0 + 3 * step)
    assert doc.undo_stack.count() == before + 1
    doc.undo_stack.undo()
    assert model_clip(doc, "c-b").start == 5.0


def test_frame_grid_is_the_nudge_step_when_frame_rate_set(qtbot, view, doc):
    doc.apply(SetFields(Scope.PROJECT, {"frame_rate": FrameRate(25)}), "Frame rate")
    view.set_pixels_per_second(400.0)
    assert view.grid().snap_step == pytest.approx(1 / 25)
    assert view.grid().label(1.0 + 3 / 25) == "0:01:03"


def test_home_end_m_n_and_zoom_keys(qtbot, view, doc):
    doc.set_playhead(4.0)
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert doc.playhead == pytest.approx(doc.project.timeline_length())
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert doc.playhead == 0.0
    qtbot.keyClick(view, Qt.Key.Key_N)
    assert not view.snap_enabled and not view.parent().corner.snap.isChecked()
    doc.select({"c-b"})
    qtbot.keyClick(view, Qt.Key.Key_M)
    assert doc.project.find_track("t-2").mute
    qtbot.keyClick(view, Qt.Key.Key_Plus)
    assert view.pixels_per_second == pytest.approx(PPS * 1.25)
    qtbot.keyClick(view, Qt.Key.Key_Minus)
    assert view.pixels_per_second == pytest.approx(PPS)


# --- zoom and scroll ----------------------------------------------------------------------------
def test_ctrl_wheel_zooms_around_the_mouse(qtbot, view):
    view.horizontalScrollBar().setValue(200)
    mouse = QPoint(600, 100)
    time_under_mouse = view.time_at(mouse.x())
    wheel(view.viewport(), mouse, 120, CTRL)
    assert view.pixels_per_second == pytest.approx(PPS * 1.25)
    assert view.time_at(mouse.x()) == pytest.approx(time_under_mouse, abs=1.5 / PPS)
    wheel(view.viewport(), mouse, -240, CTRL)
    assert view.pixels_per_second == pytest.approx(PPS / 1.25)
    assert view.time_at(mouse.x()) == pytest.approx(time_under_mouse, abs=1.5 / PPS)


def test_track_id_at_maps_widget_positions_to_rows(view):
    viewport = view.viewport()
    inside = viewport.mapTo(view, QPoint(50, round(DEFAULT_TRACK_HEIGHT * 1.5)))
    assert view.track_id_at(inside) == "t-2"
    assert view.track_id_at(QPoint(50, 5)) is None  # the ruler
    assert view.track_id_at(viewport.mapTo(view, QPoint(50, viewport.height() - 5))) is None


def test_shift_wheel_scrolls_horizontally_and_zoom_to_fit(qtbot, view, doc):
    bar = view.horizontalScrollBar()
    wheel(view.viewport(), QPoint(100, 100), -120, SHIFT)
    assert bar.value() > 0
    view.zoom_to_fit()
    assert bar.value() == 0
    end = doc.project.timeline_length()
    assert 0 < view.view_x(end) <= view.viewport().width()


# --- ruler and markers --------------------------------------------------------------------------
def test_ruler_click_moves_playhead_double_click_adds_marker_drag_moves_it(qtbot, view, doc):
    ruler = view.ruler
    qtbot.mouseClick(ruler, LEFT, NO_MOD, QPoint(round(view.view_x(4.0)), 8))
    assert doc.playhead == pytest.approx(4.0, abs=0.011)
    qtbot.mouseDClick(ruler, LEFT, NO_MOD, QPoint(round(view.view_x(6.5)), 8))
    added = [m for m in doc.project.markers if m.id != "m-1"]
    assert len(added) == 1 and added[0].time == pytest.approx(6.5, abs=0.011)
    view.set_snap_enabled(False)
    flag = QPoint(round(view.view_x(8.0)) + 3, 28)
    qtbot.mousePress(ruler, LEFT, NO_MOD, flag)
    qtbot.mouseMove(ruler, flag + QPoint(60, 0))
    qtbot.mouseRelease(ruler, LEFT, NO_MOD, flag + QPoint(60, 0))
    assert next(m for m in doc.project.markers if m.id == "m-1").time == pytest.approx(8.6)


# --- model -> view ------------------------------------------------------------------------------
def test_changes_resync_only_touched_items_and_reset_rebuilds(qtbot, view, doc, monkeypatch):
    synced: list[str] = []
    original = ClipItem.sync
    monkeypatch.setattr(ClipItem, "sync",
                        lambda self, *a: (synced.append(self.clip_id), original(self, *a)))
    doc.apply(SetFields("c-c", {"gain_db": -6.0}), "Gain")
    assert synced == ["c-c"]
    doc.project = Project(tracks=[Track(id="t-x", clips=[Clip(id="c-x", duration=1.0)])])
    doc.reset.emit()
    assert view.clip_item("c-a") is None and view.clip_item("c-x") is not None


def test_generation_states_and_badges(qtbot, view, doc, folder):
    request = Request(kind="voice", text="Hello there")
    source = model_clip(doc, "c-b").source
    doc.apply(SetFields("c-b", {"request": request, "takes": [
        Take(source=source, request_hash=request_hash(request))], "take": 0}), "Generate")
    assert view.clip_item("c-b").state.value == "current"
    doc.apply(SetFields("c-b", {"request": Request(kind="voice", text="Hello, edited")}), "Edit")
    assert view.clip_item("c-b").state.value == "stale"
    view.set_clip_progress("c-a", 0.4)
    view.set_clip_failed("c-c", "Quota exceeded")
    assert view.clip_item("c-a").progress == 0.4
    assert "Generation failed: Quota exceeded" in hover_tooltip(view, "c-c")
    view.set_clip_failed("c-c", None)
    assert view.clip_item("c-c").failure is None


def test_waveforms_are_built_in_the_background_and_drawn(qtbot, view):
    settle_waveforms(qtbot, view)
    item = view.clip_item("c-b")
    assert item._wave_chunks, "the clip's waveform outline was not built"
    assert not view.waveforms.errors


def test_waveforms_settle_after_two_quick_zooms(qtbot, folder, monkeypatch):
    from audiostudio.ui.timeline import wave_schedule

    monkeypatch.setattr(wave_schedule, "FRAME_BUDGET_S", 0.0)  # every outline waits a frame
    source = write_source(folder, "line.wav", 1.0)
    clips = [clip(f"c-{i:02d}", i * 1.5, source, 1.0) for i in range(80)]
    document = Document(Project(tracks=[Track(id="t-1", clips=clips)]), folder)
    with open_panel(qtbot, document) as panel:
        view = panel.view
        view.zoom_to_fit()
        settle_waveforms(qtbot, view)
        view.zoom_by(1.1)
        view.viewport().grab()  # the first zoom's paint: every clip waits for its outline
        view.set_pixels_per_second(400.0)  # the second, before those were finished...
        view.horizontalScrollBar().setValue(round(118.0 * 400))  # the last clip, at 118.5 s
        # ...moved the first waiting clips off screen: nothing repainted, nothing went on
        qtbot.waitUntil(view.waveforms_settled, timeout=3000)
        settle_waveforms(qtbot, view)
        last = view.clip_item("c-79")
        assert last._wave_key is not None and last._wave_key[1][0] == 400.0


def test_a_missing_source_shows_a_badge_instead_of_a_waveform(qtbot, view, doc):
    doc.apply(SetFields("c-c", {"source": "assets/gone.wav"}), "Relink")
    settle_waveforms(qtbot, view)
    item = view.clip_item("c-c")
    assert item._badge()[0] == "missing audio"
    assert "gone.wav" in view.source_error(item.path)


def test_a_waveform_build_that_crashes_is_reported_not_left_pending(qtbot, view, doc, folder,
                                                                     monkeypatch):
    from audiostudio.ui.timeline import waveform

    real = waveform.peaks_for
    odd = write_source(folder, "odd.wav", 1.5, "sfx")

    def peaks_for(path, rate, cache, cancelled):
        if path.name == "odd.wav":
            raise ValueError("unexpected pyramid layout")
        return real(path, rate, cache, cancelled=cancelled)

    monkeypatch.setattr(waveform, "peaks_for", peaks_for)
    doc.apply(SetFields("c-c", {"source": odd}), "Relink")
    settle_waveforms(qtbot, view)  # never settled while the crashed build stayed pending
    item = view.clip_item("c-c")
    assert "unexpected pyramid layout" in view.source_error(item.path)
    assert item._badge()[0] == "no waveform"


# --- headers ------------------------------------------------------------------------------------
def test_header_mute_and_gain_are_undoable_edits(qtbot, panel, doc):
    header = panel.headers.rows["t-2"]
    before = doc.undo_stack.count()
    qtbot.mouseClick(header.mute, LEFT)
    assert doc.project.find_track("t-2").mute
    assert doc.undo_stack.count() == before + 1
    doc.undo_stack.undo()
    assert not doc.project.find_track("t-2").mute and not header.mute.isChecked()

    # a slider drag: press, several values, release -> one undo step
    before = doc.undo_stack.index()
    header.gain.sliderPressed.emit()
    for tenths in (-10, -25, -40):
        header.gain.setValue(tenths)
    header.gain.sliderReleased.emit()
    assert doc.project.find_track("t-2").gain_db == pytest.approx(-4.0)
    assert header.gain_label.text() == "-4.0 dB"
    assert doc.undo_stack.index() == before + 1
    doc.undo_stack.undo()
    assert doc.project.find_track("t-2").gain_db == 0.0 and header.gain.value() == 0


def test_header_solo_pan_duck_and_rename(qtbot, panel, doc):
    header = panel.headers.rows["t-1"]
    qtbot.mouseClick(header.solo, LEFT)
    header.pan.setValue(-50)
    header.duck.setCurrentIndex(header.duck.findData("none"))
    track = doc.project.find_track("t-1")
    assert (track.solo, track.pan, track.duck) == (True, -0.5, "none")
    assert header.pan_label.text() == "L50"
    qtbot.mouseDClick(header.name, LEFT)
    header.name.selectAll()
    qtbot.keyClicks(header.name, "Narrator")
    qtbot.keyClick(header.name, Qt.Key.Key_Return)
    assert doc.project.find_track("t-1").name == "Narrator"
    assert header.name.isReadOnly()


def test_header_bottom_edge_drag_resizes_track_in_one_step(qtbot, panel, doc):
    header = panel.headers.rows["t-1"]
    before = doc.undo_stack.count()
    edge = QPoint(100, header.height() - 2)
    qtbot.mousePress(header, LEFT, NO_MOD, edge)
    for dy in (10, 25, 40):
        qtbot.mouseMove(header, edge + QPoint(0, dy))
    assert panel.view.row_top(1) == DEFAULT_TRACK_HEIGHT + 40  # the view previews
    qtbot.mouseRelease(header, LEFT, NO_MOD, edge + QPoint(0, 40))
    assert doc.project.find_track("t-1").height == DEFAULT_TRACK_HEIGHT + 40
    assert doc.undo_stack.count() == before + 1
    assert panel.headers.rows["t-2"].y() == panel.view.row_top(1)
    doc.undo_stack.undo()
    assert panel.view.row_top(1) == DEFAULT_TRACK_HEIGHT


def test_headers_follow_vertical_scroll(qtbot, panel, doc):
    for index in range(8):
        doc.apply(AddTrack(Track(id=f"t-extra{index}", name=f"Extra {index}")), "Add track")
    bar = panel.view.verticalScrollBar()
    bar.setValue(120)
    assert panel.headers.content.y() == -120
    assert panel.headers.rows["t-extra0"].y() == panel.view.row_top(3)


# --- screenshots --------------------------------------------------------------------------------
def showcase_project(folder: Path) -> Project:
    """~10 clips on 4 tracks: voices, effects, music; stale, empty, fading, looping."""
    line1 = write_source(folder, "line1.wav", 3.2)
    line2 = write_source(folder, "line2.wav", 2.4)
    line3 = write_source(folder, "line3.wav", 2.9)
    creak = write_source(folder, "creak.wav", 1.6, "sfx")
    steps = write_source(folder, "steps.wav", 2.2, "sfx")
    bed = write_source(folder, "bed.wav", 26.0, "music")
    asked = Request(kind="voice", text="The door had been shut for thirty years.")
    edited = Request(kind="voice", text="Did you hear that? Over there.")
    return Project(name="Showcase", tracks=[
        Track(id="t-n", name="Narration", kind="voice", clips=[
            clip("c-1", 1.0, line1, 3.2, name="The door had been shut for thirty years.",
                 fade_in=0.2, fade_out=0.3, request=asked,
                 takes=[Take(source=line1, request_hash=request_hash(asked))], take=0),
            clip("c-2", 9.5, line3, 2.9, name="Someone had been waiting.",
                 fade_out=0.4),
            Clip(id="c-3", start=15.0, duration=3.0, name="And then the lights went out.",
                 request=Request(kind="voice", text="And then the lights went out."))]),
        Track(id="t-m", name="Maya", kind="voice", color="#b07cff", clips=[
            clip("c-4", 4.8, line2, 2.4, name="Did you hear that?", request=edited,
                 takes=[Take(source=line2, request_hash="0" * 64)], take=0),
            clip("c-5", 12.6, line2, 2.4, name="Over here!", offset=0.3, duration=1.9)]),
        Track(id="t-s", name="Effects", kind="sfx", clips=[
            clip("c-6", 0.3, creak, 1.6, name="door creak", fade_out=0.5),
            clip("c-7", 7.4, steps, 2.2, name="footsteps on gravel", gain_db=-3.0),
            clip("c-8", 18.4, creak, 1.6, name="thunder")]),
        Track(id="t-b", name="Score", kind="music", gain_db=-6.0, clips=[
            clip("c-9", 0.0, bed, 26.0, name="Dark ambience bed", duration=11.0,
                 fade_in=2.0, fade_out=1.5, fade_out_curve="s_curve"),
            clip("c-10", 11.0, bed, 26.0, name="Tension rise", offset=11.0, duration=10.5,
                 fade_in=0.4, fade_out=2.5, loop=True)]),
    ], markers=[Marker(id="m-1", time=4.8, label="Door opens"),
                Marker(id="m-2", time=15.0, label="Blackout")])


def test_screenshot_of_a_scene(qtbot, folder):
    document = Document(showcase_project(folder), folder)
    with open_panel(qtbot, document, (1600, 900)) as panel:
        view = panel.view
        view.fit_scene()  # what opening a project shows
        document.select({"c-5", "c-9"})
        document.set_playhead(8.2)
        view.set_clip_progress("c-3", 0.45)
        view.set_clip_failed("c-8", "Stable Audio: quota exceeded")
        settle_waveforms(qtbot, view)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert panel.grab().save(str(ARTIFACTS / "timeline.png"))
        assert assert_clips_drawn(ARTIFACTS / "timeline.png", view, panel) >= 6
        view.set_pixels_per_second(160.0, anchor_x=0)
        view.horizontalScrollBar().setValue(round(3.5 * 160))
        settle_waveforms(qtbot, view)
        assert panel.grab().save(str(ARTIFACTS / "timeline-zoomed.png"))
        assert assert_clips_drawn(ARTIFACTS / "timeline-zoomed.png", view, panel) >= 2
