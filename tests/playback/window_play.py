"""Driver for the sound-server test: the window opens a project, Space plays a range of it
through the default output device, Space stops; then it prints what it measured as JSON. Run
in its own process, so Qt meets the test's private PulseAudio server from its first look at
the devices."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from audiostudio.ui.main_window import MainWindow


def main(folder: str, start_s: float, seconds: float) -> None:
    app = QApplication([])
    window = MainWindow()
    assert window.open_path(Path(folder), ask_recovery=False, interactive=False)
    window.resize(1400, 900)
    window.show()
    preview = window.preview
    deadline = time.monotonic() + 60
    while preview.measuring and time.monotonic() < deadline:  # Play would wait for it
        app.processEvents()
        time.sleep(0.01)
    assert preview.player.output().kind == "device", "no output device: is PulseAudio up?"
    window.document.set_playhead(start_s)
    pressed = time.monotonic()
    QTest.keyClick(window.panel.view, Qt.Key.Key_Space)
    first_sound = None
    while time.monotonic() < pressed + seconds:
        app.processEvents()
        if first_sound is None and window.document.playhead > start_s:
            first_sound = time.monotonic()
        time.sleep(0.005)
    playing = preview.playing
    status = preview.player.status()
    QTest.keyClick(window.panel.view, Qt.Key.Key_Space)
    window.close()
    print(json.dumps({"underruns": status.underruns, "error": status.error, "playing": playing,
                      "press_to_device_ms": None if first_sound is None
                      else round(1000 * (first_sound - pressed), 1)}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]), float(sys.argv[3]))
