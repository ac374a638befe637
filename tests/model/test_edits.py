from __future__ import annotations

import math
import random
import re
from typing import Any

import pytest

from audiostudio.errors import EditError
from audiostudio.model.edits import (
    AddClip,
    AddMarker,
    AddTrack,
    Compound,
    DuplicateClip,
    Edit,
    MoveClip,
    MoveMarker,
    MoveTrack,
    RemoveClip,
    RemoveMarker,
    RemoveTrack,
    Scope,
    SetFields,
    SplitClip,
    TrimClip,
    apply,
)
from audiostudio.model.project import Clip, Marker, Project, Request, Track
from audiostudio.model.schema import project_from_dict, project_to_dict

A = "assets/" + "a" * 64 + ".wav"
B = "assets/" + "b" * 64 + ".wav"
RATE = 48000


@pytest.fixture
def project() -> Project:
    take = {"source": A, "request_hash": "h1", "seed": 7, "x_take": 1}
    return project_from_dict(
        {
            "format": "audiostudio-project",
            "version": 1,
            "tracks": [
                {
                    "id": "t-voice",
                    "kind": "voice",
                    "clips": [
                        {
                            "id": "c-a",
                            "start": 1.0,
                            "offset": 0.5,
                            "source": A,
                            "source_duration": 4.0,
                            "fade_in": 0.2,
                            "fade_out": 0.3,
                            "request": {"kind": "voice", "text": "Hello", "x_req": 1},
                            "takes": [take],
                            "take": 0,
                            "x_clip": {"kept": True},
                        },
                        {"id": "c-b", "start": 6.0, "duration": 2.0, "offset": 1.0,
                         "source": B, "source_duration": 10.0},
                        {"id": "c-locked", "start": 9.0, "duration": 1.0, "source": B,
                         "locked": True},
                    ],
                },
                {
                    "id": "t-music",
                    "kind": "music",
                    "clips": [
                        {"id": "c-loop", "start": 2.0, "duration": 30.0, "loop": True,
                         "source": B, "source_duration": 7.0, "fade_out": 3.0},
                    ],
                },
                {
                    "id": "t-locked",
                    "locked": True,
                    "clips": [{"id": "c-on-locked", "start": 0.0, "duration": 1.0}],
                },
            ],
            "markers": [
                {"id": "m-1", "time": 2.0, "label": "Door"},
                {"id": "m-2", "time": 5.0},
            ],
        }
    )  # fmt: skip


