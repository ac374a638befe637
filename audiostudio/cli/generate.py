"""`audiostudio generate` and `audiostudio demo`: prompt clips to audio."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audiostudio.errors import AudiostudioError


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


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser("generate", help="generate the audio of prompt clips")
    gen.add_argument("project")
    gen.add_argument("--only-stale", action="store_true",
                     help="only empty or stale clips: the default, and with --new-take it "
                          "limits the new takes to them")
    gen.add_argument("--clip", action="append", metavar="ID", help="only this clip (repeatable)")
    gen.add_argument("--new-take", action="store_true",
                     help="a new take with a new seed even for current clips")
    gen.add_argument("--dry-run", action="store_true", help="print the cost estimate only")
    gen.set_defaults(fills_cache=True, func=_cmd_generate)

    demo = sub.add_parser("demo", help="build, generate and render a small demo scene offline")
    demo.add_argument("project", nargs="?", default="audiostudio-demo")
    demo.set_defaults(fills_cache=True, func=_cmd_demo)
