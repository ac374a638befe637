"""`audiostudio render`: a project to a mix (and stems)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from audiostudio.cli.check import add_quiet


def _cmd_render(args: argparse.Namespace) -> int:
    from audiostudio.cli.check import print_problems
    from audiostudio.export.render import ExportOptions, export_project, written_files
    from audiostudio.model.store import load_project
    from audiostudio.problems import Problem
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
        video=Path(args.video) if args.video else None,
        video_audio=args.video_audio,
        stems_format=args.stems_format,
        auto_level=not args.no_auto_level,
    )
    bar = ProgressBar()
    out_dir = Path(args.output)
    try:
        report = export_project(loaded.project, loaded.folder, out_dir, options, progress=bar,
                                cache=cache_dir())
    finally:
        bar.done()
    print_problems((Problem(**w) for w in report["warnings"]), args.quiet)
    lufs = report["integrated_lufs"]
    print(
        f"Wrote {', '.join(written_files(report))} to {out_dir} — "
        f"{'n/a' if lufs is None else f'{lufs:.1f}'} LUFS, "
        f"true peak {report['true_peak_dbtp']} dBTP, {report['duration_s']:.1f} s"
    )
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    render = sub.add_parser("render", help="render a project to a mix (and stems)")
    render.add_argument("project", help="project folder or its project.json")
    render.add_argument("-o", "--output", required=True, help="output folder")
    render.add_argument("--format", choices=("wav", "mp3", "both"), default="wav")
    render.add_argument("--stems", action="store_true", help="also write one file per track")
    render.add_argument("--stems-format", choices=("wav", "mp3"), default="wav",
                        help="the stems' format (default: wav)")
    render.add_argument("--target-lufs", type=float, help="integrated loudness target")
    render.add_argument("--true-peak", type=float, help="true-peak ceiling in dBTP")
    render.add_argument("--no-normalize", action="store_true", help="no loudness normalisation")
    render.add_argument("--no-auto-level", action="store_true",
                        help="keep every clip at its own gain (no balancing by kind)")
    render.add_argument("--sample-rate", type=int, help="output rate (default: the project's)")
    render.add_argument("--bit-depth", choices=("16", "24", "32f"), default="24")
    render.add_argument("--mp3-bitrate", type=int, default=192, help="kbps, constant")
    render.add_argument(
        "--skip-missing", action="store_true", help="render clips without audio as silence"
    )
    render.add_argument("--start", type=float, metavar="SECONDS",
                        help="render from here (loudness still measured over the whole project)")
    render.add_argument("--end", type=float, metavar="SECONDS", help="render up to here")
    render.add_argument("--video", metavar="VIDEO",
                        help="also put the mix into a copy of this video (picture copied as is)")
    render.add_argument("--video-audio", choices=("aac", "pcm"), default="aac",
                        help="the audio codec in that video (default: aac)")
    add_quiet(render)
    render.set_defaults(fills_cache=True, func=_cmd_render)
