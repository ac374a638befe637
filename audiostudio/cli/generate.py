"""`audiostudio generate` and `audiostudio demo`: prompt clips to audio."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audiostudio.cli.check import add_quiet
from audiostudio.errors import AudiostudioError


def _generation_service(executor):
    from audiostudio.generation.cache import AssetCache
    from audiostudio.generation.service import GenerationService
    from audiostudio.provider_setup import configured_providers
    from audiostudio.settings import cache_dir, load_settings

    settings = load_settings()
    return GenerationService(
        configured_providers(settings), executor, AssetCache(cache_dir()),
        limits=settings.concurrency,
    )


def _clip_list(project) -> str:
    """The clips of ``project`` for an error message: id and name, prompt clips first."""
    clips = sorted(project.iter_clips(), key=lambda tc: tc[1].request is None)
    shown = [f"{c.id} ({c.name})" if c.name else c.id for _, c in clips[:20]]
    more = f" and {len(clips) - 20} more" if len(clips) > 20 else ""
    return ", ".join(shown) + more if shown else "none: the project has no clips"


def _check_clip_ids(project, clip_ids) -> None:
    import difflib

    known = {c.id for _, c in project.iter_clips()}
    unknown = sorted(set(clip_ids or ()) - known)
    if unknown:
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise AudiostudioError(f"No clip with id {', '.join(unknown)} in this project{hint}. "
                               f"Its clips: {_clip_list(project)}")


def _why_not(project, clip_id: str) -> str:
    """Why ``generate --clip`` leaves a clip alone, for people."""
    track, clip = project.find_clip(clip_id)
    if clip.request is None:
        return "it has no prompt (imported audio): nothing to generate"
    if clip.locked or track.locked:
        return "it is locked" if clip.locked else f"its track '{track.name}' is locked"
    return "its audio is current (--new-take makes another take)"


def _describe(clip, cost, reused: int | None) -> str:
    request = clip.request
    what = f"reuses its take {reused + 1} (no cost)" if reused is not None else \
        (f"{cost.amount:g} {cost.unit}" if cost else "cannot be estimated")
    label = f" '{clip.name}'" if clip.name else ""
    return f"  {clip.id}{label}: {request.kind}, {request.provider} — {what}"


def _run_generation(
    project, folder: Path, clip_ids, new_take: bool, only_stale: bool, dry_run: bool,
    quiet: bool = False,
) -> int:
    """Estimate, generate with progress lines, save what succeeded; 1 if any clip failed."""
    from concurrent.futures import ThreadPoolExecutor

    from audiostudio.cli.check import print_problems
    from audiostudio.generation.batch import clip_costs, estimate, generate_clips, reusable
    from audiostudio.generation.takes import clips_to_generate
    from audiostudio.model.store import save_project
    from audiostudio.problems import find_problems
    from audiostudio.progress import JobProgress

    _check_clip_ids(project, clip_ids)
    clips = clips_to_generate(project, clip_ids, new_take, only_stale, folder=folder)
    for clip_id in dict.fromkeys(clip_ids or ()):
        if clip_id not in {c.id for c in clips}:
            print(f"note: leaving {clip_id} alone: {_why_not(project, clip_id)}")
    with ThreadPoolExecutor(max_workers=4) as executor:
        service = _generation_service(executor)
        print_problems(find_problems(project, providers=service.providers), quiet)
        reuse = reusable(service, folder, clips, new_take)
        paid = [c for c in clips if c.id not in reuse]
        costs = estimate(service, project, paid)
        summary = ", ".join(f"{c.amount:g} {c.unit}" for c in costs.values()) or "nothing"
        again = f" ({len(reuse)} get an earlier take again: no cost)" if reuse else ""
        print(f"{len(clips)} clip(s) to generate{again}; estimated cost: {summary}")
        if dry_run:
            per_clip = clip_costs(service, project, paid)
            for clip in clips:
                print(_describe(clip, per_clip.get(clip.id), reuse.get(clip.id)))
        if dry_run or not clips:
            return 0
        progress = JobProgress()
        result = generate_clips(service, project, folder, clips, new_take, progress)
        progress.done()
    if result.succeeded:
        save_project(project, folder)
    reused = f", {len(result.reused)} of them an earlier take again (no provider call)" \
        if result.reused else ""
    print(f"Generated {len(result.succeeded)} clip(s){reused}")
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
                           args.only_stale, args.dry_run, args.quiet)


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
    gen.add_argument("--dry-run", action="store_true",
                     help="list the clips it would generate and their cost; generate nothing")
    add_quiet(gen)
    gen.set_defaults(fills_cache=True, func=_cmd_generate)

    demo = sub.add_parser("demo", help="build, generate and render a small demo scene offline")
    demo.add_argument("project", nargs="?", default="audiostudio-demo")
    demo.set_defaults(fills_cache=True, func=_cmd_demo)
