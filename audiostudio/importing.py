"""Put an audio file on the timeline: copy it into assets/, then place a clip as one edit.

``prepare_import`` does the slow part (copy, decode — on a worker thread in the window) and
returns the edit without touching the model; the caller applies it (the CLI directly, the
window through its undo stack).
"""

from __future__ import annotations

from pathlib import Path

from audiostudio.audio.decode import decode
from audiostudio.errors import DecodeError
from audiostudio.model import Clip, Project, Track, new_id
from audiostudio.model.edits import AddClip, AddTrack, Compound, Edit
from audiostudio.model.store import import_asset, resolve_path


def prepare_import(
    project: Project,
    folder: Path,
    file: Path,
    track_name: str = "Audio",
    at: float | None = None,
    track_id: str | None = None,
) -> tuple[Compound, str]:
    """(edit, clip id) placing ``file`` on ``track_id``, else the first track called
    ``track_name`` (created, kind "audio", if none). ``at`` defaults to the end of that track's
    last clip. A file that cannot be decoded is refused and leaves no asset behind."""
    assets = folder / "assets"
    before = {p.name for p in assets.iterdir()} if assets.is_dir() else set()
    source = import_asset(folder, file)
    asset = resolve_path(folder, source)
    try:
        decoded = decode(asset, project.sample_rate_hz)  # also warms the render's cache
    except DecodeError:
        if asset.name not in before:
            asset.unlink(missing_ok=True)
        raise
    track = (project.find_track(track_id) if track_id else None) or next(
        (t for t in project.tracks if t.name == track_name), None
    )
    edits: list[Edit] = []
    if track is None:
        track = Track(id=new_id("t"), name=track_name, kind="audio")
        edits.append(AddTrack(track))
    start = at if at is not None else max((c.end for c in track.clips), default=0.0)
    clip = Clip(
        id=new_id("c"),
        name=file.stem,
        start=start,
        duration=decoded.duration,
        source=source,
        source_duration=decoded.duration,
    )
    edits.append(AddClip(track.id, clip))
    return Compound(tuple(edits)), clip.id
