"""Cut the user guide's close-ups out of two 1600x1000 window screenshots.

    .venv/bin/python scripts/crop_pictures.py DEMO.png SCRIPT_SCENE.png OUT_DIR

The edges are found in the pictures themselves (where the Mixer dock's title bar starts below
the timeline and its tab bar begins, where the last track's kind strip ends),
so the crops follow the window when its docks change height.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage

PANEL = "#2b2d31"  # dock title bars and panels (theme.py), and the ruler
BELOW_RULER = 100  # px from the window's top: past the toolbar and the ruler
PROBE_X = 800  # a column through the timeline and the mixer's empty middle
MASTER_WIDTH = 568  # the master section (two columns) at the mixer's right edge


def _column(image: QImage, x: int) -> list[str]:
    return [image.pixelColor(x, y).name() for y in range(image.height())]


def _mixer_rows(image: QImage) -> tuple[int, int]:
    """Top of the Mixer dock's title bar and the row where its tab bar starts."""
    column = _column(image, PROBE_X)
    # Below the ruler, the first 20 rows of panel colour: the lanes fill the timeline to its
    # scroll bar, so no empty area marks its end any more.
    top = next(y for y in range(BELOW_RULER, len(column))
               if all(c == PANEL for c in column[y:y + 20]))
    bottom = next(y for y in range(top + 40, len(column)) if column[y] != PANEL
                  and column[y - 1] == PANEL and all(c != PANEL for c in column[y:y + 3]))
    return top, bottom


def _tracks_bottom(image: QImage) -> int:
    """The last row of the last track: its kind strip (the saturated left edge) ends there."""
    rows = [y for y in range(image.height()) if QColor(image.pixelColor(1, y)).saturation() > 120]
    return max(rows) + 2


def crops(demo: QImage, script: QImage) -> dict[str, QImage]:
    top, bottom = _mixer_rows(demo)
    width = demo.width()
    return {
        "timeline.png": script.copy(QRect(0, 0, 1300, _tracks_bottom(script))),
        "mixer.png": demo.copy(QRect(0, top, width, bottom - top)),
        "master.png": demo.copy(QRect(width - MASTER_WIDTH, top + 26, MASTER_WIDTH,
                                      bottom - top - 26)),
    }


def main(demo: Path, script: Path, out: Path) -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    images = {"demo": QImage(str(demo)), "script": QImage(str(script))}
    for name, image in images.items():
        if (image.width(), image.height()) != (1600, 1000):
            sys.exit(f"the {name} screenshot must be 1600x1000, not {image.size()}")
    for name, image in crops(images["demo"], images["script"]).items():
        if not image.save(str(out / name)):
            sys.exit(f"cannot write {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
