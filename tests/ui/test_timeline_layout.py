"""Clip titles that fit their clips, tooltips that say it all, and lanes that use the height:
painted through the real view (titles read back from the paint and the pixels), lane zoom
driven by Fit, window resizes, Ctrl+wheel, keys and a header drag."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QFontMetricsF, QHelpEvent, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QToolTip

from audiostudio.model import Clip, Project, Request, Take, Track
from audiostudio.model.request import request_hash
from audiostudio.ui.document import DEFAULT_TRACK_HEIGHT, Document
from audiostudio.ui.main_window import MainWindow
from audiostudio.ui.timeline import TimelinePanel, TimelineView, style
from audiostudio.ui.timeline.items import ClipItem, clip_palette
from audiostudio.ui.timeline.view import FIT_MAX_LANE
from audiostudio.ui.timeline.zoom_preview import MAX_STRETCH
from tests.conftest import SAMPLE_PROJECT
from tests.ui.pixels import close

RATE = 48000
PPS = 100.0
LINE = "[whispering] Did you hear that? Someone is on the stairs, coming up slowly."
LEFT = Qt.MouseButton.LeftButton
NO_MOD = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def write_voice(folder: Path, seconds: float) -> str:
    t = np.arange(int(seconds * RATE)) / RATE
    audio = 0.5 * np.sin(2 * np.pi * 190 * t) * np.clip(np.sin(2 * np.pi * 2.3 * t), 0, 1)
    (folder / "assets").mkdir(exist_ok=True)
    sf.write(folder / "assets" / "line.wav", audio.astype(np.float32), RATE)
    return "assets/line.wav"


@pytest.fixture
def panel(qtbot, tmp_path: Path) -> Iterator[TimelinePanel]:
    """Three tracks: a generated, current voice line; a stale one; an SFX prompt."""
    source = write_voice(tmp_path, 3.0)
    said = Request(kind="voice", text=LINE)
    current = [Take(source=source, request_hash=request_hash(said))]
    project = Project(name="Titles", tracks=[
        Track(id="t-v", name="Narration", kind="voice", clips=[
            Clip(id="c-long", name="Line 2", speaker="MAYA", start=0.5, source=source,
                 source_duration=3.0, duration=1.6, request=said, takes=current, take=0)]),
        Track(id="t-w", name="Keeper", kind="voice", clips=[
            Clip(id="c-stale", name="Someone, or something, was waiting", start=0.5,
                 source=source, source_duration=3.0, duration=2.2,
                 request=Request(kind="voice", text="Edited since."), takes=current, take=0)]),
        Track(id="t-s", name="Effects", kind="sfx", clips=[
            Clip(id="c-sfx", start=1.0, request=Request(
                kind="sfx", prompt="slow heavy footsteps on wooden stairs", duration=4.0))]),
    ])
    document = Document(project, tmp_path)
    panel = TimelinePanel(document)
    qtbot.addWidget(panel)
    panel.resize(1200, 600)
    panel.show()
    qtbot.waitExposed(panel)
    panel.view.set_pixels_per_second(PPS, anchor_x=0)
    panel.view.horizontalScrollBar().setValue(0)
    try:
        yield panel
    finally:
        panel.shutdown()
        document.undo_stack.cleanChanged.disconnect()


def painted(view: TimelineView) -> QImage:
    """A real paint of the viewport (items paint into their caches, then onto this)."""
    return view.viewport().grab().toImage()


def title_room(item: ClipItem) -> float:
    """The width a title may take inside the clip's title bar."""
    margin = style.FADE_HANDLE + 4
    return item.boundingRect().width() - 2 * margin


def text_width(text: str) -> float:
    return QFontMetricsF(style.ui_font(8)).horizontalAdvance(text)


