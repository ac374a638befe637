"""Put audio files on the timeline: copy them into assets/, then place clips as one edit.

Two steps, so the window can keep the slow one off the GUI thread: ``stage_import`` copies and
decodes (I/O, on a worker), ``placement_edit`` builds the edit from the live project (pure, on
the GUI thread, so several files dropped at once land on one track, one after another, as one
undo step). The CLI simply runs both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from audiostudio.audio.decode import decode
from audiostudio.errors import DecodeError
from audiostudio.model import Clip, Project, Track, new_id
from audiostudio.model.assets import import_asset, resolve_path
from audiostudio.model.edits import AddClip, AddTrack, Compound, Edit


@dataclass(frozen=True)
class StagedAudio:
    source: str  # "assets/<sha256>.<ext>"
    duration: float
    name: str


def stage_import(folder: Path, file: Path, rate: int, cache: Path) -> StagedAudio:
    """Copy ``file`` into the project's assets and decode it into ``cache`` (warming the
    render's cache).
    A file that cannot be decoded is refused, named as the user knows it, and leaves no
    asset behind."""
    assets = folder / "assets"
    before = {p.name for p in assets.iterdir()} if assets.is_dir() else set()
    source = import_asset(folder, file)
    asset = resolve_path(folder, source)
    try:
        decoded = decode(asset, rate, cache)
    except DecodeError as exc:
        if asset.name not in before:
            asset.unlink(missing_ok=True)
        raise DecodeError(str(exc).replace(asset.name, file.name)) from exc
    return StagedAudio(source, decoded.duration, file.stem)


def placement_edit(
    project: Project,
    staged: list[StagedAudio],
    track_name: str = "Audio",
    at: float | None = None,
    track_id: str | None = None,
) -> tuple[Compound, list[str]]:
    """(edit, clip ids) placing ``staged`` one after another on ``track_id``, else on the first
    track called ``track_name`` (created, kind "audio", if none). ``at`` defaults to the end
    of that track's last clip."""
    track = (project.find_track(track_id) if track_id else None) or next(
        (t for t in project.tracks if t.name == track_name), None
    )
    edits: list[Edit] = []
    if track is None:
        track = Track(id=new_id("t"), name=track_name, kind="audio")
        edits.append(AddTrack(track))
    start = at if at is not None else max((c.end for c in track.clips), default=0.0)
    ids = []
    for item in staged:
        clip = Clip(id=new_id("c"), name=item.name, start=start, duration=item.duration,
                    source=item.source, source_duration=item.duration)
        edits.append(AddClip(track.id, clip))
        ids.append(clip.id)
        start += item.duration
    return Compound(tuple(edits)), ids
