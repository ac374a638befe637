"""Colours, sizes and fonts shared by the timeline's items, ruler and headers.

The app-wide stylesheet belongs to the main window; these are only what the timeline paints
itself, kept in one place so the ruler, rows and headers line up and match.
"""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QColor, QFont

from audiostudio.model import Clip, Track

RULER_HEIGHT = 34  # ticks and labels (top 20 px) + marker flags (bottom 14 px)
HEADER_WIDTH = 232
CLIP_MARGIN = 3  # vertical gap between a clip and its row's edges
CLIP_TITLE_HEIGHT = 16
EDGE_ZONE = 6  # px at each end of a clip that trim instead of move
FADE_HANDLE = 8  # side of the fade handle squares
SNAP_PX = 8
MIN_TRACK_HEIGHT = 36
MAX_TRACK_HEIGHT = 400

BACKGROUND = QColor("#1e1f22")
ROW = QColor("#26272b")
ROW_ALT = QColor("#232428")
ROW_LINE = QColor("#3a3c42")
EMPTY_AREA = QColor("#1a1b1e")
GRID_MINOR = QColor(255, 255, 255, 14)
GRID_MAJOR = QColor(255, 255, 255, 30)
GRID_FRAME = QColor(255, 255, 255, 9)
RULER_BG = QColor("#2b2d31")
RULER_TEXT = QColor("#b5b8bf")
RULER_TICK = QColor("#6b6f78")
TEXT = QColor("#e8e9ec")
TEXT_DIM = QColor("#9a9ea6")
PLAYHEAD = QColor("#ff5a5f")
MARKER = QColor("#ffd166")
SELECTION = QColor("#ffffff")
RUBBER_BAND = QColor(120, 170, 255, 60)
STALE = QColor("#ffb547")
FAILED = QColor("#e5484d")
PROGRESS = QColor("#8fb8ff")

KIND_COLORS = {
    "voice": "#4f8cff",
    "sfx": "#f0a030",
    "music": "#3cc08a",
    "audio": "#8b9099",
}
KIND_LABELS = {"voice": "VOX", "sfx": "SFX", "music": "MUS", "audio": "AUD"}


@cache
def color(name: str) -> QColor:
    return QColor(name)


def track_color(track: Track) -> QColor:
    return color(track.color or KIND_COLORS[track.effective_kind])


def clip_color(track: Track, clip: Clip) -> QColor:
    """The clip's own colour, else its track's, else its track kind's."""
    return color(clip.color) if clip.color else track_color(track)


@cache
def _over(fg_rgba: int, bg_rgb: int) -> QColor:
    fg, bg = QColor.fromRgba(fg_rgba), QColor.fromRgb(bg_rgb)
    a = fg.alphaF()
    return QColor.fromRgbF(*(f * a + b * (1 - a) for f, b in
                             zip(fg.getRgbF()[:3], bg.getRgbF()[:3], strict=True)))


def over(fg: QColor, bg: QColor) -> QColor:
    """The opaque colour of translucent ``fg`` over ``bg``: opaque lines and fills take the
    raster engine's fast path (about 10x faster than blending)."""
    return _over(fg.rgba(), bg.rgb())


@cache
def ui_font(point_size: float = 8.5, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font
