"""Driver for the sound-server test: play a range of a project through the default output
device as the window does (the audio engine's process, its Qt sink), then print what it
measured as JSON. Run in its own process, so Qt meets the test's private PulseAudio server from
its first look at the devices."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from audiostudio.audio.loudness import gain_to_target_db
from audiostudio.audio.master import premaster_loudness
from audiostudio.audio.mixer import build_plan
from audiostudio.model.store import load_project
from audiostudio.playback.engine import PlaybackEngine, pack
from audiostudio.settings import cache_dir


def main(folder: str, start_s: float, seconds: float) -> None:
    loaded = load_project(Path(folder))
    project = loaded.project
    plan = build_plan(project, loaded.folder, export=False, cache=cache_dir())
    norm_db = gain_to_target_db(premaster_loudness(plan).integrated, project.mix.target_lufs)
    engine = PlaybackEngine(plan.rate, "")  # the system's default output
    engine.set_mix(pack(plan, project.mix.true_peak_ceiling_dbtp))
    engine.set_gain(norm_db, ramp=False)
    assert engine.output().kind == "device", "no output device: is the PulseAudio server up?"
    while not engine.status().ready:  # the window's play waits for its measurement likewise
        time.sleep(0.01)
    start = round(start_s * plan.rate)
    pressed = time.monotonic()
    engine.play(start)
    first_sound = None
    while time.monotonic() < pressed + seconds:
        if first_sound is None and engine.position() > start:
            first_sound = time.monotonic()
        time.sleep(0.005)
    status = engine.status()
    engine.close()
    print(json.dumps({"underruns": status.underruns, "error": status.error,
                      "press_to_device_ms": None if first_sound is None
                      else round(1000 * (first_sound - pressed), 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