VALID_EDITS: list[tuple[Edit, set[str]]] = [
    (
        AddTrack(Track(id="t-new", kind="sfx", clips=[Clip(id="c-n1", duration=2.0)])),
        {"t-new", "c-n1"},
    ),
    (AddTrack(Track(id="t-top"), index=0), {"t-top"}),
    (AddTrack(Track(id="t-l", locked=True, clips=[Clip(id="c-l", locked=True)])), {"t-l"}),
    (RemoveTrack("t-music"), {"t-music", "c-loop"}),
    (MoveTrack("t-music", 0), {"t-music"}),
    (MoveTrack("t-voice", 2), {"t-voice"}),
    (AddClip("t-voice", Clip(id="c-new", start=12.0, duration=1.0), 1), {"c-new", "t-voice"}),
    (AddClip("t-voice", Clip(id="c-new-locked", locked=True)), {"c-new-locked"}),
    (RemoveClip("c-a"), {"c-a", "t-voice"}),
    (MoveClip("c-a", 12.0), {"c-a"}),
    (MoveClip("c-a", 4.0, "t-music"), {"c-a", "t-voice", "t-music"}),
    (MoveClip("c-a", 4.0, "t-music", 0), {"c-a", "t-music"}),
    (MoveClip("c-b", 6.0, None, 0), {"c-b"}),
    (TrimClip("c-a", "start", 1.3), {"c-a"}),
    (TrimClip("c-a", "start", 0.6), {"c-a"}),
    (TrimClip("c-a", "end", 3.0), {"c-a"}),
    (TrimClip("c-a", "end", 1.1), {"c-a"}),  # shorter than the fades: they shrink
    (TrimClip("c-loop", "start", 1.0), {"c-loop"}),
    (TrimClip("c-loop", "end", 45.0), {"c-loop"}),
    (SplitClip("c-a", 2.5), {"c-a", "t-voice"}),
    (SplitClip("c-loop", 13.37), {"c-loop"}),
    (DuplicateClip("c-a"), {"t-voice"}),
    (DuplicateClip("c-a", 20.0, "t-music"), {"t-music"}),
    (DuplicateClip("c-locked"), {"t-voice"}),
    (AddMarker(Marker(id="m-new", time=3.0, label="Bang")), {"m-new"}),
    (AddMarker(Marker(id="m-first"), index=0), {"m-first"}),
    (RemoveMarker("m-1"), {"m-1"}),
    (MoveMarker("m-1", 8.0), {"m-1"}),
    (SetFields("c-a", {"gain_db": -4, "fade_in_curve": "linear", "name": "Line"}), {"c-a"}),
    (SetFields("c-a", {"request": Request(kind="voice", text="Hi there")}), {"c-a"}),
    (SetFields("c-a", {"duration": 2.0, "loop": True}), {"c-a"}),
    (SetFields("t-voice", {"pan": -0.5, "mute": True, "kind": "foley"}), {"t-voice"}),
    (SetFields("t-locked", {"gain_db": 2.0, "locked": False}), {"t-locked"}),
    (SetFields("c-locked", {"locked": False}), {"c-locked"}),
    (SetFields("m-2", {"label": "Bang", "time": 6}), {"m-2"}),
    (SetFields(Scope.MIX, {"target_lufs": None, "master_gain_db": -2}), {"mix"}),
    (SetFields(Scope.DUCK, {"depth_db": -20, "attack_ms": 10}), {"mix.duck"}),
    (SetFields(Scope.PROJECT, {"name": "Renamed", "sample_rate_hz": 44100}), {"project"}),
    (SetFields(Scope.PROJECT, {"cast": {"N": {"voice": "v"}}, "length": 60}), {"project"}),
    (
        Compound(
            (
                MoveClip("c-a", 10.0, "t-music"),
                SetFields("c-a", {"gain_db": 1.0}),
                SplitClip("c-b", 7.0),
                SetFields("t-voice", {"locked": True}),
            )
        ),
        {"c-a", "c-b", "t-voice", "t-music"},
    ),
]


@pytest.mark.parametrize(("edit", "touched"), VALID_EDITS, ids=lambda v: type(v).__name__)
def test_edit_then_undo_restores_exactly_and_redo_repeats(
    project: Project, edit: Edit, touched: set[str]
) -> None:
    before = project_to_dict(project)
    result = apply(project, edit)
    after = project_to_dict(project)
    assert after != before
    assert touched <= result.touched
    project_from_dict(after)  # the edited project is still a valid file

    apply(project, result.undo)
    assert project_to_dict(project) == before

    again = apply(project, edit)  # redo: the same edit object gives the same result (ids too)
    assert project_to_dict(project) == after
    apply(project, again.undo)
    assert project_to_dict(project) == before


