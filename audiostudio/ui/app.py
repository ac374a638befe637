"""Start the window: `audiostudio`, `audiostudio open DIR`, `audiostudio DIR --screenshot F.png`."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from audiostudio.errors import AudiostudioError

# The desktop entry, AppStream metainfo and icon names in packaging/ use this id.
APP_ID = "io.github.audiostudio.Audiostudio"


def has_display() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if platform and not platform.startswith(("xcb", "wayland")):
        return True  # offscreen, vnc, eglfs...: Qt needs no display server
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise AudiostudioError(f"--size must look like 1600x1000, not '{text}'") from None
    if width < 200 or height < 150:
        raise AudiostudioError("--size is too small (at least 200x150)")
    return width, height


def wait_until(app, condition, timeout_s: float) -> bool:
    """Let Qt run (background waveform builds, repaints) until ``condition()`` or the timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        app.processEvents()
        if condition():
            app.processEvents()
            return True
        time.sleep(0.01)
    return False


def run_window(project: Path | None, screenshot: Path | None = None,
               size: str = "1600x1000") -> int:
    if screenshot is not None and not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # a screenshot needs no screen
    if not has_display():
        raise AudiostudioError(
            "No display available: set DISPLAY (or run under xvfb-run); "
            "`--screenshot FILE.png` works without one"
        )
    width, height = parse_size(size)
    from PySide6.QtWidgets import QApplication

    from audiostudio.ui.main_window import MainWindow
    from audiostudio.ui.theme import apply_dark_theme, icon

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Audiostudio")
    app.setOrganizationName("Audiostudio")
    app.setWindowIcon(icon("audiostudio"))
    app.setDesktopFileName(APP_ID)  # ties the window to the installed .desktop entry
    apply_dark_theme(app)
    window = MainWindow()
    try:
        opened = project is None or window.open_path(project, interactive=screenshot is None)
    except AudiostudioError:
        window.close()  # stops its preview and generation threads
        raise
    if not opened:
        window.close()
        return 1
    if screenshot is not None:
        window.resize(width, height)
        window.show()
        app.processEvents()
        window.panel.view.fit_scene()
        if os.environ.get("AUDIOSTUDIO_STARTUP_PROBE"):  # bench/startup_bench.py reads this
            print(f"startup-probe {time.perf_counter()}", file=sys.stderr)
        view = window.panel.view
        # A waveform that arrives just before the grab is outlined in the grab's own frame,
        # whose time budget the other clips may have used up: the clip is then deferred and
        # drawn empty. Grab again once the deferred outlines are done (seen in the bundle).
        for _attempt in range(3):
            wait_until(app, view.waveforms_settled, timeout_s=20.0)
            shot = window.grab()
            if view.waveforms_settled():
                break
        if not shot.save(str(screenshot)):
            raise AudiostudioError(f"Could not write the screenshot {screenshot}")
        print(f"Screenshot written to {screenshot}")
        window.document.undo_stack.setClean()
        window.close()
        return 0
    window.show()
    app.processEvents()
    window.panel.view.fit_scene()  # now that the view has its real width
    return app.exec()
