"""In the window: a line dragged by hand (or given a Start in the inspector) survives a
re-flow; a fitted line trimmed by hand is refitted to its new slot by Generate."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from PySide6.QtCore import QPoint

from audiostudio.generation.batch import generate_clips
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GenerationService
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import MoveClip
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.reflow import reflow_edit
from audiostudio.model.store import save_project
from audiostudio.providers.registry import available_providers
from audiostudio.ui.document import Document
from audiostudio.ui.generation import GenerationController
from audiostudio.ui.inspector import Inspector
from audiostudio.ui.main_window import MainWindow
from tests.script.test_reflow import GAP, scene, set_lengths
from tests.ui.test_timeline import PPS, at_clip, drag, open_panel
from tests.ui.test_window import forget_changes


def test_a_line_dragged_in_the_timeline_stays_through_a_reflow(qtbot, providers, tmp_path):
    project, clips = scene(providers, "A: One.\nB: Two.\nA: Three.\n")
    one, two, three = (clips[k] for k in ("One.", "Two.", "Three."))
    save_project(project, tmp_path / "p")
    document = Document(project, tmp_path / "p")
    with open_panel(qtbot, document) as panel:
        view = panel.view
        view.set_pixels_per_second(PPS, anchor_x=0)
        view.horizontalScrollBar().setValue(0)
        view.set_snap_enabled(False)
        start = two.start
        grab = at_clip(view, two.id)
        drag(qtbot, view, grab, grab + QPoint(300, 0))  # 3 s later
        assert two.start == pytest.approx(start + 3.0)
        assert document.undo_stack.count() == 1  # the move and its anchor: one step
        dragged = two.start

        set_lengths(project, [(one, 2.0), (two, 1.0), (three, 1.0)])  # as generation would
        document.apply(reflow_edit(project), "Re-flow script timing")
        assert two.start == dragged  # the hand's place wins
        assert one.start == 0.0 and three.start == pytest.approx(two.end + GAP)

        document.undo_stack.undo()  # the re-flow
        document.undo_stack.undo()  # the lengths
        document.undo_stack.undo()  # the drag, with its anchor
        assert two.start == pytest.approx(start) and "moved" not in two.script

        document.select({three.id})
        placed = three.start
        for _ in range(3):  # a held arrow key: one undo step, pinned where it ends
            view.nudge(1)
        assert document.undo_stack.count() == 1
        assert three.script["moved"] == three.start > placed
        document.undo_stack.undo()
        assert three.start == placed and "moved" not in three.script
        document.undo_stack.redo()
        assert three.script["moved"] == three.start


def test_a_fitted_line_trimmed_in_the_timeline_is_refitted_to_its_new_length(
        qtbot, providers, tmp_path):
    project, clips = scene(providers, "A: Hello there, how are you today? ~3s\n",
                           A="flite:slt")  # Flite: quick to generate
    line = clips["Hello there, how are you today?"]
    folder = tmp_path / "p"
    save_project(project, folder)
    with ThreadPoolExecutor(max_workers=1) as pool:
        service = GenerationService(providers, pool, AssetCache(tmp_path / "cache"))
        assert generate_clips(service, project, folder).succeeded
        assert line.duration == pytest.approx(3.0, rel=0.02) and line.offset == 0.0
        document = Document(project, folder)
        with open_panel(qtbot, document) as panel:
            view = panel.view
            view.set_pixels_per_second(PPS, anchor_x=0)
            view.horizontalScrollBar().setValue(0)
            view.set_snap_enabled(False)
            width = view.clip_item(line.id).boundingRect().width()
            right = at_clip(view, line.id, x=width - 2)
            drag(qtbot, view, right, right - QPoint(50, 0))  # 0.5 s off the end
            left = at_clip(view, line.id, x=2)
            drag(qtbot, view, left, left + QPoint(30, 0))  # and 0.3 s off the start
            assert document.undo_stack.count() == 2  # each trim with its fit: one step
            assert line.offset == pytest.approx(0.3)
            slot = line.duration
            assert slot == pytest.approx(line.request.duration) == pytest.approx(2.2, abs=0.02)
            assert clip_state(line) is ClipState.STALE

            assert generate_clips(service, project, folder).succeeded  # Generate refits it
        assert clip_state(line) is ClipState.CURRENT and len(line.takes) == 2
        assert line.offset == 0.0  # the new audio plays from its first word
        assert line.duration == pytest.approx(slot, rel=0.02)
        assert line.source_duration == pytest.approx(slot, rel=0.02)


def test_the_inspectors_start_and_duration_are_hand_edits(qtbot, providers, tmp_path):
    project, clips = scene(providers, "A: One.\nB: Two, and more of it. ~2s\nA: Three.\n")
    two, three = clips["Two, and more of it."], clips["Three."]
    save_project(project, tmp_path / "p")
    document = Document(project, tmp_path / "p")
    available = available_providers()
    gen = GenerationController(document, tmp_path / "cache", available,
                               dict.fromkeys(available, 1))
    try:
        inspector = Inspector(document, gen)
        qtbot.addWidget(inspector)
        document.select({two.id})
        inspector.clip_form.widgets["start"].setValue(8.0)
        inspector.clip_form.widgets["duration"].setValue(1.5)
        assert two.script["moved"] == 8.0 and two.request.duration == 1.5
        assert document.undo_stack.count() == 2  # Start, Duration: each with its follow-up
        document.apply(reflow_edit(project), "Re-flow script timing")
        assert two.start == 8.0 and three.start == pytest.approx(9.5 + GAP)
    finally:
        gen.close()


def test_the_edit_menu_re_flows_keeping_or_forgetting_hand_moves(qtbot, providers, tmp_path):
    project, clips = scene(providers, "A: One.\nB: Two.\nA: Three.\n")
    save_project(project, tmp_path / "p")
    window = MainWindow(Document(project, tmp_path / "p"))
    qtbot.addWidget(window, before_close_func=forget_changes)
    document = window.document
    two = document.project.find_clip(clips["Two."].id)[1]
    script_place = two.start
    document.apply(ByHand(MoveClip(two.id, script_place + 4.0)), "Move")
    window.reflow_action.trigger()
    assert two.start == pytest.approx(script_place + 4.0)  # kept: nothing to re-flow
    window.reflow_script_action.trigger()
    assert two.start == pytest.approx(script_place) and "moved" not in two.script
    document.undo_stack.undo()  # one step
    assert two.start == pytest.approx(script_place + 4.0)