# --- titles -----------------------------------------------------------------------------------
def test_a_long_title_is_cut_at_a_word_with_an_ellipsis_and_fits_the_clip(qtbot, panel):
    view = panel.view
    painted(view)
    item = view.clip_item("c-long")
    full = "Line 2 — MAYA: Did you hear that? Someone is on the stairs, coming up slowly."
    assert item.title == full
    shown = item.shown_title
    assert shown.endswith("…") and len(shown) > 4, shown
    kept = shown[:-1]
    assert full.startswith(kept) and full[len(kept)] in " :", shown  # whole words only
    assert not kept.endswith((":", "—", " ")), shown  # no dangling separator
    assert text_width(shown) <= title_room(item)
    # wider: more words, still whole and fitting; wide enough: the whole title, no ellipsis
    view.set_pixels_per_second(PPS * 2, anchor_x=0)
    painted(view)
    longer = item.shown_title
    assert len(longer) > len(shown) and full.startswith(longer[:-1])
    assert text_width(longer) <= title_room(item)
    view.set_pixels_per_second(PPS * 8, anchor_x=0)
    painted(view)
    assert item.shown_title == full


def test_a_very_narrow_clip_shows_a_cut_first_word_or_nothing(qtbot, panel):
    view = panel.view
    item = view.clip_item("c-long")
    view.set_pixels_per_second(34.0, anchor_x=0)  # 54 px: not even "Line 2…"
    painted(view)
    assert item.shown_title in ("Li…", "Lin…", "Line…"), item.shown_title
    view.set_pixels_per_second(12.0, anchor_x=0)  # 19 px
    painted(view)
    assert item.shown_title == ""


def test_the_badge_sits_after_the_name_and_never_covers_it(qtbot, panel):
    view = panel.view
    image = painted(view)
    item = view.clip_item("c-stale")
    assert item._badge()[0] == "stale"
    assert item.shown_title.endswith("…")
    origin = view.mapFromScene(item.sceneBoundingRect().topLeft())
    scale = image.width() / view.viewport().width()

    def columns(match) -> list[int]:
        found = []
        for x in range(int(item.boundingRect().width())):
            pixels = [image.pixelColor(round((origin.x() + x) * scale),
                                       round((origin.y() + y) * scale)) for y in range(3, 13)]
            if any(match(p) for p in pixels):
                found.append(x)
        return found

    badge = columns(lambda p: abs(p.red() - 0xff) < 12 and abs(p.green() - 0xb5) < 12
                    and abs(p.blue() - 0x47) < 12)
    text = columns(lambda p: min(p.red(), p.green(), p.blue()) > 170
                   and max(p.red(), p.green(), p.blue()) - min(p.red(), p.green(), p.blue()) < 30)
    assert badge and text, "both the badge and the name are painted"
    assert max(text) < min(badge), "the name ends before the badge"
    assert max(badge) < item.boundingRect().width()


def test_a_clip_too_narrow_for_the_badge_word_shows_a_dot_of_its_colour(qtbot, panel):
    view = panel.view
    view.set_pixels_per_second(16.0, anchor_x=0)  # the stale clip: 35 px, "stale" needs ~37
    image = painted(view)
    item = view.clip_item("c-stale")
    assert item.shown_title == ""
    rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    scale = image.width() / view.viewport().width()
    stale = [(x, y) for y in range(rect.top(), rect.top() + 16)
             for x in range(rect.left() - 4, rect.right() + 5)
             if close(image.pixelColor(round(x * scale), round(y * scale)), style.STALE, 20)]
    assert stale, "the dot is painted"
    assert all(rect.left() <= x <= rect.right() for x, _ in stale)  # inside the clip


def test_the_tooltip_carries_the_whole_label_speaker_words_and_state(qtbot, panel):
    view = panel.view
    painted(view)

    def tooltip(clip_id: str) -> str:
        item = view.clip_item(clip_id)
        pos = view.mapFromScene(item.sceneBoundingRect().center())
        QApplication.sendEvent(view.viewport(), QHelpEvent(
            QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos)))
        return QToolTip.text()

    long = tooltip("c-long")
    assert "<b>Line 2</b>" in long
    assert "MAYA: “[whispering] Did you hear that? Someone is on the stairs, coming up " \
           "slowly.”" in long
    assert "Up to date" in long
    stale = tooltip("c-stale")
    assert "Someone, or something, was waiting" in stale and "Stale" in stale
    sfx = tooltip("c-sfx")
    assert "Prompt: “slow heavy footsteps on wooden stairs”" in sfx
    assert "Not generated yet" in sfx and "4 s" in sfx
    view.set_clip_failed("c-sfx", "Quota <exceeded>")
    assert "Generation failed: Quota &lt;exceeded&gt;" in tooltip("c-sfx")  # text, not markup


