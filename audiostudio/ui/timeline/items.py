"""Scene items: one ClipItem per clip, and the playhead line.

Scene x is seconds x pixels-per-second (no view transform), so text and pens keep their size
at every zoom; zooming re-places the items instead. Items never edit the model: the view runs
the mouse gestures and moves items only as a preview until the single edit on release.
Painting does only what the exposed rect needs, skips detail that would not be visible at the
item's size, and keeps the waveform outline per zoom in chunks of columns. A title too long
for its clip is shortened at a word with "…": its shortened forms are measured once per title
and each one drawn is laid out once, so a zoom picks a cached text instead of re-eliding.
"""

from __future__ import annotations

import bisect
import html
import math
from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QPolygonF, QStaticText
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from audiostudio.audio.mixer import fade_curve  # the curve you hear is the curve drawn
from audiostudio.model import Clip, Track
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.ui.clip_labels import clip_details, clip_label, elided_forms
from audiostudio.ui.timeline import style
from audiostudio.ui.timeline.waveform import clip_columns, polygon, waveform_polygon

if TYPE_CHECKING:
    from audiostudio.ui.timeline.context import PaintContext
    from audiostudio.ui.timeline.wave_schedule import WaveformScheduler

EMPTY_CLIP_SECONDS = 2.0  # how wide a prompt with no audio (and no duration) is drawn
MIN_TEXT_ROOM = 16  # px; less would show a letter or two
NARROW_TITLE = MIN_TEXT_ROOM + 2 * 3  # px; a clip this narrow shows at most a badge
TITLE_POINTS = 8
BADGE_POINTS = 7
BADGE_PAD = 10  # px around a badge's word
BADGE_GAP = 4  # px between the name and the badge
DETAIL_MIN_WIDTH = 40  # narrower clips skip rounded corners, fade handles and curves
WAVE_CHUNK = 512  # columns per cached waveform polygon
MAX_CHUNKS = 16  # per item; beyond this the cache restarts (a very long clip, deep zoom)
_FADE_POINTS = np.linspace(0.0, 1.0, 17)
FADE_SHADE = QColor(0, 0, 0, 105)
FADE_LINE = QPen(QColor(255, 255, 255, 190), 1.2)
HANDLE_EDGE = QPen(QColor(0, 0, 0, 160), 1)
HANDLE = QColor(255, 255, 255, 170)
HANDLE_SELECTED = QColor(255, 255, 255, 235)
BADGE_TEXT = QColor("#1e1f22")
SELECTED_OUTLINE = QPen(style.SELECTION, 1.5)
# Enum members looked up once: attribute access on Qt enums costs ~0.5 us, paint runs often.
ANTIALIAS = QPainter.RenderHint.Antialiasing
NO_PEN = Qt.PenStyle.NoPen
NO_BRUSH = Qt.BrushStyle.NoBrush
CENTER = Qt.AlignmentFlag.AlignCenter


def display_length(clip: Clip) -> float:
    """Seconds to draw: the clip's length, else the requested duration of a prompt."""
    if clip.length:
        return clip.length
    if clip.request is not None and clip.request.duration:
        return clip.request.duration
    return EMPTY_CLIP_SECONDS


@cache
def _title_metrics() -> QFontMetricsF:
    return QFontMetricsF(style.ui_font(TITLE_POINTS))


def _static_text(text: str, font_points: float, bold: bool = False) -> QStaticText:
    """Laid out once: drawing a static text is ~3x cheaper than drawText."""
    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    static.prepare(font=style.ui_font(font_points, bold))
    return static


@cache
def _badge_text(badge: str) -> QStaticText:
    return _static_text(badge, BADGE_POINTS, bold=True)


def _blend(a: QColor, b: QColor, amount: float) -> QColor:
    """``amount`` of ``a`` over ``b``."""
    return QColor.fromRgbF(*(x * amount + y * (1 - amount) for x, y in
                             zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True)))


@cache
def clip_palette(base_rgb: int, selected: bool, muted: bool) -> dict[str, QColor]:
    """The colours a clip is drawn in, from its base colour (``style.clip_color``)."""
    base = QColor.fromRgb(base_rgb)
    if muted:
        base = _blend(base, QColor("#777a80"), 0.35)
    lift = 0.1 if selected else 0.0
    return {
        "body": _blend(base, style.BACKGROUND, 0.24 + lift),
        "title": _blend(base, style.BACKGROUND, 0.62 + lift),
        "wave": _blend(base, QColor("#ffffff"), 0.7 if not muted else 0.5),
        "edge": _blend(base, style.BACKGROUND, 0.8),
        "ghost": QColor.fromRgbF(*_blend(base, style.BACKGROUND, 0.24).getRgbF()[:3], 0.43),
    }


