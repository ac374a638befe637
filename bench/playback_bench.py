"""Live preview benchmark on the null output (real-time consumption, no sound card needed).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/playback_bench.py [--seconds 60] [--no-scroll]
        [--in-process]

The window's own path: the render plan goes to the audio engine's process (``playback.engine``),
which plays it into the null output; that consumes in real time.

1. press-play-to-first-block: from ``play()`` to the first rendered block in the ring, for the
   32-track stress scene (includes the limiter warm-up render); median of 20 presses at random
   positions (target < 50 ms);
2. underruns over ``--seconds`` of the 32-track scene played in real time while the timeline
   (the window's real view, 1600x1000, offscreen) is scrolled by 40 px every 16 ms on the GUI
   thread (target 0): an underrun is a sink read the ring could not fill;
3. feeder CPU: the feeder thread's CPU seconds per second of audio played;
4. edits while playing (the engine only): ``--edits`` one-track gain edits 0.7 s apart, each a
   plan built here and sent as the window does, then one that turns every track down 30 dB:
   underruns over the edits (target 0) and how long after the position at the command that
   last one is heard (the edit's splice, the null output has no device buffer).
``--in-process`` runs the same player on a thread of this process instead (as before the engine
had a process of its own), for comparison. Exit status 1 if a target is missed.
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
    parser.add_argument("--edits", type=int, default=10, help="edits while playing")
    parser.add_argument("--in-process", action="store_true",
                        help="the player on a thread of this process, not the engine's process")
    args = parser.parse_args()

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from audiostudio.model.store import load_project
    from audiostudio.ui.document import Document
    from audiostudio.ui.timeline import TimelinePanel

    folder = ensure("stress", args.minutes)
    loaded = load_project(folder)
    rate = loaded.project.sample_rate_hz
    frames = round(loaded.project.timeline_length() * rate)
    print(f"scene: {folder} ({len(loaded.project.tracks)} tracks, {frames / rate:.0f} s), "
          f"{'a thread of the GUI process' if args.in_process else 'the engine process'}")
    transport = (InProcess(loaded, rate) if args.in_process else Engine(loaded, rate))

    # 1. press-play-to-first-block
    rng = np.random.default_rng(1)
    transport.play(0)  # the first play waits for the plan: not a press to measure
    transport.wait_for_block()
    transport.pause()
    waits = []
    for _ in range(20):
        pressed = time.perf_counter()
        transport.play(int(rng.integers(0, frames - 10 * rate)))
        transport.wait_for_block()
        waits.append(1000 * (time.perf_counter() - pressed))
        transport.pause()
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
    timer = QTimer()
    timer.timeout.connect(scroll)
    if not args.no_scroll:
        timer.start(16)
    underruns_before, cpu_before = transport.underruns(), transport.cpu_s()
    transport.play(0)
    started = time.monotonic()
    played_until = started + args.seconds
    polled = started
    while time.monotonic() < played_until:
        app.processEvents()
        if time.monotonic() - polled > 0.03:  # as the window's timer polls the position
            polled = time.monotonic()
            if transport.position() >= frames - rate:
                transport.play(0)
        time.sleep(0.002)
    heard_s = time.monotonic() - started
    timer.stop()
    transport.pause()
    cpu = transport.cpu_s() - cpu_before
    underruns = transport.underruns() - underruns_before
    transport.close()
    panel.close()
    doing = "without scrolling" if args.no_scroll else "while the timeline scrolls"
    print(f"underruns over {heard_s:.0f} s of {len(loaded.project.tracks)} tracks {doing}: "
          f"{underruns} (target 0)")
    print(f"feeder CPU: {cpu / heard_s * 1000:.0f} ms per second of audio "
          f"({cpu / heard_s * 100:.1f} % of one core)")
    edit_underruns = 0 if args.in_process or not args.edits else edits(loaded, rate, args.edits)
    print(f"load: {os.getloadavg()[0]:.2f}")
    return 0 if first_block < 50 and underruns == 0 and edit_underruns == 0 else 1


def edits(loaded, rate: int, count: int) -> int:
    """Measurement 4; returns the underruns."""
    import copy

    import numpy as np

    from audiostudio.audio.mixer import build_plan
    from audiostudio.playback.engine import PlaybackEngine, pack
    from audiostudio.settings import cache_dir

    def packed(change) -> bytes:
        project = copy.deepcopy(loaded.project)
        change(project)
        return pack(build_plan(project, loaded.folder, export=False, cache=cache_dir()), -1.0)

    def track_down(index: int, db: float):
        def change(project) -> None:
            project.tracks[index % len(project.tracks)].gain_db -= db
        return change

    plans = [packed(track_down(i, 3.0)) for i in range(count)]
    quiet = packed(lambda project: [setattr(t, "gain_db", t.gain_db - 30.0)
                                    for t in project.tracks])
    engine = PlaybackEngine(rate, "none", record=True)
    engine.set_mix(packed(lambda _project: None))
    engine.set_gain(0.0, ramp=False)
    while not engine.status().ready:
        time.sleep(0.01)
    engine.play(0)
    time.sleep(1.0)
    before = engine.status().underruns
    for plan in plans:
        engine.set_mix(plan)
        time.sleep(0.7)
    underruns = engine.status().underruns - before
    commanded_at = engine.position()
    engine.set_mix(quiet)
    time.sleep(0.6)
    engine.pause()
    recorded, _ = engine.recording()
    engine.close()
    peaks = np.abs(recorded).max(axis=1)
    loud = peaks[commanded_at - rate:commanded_at].max()
    window = rate // 100
    heard = next((k for k in range(commanded_at, len(peaks) - window, window)
                  if peaks[k:k + window].max() < loud * 0.1), None)
    after = "not heard" if heard is None else f"{(heard - commanded_at) * 1000 / rate:.0f} ms"
    print(f"underruns over {count} edits while playing: {underruns} (target 0); every track "
          f"-30 dB heard {after} after the position at the command")
    return underruns


class Engine:
    """The window's path: the plan goes to the engine's process, which plays it."""

    def __init__(self, loaded, rate: int) -> None:
        from audiostudio.audio.mixer import build_plan
        from audiostudio.playback.engine import PlaybackEngine, pack
        from audiostudio.settings import cache_dir

        plan = build_plan(loaded.project, loaded.folder, export=False, cache=cache_dir())
        self.engine = PlaybackEngine(rate, "none")
        self.engine.set_mix(pack(plan, -1.0))
        self.engine.set_gain(0.0, ramp=False)
        self._blocks = 0

    def play(self, frame: int) -> None:
        self._blocks = self.engine.status().blocks_rendered
        self.engine.play(frame)

    def wait_for_block(self) -> None:
        # Asked every 2 ms: each question is served by the engine, so asking far more often
        # would take the engine's interpreter lock from the very render being timed.
        while self.engine.status().blocks_rendered == self._blocks:
            time.sleep(0.002)

    def pause(self) -> None:
        self.engine.pause()

    def position(self) -> int:
        return self.engine.position()

    def underruns(self) -> int:
        return self.engine.underruns

    def cpu_s(self) -> float:
        return self.engine.status().feeder_cpu_s

    def close(self) -> None:
        self.engine.close()


class InProcess:
    """The same player and null output on threads of this (the GUI's) process."""

    def __init__(self, loaded, rate: int) -> None:
        from audiostudio.audio.master import MasterStream, track_source
        from audiostudio.audio.mixer import build_plan
        from audiostudio.playback.player import Player
        from audiostudio.playback.sink import NullSink
        from audiostudio.settings import cache_dir

        plan = build_plan(loaded.project, loaded.folder, export=False, cache=cache_dir())
        self.player = Player(rate, NullSink(rate))
        self.player.set_source(lambda frame: MasterStream(
            track_source(plan, stems=True), rate, 0.0, -1.0, start=frame,
            block_frames=round(0.05 * rate)))
        self._blocks = 0

    def play(self, frame: int) -> None:
        self._blocks = self.player.blocks_rendered
        self.player.play(frame)

    def wait_for_block(self) -> None:
        while self.player.blocks_rendered == self._blocks:
            time.sleep(0.0002)

    def pause(self) -> None:
        self.player.pause()

    def position(self) -> int:
        return self.player.position()

    def underruns(self) -> int:
        return self.player.underruns

    def cpu_s(self) -> float:
        return self.player.feeder_cpu_s

    def close(self) -> None:
        self.player.close()


if __name__ == "__main__":
    sys.exit(main())
