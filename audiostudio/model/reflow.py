"""Re-flow: put the clips a script placed back where the script says, given their real lengths.

A script import writes an anchor into the ``script`` key of each clip and marker it makes:
``{"id": <its own id>, "after": <clip id or null>, "offset": s}`` starts it ``offset`` seconds
after that clip ends (null: after timeline zero); ``{"id": ..., "at": s}`` pins it. A looped bed
also has ``"until": <clip id or null>``: it ends where that clip ends (null: at the end of the
scene). Voice lines are estimated from their text at import, so once they are generated the
clips that follow overlap or leave holes; re-flow moves them (one undoable edit), while pinned
(``@``) cues, locked clips and clips the script did not place stay put.

Hand placement wins: a clip or marker the user moved (``hand_edits.ByHand``) has
``"moved": s`` in its anchor, its start from then on; what is anchored after it still follows
it. Its ``after``/``offset``/``at`` stay, so dropping ``moved`` (``reflow_edit`` with
``forget_moves``) hands it back to the script.

Design note: the anchor carries its owner's id because duplicating or splitting a clip copies
its keys; a copy (another id) is then simply not anchored, instead of landing on top of
the original. The import computes its first layout with the same solver, so the timeline right
after an import and after a re-flow follow one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from audiostudio.model.edits import Compound, Edit, MoveClip, MoveMarker, SetFields
from audiostudio.model.project import Clip, Marker, Project

MUSIC_FADE_OUT_S = 2.0  # a bed's fade-out, inside the clip; shortened for short beds
MUSIC_FADE_IN_S = 0.5
MOVED = "moved"  # the anchor's key for where the user put it by hand
_UNSET = object()
_EPS = 1e-6


def anchor(item_id: str, *, after: str | None = None, offset: float = 0.0,
           at: float | None = None, until: Any = _UNSET, line: int | None = None
           ) -> dict[str, Any]:
    """The ``script`` value for a clip or marker (see the module note)."""
    data: dict[str, Any] = {"id": item_id}
    if at is not None:
        data["at"] = float(at)
    else:
        data |= {"after": after, "offset": float(offset)}
    if until is not _UNSET:
        data["until"] = until
    if line is not None:
        data["line"] = line
    return data


@dataclass
class Placed:
    """What the solver needs of one anchored clip or marker."""

    anchor: Mapping[str, Any]
    start: float
    length: float  # seconds (0 for a marker)
    pinned: bool = False  # locked: stays where it is


def solve(items: Mapping[str, Placed]) -> dict[str, tuple[float, float]]:
    """(start, length) of every item: anchors resolved in dependency order; an item whose
    anchor names a missing item, or runs in a circle, stays where it is."""
    done: dict[str, tuple[float, float]] = {}
    busy: set[str] = set()

    def place(item_id: str) -> tuple[float, float]:
        if item_id in done:
            return done[item_id]
        item = items[item_id]
        start = item.start
        if item_id not in busy and not item.pinned:
            busy.add(item_id)
            found = _start_of(item.anchor, items, place)
            start = item.start if found is None else found
            busy.discard(item_id)
        done[item_id] = (start, item.length)
        return done[item_id]

    for item_id in items:
        place(item_id)
    scene_end = max((s + n for i, (s, n) in done.items() if "until" not in items[i].anchor),
                    default=0.0)
    for item_id, item in items.items():
        if "until" in item.anchor and not item.pinned:
            until = item.anchor["until"]
            start = done[item_id][0]
            end = scene_end if until is None else (sum(done[until]) if until in done else None)
            if end is not None and end - start > _EPS:
                done[item_id] = (start, end - start)
    return done


def _start_of(data: Mapping[str, Any], items: Mapping[str, Placed],
              place: Callable[[str], tuple[float, float]]) -> float | None:
    for key in (MOVED, "at"):
        if isinstance(data.get(key), int | float):
            return float(data[key])
    offset = data.get("offset", 0.0)
    if not isinstance(offset, int | float):
        return None
    after = data.get("after")
    if after is None:
        return max(0.0, float(offset))
    if after not in items:
        return None
    start, length = place(after)
    return max(0.0, start + length + float(offset))


def owned_anchor(item: Clip | Marker) -> Mapping[str, Any] | None:
    data = item.script
    if data is not None and data.get("id") == item.id:
        return data
    return None


def clip_length(clip: Clip) -> float:
    """Seconds the solver counts for a clip: its length, else its requested duration."""
    if clip.length is not None:
        return clip.length
    if clip.request is not None and clip.request.duration:
        return clip.request.duration
    return 0.0


def anchored_items(project: Project, forget_moves: bool = False) -> dict[str, Placed]:
    """The solver's items; with ``forget_moves``, as if nothing had been moved by hand."""
    items: dict[str, Placed] = {}
    for track, clip in project.iter_clips():
        data = owned_anchor(clip)
        if data is not None:
            pinned = clip.locked or track.locked
            items[clip.id] = Placed(_forget(data) if forget_moves and not pinned else data,
                                    clip.start, clip_length(clip), pinned=pinned)
    for marker in project.markers:
        data = owned_anchor(marker)
        if data is not None:
            items[marker.id] = Placed(_forget(data) if forget_moves else data, marker.time, 0.0)
    return items