def test_repainting_at_known_widths_reuses_the_laid_out_titles(qtbot, panel, monkeypatch):
    """Zooming back and forth measures a title's short forms once and lays out each one
    drawn once: later paints pick cached texts."""
    from audiostudio.ui.timeline import items

    view = panel.view
    made: list[str] = []
    real = items._static_text
    monkeypatch.setattr(items, "_static_text",
                        lambda text, *a, **k: (made.append(text), real(text, *a, **k))[1])
    for pps in (PPS, PPS * 1.5, PPS * 2):
        view.set_pixels_per_second(pps, anchor_x=0)
        painted(view)
    first_round = len(made)
    assert first_round >= 3  # a different cut at each width
    for pps in (PPS, PPS * 1.5, PPS * 2, PPS):
        view.set_pixels_per_second(pps, anchor_x=0)
        painted(view)
    assert len(made) == first_round


# --- lanes ------------------------------------------------------------------------------------
def test_fit_makes_the_lanes_fill_the_height_and_keeps_them_filling_it(qtbot, panel):
    view, headers = panel.view, panel.headers
    assert view.rows_bottom() == 3 * DEFAULT_TRACK_HEIGHT  # before: short lanes, empty below
    view.fit_scene()
    height = view.viewport().height()
    assert view.rows_bottom() == height
    lanes = [view.row_height(i) for i in range(3)]
    assert max(lanes) - min(lanes) <= 1 and min(lanes) > DEFAULT_TRACK_HEIGHT
    for index, track in enumerate(view.document.project.tracks):  # headers beside lanes
        row = headers.rows[track.id]
        assert (row.y(), row.height()) == (view.row_top(index), view.row_height(index))
    item = view.clip_item("c-sfx")
    assert item.boundingRect().height() == view.row_height(2) - 2 * style.CLIP_MARGIN
    # a taller window (a dock closed): still filling; the model's heights never change
    panel.resize(1200, 660)
    qtbot.waitUntil(lambda: view.viewport().height() > height)
    assert view.viewport().height() < 3 * FIT_MAX_LANE
    assert view.rows_bottom() == view.viewport().height()
    assert all(t.height is None for t in view.document.project.tracks)
    assert view.document.undo_stack.count() == 0


def test_fit_keeps_one_track_from_becoming_a_wall(qtbot, tmp_path):
    document = Document(Project(tracks=[Track(id="t", name="Only", kind="music")]), tmp_path)
    panel = TimelinePanel(document)
    qtbot.addWidget(panel)
    panel.resize(1000, 900)
    panel.show()
    qtbot.waitExposed(panel)
    try:
        panel.view.fit_scene()
        assert panel.view.row_height(0) == FIT_MAX_LANE
    finally:
        panel.shutdown()
        document.undo_stack.cleanChanged.disconnect()


def test_ctrl_wheel_over_headers_and_keys_change_the_lane_height(qtbot, panel):
    view, headers = panel.view, panel.headers
    view.fit_scene()
    fitted = view.row_height(0)
    header = headers.rows["t-v"]
    spot = QPointF(header.mapTo(headers, QPoint(60, 10)))  # the column gets the wheel
    event = QWheelEvent(spot, headers.mapToGlobal(spot), QPoint(), QPoint(0, 120),
                        Qt.MouseButton.NoButton, CTRL, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(headers, event)
    taller = view.row_height(0)
    assert taller > fitted and header.height() == taller
    assert view.verticalScrollBar().maximum() > 0  # the lanes now run past the bottom
    # the user chose a height: a resize no longer fits the lanes again
    panel.resize(1200, 700)
    qtbot.waitUntil(lambda: view.viewport().height() > 500)
    assert view.row_height(0) == taller
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)
    qtbot.keyClick(view, Qt.Key.Key_Down, CTRL)
    assert view.row_height(0) < taller
    for _ in range(30):
        qtbot.keyClick(view, Qt.Key.Key_Down, CTRL)
    assert view.row_height(0) == style.MIN_TRACK_HEIGHT  # never below the smallest lane
    assert view.document.undo_stack.count() == 0  # a view zoom, not an edit


