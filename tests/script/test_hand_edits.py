"""Hand placement wins: what the user moved, re-flow keeps; a fitted line follows its trims."""

from __future__ import annotations

import pytest

from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import DuplicateClip, MoveClip, MoveMarker, SetFields, TrimClip, apply
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.project import Take
from audiostudio.model.reflow import reflow_edit
from audiostudio.model.request import request_hash
from audiostudio.model.schema import project_to_dict
from audiostudio.model.selection_edits import nudge
from tests.script.test_reflow import GAP, scene, set_lengths

LINES = "A: One.\nB: Two.\nA: Three.\nINT. HALL\nB: Four.\n"


def test_a_line_moved_by_hand_stays_there_and_later_lines_follow_it(providers) -> None:
    project, clips = scene(providers, LINES)
    one, two, three, four = (clips[k] for k in ("One.", "Two.", "Three.", "Four."))
    anchor = dict(two.script)

    apply(project, ByHand(MoveClip(two.id, 9.0)))
    assert two.script == anchor | {"moved": 9.0}  # the script's own place is kept beside it
    set_lengths(project, [(one, 3.0), (two, 2.0), (three, 1.5), (four, 1.0)])
    apply(project, reflow_edit(project))

    assert one.start == 0.0 and two.start == 9.0
    assert three.start == pytest.approx(11.0 + GAP)
    assert project.markers[0].time == pytest.approx(three.end)  # the scene's marker follows
    assert four.start == pytest.approx(three.end + GAP)
    # Asked to forget the moves, re-flow hands the line back to the script (one step).
    undo_forget = apply(project, reflow_edit(project, forget_moves=True)).undo
    assert two.script == anchor and two.start == pytest.approx(3.0 + GAP)
    apply(project, undo_forget)
    assert two.script == anchor | {"moved": 9.0} and two.start == 9.0

    assert reflow_edit(project) is None  # the hand's place is the re-flowed layout


def test_undoing_a_move_by_hand_restores_the_project_exactly(providers) -> None:
    project, clips = scene(providers, LINES)
    before = project_to_dict(project)
    undo = apply(project, ByHand(MoveClip(clips["Three."].id, 12.5))).undo
    apply(project, undo)
    assert project_to_dict(project) == before


def test_a_nudge_and_a_marker_drag_are_moves_by_hand(providers) -> None:
    project, clips = scene(providers, LINES)
    one, two = clips["One."], clips["Two."]
    marker = project.markers[0]
    move = nudge(project, {two.id}, 0.25)
    apply(project, move.edit)
    apply(project, ByHand(MoveMarker(marker.id, 30.0)))
    set_lengths(project, [(one, 4.0)])
    start = two.start
    apply(project, reflow_edit(project))
    assert two.start == start and marker.time == 30.0
    assert clips["Three."].start == pytest.approx(two.end + GAP)  # follows the nudged line


def test_what_is_not_a_move_by_the_script_leaves_anchors_alone(providers) -> None:
    project, clips = scene(providers, LINES)
    one, two = clips["One."], clips["Two."]
    copy = DuplicateClip(one.id, new_start=40.0)
    apply(project, copy)
    copied = project.find_clip(copy.copy_id)[1]
    apply(project, ByHand(MoveClip(copied.id, 50.0)))  # a copy is not the script's
    assert copied.script == one.script and "moved" not in copied.script
    apply(project, ByHand(TrimClip(two.id, "start", two.start + 0.1)))  # a trim is no move
    assert "moved" not in two.script
    assert reflow_edit(project) is not None  # re-flow still places the trimmed line


def fitted_line(providers):
    """A fitted line (``~3s``) with a current take of 3 s."""
    project, clips = scene(providers, "A: Hello there, how are you? ~3s\nB: Fine.\n")
    line = clips["Hello there, how are you?"]
    assert line.request.fit and line.request.duration == 3.0
    take = Take(source="assets/a.wav", request_hash=request_hash(line.request))
    apply(project, SetFields(line.id, {"takes": [take], "take": 0, "source": take.source,
                                       "source_duration": 3.0, "duration": 3.0}))
    assert clip_state(line) is ClipState.CURRENT
    return project, line


@pytest.mark.parametrize(("side", "time", "length"), [("end", 2.25, 2.25), ("start", 0.5, 2.5)])
def test_trimming_a_fitted_line_moves_its_fit_target_and_makes_it_stale(
        providers, side, time, length) -> None:
    project, line = fitted_line(providers)
    before = project_to_dict(project)
    undo = apply(project, ByHand(TrimClip(line.id, side, time))).undo
    assert line.duration == pytest.approx(length)
    assert line.request.duration == line.duration and line.request.fit
    assert clip_state(line) is ClipState.STALE  # Generate refits it
    apply(project, undo)
    assert project_to_dict(project) == before


def test_a_line_that_is_not_fitted_keeps_its_request_when_trimmed(providers) -> None:
    project, line = fitted_line(providers)
    apply(project, SetFields(line.id, {"request": {"kind": "voice", "text": "Hi.",
                                                   "duration": 3.0}}))
    request = line.request
    apply(project, ByHand(TrimClip(line.id, "end", 2.0)))
    assert line.request == request and line.duration == 2.0
