"""Live preview benchmark on the null output (real-time consumption, no sound card needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/playback_bench.py [--seconds 60] [--no-scroll]

1. press-play-to-first-block: from Player.play() to the first rendered block in the ring, for
   the 32-track stress scene (includes the limiter warm-up render); median of 20 presses at
   random positions (target < 50 ms);
2. underruns over ``--seconds`` of the 32-track scene played in real time while the timeline
   (the window's real view, 1600x1000, offscreen) is scrolled by 40 px every 16 ms on the GUI
   thread, with a 40 ms device buffer simulated on top of the ring (target 0): an underrun is a
   sink read the ring could not fill;
3. feeder CPU: the feeder thread's CPU seconds per second of audio played.
Exit status 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scenes import ensure


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--minutes", type=float, default=2.0, help="length of the scene")
    parser.add_argument("--no-scroll", action="store_true", help="play without scrolling")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from audiostudio.audio.master import MasterStream, track_source
    from audiostudio.audio.mixer import build_plan
    from audiostudio.model.store import load_project
    from audiostudio.playback.player import Player
    from audiostudio.playback.sink import NullSink
    from audiostudio.settings import cache_dir
    from audiostudio.ui.document import Document
    from audiostudio.ui.timeline import TimelinePanel

    folder = ensure("stress", args.minutes)
    loaded = load_project(folder)
    plan = build_plan(loaded.project, loaded.folder, export=False, cache=cache_dir())
    rate = plan.rate
    print(f"scene: {folder} ({len(plan.tracks)} tracks, {plan.frames / rate:.0f} s)")

    def opener(frame: int) -> MasterStream:
        return MasterStream(track_source(plan, stems=True), rate, 0.0, -1.0, start=frame,
                            block_frames=round(0.05 * rate))

    # 1. press-play-to-first-block
    player = Player(rate, NullSink(rate))
    player.set_source(opener)
    rng = np.random.default_rng(1)
    waits = []
    for _ in range(20):
        before = player.blocks_rendered
        pressed = time.perf_counter()
        player.play(int(rng.integers(0, plan.frames - 10 * rate)))
        while player.blocks_rendered == before:
            time.sleep(0.0002)
        waits.append(1000 * (time.perf_counter() - pressed))
        player.pause()
    player.close()
    first_block = statistics.median(waits)
    print(f"press-play-to-first-block: median {first_block:.1f} ms, max {max(waits):.1f} ms "
          "(target < 50 ms)")

    # 2./3. real-time play while the timeline scrolls on the GUI thread
    app = QApplication.instance() or QApplication([])
    document = Document()
    document.open(folder)
    panel = TimelinePanel(document)
    panel.resize(1600, 1000)
    panel.show()
    view = panel.view
    view.set_pixels_per_second(40.0)
    bar = view.horizontalScrollBar()

    def scroll() -> None:
        bar.setValue(bar.value() + 40 if bar.value() < bar.maximum() else 0)
        view.viewport().repaint()  # a real repaint each step, as a user's scroll causes

    deadline = time.monotonic() + 60  # a project being edited has its waveforms drawn
    while not view.waveforms_settled() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    sink = NullSink(rate)
    player = Player(rate, sink)
    player.set_source(opener)
    timer = QTimer()
    timer.timeout.connect(scroll)
    if not args.no_scroll:
        timer.start(16)
    cpu_before = player.feeder_cpu_s
    player.play(0)
    started = time.monotonic()
    played_until = started + args.seconds
    while time.monotonic() < played_until:
        app.processEvents()
        if player.position() >= plan.frames - rate:
            player.seek(0)
        time.sleep(0.002)
    heard_s = time.monotonic() - started
    timer.stop()
    player.pause()
    cpu = player.feeder_cpu_s - cpu_before
    underruns = player.underruns
    if sink.underrun_at:
        print("underruns at (s played):", " ".join(f"{t:.2f}" for t in sink.underrun_at[:40]))
    player.close()
    panel.close()
    doing = "without scrolling" if args.no_scroll else "while the timeline scrolls"
    print(f"underruns over {heard_s:.0f} s of {len(plan.tracks)} tracks {doing}: "
          f"{underruns} (target 0)")
    print(f"feeder CPU: {cpu / heard_s * 1000:.0f} ms per second of audio "
          f"({cpu / heard_s * 100:.1f} % of one core)")
    print(f"load: {os.getloadavg()[0]:.2f}")
    return 0 if first_block < 50 and underruns == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