REFUSED: list[tuple[Edit, str]] = [
    (MoveClip("c-a", -1.0), ">= 0"),
    (MoveClip("c-nope", 1.0), "No clip"),
    (MoveClip("c-a", 1.0, "t-nope"), "No track"),
    (MoveClip("c-a", 1.0, None, 7), "out of range"),
    (TrimClip("c-a", "start", 4.5), "past its end"),
    (TrimClip("c-a", "start", 0.4), "beginning of the source"),
    (TrimClip("c-a", "end", 1.0), "before its start"),
    (TrimClip("c-a", "end", 6.0), "turn on loop"),
    (TrimClip("c-a", "middle", 2.0), "side"),  # type: ignore[arg-type]
    (TrimClip("c-a", "end", "3"), "number"),  # type: ignore[arg-type]
    (TrimClip("c-loop", "start", -1.0), ">= 0"),
    (SplitClip("c-a", 1.0), "inside"),
    (SplitClip("c-a", 4.5), "inside"),
    (SplitClip("c-a", 9.0), "inside"),
    (SplitClip("c-a", 2.0, right_id="c-b"), "already used"),
    (AddClip("t-voice", Clip(id="c-b")), "already used"),
    (AddClip("t-voice", Clip(id="c-x", fade_in=-1.0)), "fade_in"),
    (AddClip("t-voice", Clip(id="c-x"), 9), "out of range"),
    (AddTrack(Track(id="m-1")), "already used"),
    (AddTrack(Track(id="t-x", clips=[Clip(id="c-1"), Clip(id="c-1")])), "already used"),
    (AddTrack(Track(id="t-x", pan=3.0)), "pan"),
    (AddMarker(Marker(id="c-a")), "already used"),
    (MoveTrack("t-voice", 3), "out of range"),
    (MoveMarker("m-1", -2.0), ">= 0"),
    (RemoveMarker("m-nope"), "No marker"),
    (SetFields("c-a", {"pan": 0.0}), "not a key"),
    (SetFields("c-a", {"id": "c-z"}), "cannot be set"),
    (SetFields("t-voice", {"clips": []}), "cannot be set"),
    (SetFields(Scope.PROJECT, {"tracks": []}), "cannot be set"),
    (SetFields(Scope.PROJECT, {"sample_rate_hz": 5}), "sample_rate_hz"),
    (SetFields("c-a", {"fade_out": 10.0}), "longer than the clip"),
    (SetFields("c-a", {"take": 3}), "take"),
    (SetFields("c-a", {"source": B}), "takes[0].source"),
    (SetFields("c-a", {"source": "../../etc/passwd"}), "inside the project folder"),
    (SetFields("t-voice", {"mute": 1}), "true or false"),
    (SetFields("nobody", {"name": "x"}), "No clip"),
    # locks: a locked clip, or any clip on a locked track, refuses every change but unlocking
    (MoveClip("c-locked", 3.0), "locked"),
    (TrimClip("c-locked", "end", 9.5), "locked"),
    (SplitClip("c-locked", 9.5), "locked"),
    (RemoveClip("c-locked"), "locked"),
    (SetFields("c-locked", {"gain_db": 1.0}), "locked"),
    (SetFields("c-locked", {"locked": False, "gain_db": 1.0}), "locked"),
    (MoveClip("c-on-locked", 3.0), "locked"),
    (SetFields("c-on-locked", {"locked": True}), "locked"),
    (RemoveClip("c-on-locked"), "locked"),
    (MoveClip("c-a", 3.0, "t-locked"), "locked"),
    (AddClip("t-locked", Clip(id="c-x")), "locked"),
    (DuplicateClip("c-a", None, "t-locked"), "locked"),
    (RemoveTrack("t-locked"), "locked"),
    (RemoveTrack("t-voice"), "locked"),  # holds a locked clip
]


@pytest.mark.parametrize(("edit", "words"), REFUSED, ids=lambda v: type(v).__name__)
def test_refused_edit_leaves_the_model_unchanged(project: Project, edit: Edit, words: str) -> None:
    before = project_to_dict(project)
    with pytest.raises(EditError, match=re.escape(words)):
        apply(project, edit)
    assert project_to_dict(project) == before


def test_compound_is_all_or_nothing(project: Project) -> None:
    before = project_to_dict(project)
    edit = Compound(
        [
            MoveClip("c-a", 10.0, "t-music"),
            SetFields("t-voice", {"gain_db": -2.0, "locked": True}),
            SetFields("c-b", {"gain_db": 1.0}),  # refused: t-voice was just locked
        ]
    )
    with pytest.raises(EditError, match="locked"):
        apply(project, edit)
    assert project_to_dict(project) == before


