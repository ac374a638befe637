"""`audiostudio new` and `audiostudio import`: project folders and audio files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from audiostudio.model.store import LoadResult


def _cmd_new(args: argparse.Namespace) -> int:
    from audiostudio.model.store import new_project
    from audiostudio.settings import load_settings

    project = new_project(Path(args.project), name=args.name,
                          template=load_settings().blank_project())
    print(f"Created project '{project.name}' in {args.project}")
    return 0


def _cmd_import(args: argparse.Namespace) -> int:
    from audiostudio.importing import placement_edit, stage_import
    from audiostudio.model.edits import apply
    from audiostudio.model.store import load_project, save_project
    from audiostudio.settings import cache_dir

    loaded = load_project(Path(args.project))
    if args.reference:
        return _import_reference(loaded, Path(args.file))
    staged = stage_import(loaded.folder, Path(args.file), loaded.project.sample_rate_hz,
                          cache_dir())
    edit, [clip_id] = placement_edit(loaded.project, [staged], track_name=args.track, at=args.at)
    apply(loaded.project, edit)
    save_project(loaded.project, loaded.folder)
    track, clip = loaded.project.find_clip(clip_id)  # type: ignore[misc]
    print(
        f"Imported {args.file} onto '{track.name}' at {clip.start:.3f} s "
        f"({clip.length:.3f} s) as {clip.source}"
    )
    return 0


def _import_reference(loaded: LoadResult, file: Path) -> int:
    from audiostudio.model.edits import apply
    from audiostudio.model.store import save_project
    from audiostudio.settings import cache_dir
    from audiostudio.video import reference_edit, stage_video

    staged = stage_video(loaded.folder, file, loaded.project.sample_rate_hz, cache_dir())
    edit, track_id = reference_edit(loaded.project, staged)
    apply(loaded.project, edit)
    save_project(loaded.project, loaded.folder)
    track = loaded.project.find_track(track_id) if track_id else None
    where = f"its audio on the locked track '{track.name}'" if track else "no audio track"
    print(f"Reference video {file.name}: {staged.info.describe()}; {where}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    new = sub.add_parser("new", help="create an empty project folder")
    new.add_argument("project")
    new.add_argument("--name", help="project name (default: the folder's)")
    new.set_defaults(func=_cmd_new)

    imp = sub.add_parser("import", help="import an audio file onto a track")
    imp.add_argument("project")
    imp.add_argument("file")
    imp.add_argument("--track", default="Audio", help="track name (created when missing)")
    imp.add_argument("--at", type=float, help="start in seconds (default: after the last clip)")
    imp.add_argument("--reference", action="store_true",
                     help="a reference video: its frame rate, start timecode and length become "
                          "the project's, its audio a locked track left out of the mix")
    imp.set_defaults(fills_cache=True, func=_cmd_import)
