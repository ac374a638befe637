"""`audiostudio analyze`: loudness and peaks of audio files."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from audiostudio.errors import AudioError


def _cmd_analyze(args: argparse.Namespace) -> int:
    from audiostudio.audio.loudness import measure_file

    results = []
    for name in args.files:
        path = Path(name)
        if not path.exists():  # else libsndfile's "System error"
            raise AudioError(f"{name}: not found")
        if path.is_dir():
            raise AudioError(f"{name}: is a folder, not an audio file")
        figures = measure_file(path).to_json_dict()
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


def register(sub: argparse._SubParsersAction) -> None:
    analyze = sub.add_parser("analyze", help="measure loudness and peaks of audio files")
    analyze.add_argument("files", nargs="+", metavar="FILE")
    analyze.add_argument("--json", action="store_true", help="print a JSON list")
    analyze.set_defaults(func=_cmd_analyze)