def test_compound_undo_is_one_step(project: Project) -> None:
    before = project_to_dict(project)
    moves = Compound(tuple(MoveClip(c, 20.0 + i, "t-music") for i, c in enumerate(["c-a", "c-b"])))
    result = apply(project, moves)
    assert [c.id for c in project.tracks[1].clips] == ["c-loop", "c-a", "c-b"]
    apply(project, result.undo)
    assert project_to_dict(project) == before


# --- what the named edits do ------------------------------------------------------------------
def _clip(project: Project, clip_id: str) -> Clip:
    found = project.find_clip(clip_id)
    assert found is not None
    return found[1]


def test_trim_start_keeps_the_audio_in_place(project: Project) -> None:
    clip = _clip(project, "c-a")
    end = clip.end
    apply(project, TrimClip("c-a", "start", 1.75))
    assert (clip.start, clip.offset) == (1.75, 1.25)  # both moved by 0.75
    assert clip.end == end
    apply(project, TrimClip("c-a", "start", 0.5))  # back to the first sample of the source
    assert (clip.start, clip.offset) == (0.5, 0.0)
    assert clip.end == end


def test_trim_end_changes_only_the_duration(project: Project) -> None:
    clip = _clip(project, "c-b")
    apply(project, TrimClip("c-b", "end", 7.25))
    assert (clip.start, clip.offset, clip.duration) == (6.0, 1.0, 1.25)


def test_trim_shrinks_the_fade_on_the_trimmed_side_first(project: Project) -> None:
    clip = _clip(project, "c-a")  # fades 0.2 in, 0.3 out
    apply(project, TrimClip("c-a", "end", 1.4))  # 0.4 s long
    assert clip.duration == pytest.approx(0.4)
    assert (clip.fade_in, clip.fade_out) == (pytest.approx(0.2), pytest.approx(0.2))
    apply(project, TrimClip("c-a", "start", 1.25))  # 0.15 s long
    assert clip.fade_in == pytest.approx(0.0) and clip.fade_out == pytest.approx(0.15)
    assert clip.fade_in + clip.fade_out <= clip.duration + 1e-9


def test_trimming_a_loop_before_its_offset_wraps_around_the_source(project: Project) -> None:
    clip = _clip(project, "c-loop")  # start 2, offset 0, source 7 s
    apply(project, TrimClip("c-loop", "start", 0.5))
    assert (clip.start, clip.offset, clip.end) == (0.5, 5.5, 32.0)


def test_split_halves_meet_exactly_on_the_sample_grid() -> None:
    rng = random.Random(1234)
    for _ in range(500):
        rate = rng.choice([8000, 44100, 48000, 96000])
        start = rng.uniform(0, 3000)
        duration = rng.uniform(0.01, 600)
        offset = rng.uniform(0, 10)
        project = Project(sample_rate_hz=rate)
        clip = Clip(id="c", start=start, duration=duration, offset=offset, source=A)
        project.tracks.append(Track(id="t", clips=[clip]))
        first, last = round(start * rate), round((start + duration) * rate)
        if last - first < 2:
            continue
        at = rng.uniform(start, start + duration)
        if not first < round(at * rate) < last:
            continue
        apply(project, SplitClip("c", at))
        left, right = project.tracks[0].clips
        assert round((left.start + left.duration) * rate) == round(right.start * rate)
        assert round(left.start * rate) == first
        assert round((right.start + right.duration) * rate) == last
        # the right half plays the source from where the left half stopped
        assert right.offset - left.offset == pytest.approx(right.start - left.start, abs=1e-9)


