"""Cut the user guide's close-ups out of two 1600x1000 window screenshots.

    .venv/bin/python scripts/crop_pictures.py DEMO.png SCRIPT_SCENE.png OUT_DIR

The rectangles follow the window's first-start layout at 1600x1000 (timeline top left,
inspector right, mixer below); scripts/update_screenshots.sh makes both inputs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRect
from PySide6.QtGui import QGuiApplication, QImage

# name: (source, x, y, width, height)
CROPS = {
    "timeline.png": ("script", 0, 0, 1300, 440),
    "mixer.png": ("demo", 0, 628, 1600, 312),
    "master.png": ("demo", 1262, 650, 338, 292),
}


def main(demo: Path, script: Path, out: Path) -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    sources = {"demo": QImage(str(demo)), "script": QImage(str(script))}
    for name, image in sources.items():
        if image.size().width() != 1600 or image.size().height() != 1000:
            sys.exit(f"the {name} screenshot must be 1600x1000, not {image.size()}")
    for name, (source, *rect) in CROPS.items():
        if not sources[source].copy(QRect(*rect)).save(str(out / name)):
            sys.exit(f"cannot write {out / name}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
