"""Command line: every job but the window, headless.

Exit codes: 0 ok, 2 usage error (argparse), 1 any other error with one clear line on stderr
(the traceback only with --debug).
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path

from audiostudio import __version__
from audiostudio.errors import AudiostudioError, CancelledError


def _cmd_render(args: argparse.Namespace) -> int:
    from audiostudio.export.render import ExportOptions, export_project
    from audiostudio.model.store import load_project
    from audiostudio.progress import ProgressBar
    from audiostudio.settings import cache_dir

    loaded = load_project(Path(args.project))
    if loaded.autosave_newer:
        print(
            "note: a newer autosave exists; rendering the saved project.json "
            "(open the project in the window to recover the autosave)",
            file=sys.stderr,
        )
    formats = ("wav", "mp3") if args.format == "both" else (args.format,)
    options = ExportOptions(
        formats=formats,
        stems=args.stems,
        normalize=not args.no_normalize,
        target_lufs=args.target_lufs,
        true_peak_dbtp=args.true_peak,
        sample_rate=args.sample_rate,
        bit_depth=args.bit_depth,
        mp3_bitrate=args.mp3_bitrate,
        skip_missing=args.skip_missing,
        start=args.start,
        end=args.end,
    )
    bar = ProgressBar()
    out_dir = Path(args.output)
    try:
        report = export_project(loaded.project, loaded.folder, out_dir, options, progress=bar,
                                cache=cache_dir())
    finally:
        bar.done()
    lufs = report["integrated_lufs"]
    print(
        f"Wrote {', '.join(report['files'])} to {out_dir} — "
        f"{'n/a' if lufs is None else f'{lufs:.1f}'} LUFS, "
        f"true peak {report['true_peak_dbtp']} dBTP, {report['duration_s']:.1f} s"
    )
    return 0


def _cmd_analyze(args: argparse.Namespace) -> int:
    from audiostudio.audio.loudness import measure_file

    results = []
    for name in args.files:
        figures = measure_file(Path(name)).to_json_dict()
        results.append({"file": name, **figures})
    if args.json:
        print(json.dumps(results, indent=2))
        return 0

    def fmt(value: float | None, unit: str) -> str:
        return "n/a" if value is None else f"{value:.1f} {unit}"

    for r in results:
        print(
            f"{r['file']}: integrated {fmt(r['integrated_lufs'], 'LUFS')}, "
            f"LRA {fmt(r['lra'], 'LU')}, true peak {fmt(r['true_peak_dbtp'], 'dBTP')}, "
            f"sample peak {fmt(r['sample_peak_dbfs'], 'dBFS')}, {r['duration_s']:.2f} s"
        )
    return 0


def _generation_service(executor):
    from audiostudio.generation.cache import AssetCache
    from audiostudio.generation.service import GenerationService
    from audiostudio.providers.registry import available_providers
    from audiostudio.settings import cache_dir, load_settings

    return GenerationService(
        available_providers(), executor, AssetCache(cache_dir()),
        limits=load_settings().concurrency,
    )


def _run_generation(
    project, folder: Path, clip_ids, new_take: bool, only_stale: bool, dry_run: bool
) -> int:
    """Estimate, generate with progress lines, save what succeeded; 1 if any clip failed."""
    from concurrent.futures import ThreadPoolExecutor

    from audiostudio.generation.batch import estimate, generate_clips
    from audiostudio.generation.takes import clips_to_generate
    from audiostudio.model.store import save_project
    from audiostudio.progress import JobProgress

    clips = clips_to_generate(project, clip_ids, new_take, only_stale)
    unknown = set(clip_ids or ()) - {c.id for _, c in project.iter_clips()}
    if unknown:
        raise AudiostudioError(f"No clip with id {', '.join(sorted(unknown))} in this project")
    with ThreadPoolExecutor(max_workers=4) as executor:
        service = _generation_service(executor)
        costs = estimate(service, project, clips)
        summary = ", ".join(f"{c.amount:g} {c.unit}" for c in costs.values()) or "nothing"
        print(f"{len(clips)} clip(s) to generate; estimated cost: {summary}")
        if dry_run or not clips:
            return 0
        progress = JobProgress()
        result = generate_clips(service, project, folder, clips, new_take, progress)
        progress.done()
    if result.succeeded:
        save_project(project, folder)
    print(f"Generated {len(result.succeeded)} clip(s)")
    for clip_id, error in result.failed.items():
        found = project.find_clip(clip_id)
        label = (found[1].name or clip_id) if found else clip_id
        print(f"error: clip '{label}' ({clip_id}) failed: {error}", file=sys.stderr)
    if result.interrupted:
        return 130
    return 1 if result.failed else 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from audiostudio.model.store import load_project

    loaded = load_project(Path(args.project))
    return _run_generation(loaded.project, loaded.folder, args.clip, args.new_take,
                           args.only_stale, args.dry_run)


def _cmd_demo(args: argparse.Namespace) -> int:
    import time

    from audiostudio.demo import build_demo_project, lay_out
    from audiostudio.export.render import ExportOptions, export_project
    from audiostudio.model.store import save_project
    from audiostudio.progress import ProgressBar
    from audiostudio.settings import cache_dir

    folder = Path(args.project)
    if (folder / "project.json").exists():
        raise AudiostudioError(f"{folder} already holds a project; choose another folder")
    started = time.monotonic()
    project = build_demo_project()
    folder.mkdir(parents=True, exist_ok=True)
    save_project(project, folder)
    status = _run_generation(project, folder, None, new_take=False, only_stale=False,
                             dry_run=False)
    if status:
        return status
    lay_out(project)
    save_project(project, folder)
    generated = time.monotonic() - started
    bar = ProgressBar()
    try:
        report = export_project(project, folder, folder / "export",
                                ExportOptions(stems=True), progress=bar, cache=cache_dir())
    finally:
        bar.done()
    print(
        f"Demo scene generated in {generated:.1f} s and rendered to {folder / 'export'}: "
        f"{', '.join(report['files'])} ({report['integrated_lufs']} LUFS, "
        f"{report['duration_s']:.1f} s)"
    )
    return 0


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


def _cmd_open(args: argparse.Namespace) -> int:
    from audiostudio.ui.app import run_window

    project = Path(args.project) if getattr(args, "project", None) else None
    return run_window(project, Path(args.screenshot) if args.screenshot else None, args.size)


def _prune_cache() -> None:
    from audiostudio.caches import prune
    from audiostudio.settings import cache_dir, load_settings

    prune(cache_dir(), load_settings().cache_size_mb * 2**20)


_FILLS_CACHE = {"render", "generate", "demo", "import"}
WINDOW_OPTIONS = ("--screenshot", "--size")


def _add_window_options(parser: argparse.ArgumentParser, top: bool) -> None:
    # The options exist before and after `open`; the copy after it must not reset a value
    # given before it, hence SUPPRESS there.
    parser.add_argument("--screenshot", metavar="FILE.png",
                        default=None if top else argparse.SUPPRESS,
                        help="render the window to a PNG and exit (works without a display)")
    parser.add_argument("--size", default="1600x1000" if top else argparse.SUPPRESS,
                        help="window size for --screenshot")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="audiostudio",
        description="Scene audio: generate voices, SFX and music; mix, duck, normalise, export.",
    )
    parser.add_argument("--version", action="version", version=f"audiostudio {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    _add_window_options(parser, top=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    open_cmd = sub.add_parser("open", help="open a project in the window (the default)")
    open_cmd.add_argument("project", nargs="?")
    _add_window_options(open_cmd, top=False)
    open_cmd.set_defaults(func=_cmd_open)

    render = sub.add_parser("render", help="render a project to a mix (and stems)")
    render.add_argument("project", help="project folder or its project.json")
    render.add_argument("-o", "--output", required=True, help="output folder")
    render.add_argument("--format", choices=("wav", "mp3", "both"), default="wav")
    render.add_argument("--stems", action="store_true", help="also write one WAV per track")
    render.add_argument("--target-lufs", type=float, help="integrated loudness target")
    render.add_argument("--true-peak", type=float, help="true-peak ceiling in dBTP")
    render.add_argument("--no-normalize", action="store_true", help="no loudness normalisation")
    render.add_argument("--sample-rate", type=int, help="output rate (default: the project's)")
    render.add_argument("--bit-depth", choices=("16", "24", "32f"), default="24")
    render.add_argument("--mp3-bitrate", type=int, default=192, help="kbps, constant")
    render.add_argument(
        "--skip-missing", action="store_true", help="render clips without audio as silence"
    )
    render.add_argument("--start", type=float, metavar="SECONDS",
                        help="render from here (loudness still measured over the whole project)")
    render.add_argument("--end", type=float, metavar="SECONDS", help="render up to here")
    render.set_defaults(func=_cmd_render)

    analyze = sub.add_parser("analyze", help="measure loudness and peaks of audio files")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--json", action="store_true", help="print a JSON list")
    analyze.set_defaults(func=_cmd_analyze)

    new = sub.add_parser("new", help="create an empty project folder")
    new.add_argument("project")
    new.add_argument("--name", help="project name (default: the folder's)")
    new.set_defaults(func=_cmd_new)

    gen = sub.add_parser("generate", help="generate the audio of prompt clips")
    gen.add_argument("project")
    gen.add_argument("--only-stale", action="store_true",
                     help="only empty or stale clips: the default, and with --new-take it "
                          "limits the new takes to them")
    gen.add_argument("--clip", action="append", metavar="ID", help="only this clip (repeatable)")
    gen.add_argument("--new-take", action="store_true",
                     help="a new take with a new seed even for current clips")
    gen.add_argument("--dry-run", action="store_true", help="print the cost estimate only")
    gen.set_defaults(func=_cmd_generate)

    demo = sub.add_parser("demo", help="build, generate and render a small demo scene offline")
    demo.add_argument("project", nargs="?", default="audiostudio-demo")
    demo.set_defaults(func=_cmd_demo)

    imp = sub.add_parser("import", help="import an audio file onto a track")
    imp.add_argument("project")
    imp.add_argument("file")
    imp.add_argument("--track", default="Audio", help="track name (created when missing)")
    imp.add_argument("--at", type=float, help="start in seconds (default: after the last clip)")
    imp.set_defaults(func=_cmd_import)
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def _first_positional(argv: list[str]) -> int | None:
    """Index of the first argument that is neither an option nor an option's value."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
        elif arg in WINDOW_OPTIONS:
            skip = True  # its value follows
        elif not arg.startswith("-"):
            return index
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = _subcommands(parser)
    # `audiostudio PROJECT_DIR` opens it: a first positional that names no subcommand.
    first = _first_positional(argv)
    if first is not None and argv[first] not in commands:
        argv.insert(first, "open")
    args = parser.parse_args(argv)
    if args.command is None:
        args.func, args.project = _cmd_open, None
    try:
        status = args.func(args)
        if args.command in _FILLS_CACHE:
            _prune_cache()
        return status
    except CancelledError:
        print("cancelled", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except AudiostudioError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # the edge: one clear line instead of a traceback
        if args.debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug)", file=sys.stderr)
        return 1
