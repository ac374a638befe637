"""Pure edit operations on a Project; the UI wraps each one in a QUndoCommand.

Design note: an edit is a small frozen dataclass (data, not a closure), so it can be stored in
an undo stack, logged, compared and merged by id. ``apply(project, edit)`` validates everything
first and raises ``EditError`` with the model untouched, then changes the model completely and
returns the ids it touched plus an ``undo`` edit that restores the exact previous state.
Edits that create ids draw them when the edit is *constructed*, so redoing the same edit object
recreates the same ids and later edits in the undo stack still find their targets.

Values are validated by the loader's validators (``schema.validate_fields``), so the editor can
never produce a project the loader would refuse.
"""

from __future__ import annotations

import copy
import enum
import math
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal

from audiostudio.errors import EditError, ProjectFormatError
from audiostudio.model.project import Clip, Marker, Project, Track, new_id
from audiostudio.model.schema import checked_copy, iter_ids, to_json, validate_fields


class Scope(enum.Enum):
    """SetFields targets that have no id (an enum, so they can never clash with a real id)."""

    PROJECT = "project"
    MIX = "mix"
    DUCK = "mix.duck"


# Keys SetFields may change per target; structure (ids, clip lists) changes via named edits.
_PROJECT_KEYS = frozenset({"name", "sample_rate_hz", "frame_rate", "start_timecode", "length",
                           "cast"})
_FIXED_KEYS = frozenset({"id", "clips", "extra"})
_EPS = 1e-9


@dataclass
class EditResult:
    touched: set[str]  # ids of tracks/clips/markers changed (Scope values for project-level)
    undo: Edit


@dataclass(frozen=True)
class Edit:
    def _apply(self, project: Project) -> EditResult:
        raise NotImplementedError


def apply(project: Project, edit: Edit) -> EditResult:
    """Apply ``edit`` to ``project`` whole or not at all (EditError, model unchanged)."""
    return edit._apply(project)


# --- helpers ----------------------------------------------------------------------------------
@contextmanager
def _as_edit_error() -> Iterator[None]:
    try:
        yield
    except ProjectFormatError as error:
        raise EditError(str(error)) from error


def _find_track(project: Project, track_id: str) -> tuple[int, Track]:
    for index, track in enumerate(project.tracks):
        if track.id == track_id:
            return index, track
    raise EditError(f"No track with id {track_id!r}")


def _find_clip(project: Project, clip_id: str) -> tuple[Track, int, Clip]:
    for track in project.tracks:
        for index, clip in enumerate(track.clips):
            if clip.id == clip_id:
                return track, index, clip
    raise EditError(f"No clip with id {clip_id!r}")


def _find_marker(project: Project, marker_id: str) -> tuple[int, Marker]:
    for index, marker in enumerate(project.markers):
        if marker.id == marker_id:
            return index, marker
    raise EditError(f"No marker with id {marker_id!r}")


def _require_unlocked_track(track: Track) -> None:
    if track.locked:
        raise EditError(f"Track {track.name or track.id!r} is locked; unlock it to edit its clips")


def _require_unlocked_clip(clip: Clip) -> None:
    if clip.locked:
        raise EditError(f"Clip {clip.name or clip.id!r} is locked; unlock it to edit it")


def _editable_clip(project: Project, clip_id: str) -> tuple[Track, int, Clip]:
    track, index, clip = _find_clip(project, clip_id)
    _require_unlocked_track(track)
    _require_unlocked_clip(clip)
    return track, index, clip


def _require_new_ids(project: Project, ids: Iterable[str]) -> None:
    taken = {item_id for item_id, _ in iter_ids(project)}
    for item_id in ids:
        if item_id in taken:
            raise EditError(f"The id {item_id!r} is already used in this project")
        taken.add(item_id)


def _insert_index(index: int | None, size: int) -> int:
    if index is None:
        return size
    if not 0 <= index <= size:
        raise EditError(f"Position {index} is out of range (0..{size})")
    return index