def test_split_gives_the_right_half_a_new_id_and_copies_the_clip(project: Project) -> None:
    clip = _clip(project, "c-a")  # 1.0 .. 4.5
    result = apply(project, SplitClip("c-a", 2.5))
    voice = project.tracks[0]
    left, right = voice.clips[0], voice.clips[1]
    assert left is clip and right.id != "c-a" and right.id in result.touched
    assert re.fullmatch(r"c-[0-9a-f]{12}", right.id)
    assert (left.start, left.duration, right.start, right.duration) == (1.0, 1.5, 2.5, 2.0)
    assert (left.offset, right.offset) == (0.5, 2.0)
    assert (left.fade_in, left.fade_out, right.fade_in, right.fade_out) == (0.2, 0.0, 0.0, 0.3)
    assert right.extra == {"x_clip": {"kept": True}}
    assert right.extra == left.extra and right.extra is not left.extra
    assert right.request == left.request and right.request is not left.request
    assert right.takes == left.takes and right.takes[0] is not left.takes[0]
    assert (right.take, right.source) == (0, A)


def test_duplicate_places_a_copy_after_the_original(project: Project) -> None:
    clip = _clip(project, "c-b")
    edit = DuplicateClip("c-b")
    apply(project, edit)
    copy = _clip(project, edit.copy_id)
    assert re.fullmatch(r"c-[0-9a-f]{12}", copy.id)
    assert copy.start == clip.end == 8.0
    assert (copy.duration, copy.offset, copy.source) == (2.0, 1.0, B)
    assert [c.id for c in project.tracks[0].clips].index(copy.id) == 2


def test_move_clip_to_another_track(project: Project) -> None:
    apply(project, MoveClip("c-a", 7.5, "t-music"))
    track, clip = project.find_clip("c-a") or (None, None)
    assert track is project.tracks[1] and clip is not None and clip.start == 7.5
    assert [c.id for c in project.tracks[1].clips] == ["c-loop", "c-a"]


def test_locked_clip_can_be_unlocked_then_edited(project: Project) -> None:
    apply(project, SetFields("c-locked", {"locked": False}))
    apply(project, MoveClip("c-locked", 3.0))
    assert _clip(project, "c-locked").start == 3.0


def test_a_locked_tracks_own_settings_stay_editable(project: Project) -> None:
    apply(project, SetFields("t-locked", {"mute": True, "gain_db": -6.0}))
    assert project.tracks[2].mute is True and project.tracks[2].gain_db == -6.0


def test_edits_do_not_share_objects_with_their_callers(project: Project) -> None:
    new = Clip(id="c-new", start=1.0, duration=1.0)
    edit = AddClip("t-music", new)
    apply(project, edit)
    new.start = 99.0
    assert _clip(project, "c-new").start == 1.0
    values: dict[str, Any] = {"gain_db": -1.0}
    set_gain = SetFields("c-b", values)
    values["gain_db"] = 5.0
    apply(project, set_gain)
    assert _clip(project, "c-b").gain_db == -1.0


def test_setfields_accepts_json_or_model_objects_alike(project: Project) -> None:
    apply(project, SetFields("c-b", {"request": {"kind": "sfx", "prompt": "door creak"}}))
    as_json = _clip(project, "c-b").request
    apply(project, SetFields("c-b", {"request": Request(kind="sfx", prompt="door creak")}))
    assert _clip(project, "c-b").request == as_json


def test_trimmed_edges_land_where_asked() -> None:
    """start + duration must give the new edge (to the last bit floats allow), so the edge's
    sample position round(x * rate) is the one asked for."""
    rng = random.Random(99)
    for _ in range(2000):
        start = rng.uniform(0, 5000)
        project = Project()
        project.tracks.append(Track(id="t", clips=[Clip(id="c", start=start, duration=1000.0)]))
        clip = project.tracks[0].clips[0]
        end = round(rng.uniform(start + 1e-3, start + 1000.0) * RATE) / RATE
        apply(project, TrimClip("c", "end", end))
        assert abs(clip.start + clip.duration - end) <= math.ulp(end)
        assert round((clip.start + clip.duration) * RATE) == round(end * RATE)
        new_start = rng.uniform(start, end - 1e-4)
        apply(project, TrimClip("c", "start", new_start))
        assert abs(clip.start + clip.duration - end) <= math.ulp(end)
        assert round((clip.start + clip.duration) * RATE) == round(end * RATE)
