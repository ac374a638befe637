"""What a move or trim made by hand means besides itself, added in the same undo step.

``ByHand(edit)`` applies ``edit`` (a drag, a nudge, the inspector's Start or Duration, a
marker drag), then looks at what it changed:

- a clip or marker the script placed (``model/reflow.py``) that now starts elsewhere with its
  length unchanged was *moved*: its anchor records ``"moved": <its new start>``, so a re-flow
  keeps it there, while lines anchored after it still follow it;
- a fitted voice line (``request.fit``) whose length changed was *trimmed*: the request's
  ``duration`` (the length the line is generated to) becomes the clip's, so the clip turns
  stale and Generate fits the line to its new slot.

It is resolved when applied, from the model as it is then, so it needs no knowledge of the
edit it wraps, and a redo computes the same follow-ups as the first run.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from audiostudio.model.edits import Compound, Edit, EditResult, SetFields
from audiostudio.model.project import Clip, Project
from audiostudio.model.reflow import MOVED, owned_anchor

_EPS = 1e-9


@dataclass(frozen=True)
class ByHand(Edit):
    edit: Edit

    def _apply(self, project: Project) -> EditResult:
        before = _places(project)
        result = self.edit._apply(project)
        follow = _follow_ups(project, before, result.touched)
        if not follow:
            return result
        try:
            more = Compound(tuple(follow))._apply(project)
        except Exception:
            result.undo._apply(project)  # all or nothing, as Compound
            raise
        return EditResult(result.touched | more.touched, Compound((more.undo, result.undo)))


def _places(project: Project) -> dict[str, tuple[float, float | None]]:
    """(start, length) of every clip and (time, 0) of every marker, by id."""
    places: dict[str, tuple[float, float | None]] = {
        clip.id: (clip.start, clip.length) for _, clip in project.iter_clips()}
    places |= {marker.id: (marker.time, 0.0) for marker in project.markers}
    return places


def _follow_ups(project: Project, before: dict[str, tuple[float, float | None]],
                touched: set) -> list[Edit]:
    edits: list[Edit] = []
    now = _places(project)
    items = {c.id: c for _, c in project.iter_clips()} | {m.id: m for m in project.markers}
    for item_id in sorted(i for i in touched if i in before and i in now):
        (old_start, old_length), (start, length) = before[item_id], now[item_id]
        item = items[item_id]
        resized = length is not None and old_length is not None and \
            abs(length - old_length) > _EPS
        anchor = owned_anchor(item)
        if anchor is not None and abs(start - old_start) > _EPS and not resized:
            edits.append(SetFields(item_id, {"script": {**anchor, MOVED: start}}))
        request = item.request if isinstance(item, Clip) else None
        if resized and request is not None and request.kind == "voice" and request.fit:
            edits.append(SetFields(item_id, {"request": replace(request, duration=length)}))
    return edits
