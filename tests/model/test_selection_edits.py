"""Selection commands as model edits, applied to a real project (no Qt)."""

from __future__ import annotations

import pytest

from audiostudio.model import selection_edits as se
from audiostudio.model.edits import apply
from audiostudio.model.project import Clip, Project, Track

SRC = "assets/" + "a" * 64 + ".wav"


@pytest.fixture
def project() -> Project:
    """Two tracks: a (1-3 s) and b (5-9 s) on the first, c (2-3.5 s) on the second."""
    def clip(clip_id: str, start: float, seconds: float) -> Clip:
        return Clip(id=clip_id, start=start, source=SRC, source_duration=seconds,
                    extra={"x-note": clip_id})
    return Project(tracks=[
        Track(id="t-1", clips=[clip("c-a", 1.0, 2.0), clip("c-b", 5.0, 4.0)]),
        Track(id="t-2", kind="sfx", clips=[clip("c-c", 2.0, 1.5)]),
    ])


def run(project: Project, result: se.SelectionEdit | se.Hint | None) -> se.SelectionEdit:
    assert isinstance(result, se.SelectionEdit), result
    apply(project, result.edit)
    return result


def starts(project: Project, track: int) -> list[float]:
    return sorted(c.start for c in project.tracks[track].clips)


def test_split_cuts_only_the_selected_clips_under_the_playhead(project):
    result = run(project, se.split(project, {"c-a", "c-b", "c-c"}, 2.5))
    assert result.text == "Split 2 clips"
    assert starts(project, 0) == [1.0, 2.5, 5.0] and starts(project, 1) == [2.0, 2.5]
    new_ids = {c.id for t in project.tracks for c in t.clips} - {"c-a", "c-b", "c-c"}
    assert result.select == {"c-a", "c-b", "c-c"} | new_ids  # both halves stay selected


def test_split_outside_every_clip_and_an_empty_selection_are_hints(project):
    assert se.split(project, {"c-b"}, 2.5) == se.Hint(
        "Put the playhead inside a selected clip to split it")
    assert se.split(project, set(), 2.5) == se.Hint("Select a clip to split")
    assert se.split(project, {"c-b"}, 5.0) == se.Hint(  # an edge is not inside
        "Put the playhead inside a selected clip to split it")


def test_delete_removes_the_selection(project):
    assert run(project, se.delete(project, {"c-a", "c-c"})).text == "Delete 2 clips"
    assert [c.id for t in project.tracks for c in t.clips] == ["c-b"]


def test_duplicate_places_the_block_right_after_itself(project):
    result = run(project, se.duplicate(project, {"c-a", "c-c"}))  # the block spans 1.0-3.5
    assert starts(project, 0) == [1.0, 3.5, 5.0] and starts(project, 1) == [2.0, 4.5]
    copies = {c.id for t in project.tracks for c in t.clips if c.start in (3.5, 4.5)}
    assert result.select == copies


def test_copy_then_paste_keeps_rows_timing_and_data_with_new_ids(project):
    board = se.Clipboard()
    assert se.copy_to(board, project, {"c-a", "c-c"}) == se.Hint("Copied 2 clips")
    project.tracks[0].clips[0].gain_db = -12.0  # later edits do not change what is pasted
    result = run(project, se.paste(board, project, set(), 10.0))
    pasted = [(row, c) for row, t in enumerate(project.tracks) for c in t.clips
              if c.id in result.select]
    assert [(row, c.start, c.extra, c.gain_db) for row, c in pasted] == [
        (0, 10.0, {"x-note": "c-a"}, 0.0), (1, 11.0, {"x-note": "c-c"}, 0.0)]
    assert not result.select & {"c-a", "c-b", "c-c"}


def test_paste_goes_to_the_selected_track_and_clamps_to_the_last_row(project):
    board = se.Clipboard()
    se.copy_to(board, project, {"c-a", "c-c"})
    result = run(project, se.paste(board, project, {"c-c"}, 20.0))
    assert {c.id for c in project.tracks[1].clips} >= result.select  # rows 1 and 2 -> 1
    assert se.paste(se.Clipboard(), project, set(), 0.0) is None


def test_nudge_moves_together_never_before_zero_and_merges(project):
    first = run(project, se.nudge(project, {"c-a", "c-c"}, -0.75))
    assert starts(project, 0) == [0.25, 5.0] and starts(project, 1) == [1.25]
    second = run(project, se.nudge(project, {"c-a", "c-c"}, -0.75))
    assert starts(project, 0) == [0.0, 5.0]  # clamped at the timeline start
    assert first.merge_key == second.merge_key == "nudge:c-a,c-c"
    assert se.nudge(project, {"c-a"}, -1.0) is None


def test_mute_toggles_the_selected_clips_tracks(project):
    assert run(project, se.toggle_track_mute(project, {"c-b", "c-c"})).text == "Mute track"
    assert [t.mute for t in project.tracks] == [True, True]
    assert run(project, se.toggle_track_mute(project, {"c-a"})).text == "Unmute track"
    assert [t.mute for t in project.tracks] == [False, True]
