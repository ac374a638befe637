"""Render the app icon SVG to the PNG sizes desktops use, plus .ico (Windows) and .icns (macOS).

Qt draws them offscreen (QSvgRenderer), so no display and no other image tool is needed:
    .venv/bin/python packaging/render_icons.py build/icons
writes build/icons/hicolor/<N>x<N>/apps/<APP_ID>.png, audiostudio.ico and audiostudio.icns.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "audiostudio" / "ui" / "icons" / "audiostudio.svg"
APP_ID = "io.github.audiostudio.Audiostudio"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def main(out: Path) -> None:
    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        sys.exit(f"cannot read {SOURCE}")
    for size in SIZES:
        target = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        if not render(renderer, size).save(str(target)):
            sys.exit(f"cannot write {target}")
    scalable = out / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    scalable.write_bytes(SOURCE.read_bytes())
    # Qt's image plugins write one size per file: 256 px for .ico, 512 px for .icns.
    for name, size in (("audiostudio.ico", 256), ("audiostudio.icns", 512)):
        if not render(renderer, size).save(str(out / name)):
            print(f"note: this Qt cannot write {name}", file=sys.stderr)
    print(f"icons in {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "icons")
