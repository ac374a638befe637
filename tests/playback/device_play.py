"""Driver for the sound-server test: play a range of a project through the default output
device (QtSink) as preview does, then print what it measured as JSON. Run in its own process,
so Qt meets the test's private PulseAudio server from its first look at the devices."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from audiostudio.audio.loudness import gain_to_target_db
from audiostudio.audio.master import MasterStream, premaster_loudness, track_source
from audiostudio.audio.mixer import build_plan
from audiostudio.model.store import load_project
from audiostudio.playback.player import Player
from audiostudio.playback.qt_sink import QtSink, default_device
from audiostudio.settings import cache_dir


def main(folder: str, start_s: float, seconds: float) -> None:
    app = QApplication([])
    loaded = load_project(Path(folder))
    project = loaded.project
    plan = build_plan(project, loaded.folder, export=False, cache=cache_dir())
    norm_db = gain_to_target_db(premaster_loudness(plan).integrated, project.mix.target_lufs)
    device = default_device()
    assert device is not None, "no output device: is the PulseAudio server running?"
    player = Player(plan.rate, QtSink(device, plan.rate))
    player.set_source(lambda frame: MasterStream(
        track_source(plan, stems=True), plan.rate, norm_db, project.mix.true_peak_ceiling_dbtp,
        start=frame, block_frames=960))
    pressed = time.monotonic()
    player.play(round(start_s * plan.rate))
    first_sound: list[float] = []

    def poll() -> None:
        if not first_sound and player.position() > round(start_s * plan.rate):
            first_sound.append(time.monotonic())

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(5)

    def done() -> None:
        result = {"underruns": player.underruns, "error": player.error,
                  "press_to_device_ms": round(1000 * (first_sound[0] - pressed), 1)
                  if first_sound else None}
        player.close()
        print(json.dumps(result), flush=True)
        app.quit()

    QTimer.singleShot(round(seconds * 1000), done)
    app.exec()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
