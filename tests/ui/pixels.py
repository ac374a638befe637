"""Checks on what a screenshot shows: each clip's colours where the clip is, and a waveform."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QWidget

from audiostudio.ui.timeline import TimelineView
from audiostudio.ui.timeline.items import clip_palette


def close(a: QColor, b: QColor, tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in
               zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def assert_clips_drawn(png: Path, view: TimelineView, within: QWidget) -> int:
    """Decode ``png`` (a grab of ``within``) and check every fully visible clip with audio:
    its title strip has the clip's title colour, and its body shows a waveform (columns of
    the waveform colour whose height changes along the clip). Returns the clips checked."""
    image = QImage(str(png))
    assert not image.isNull(), png
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    checked = 0
    for item in view.scene().items(visible):
        rect = item.sceneBoundingRect()
        if (not hasattr(item, "clip_id") or not visible.contains(rect) or item.empty
                or item.path is None or rect.width() < 60 or rect.height() < 40):
            continue
        colors = clip_palette(item.base_rgb, item.selected, item.muted)
        origin = view.viewport().mapTo(within, view.mapFromScene(rect.topLeft()))
        scale = image.width() / within.width()  # a HiDPI grab has more pixels than points

        def pixel(x: float, y: float, origin: QPoint = origin, scale: float = scale) -> QColor:
            return image.pixelColor(round((origin.x() + x) * scale),
                                    round((origin.y() + y) * scale))

        # the title strip (under the name and badge, so: most of a row) and the body
        strip = [close(pixel(x, 8), colors["title"]) for x in range(4, int(rect.width()) - 4)]
        assert sum(strip) > len(strip) / 3, (item.clip_id, "title strip colour")
        body = pixel(rect.width() / 2, 17)  # between the strip and the waveform's top
        assert close(body, colors["body"]), (item.clip_id, body.name(), "body colour")
        top, bottom = 20, int(rect.height()) - 4
        heights = [sum(close(pixel(x, y), colors["wave"], 40) for y in range(top, bottom))
                   for x in range(4, int(rect.width()) - 4, 3)]
        assert max(heights) > 0, (item.clip_id, "no waveform pixels")
        assert len(set(heights)) > 2, (item.clip_id, "a flat band, not a waveform")
        checked += 1
    return checked


def share_of(image: QImage, color: QColor, step: int = 3) -> float:
    """The fraction of (sampled) pixels of ``image`` that are ``color``."""
    hits = total = 0
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            hits += close(image.pixelColor(x, y), color)
            total += 1
    return hits / max(total, 1)
