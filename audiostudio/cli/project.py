"""`audiostudio new` (empty, or from a script), `audiostudio import` and `audiostudio reflow`:
project folders, audio files, and scripts' layouts after generation."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from audiostudio.errors import AudiostudioError

if TYPE_CHECKING:
    from audiostudio.model.store import LoadResult


def _cmd_new(args: argparse.Namespace) -> int:
    from audiostudio.model.store import new_project
    from audiostudio.settings import load_settings

    if args.from_script:
        return _new_from_script(args)
    if args.voice or args.narration_track or args.generate or args.render or args.script_format:
        raise AudiostudioError("--voice, --narration-track, --script-format, --generate and "
                               "--render need --from-script FILE")
    project = new_project(Path(args.project), name=args.name,
                          template=load_settings().blank_project())
    print(f"Created project '{project.name}' in {args.project}")
    return 0


def _voice_choice(text: str) -> tuple[str, str]:
    name, sep, voice = text.partition("=")
    if not sep or not name.strip() or not voice.strip():
        raise argparse.ArgumentTypeError(f"expected NAME=VOICE, e.g. NARRATOR=piper:en_US-joe-"
                                         f"medium, not {text!r}")
    return name.strip(), voice.strip()


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        raise argparse.ArgumentTypeError(f"expected seconds between 0 and 60, not {text!r}")
    return value


def _new_from_script(args: argparse.Namespace) -> int:
    """Parse and lay out first (nothing is written if the script is refused), then save; with
    --generate, generate every clip and re-flow; with --render, also export mix and stems."""
    from audiostudio.errors import ProjectError
    from audiostudio.model.edits import apply
    from audiostudio.model.store import PROJECT_FILE, new_project
    from audiostudio.providers.registry import available_providers
    from audiostudio.script import ImportOptions, plan_import, read_script
    from audiostudio.settings import load_settings

    folder = Path(args.project)
    if (folder / PROJECT_FILE).exists():
        raise ProjectError(f"{folder} already holds a project; choose another folder")
    script = read_script(Path(args.from_script), args.script_format)
    project = load_settings().blank_project(args.name or folder.name)
    options = ImportOptions(gap=args.gap, narration_track=args.narration_track,
                            voices=dict(args.voice or ()))
    plan = plan_import(script, project, available_providers(), options)
    apply(project, plan.edit)
    new_project(folder, template=project)
    print(f"Created project '{project.name}' in {folder} from {script.file} "
          f"({script.format}): {plan.summary.describe()}")
    cast = ", ".join(f"{name} = {entry.voice}" for name, entry in project.cast.items())
    print(f"Cast: {cast or 'nobody speaks'}")
    if not (args.generate or args.render):
        return 0
    from audiostudio.cli.generate import _run_generation

    status = _run_generation(project, folder, None, new_take=False, only_stale=False,
                             dry_run=False)
    _reflow_and_save(project, folder)
    if status or not args.render:
        return status
    return _render(project, folder, Path(args.render))


def _reflow_and_save(project, folder: Path, forget_moves: bool = False) -> None:
    import sys

    from audiostudio.model.edits import apply
    from audiostudio.model.reflow import overlapping_lines, reflow_edit
    from audiostudio.model.store import save_project

    edit = reflow_edit(project, forget_moves)
    if edit is not None:
        apply(project, edit)
        save_project(project, folder)
    print("Re-flowed the script's clips to their lengths" if edit else "Nothing to re-flow")
    for first, second in overlapping_lines(project):
        print(f"note: '{second.request.text}' starts before '{first.request.text}' ends "
              "(pinned, locked and hand-placed lines stay put: move one, or give a line a "
              "fixed length with ~Ns)", file=sys.stderr)


def _render(project, folder: Path, out_dir: Path) -> int:
    from audiostudio.export.render import ExportOptions, export_project
    from audiostudio.progress import ProgressBar
    from audiostudio.settings import cache_dir

    bar = ProgressBar()
    try:
        report = export_project(project, folder, out_dir, ExportOptions(stems=True),
                                progress=bar, cache=cache_dir())
    finally:
        bar.done()
    print(f"Wrote {', '.join(report['files'])} to {out_dir}")
    return 0


def _cmd_reflow(args: argparse.Namespace) -> int:
    from audiostudio.model.store import load_project

    loaded = load_project(Path(args.project))
    _reflow_and_save(loaded.project, loaded.folder, args.forget_moves)
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
    new = sub.add_parser("new", help="create a project folder, empty or from a script")
    new.add_argument("project")
    new.add_argument("--name", help="project name (default: the folder's)")
    new.add_argument("--from-script", metavar="FILE",
                     help="lay out a script (plain text, CSV, SRT, Fountain, podcastfy, "
                          "WavJourney JSON; see docs/script-format.md)")
    new.add_argument("--script-format", metavar="FORMAT",
                     help="text, csv, srt, fountain, podcastfy or wavjourney (default: from "
                          "the file's extension and contents)")
    new.add_argument("--voice", action="append", type=_voice_choice, metavar="NAME=VOICE",
                     help="a speaker's voice id (repeatable; others get distinct defaults)")
    new.add_argument("--narration-track", action="store_true",
                     help="every line on one Narration track (default: a track per speaker)")
    new.add_argument("--gap", type=_seconds, default=0.4, metavar="S",
                     help="seconds between consecutive lines (default 0.4)")
    new.add_argument("--generate", action="store_true",
                     help="generate every clip, then re-flow the lines to their real lengths")
    new.add_argument("--render", metavar="OUT_DIR",
                     help="generate, re-flow and export the mix and stems into OUT_DIR")
    new.set_defaults(fills_cache=True, func=_cmd_new)

    reflow = sub.add_parser("reflow", help="move a script's clips to follow their lines' real "
                                           "lengths (after generating)")
    reflow.add_argument("project")
    reflow.add_argument("--forget-moves", action="store_true",
                        help="also put lines moved by hand back where the script places them "
                             "(locked clips stay)")
    reflow.set_defaults(func=_cmd_reflow)

    imp = sub.add_parser("import", help="import an audio file onto a track")
    imp.add_argument("project")
    imp.add_argument("file")
    imp.add_argument("--track", default="Audio", help="track name (created when missing)")
    imp.add_argument("--at", type=float, help="start in seconds (default: after the last clip)")
    imp.add_argument("--reference", action="store_true",
                     help="a reference video: its frame rate, start timecode and length become "
                          "the project's, its audio a locked track left out of the mix")
    imp.set_defaults(fills_cache=True, func=_cmd_import)
