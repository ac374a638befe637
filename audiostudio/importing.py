"""Put an audio file on the timeline: copy it into assets/, place a clip, as one edit.

Shared by the CLI's `import` and (later) the window's Import Audio and drag-and-drop.
"""

from __future__ import annotations

from pathlib import Path

from audiostudio.audio.decode import decode
from audiostudio.errors import DecodeError
from audiostudio.model import Clip, Project, Track, new_id
from audiostudio.model.edits import AddClip, AddTrack, Compound, Edit, apply
from audiostudio.model.store import import_asset, resolve_path


def import_audio_file(
    project: Project,
    folder: Path,
    file: Path,
    track_name: str = "Audio",
    at: float | None = None,
) -> tuple[Track, Clip]:
    """Place ``file`` on the first track called ``track_name`` (created, kind "audio", if none).

    ``at`` defaults to the end of that track's last clip. A file that cannot be decoded is
    refused and leaves neither an asset nor a change behind.
    """
    assets = folder / "assets"
    before = {p.name for p in assets.iterdir()} if assets.is_dir() else set()
    source = import_asset(folder, file)
    asset = resolve_path(folder, source)
    try:
        decoded = decode(asset, project.sample_rate_hz)  # also warms the render's cache
    except DecodeError:
        if asset.name not in before:
            asset.unlink(missing_ok=True)  # a file we could not read leaves nothing behind
        raise
    track = next((t for t in project.tracks if t.name == track_name), None)
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
    apply(project, Compound(tuple(edits)))
    placed = project.find_clip(clip.id)
    assert placed is not None
    return placed