def _forget(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != MOVED}


def bed_fades(length: float) -> dict[str, float]:
    """A bed's fades for a clip of ``length`` s: the fade-out ends where the clip ends."""
    return {"fade_in": min(MUSIC_FADE_IN_S, length / 3),
            "fade_out": min(MUSIC_FADE_OUT_S, length / 3)}


def reflow_edit(project: Project, forget_moves: bool = False) -> Edit | None:
    """One edit moving every anchored clip and marker to where its anchor puts it (and
    stretching beds to their end cue); None when everything already is there. With
    ``forget_moves``, what was moved by hand goes back to the script's place too (its
    ``moved`` is dropped), except locked clips."""
    items = anchored_items(project, forget_moves)
    solved = solve(items)
    stored = {clip.id: clip.script for _, clip in project.iter_clips()}
    stored |= {marker.id: marker.script for marker in project.markers}
    edits: list[Edit] = [SetFields(item_id, {"script": dict(item.anchor)})
                         for item_id, item in items.items() if item.anchor != stored[item_id]]
    for _, clip in project.iter_clips():
        if clip.id not in solved:
            continue
        start, length = solved[clip.id]
        if abs(start - clip.start) > _EPS:
            edits.append(MoveClip(clip.id, start))
        if "until" in items[clip.id].anchor and abs(length - clip_length(clip)) > _EPS:
            fits = clip.fade_in + clip.fade_out <= length + _EPS
            edits.append(SetFields(clip.id, {"duration": length}
                                   | ({} if fits else bed_fades(length))))
    for marker in project.markers:
        if marker.id in solved and abs(solved[marker.id][0] - marker.time) > _EPS:
            edits.append(MoveMarker(marker.id, solved[marker.id][0]))
    return Compound(tuple(edits)) if edits else None


def overlapping_lines(project: Project) -> list[tuple[Clip, Clip]]:
    """Voice lines (on any track) that start before an earlier one has ended: what is left
    after a re-flow when pinned, locked or hand-placed lines run into each other."""
    return overlaps((c for _, c in project.iter_clips()
                     if c.request is not None and c.request.kind == "voice"), _EPS)


def overlaps(clips: Iterable[Clip], tolerance: float) -> list[tuple[Clip, Clip]]:
    """(earlier, later) for each clip that starts more than ``tolerance`` before one that
    started earlier has ended (the one of those ending last)."""
    found: list[tuple[Clip, Clip]] = []
    longest: Clip | None = None
    for clip in sorted((c for c in clips if c.length), key=lambda c: c.start):
        if longest is not None and longest.end - clip.start > tolerance:
            found.append((longest, clip))
        if longest is None or clip.end > longest.end:
            longest = clip
    return found
