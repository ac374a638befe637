"""Start to a shown window: cold (first launch) and warm (second launch) wall time.

Each run is a fresh `python -m audiostudio PROJECT --screenshot` process, offscreen; the time
is from process start until the window is laid out and painted once (the screenshot path stops
the clock before waiting for waveforms, via AUDIOSTUDIO_STARTUP_PROBE).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def launch(project: Path, shot: Path) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "AUDIOSTUDIO_STARTUP_PROBE": "1"}
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "audiostudio", str(project), "--screenshot",
                          str(shot)], capture_output=True, text=True, env=env, check=True,
                         cwd=ROOT)
    line = next(x for x in run.stderr.splitlines() if x.startswith("startup-probe "))
    return float(line.split()[1]) - started  # perf_counter is CLOCK_MONOTONIC: system-wide


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("project", nargs="?", default=str(ROOT / "resources" / "sample-project"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        times = [launch(Path(args.project), Path(tmp) / f"{i}.png") for i in range(args.runs)]
    print(f"command: .venv/bin/python bench/startup_bench.py {args.project}")
    print(f"start to shown window: first {times[0]:.2f} s, warm (best of the rest) "
          f"{min(times[1:] or times):.2f} s  (target < 1.5 s warm)")


if __name__ == "__main__":
    main()