def test_a_lane_zoom_shows_the_old_outline_stretched_until_the_new_one_is_made(
        qtbot, panel, monkeypatch):
    view = panel.view
    for _ in range(50):  # the exact outline at this height first
        painted(view)
        if view.waveforms_settled():
            break
        qtbot.waitUntil(view.waveforms_settled, timeout=10000)
    item = view.clip_item("c-long")
    monkeypatch.setattr(view.wave_scheduler, "time_left", lambda: False)  # no time this frame
    view.set_lane_scale(2.5)
    image = painted(view)
    assert item._stale_wave is not None and not item._wave_chunks  # the new one waits
    wave = clip_palette(item.base_rgb, item.selected, item.muted)["wave"]
    rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    scale = image.width() / view.viewport().width()
    # the old outline reached 1x the lane's height: stretched, it fills the taller body
    rows = {y for y in range(rect.top() + 20, rect.bottom() - 3)
            for x in range(rect.left() + 4, rect.right() - 4, 4)
            if close(image.pixelColor(round(x * scale), round(y * scale)), wave, 40)}
    assert rows and max(rows) - min(rows) > DEFAULT_TRACK_HEIGHT


def test_resizing_a_zoomed_lane_stores_the_tracks_own_height(qtbot, panel):
    view, doc = panel.view, panel.document
    view.set_lane_scale(2.0)
    header = panel.headers.rows["t-v"]
    assert header.height() == 2 * DEFAULT_TRACK_HEIGHT
    edge = QPoint(100, header.height() - 2)
    qtbot.mousePress(header, LEFT, NO_MOD, edge)
    for dy in (10, 30, 40):
        qtbot.mouseMove(header, edge + QPoint(0, dy))
    assert view.row_top(1) == 2 * DEFAULT_TRACK_HEIGHT + 40  # the drag shows pixels
    qtbot.mouseRelease(header, LEFT, NO_MOD, edge + QPoint(0, 40))
    assert doc.project.find_track("t-v").height == DEFAULT_TRACK_HEIGHT + 20
    assert view.row_height(0) == 2 * DEFAULT_TRACK_HEIGHT + 40
    assert panel.headers.rows["t-w"].y() == view.row_top(1)
    doc.undo_stack.undo()
    assert doc.project.find_track("t-v").height is None
    assert view.row_height(0) == 2 * DEFAULT_TRACK_HEIGHT


# --- the window's default layout ----------------------------------------------------------------
def open_window(qtbot, folder: Path) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: w.document.undo_stack.setClean())
    assert win.open_path(folder)
    win.show()
    qtbot.waitExposed(win)
    return win