class ClipItem(QGraphicsItem):
    def __init__(self, context: PaintContext, waves: WaveformScheduler, track: Track,
                 clip: Clip, row: int) -> None:
        super().__init__()
        self.context = context
        self.waves = waves
        self.clip_id = clip.id
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)
        # A repaint that does not change the clip (scrolling back, the playhead passing, a
        # window exposed) blits a pixmap instead of running paint() in Python.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.selected = False
        self.hovered = False
        self.progress: float | None = None
        self.failure: str | None = None
        self._size = QRectF()
        self.title: str | None = None
        self._title_text = QStaticText()
        # Shortened forms of the title, measured when first needed: (widths, texts) ascending.
        self._forms: tuple[list[float], list[str]] | None = None
        self._form_texts: dict[str, QStaticText] = {}
        self.shown_title = ""  # what the last paint wrote in the title bar (tests read it)
        self._look: tuple = ()
        # (what is drawn, (pixels/second, top, bottom)): the audio, and where it is drawn
        self._wave_key: tuple[tuple, tuple[float, float, float]] | None = None
        self._wave_chunks: dict[int, QPolygonF] = {}
        self._stale_wave: tuple[tuple[float, float, float], dict[int, QPolygonF]] | None = None
        self.wave_forced = False  # compute the outline at the next paint, whatever the budget
        self.sync(track, clip, row)

    # --- model -> item ------------------------------------------------------------------------
    def sync(self, track: Track, clip: Clip, row: int) -> None:
        """Take the model's values (dropping any drag preview); repaint only if the clip looks
        different (a move touches its whole track, but only one clip changed)."""
        self.track, self.clip, self.row = track, clip, row
        self.start = clip.start
        self.length = display_length(clip)
        self.offset = clip.offset
        self.fade_in, self.fade_out = clip.fade_in, clip.fade_out
        self.state = clip_state(clip)
        self.empty = self.state is ClipState.EMPTY or clip.source is None
        label = clip_label(clip, generated=not self.empty, track_name=track.name)
        title, self.hint = label.title, label.hint
        if title != self.title:
            self.title = title
            self._title_text = _static_text(title, TITLE_POINTS)
            self._forms = None
            self._form_texts = {}
        self.muted = clip.mute or track.mute
        self.path = self.context.source_path(clip)
        self.gain = min(4.0, 10 ** (clip.gain_db / 20))  # waveform drawn with the clip gain
        self.base_rgb = style.clip_color(track, clip).rgb()
        look = (self.offset, self.fade_in, self.fade_out, clip.fade_in_curve,
                clip.fade_out_curve, self.title, self.hint, self.state, self.empty, self.muted,
                clip.gain_db, clip.loop, clip.source, self.base_rgb)
        if look != self._look:
            self._look = look
            self.update()
        self.place()

    def preview(self, **values: float | int) -> None:
        """Show a drag in progress (start, length, offset, fade_in, fade_out, row)."""
        for key, value in values.items():
            setattr(self, key, value)
        if values.keys() - {"start", "row"}:
            self.update()  # the content changes, not only the position
        self.place()

    def place(self) -> None:
        context = self.context
        pps = context.pps
        height = max(4.0, context.row_height(self.row) - 2 * style.CLIP_MARGIN)
        width = max(1.0, self.length * pps)
        if width != self._size.width() or height != self._size.height():
            self.prepareGeometryChange()
            self._size = QRectF(0, 0, width, height)
            self.update()  # a new size is new content: drop the cached pixels, not only move
        self.setPos(self.start * pps, context.row_top(self.row) + style.CLIP_MARGIN)

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.setZValue(1 if selected else 0)
            self.update()

    def set_hovered(self, hovered: bool) -> None:
        if hovered != self.hovered:
            self.hovered = hovered
            self.update()  # fade handles show on the clip under the mouse (and when selected)

    def set_progress(self, fraction: float | None) -> None:
        self.progress = fraction
        self.update()

    def set_failure(self, message: str | None) -> None:
        self.failure = message
        self.update()

    def tooltip(self) -> str:
        """Everything the title may cut (speaker, words or prompt, what it is, its state) and
        why it has no sound, as rich text; built when the mouse rests, not at each sync."""
        lines = clip_details(self.clip)
        if self.failure:
            lines.append(f"Generation failed: {self.failure}")
        elif self.progress is not None:
            lines.append(f"Generating… {round(self.progress * 100)}%")
        problem = self.waves.error(self.path) if self.path is not None else None
        if problem:
            lines.append(problem)
        if self.muted:
            lines.append("Muted")
        escaped = [html.escape(line) for line in lines]
        return f"<qt><b>{escaped[0]}</b><br>{'<br>'.join(escaped[1:])}</qt>"

    # --- hit zones ----------------------------------------------------------------------------
    def fade_handle_x(self, side: str) -> float:
        pps = self.context.pps
        if side == "fade_in":
            return min(self.fade_in * pps, self._size.width())
        return max(self._size.width() - self.fade_out * pps, 0.0)

    def zone_at(self, local: QPointF) -> str:
        """"fade_in" / "fade_out" (top corner handles), "start" / "end" (edges) or "body"."""
        width = self._size.width()
        x, y = local.x(), local.y()
        if self._detailed() and y <= style.FADE_HANDLE + 2:
            for side in ("fade_in", "fade_out"):
                if abs(x - self.fade_handle_x(side)) <= style.FADE_HANDLE / 2 + 2:
                    return side
        edge = min(style.EDGE_ZONE, width / 4)
        if x < edge:
            return "start"
        if x > width - edge:
            return "end"
        return "body"

    def _detailed(self) -> bool:
        """Wide and tall enough for rounded corners, fade handles and curves."""
        return self._size.width() >= DETAIL_MIN_WIDTH and self._size.height() >= 24

    # --- painting -----------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return self._size

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        rect = self._size
        colors = clip_palette(self.base_rgb, self.selected, self.muted)
        if rect.width() < 4:  # zoomed far out: a sliver of colour is all that would show
            painter.fillRect(rect, colors["title"])
            return
        detailed = self._detailed()
        title_h = min(style.CLIP_TITLE_HEIGHT, rect.height() / 2)
        # Antialiasing only for curves and round corners of clips big enough to show them;
        # waveform columns and small clips are pixel-aligned and draw 3x faster without it.
        painter.setRenderHint(ANTIALIAS, detailed or self.empty)
        self._paint_body(painter, rect, colors, title_h, detailed)
        if not self.empty and self.path is not None:
            if detailed:
                painter.setRenderHint(ANTIALIAS, False)
            self._paint_waveform(painter, option.exposedRect, title_h, colors["wave"])
            if detailed:
                painter.setRenderHint(ANTIALIAS, True)
        if detailed:
            self._paint_fades(painter, title_h)
        self._paint_title(painter, rect, title_h, detailed)
        if self.progress is not None:
            bar = QRectF(1, rect.height() - 4, (rect.width() - 2) * self.progress, 3)
            painter.fillRect(bar, style.PROGRESS)
        if self.selected:
            painter.setPen(SELECTED_OUTLINE)
            painter.setBrush(NO_BRUSH)
            painter.drawRoundedRect(rect.adjusted(0.75, 0.75, -0.75, -0.75), 3, 3)

    def _paint_body(self, painter: QPainter, rect: QRectF, colors: dict[str, QColor],
                    title_h: float, detailed: bool) -> None:
        if self.empty:  # a prompt waiting for audio: an outline to fill, not a solid clip
            painter.setPen(QPen(colors["wave"], 1.2, Qt.PenStyle.DashLine))
            painter.setBrush(colors["ghost"])
            painter.drawRoundedRect(rect.adjusted(0.6, 0.6, -0.6, -0.6), 3, 3)
            return
        title = QRectF(0, 0, rect.width(), title_h)
        if not detailed:  # small: square corners, no antialiasing (a third of the cost)
            # The first column left clear (the row shows through) tells back-to-back
            # neighbours apart, one fill fewer than drawing an edge.
            painter.fillRect(QRectF(1, title_h, rect.width() - 1, rect.height() - title_h),
                             colors["body"])
            painter.fillRect(title.adjusted(1, 0, 0, 0), colors["title"])
            return
        painter.setPen(QPen(colors["edge"], 1))
        painter.setBrush(colors["body"])
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
        painter.setPen(NO_PEN)
        painter.setBrush(colors["title"])
        painter.drawRoundedRect(title.adjusted(0.5, 0.5, -0.5, 3), 3, 3)
        painter.fillRect(QRectF(0.5, title_h, rect.width() - 1, 3.5), colors["body"])

    def _paint_waveform(self, painter: QPainter, exposed: QRectF, title_h: float,
                        color: QColor) -> None:
        rate = self.context.sample_rate
        waveform = self.waves.waveform(self.path, rate, self)
        if waveform is None:
            return
        rect = self._size
        top, bottom = title_h + 2, rect.height() - 3
        if bottom - top < 4:
            return
        pps = self.context.pps
        gain = self.gain
        loop = self.clip.source_duration if self.clip.loop else None
        key = (self.offset, rate, gain, loop, id(waveform))
        place = (pps, top, bottom)
        if (key, place) != self._wave_key or len(self._wave_chunks) > MAX_CHUNKS:
            # Keep the outline of the previous zoom or lane height: drawn stretched until the
            # new one is made.
            same_audio = self._wave_key is not None and self._wave_key[0] == key
            if same_audio and self._wave_chunks:
                self._stale_wave = (self._wave_key[1], self._wave_chunks)
            elif not same_audio:
                self._stale_wave = None
            self._wave_key = (key, place)
            self._wave_chunks = {}
        width = math.ceil(rect.width())
        first = max(0, int(exposed.left()))
        last = min(width, math.ceil(exposed.right()))
        if last <= first:
            return
        painter.setPen(NO_PEN)
        painter.setBrush(color)
        chunks = range(first // WAVE_CHUNK, (last - 1) // WAVE_CHUNK + 1)
        missing = [c for c in chunks if c not in self._wave_chunks]
        if missing and (self.wave_forced or self.waves.time_left()):
            mid, half = (top + bottom) / 2, (bottom - top) / 2
            for chunk in missing:
                c0 = chunk * WAVE_CHUNK
                count = min(WAVE_CHUNK + 1, width - c0)  # +1 overlaps the next chunk: no seam
                mins, maxs = clip_columns(waveform, rate, self.offset, loop, c0, count, pps)
                self._wave_chunks[chunk] = waveform_polygon(mins, maxs, c0, mid, half, gain)
            missing = []
        self.wave_forced = False
        if missing:
            self.waves.defer(self)
            if self._stale_wave is not None:
                (old_pps, old_top, old_bottom), outlines = self._stale_wave
                painter.save()
                if (old_top, old_bottom) != (top, bottom):  # the lane changed height
                    painter.translate(0, top)
                    painter.scale(1.0, (bottom - top) / (old_bottom - old_top))
                    painter.translate(0, -old_top)
                painter.scale(pps / old_pps, 1.0)
                for outline in outlines.values():
                    painter.drawPolygon(outline)
                painter.restore()
        elif len(self._wave_chunks) * WAVE_CHUNK >= width:
            self._stale_wave = None  # the whole clip is drawn at this zoom
        for chunk in chunks:
            outline = self._wave_chunks.get(chunk)
            if outline is not None:
                painter.drawPolygon(outline)

    def _paint_fades(self, painter: QPainter, title_h: float) -> None:
        rect = self._size
        pps = self.context.pps
        top, bottom = title_h, rect.height()
        half = style.FADE_HANDLE / 2
        for side, seconds, shape in (("fade_in", self.fade_in, self.clip.fade_in_curve),
                                     ("fade_out", self.fade_out, self.clip.fade_out_curve)):
            span = min(seconds * pps, rect.width())
            if span >= 1.5:
                points = np.empty((len(_FADE_POINTS) + 2, 2))
                xs = _FADE_POINTS * span
                points[1:-1, 0] = xs if side == "fade_in" else rect.width() - xs
                points[1:-1, 1] = bottom - fade_curve(_FADE_POINTS, shape) * (bottom - top)
                points[0] = points[1, 0], top
                points[-1] = points[-2, 0], top
                painter.setPen(NO_PEN)
                painter.setBrush(FADE_SHADE)
                painter.drawPolygon(polygon(points))
                painter.setPen(FADE_LINE)
                painter.drawPolyline(polygon(points[1:-1]))
            if not (self.selected or self.hovered):
                continue
            x = min(max(self.fade_handle_x(side), half), rect.width() - half)
            painter.setPen(HANDLE_EDGE)
            painter.setBrush(HANDLE_SELECTED if self.selected else HANDLE)
            painter.drawRect(QRectF(x - half, 0.5, style.FADE_HANDLE, style.FADE_HANDLE))

    def _paint_title(self, painter: QPainter, rect: QRectF, title_h: float,
                     detailed: bool) -> None:
        badge, badge_color = self._badge()
        if not badge and rect.width() < NARROW_TITLE:  # no room for a word or a hint: done
            self.shown_title = ""
            return
        margin = style.FADE_HANDLE + 4 if detailed else 3
        # A clip scrolled partly out on the left keeps its name in view (pinned to the edge).
        text_left = max(margin, self.context.left_edge - self.x() + 6)
        name_right = rect.width() - margin
        if badge:  # at the right end of the title bar; the name is shortened to end before it
            text = _badge_text(badge)
            badge_w = text.size().width() + BADGE_PAD
            right = name_right if badge_w + margin + 3 <= rect.width() else rect.width() - 3
            painter.setPen(NO_PEN)
            painter.setBrush(badge_color)
            if badge_w <= right - 3:
                pill = QRectF(right - badge_w, 2.5, badge_w, title_h - 5)
                painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
                painter.setFont(style.ui_font(BADGE_POINTS, bold=True))
                painter.setPen(BADGE_TEXT)
                size = text.size()
                painter.drawStaticText(QPointF(pill.center().x() - size.width() / 2,
                                               pill.center().y() - size.height() / 2), text)
            else:  # no room for the word: a dot of its colour (the tooltip says it)
                side = max(4.0, title_h - 8)
                pill = QRectF(max(1.0, right - side), (title_h - side) / 2, side, side)
                painter.drawEllipse(pill)
            name_right = pill.left() - BADGE_GAP
        room = name_right - text_left
        title = self._title_within(room) if room >= MIN_TEXT_ROOM else None
        if title is not None:
            painter.setFont(style.ui_font(TITLE_POINTS))
            painter.setPen(style.TEXT if not self.empty else style.TEXT_DIM)
            painter.drawStaticText(
                QPointF(text_left, (title_h - title.size().height()) / 2), title)
            self.shown_title = title.text()
        else:
            self.shown_title = ""
        if self.hint and rect.height() - title_h > 14 and rect.width() > 60:
            painter.setFont(style.ui_font(TITLE_POINTS))
            painter.setPen(style.TEXT_DIM)
            painter.drawText(QRectF(6, title_h, rect.width() - 12, rect.height() - title_h),
                             CENTER | Qt.TextFlag.TextWordWrap, self.hint)

    def _title_within(self, room: float) -> QStaticText | None:
        """The title, or its longest shortened form, no wider than ``room`` px (None if even
        the shortest is wider)."""
        if self._title_text.size().width() <= room:
            return self._title_text
        if self._forms is None:
            metrics = _title_metrics()
            measured = sorted((metrics.horizontalAdvance(f), f) for f in elided_forms(self.title))
            self._forms = ([w for w, _ in measured], [f for _, f in measured])
        widths, forms = self._forms
        index = bisect.bisect_right(widths, room) - 1
        if index < 0:
            return None
        form = forms[index]
        text = self._form_texts.get(form)
        if text is None:
            text = self._form_texts[form] = _static_text(form, TITLE_POINTS)
        return text

    def _badge(self) -> tuple[str, QColor]:
        if self.failure:
            return "failed", style.FAILED
        if self.progress is not None:
            return f"{round(self.progress * 100)}%", style.PROGRESS
        if not self.empty and self.path is not None:
            problem = self.waves.badge(self.path)
            if problem:
                return problem, style.FAILED
        if self.state is ClipState.STALE:
            return "stale", style.STALE
        return "", style.TEXT

class PlayheadItem(QGraphicsItem):
    """The playhead through all rows (its head is painted by the ruler)."""

    def __init__(self) -> None:
        super().__init__()
        self.setZValue(1000)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._height = 0.0

    def set_height(self, height: float) -> None:
        if height != self._height:
            self.prepareGeometryChange()
            self._height = height

    def boundingRect(self) -> QRectF:
        return QRectF(-1.0, 0.0, 2.0, self._height)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.fillRect(QRectF(-0.75, 0.0, 1.5, self._height), style.PLAYHEAD)