def _set(obj: Any, values: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Validate and set ``values`` on ``obj``; returns the old values as JSON (for undo)."""
    with _as_edit_error():
        parsed = validate_fields(obj, values, path)
    old = {key: to_json(getattr(obj, key)) for key in parsed}
    for key, value in parsed.items():
        setattr(obj, key, value)
    return old


def _copy_checked(obj: Any, path: str) -> Any:
    with _as_edit_error():
        return checked_copy(obj, path)


def _known_length(clip: Clip) -> float:
    length = clip.length
    if length is None:
        raise EditError(f"Clip {clip.name or clip.id!r} has no audio yet, so it has no length")
    return length


def _duration_between(start: float, end: float) -> float:
    """``end - start``, nudged by an ulp where that makes ``start + duration == end`` exact
    (else it is one ulp off): the end sample round((start + duration) * rate) must be the one
    where the neighbour begins."""
    duration = end - start
    while start + duration > end:
        duration = math.nextafter(duration, -math.inf)
    while start + duration < end:
        duration = math.nextafter(duration, math.inf)
    return duration


def _wrapped_offset(clip: Clip, offset: float) -> float:
    """A looped clip's offset taken modulo the source (the audio repeats, so nothing moves)."""
    if clip.loop and clip.source_duration:
        return offset % clip.source_duration
    return offset


def _fit_fades(clip: Clip, length: float, shrink_first: Literal["in", "out"]) -> dict[str, float]:
    """Fades shortened to fit ``length``, the one on the trimmed side first."""
    fade_in, fade_out = clip.fade_in, clip.fade_out
    excess = fade_in + fade_out - length
    if excess <= 0:
        return {}
    if shrink_first == "in":
        cut = min(fade_in, excess)
        fade_in, fade_out = fade_in - cut, max(0.0, fade_out - (excess - cut))
    else:
        cut = min(fade_out, excess)
        fade_in, fade_out = max(0.0, fade_in - (excess - cut)), fade_out - cut
    return {"fade_in": fade_in, "fade_out": fade_out}


# --- tracks -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddTrack(Edit):
    track: Track
    index: int | None = None  # None = at the bottom

    def _apply(self, project: Project) -> EditResult:
        index = _insert_index(self.index, len(project.tracks))
        track = _copy_checked(self.track, f"track {self.track.id}")
        ids = [track.id, *(clip.id for clip in track.clips)]
        _require_new_ids(project, ids)
        project.tracks.insert(index, track)
        return EditResult(set(ids), RemoveTrack(track.id, force=True))


@dataclass(frozen=True)
class RemoveTrack(Edit):
    track_id: str
    force: bool = False  # skip lock checks: only for undoing an AddTrack

    def _apply(self, project: Project) -> EditResult:
        index, track = _find_track(project, self.track_id)
        if not self.force:
            _require_unlocked_track(track)
            for clip in track.clips:
                _require_unlocked_clip(clip)
        del project.tracks[index]
        ids = {track.id, *(clip.id for clip in track.clips)}
        return EditResult(ids, AddTrack(copy.deepcopy(track), index))


@dataclass(frozen=True)
class MoveTrack(Edit):
    """Reorder: the track ends up at ``index`` (0 = top)."""

    track_id: str
    index: int

    def _apply(self, project: Project) -> EditResult:
        old, _ = _find_track(project, self.track_id)
        if not 0 <= self.index < len(project.tracks):
            raise EditError(f"Position {self.index} is out of range (0..{len(project.tracks) - 1})")
        project.tracks.insert(self.index, project.tracks.pop(old))
        return EditResult({self.track_id}, MoveTrack(self.track_id, old))


# --- clips ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddClip(Edit):
    track_id: str
    clip: Clip
    index: int | None = None  # position in the track's clip list; None = last

    def _apply(self, project: Project) -> EditResult:
        _, track = _find_track(project, self.track_id)
        _require_unlocked_track(track)
        index = _insert_index(self.index, len(track.clips))
        clip = _copy_checked(self.clip, f"clip {self.clip.id}")
        _require_new_ids(project, [clip.id])
        track.clips.insert(index, clip)
        return EditResult({clip.id, track.id}, RemoveClip(clip.id, force=True))


@dataclass(frozen=True)
class RemoveClip(Edit):
    clip_id: str
    force: bool = False  # skip lock checks: only for undoing an AddClip / DuplicateClip

    def _apply(self, project: Project) -> EditResult:
        if self.force:
            track, index, clip = _find_clip(project, self.clip_id)
        else:
            track, index, clip = _editable_clip(project, self.clip_id)
        del track.clips[index]
        return EditResult({clip.id, track.id}, AddClip(track.id, copy.deepcopy(clip), index))


@dataclass(frozen=True)
class MoveClip(Edit):
    """Move a clip in time and optionally to another track (any clip may sit on any track)."""

    clip_id: str
    new_start: float
    new_track_id: str | None = None  # None = stay on the same track
    index: int | None = None  # position in the destination's clip list; None = keep / last

    def _apply(self, project: Project) -> EditResult:
        source, old_index, clip = _editable_clip(project, self.clip_id)
        target = source
        if self.new_track_id is not None and self.new_track_id != source.id:
            _, target = _find_track(project, self.new_track_id)
            _require_unlocked_track(target)
        if target is source:
            index = old_index if self.index is None else self.index
            if not 0 <= index < len(source.clips):
                raise EditError(f"Position {index} is out of range (0..{len(source.clips) - 1})")
        else:
            index = _insert_index(self.index, len(target.clips))
        old = _set(clip, {"start": self.new_start}, clip.id)
        source.clips.pop(old_index)
        target.clips.insert(index, clip)
        undo = MoveClip(clip.id, old["start"], source.id, old_index)
        return EditResult({clip.id, source.id, target.id}, undo)


@dataclass(frozen=True)
class TrimClip(Edit):
    """Move one edge of a clip to ``time``. Trimming the start moves start and offset together,
    so the audio stays where it is on the timeline."""

    clip_id: str
    side: Literal["start", "end"]
    time: float

    def _apply(self, project: Project) -> EditResult:
        _, _, clip = _editable_clip(project, self.clip_id)
        if isinstance(self.time, bool) or not isinstance(self.time, int | float):
            raise EditError(f"The trim time must be a number, got {self.time!r}")
        end = clip.start + _known_length(clip)
        if self.side == "start":
            if self.time >= end:
                raise EditError("Cannot trim the start of a clip past its end")
            offset = _wrapped_offset(clip, clip.offset + (self.time - clip.start))
            if -_EPS < offset < 0:  # float noise when trimming back to the source's beginning
                offset = 0.0
            if offset < 0:
                raise EditError("Cannot trim before the beginning of the source audio")
            duration = _duration_between(self.time, end)
            values = {"start": self.time, "offset": offset, "duration": duration}
            values |= _fit_fades(clip, duration, "in")
        elif self.side == "end":
            if self.time <= clip.start:
                raise EditError("Cannot trim the end of a clip before its start")
            if not clip.loop and clip.source_duration is not None:
                source_end = clip.start + clip.source_duration - clip.offset
                if self.time > max(source_end, end):
                    raise EditError(
                        "Cannot extend a clip past the end of its audio; turn on loop to repeat it"
                    )
            duration = _duration_between(clip.start, self.time)
            values = {"duration": duration} | _fit_fades(clip, duration, "out")
        else:
            raise EditError(f"side must be 'start' or 'end', got {self.side!r}")
        old = _set(clip, values, clip.id)
        return EditResult({clip.id}, SetFields(clip.id, old))


@dataclass(frozen=True)
class SplitClip(Edit):
    """Cut a clip in two at ``at`` (snapped to the project's sample grid). The left half keeps
    the id and the fade-in, the right half gets ``right_id`` and the fade-out; both keep the
    request, takes and unknown keys."""

    clip_id: str
    at: float
    right_id: str = field(default_factory=lambda: new_id("c"))

    def _apply(self, project: Project) -> EditResult:
        track, index, clip = _editable_clip(project, self.clip_id)
        if isinstance(self.at, bool) or not isinstance(self.at, int | float):
            raise EditError(f"The split time must be a number, got {self.at!r}")
        rate = project.sample_rate_hz
        end = clip.start + _known_length(clip)
        cut = round(self.at * rate)
        if not round(clip.start * rate) < cut < round(end * rate):
            raise EditError("The split point must be inside the clip")
        _require_new_ids(project, [self.right_id])
        at = cut / rate
        left_length = _duration_between(clip.start, at)
        right_length = _duration_between(at, end)
        right = _copy_checked(
            replace(
                clip,
                id=self.right_id,
                start=at,
                offset=_wrapped_offset(clip, clip.offset + (at - clip.start)),
                duration=right_length,
                fade_in=0.0,
                fade_out=min(clip.fade_out, right_length),
            ),
            f"clip {self.right_id}",
        )
        left = {"duration": left_length, "fade_in": min(clip.fade_in, left_length), "fade_out": 0.0}
        old = _set(clip, left, clip.id)
        track.clips.insert(index + 1, right)
        undo = Compound((RemoveClip(right.id, force=True), SetFields(clip.id, old)))
        return EditResult({clip.id, right.id, track.id}, undo)


@dataclass(frozen=True)
class DuplicateClip(Edit):
    """Copy a clip (with its request, takes and unknown keys) under ``copy_id``."""

    clip_id: str
    new_start: float | None = None  # None = right after the original
    new_track_id: str | None = None  # None = the original's track
    copy_id: str = field(default_factory=lambda: new_id("c"))

    def _apply(self, project: Project) -> EditResult:
        source, index, clip = _find_clip(project, self.clip_id)
        target = source if self.new_track_id is None else _find_track(project, self.new_track_id)[1]
        _require_unlocked_track(target)
        start = clip.end if self.new_start is None else self.new_start
        duplicate = _copy_checked(
            replace(clip, id=self.copy_id, start=start), f"clip {self.copy_id}"
        )
        _require_new_ids(project, [duplicate.id])
        target.clips.insert(index + 1 if target is source else len(target.clips), duplicate)
        return EditResult({duplicate.id, target.id}, RemoveClip(duplicate.id, force=True))


# --- markers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AddMarker(Edit):
    marker: Marker
    index: int | None = None  # None = last

    def _apply(self, project: Project) -> EditResult:
        index = _insert_index(self.index, len(project.markers))
        marker = _copy_checked(self.marker, f"marker {self.marker.id}")
        _require_new_ids(project, [marker.id])
        project.markers.insert(index, marker)
        return EditResult({marker.id}, RemoveMarker(marker.id))


@dataclass(frozen=True)
class RemoveMarker(Edit):
    marker_id: str

    def _apply(self, project: Project) -> EditResult:
        index, marker = _find_marker(project, self.marker_id)
        del project.markers[index]
        return EditResult({marker.id}, AddMarker(copy.deepcopy(marker), index))


@dataclass(frozen=True)
class MoveMarker(Edit):
    marker_id: str
    time: float

    def _apply(self, project: Project) -> EditResult:
        _, marker = _find_marker(project, self.marker_id)
        old = _set(marker, {"time": self.time}, marker.id)
        return EditResult({marker.id}, MoveMarker(marker.id, old["time"]))


# --- generic ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetFields(Edit):
    """Set keys of a track, clip or marker (by id) or of the project, mix or ducking (Scope).
    Values are JSON data or model objects; they are validated like a loaded file. A locked
    clip accepts only ``{"locked": False}``; a locked track's own keys stay editable."""

    target_id: str | Scope
    fields: Mapping[str, Any]

    def __post_init__(self) -> None:
        # Keep a private JSON copy: later changes to the caller's dict cannot alter the edit.
        object.__setattr__(self, "fields", to_json(dict(self.fields)))

    def _apply(self, project: Project) -> EditResult:
        obj, allowed = self._resolve(project)
        # Keys the object has but edits must not set here; unknown keys are reported by the
        # schema's validation ("is not a key of a clip").
        known = {f.name for f in fields(obj)}
        refused = sorted(k for k in self.fields if k in known and k not in allowed)
        if refused:
            raise EditError(
                f"{', '.join(refused)} cannot be set on {self._label()} with SetFields "
                "(ids and lists of tracks, clips and markers change through their own edits)"
            )
        old = _set(obj, self.fields, self._label())
        return EditResult({self._label()}, SetFields(self.target_id, old))

    def _label(self) -> str:
        return self.target_id.value if isinstance(self.target_id, Scope) else self.target_id

    def _resolve(self, project: Project) -> tuple[Any, frozenset[str] | set[str]]:
        if self.target_id is Scope.PROJECT:
            return project, _PROJECT_KEYS
        if self.target_id is Scope.MIX:
            return project.mix, _keys(project.mix)
        if self.target_id is Scope.DUCK:
            return project.mix.duck, _keys(project.mix.duck)
        for track in project.tracks:
            if track.id == self.target_id:
                return track, _keys(track)
        for marker in project.markers:
            if marker.id == self.target_id:
                return marker, _keys(marker)
        track, _, clip = _find_clip(project, self.target_id)
        _require_unlocked_track(track)
        if clip.locked and set(self.fields) != {"locked"}:
            _require_unlocked_clip(clip)
        return clip, _keys(clip)


def _keys(obj: Any) -> set[str]:
    return {f.name for f in fields(obj)} - _FIXED_KEYS


@dataclass(frozen=True)
class Compound(Edit):
    """Several edits as one undo step, all or nothing: if one fails, those before it are
    undone (in reverse) and the error is raised."""

    edits: tuple[Edit, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "edits", tuple(self.edits))

    def _apply(self, project: Project) -> EditResult:
        done: list[EditResult] = []
        try:
            for edit in self.edits:
                done.append(edit._apply(project))
        except Exception:
            # Each undo runs in exactly the state its edit produced, so it cannot be refused.
            for result in reversed(done):
                result.undo._apply(project)
            raise
        touched = set().union(*(result.touched for result in done))
        return EditResult(touched, Compound(tuple(r.undo for r in reversed(done))))