def test_the_window_opens_with_lanes_filling_the_timeline_and_restores_the_docks(qtbot,
                                                                                 tmp_path):
    scene = Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene"))  # a first start (conftest)
    win = open_window(qtbot, scene)
    view = win.panel.view
    mixer = win.findChild(QDockWidget, "mixerDock")
    qtbot.waitUntil(lambda: view.rows_bottom() == view.viewport().height())
    assert len(win.document.project.tracks) == 3
    # the mixer as tall as its strips need, on this small screen (the offscreen one is
    # 800 px) a third of the window, scrolling; the timeline gets the rest
    qtbot.waitUntil(lambda: mixer.height() <= win.height() // 3)
    assert mixer.widget().verticalScrollBar().maximum() > 0  # the strips scroll
    assert mixer.minimumSizeHint().height() < 100
    qtbot.waitUntil(lambda: view.rows_bottom() == view.viewport().height())
    assert view.viewport().height() > mixer.height()
    before = mixer.height()
    win.resizeDocks([mixer], [before + 100], Qt.Orientation.Vertical)
    qtbot.waitUntil(lambda: mixer.height() > before + 50)
    qtbot.waitUntil(lambda: view.rows_bottom() == view.viewport().height())  # refitted
    chosen = mixer.height()
    win.close()  # keeps the window's geometry and docks

    again = open_window(qtbot, scene)
    again_mixer = again.findChild(QDockWidget, "mixerDock")
    assert again_mixer.height() == chosen
    again_view = again.panel.view
    qtbot.waitUntil(lambda: again_view.rows_bottom() == again_view.viewport().height())
    again.close()


def test_a_large_first_window_gives_the_mixer_what_its_strips_need(qtbot, tmp_path):
    win = MainWindow()
    qtbot.addWidget(win, before_close_func=lambda w: w.document.undo_stack.setClean())
    assert win.open_path(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    win.resize(1600, 1000)  # as on a large screen, before it is shown
    win.show()
    qtbot.waitExposed(win)
    mixer = win.findChild(QDockWidget, "mixerDock")
    scroll = mixer.widget()
    # every strip whole (nothing to scroll) in under a third of the window
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() == 0
                    and scroll.viewport().height() >= win.mixer.minimumSizeHint().height())
    assert mixer.height() < win.height() // 3
    view = win.panel.view
    qtbot.waitUntil(lambda: view.rows_bottom() == view.viewport().height())
    assert view.viewport().height() > 1.5 * mixer.height()


# --- zoom gestures ------------------------------------------------------------------------------
def test_a_wheel_zoom_shows_the_last_frame_stretched_then_paints_sharp(qtbot, panel,
                                                                       monkeypatch):
    view = panel.view
    for _ in range(50):
        painted(view)
        if view.waveforms_settled():
            break
        qtbot.waitUntil(view.waveforms_settled, timeout=10000)
    # (Qt resolves paint() to Python once per class: count a helper every paint calls.)
    paints: list[str] = []
    real = ClipItem._paint_body
    monkeypatch.setattr(ClipItem, "_paint_body",
                        lambda self, *a: (paints.append(self.clip_id), real(self, *a))[1])
    spot = QPointF(30, 40)
    for _ in range(3):  # three notches of one gesture
        QApplication.sendEvent(view.viewport(), QWheelEvent(
            spot, view.viewport().mapToGlobal(spot), QPoint(), QPoint(0, 120),
            Qt.MouseButton.NoButton, CTRL, Qt.ScrollPhase.NoScrollPhase, False))
        image = painted(view)
    assert view.pixels_per_second == pytest.approx(PPS * 1.25 ** 3)
    assert view.zoom_preview.active and paints == []  # stretched: no clip repainted
    item = view.clip_item("c-long")  # the clip's real geometry is the new zoom's
    assert item.boundingRect().width() == pytest.approx(1.6 * PPS * 1.25 ** 3)
    title = clip_palette(item.base_rgb, item.selected, item.muted)["title"]
    scale = image.width() / view.viewport().width()
    rect = view.mapFromScene(item.sceneBoundingRect()).boundingRect()
    for x in (rect.left() + 4, rect.center().x(), rect.right() - 4):  # where it is now
        color = image.pixelColor(round(x * scale), round((rect.top() + 2) * scale))
        assert close(color, title, 12), (x, color.name())
    qtbot.waitUntil(lambda: not view.zoom_preview.active, timeout=3000)  # the wheel rested
    painted(view)
    assert "c-long" in paints


def test_a_long_zoom_gesture_takes_a_new_sharp_frame_every_few_notches(qtbot, panel):
    view = panel.view
    stretches = []
    for _ in range(9):  # zooming out: 9 notches of 1/1.25 = 0.13x
        view.zoom_out()
        painted(view)
        stretches.append(view.zoom_preview.stretch)
    assert view.zoom_preview.active
    assert min(stretches) >= 1 / MAX_STRETCH  # never stretched further than that
    assert stretches.count(pytest.approx(1 / 1.25)) >= 2  # new frames during the gesture


def test_a_click_during_a_zoom_gesture_paints_sharp_at_once(qtbot, panel):
    view = panel.view
    view.zoom_in()
    assert view.zoom_preview.active
    qtbot.mousePress(view.viewport(), LEFT, NO_MOD, QPoint(900, 20))
    qtbot.mouseRelease(view.viewport(), LEFT, NO_MOD, QPoint(900, 20))
    assert not view.zoom_preview.active
