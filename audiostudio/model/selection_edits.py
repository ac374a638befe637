"""What the editor's commands (split, delete, duplicate, copy, paste, nudge, mute) do to a
selection of clips, as model edits: no Qt, so each rule is tested without a window.

Each builder returns a ``SelectionEdit`` (one undo step, and the selection to show after it
applies) or a ``Hint`` (why nothing happened, for the status bar). The caller applies the edit;
only if it is accepted does it show ``select``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

from audiostudio.model.edits import (
    AddClip,
    Compound,
    DuplicateClip,
    Edit,
    MoveClip,
    RemoveClip,
    SetFields,
    SplitClip,
)
from audiostudio.model.hand_edits import ByHand
from audiostudio.model.project import Clip, Project, Track, new_id


@dataclass(frozen=True)
class SelectionEdit:
    edit: Edit
    text: str  # the undo step's name
    select: frozenset[str] | None = None  # the selection once applied (None: unchanged)
    merge_key: str | None = None  # repeated steps with this key fold into one undo step


@dataclass(frozen=True)
class Hint:
    message: str


@dataclass
class Clipboard:
    """Copied clips with their track rows, kept as model objects (with unknown ``extra`` keys).

    One per application, handed to every timeline, so a paste into another open project works.
    """

    entries: list[tuple[int, Clip]] = field(default_factory=list)


Chosen = list[tuple[int, Track, Clip]]


def compound(edits: list[Edit]) -> Edit:
    return edits[0] if len(edits) == 1 else Compound(tuple(edits))


def plural(count: int, noun: str) -> str:
    return noun if count == 1 else f"{count} {noun}s"


def selected_clips(project: Project, selection: set[str]) -> Chosen:
    """(row, track, clip) of the selection, in track then list order."""
    return [(row, track, clip) for row, track in enumerate(project.tracks)
            for clip in track.clips if clip.id in selection]


def _need(project: Project, selection: set[str], action: str) -> Chosen | Hint:
    return selected_clips(project, selection) or Hint(f"Select a clip to {action}")


def split(project: Project, selection: set[str], at: float) -> SelectionEdit | Hint:
    """Split every selected clip that ``at`` crosses (both halves stay selected)."""
    chosen = _need(project, selection, "split")
    if isinstance(chosen, Hint):
        return chosen
    edits = [SplitClip(clip.id, at) for _, _, clip in chosen if clip.start < at < clip.end]
    if not edits:
        return Hint("Put the playhead inside a selected clip to split it")
    return SelectionEdit(compound(list(edits)), f"Split {plural(len(edits), 'clip')}",
                         frozenset(selection | {edit.right_id for edit in edits}))


def delete(project: Project, selection: set[str]) -> SelectionEdit | Hint:
    chosen = _need(project, selection, "delete")
    if isinstance(chosen, Hint):
        return chosen
    edits: list[Edit] = [RemoveClip(clip.id) for _, _, clip in chosen]
    return SelectionEdit(compound(edits), f"Delete {plural(len(edits), 'clip')}")


def duplicate(project: Project, selection: set[str]) -> SelectionEdit | Hint:
    """Copies of the selection right after it, as a block (relative timing kept)."""
    chosen = _need(project, selection, "duplicate")
    if isinstance(chosen, Hint):
        return chosen
    span = max(c.end for _, _, c in chosen) - min(c.start for _, _, c in chosen)
    edits = [DuplicateClip(clip.id, clip.start + span) for _, _, clip in chosen]
    return SelectionEdit(compound(list(edits)), f"Duplicate {plural(len(edits), 'clip')}",
                         frozenset(edit.copy_id for edit in edits))


def copy_to(clipboard: Clipboard, project: Project, selection: set[str]) -> Hint:
    """Copy the selection (deep copies: later edits do not change what is pasted)."""
    chosen = _need(project, selection, "copy")
    if isinstance(chosen, Hint):
        return chosen
    clipboard.entries = [(row, copy.deepcopy(clip)) for row, _, clip in chosen]
    return Hint(f"Copied {plural(len(chosen), 'clip')}")


def paste(clipboard: Clipboard, project: Project, selection: set[str], at: float
          ) -> SelectionEdit | None:
    """Paste at ``at``, on the first selected clip's track (else the copied rows); clips keep
    their relative timing and rows and get new ids. None when there is nothing to paste."""
    entries, tracks = clipboard.entries, project.tracks
    if not entries or not tracks:
        return None
    chosen = selected_clips(project, selection)
    first_row = min(row for row, _ in entries)
    base_row = chosen[0][0] if chosen else first_row
    earliest = min(clip.start for _, clip in entries)
    edits: list[AddClip] = []
    for row, clip in entries:
        target = min(max(base_row + row - first_row, 0), len(tracks) - 1)
        pasted = replace(copy.deepcopy(clip), id=new_id("c"), start=at + clip.start - earliest)
        edits.append(AddClip(tracks[target].id, pasted))
    return SelectionEdit(compound(list(edits)), f"Paste {plural(len(edits), 'clip')}",
                         frozenset(edit.clip.id for edit in edits))


def nudge(project: Project, selection: set[str], step: float) -> SelectionEdit | Hint | None:
    """Move the selection by ``step`` seconds (never before 0); a held key is one undo step.
    None when it is already at 0 and the step is backwards."""
    chosen = _need(project, selection, "nudge")
    if isinstance(chosen, Hint):
        return chosen
    delta = max(step, -min(c.start for _, _, c in chosen))
    if not delta:
        return None
    edits: list[Edit] = [MoveClip(clip.id, clip.start + delta) for _, _, clip in chosen]
    key = "nudge:" + ",".join(sorted(clip.id for _, _, clip in chosen))
    return SelectionEdit(ByHand(compound(edits)), f"Nudge {plural(len(edits), 'clip')}",
                         merge_key=key)


def toggle_track_mute(project: Project, selection: set[str]) -> SelectionEdit | Hint:
    """Mute (or unmute, if the first is muted) the tracks of the selected clips."""
    chosen = _need(project, selection, "mute its track")
    if isinstance(chosen, Hint):
        return chosen
    tracks = list({track.id: track for _, track, _ in chosen}.values())
    mute = not tracks[0].mute
    edits: list[Edit] = [SetFields(t.id, {"mute": mute}) for t in tracks]
    return SelectionEdit(compound(edits), f"{'Mute' if mute else 'Unmute'} track")
