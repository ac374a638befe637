"""A reference video sets the project's frame grid, start timecode and length; its audio becomes
a locked track left out of the mix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from audiostudio.audio.decode import read_all
from audiostudio.cli import main
from audiostudio.errors import DecodeError, EditError, ExportError
from audiostudio.export.render import export_project
from audiostudio.model import FrameRate
from audiostudio.model.assets import resolve_path
from audiostudio.model.edits import MoveClip, apply
from audiostudio.model.store import load_project
from audiostudio.ui.timeline.ruler import time_grid
from audiostudio.ui.timeline.snapping import Snapper
from audiostudio.video import grid_for, probe_video
from tests.conftest import RATE
from tests.videos import make_video


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("videos")
    return {
        "pal": make_video(folder / "pal.mp4", "25"),
        "ntsc_df": make_video(folder / "ntsc.mov", "30000/1001", timecode="01:00:00;00"),
        "ntsc_ndf": make_video(folder / "ntsc-ndf.mp4", "30000/1001", audio=False,
                               timecode="00:59:58:10"),
        # 2 of every 5 frames dropped, their gaps kept: an irregular (variable) frame rate
        "vfr": make_video(folder / "vfr.mp4", "25", audio=False,
                          extra=("-vf", "select='lt(mod(n\\,5)\\,3)'", "-fps_mode", "vfr")),
    }


def _import(tmp_path: Path, video: Path, capsys) -> Path:
    project = tmp_path / "scene"
    assert main(["new", str(project)]) == 0
    assert main(["import", str(project), str(video), "--reference"]) == 0
    print(capsys.readouterr().out)
    return project


def test_25fps_video_sets_grid_length_and_a_locked_reference_track(tmp_path, videos, capsys):
    folder = _import(tmp_path, videos["pal"], capsys)
    project = load_project(folder).project
    assert (project.frame_rate.num, project.frame_rate.den) == (25, 1)
    assert not project.frame_rate.drop_frame
    assert project.start_timecode is None  # the file has none: 00:00:00:00
    assert project.length == pytest.approx(2.0)
    [track] = project.tracks
    assert (track.in_mix, track.locked, track.kind) == (False, True, "audio")
    [clip] = track.clips
    assert clip.start == 0.0 and clip.duration == pytest.approx(2.0, abs=0.03)
    audio, rate = read_all(resolve_path(folder, clip.source))
    assert rate == project.sample_rate_hz
    spectrum = np.abs(np.fft.rfft(audio[rate // 4: rate, 0]))
    assert np.argmax(spectrum) * rate / (rate - rate // 4) == pytest.approx(440, abs=2)
    # locked: the clip cannot be dragged about
    with pytest.raises(EditError, match="locked"):
        apply(project, MoveClip(clip.id, 1.0))
    # and never in an export: a project of nothing but the reference has nothing to export
    with pytest.raises(ExportError, match="left out of the mix"):
        export_project(project, folder, tmp_path / "out", cache=tmp_path / "cache")


def test_2997_drop_frame_timecode_becomes_the_start_timecode(tmp_path, videos, capsys):
    folder = _import(tmp_path, videos["ntsc_df"], capsys)
    project = load_project(folder).project
    assert (project.frame_rate.num, project.frame_rate.den) == (30000, 1001)
    assert project.frame_rate.drop_frame
    assert project.start_timecode == "01:00:00;00"
    assert project.length == pytest.approx(60 * 1001 / 30000)  # 60 whole frames
    assert project.tracks[0].name == "Reference: ntsc"


def test_video_without_audio_still_sets_grid_and_length(tmp_path, videos, capsys):
    folder = _import(tmp_path, videos["ntsc_ndf"], capsys)
    project = load_project(folder).project
    assert (project.frame_rate.num, project.frame_rate.den) == (30000, 1001)
    assert not project.frame_rate.drop_frame  # ':' before the frames: non-drop
    assert project.start_timecode == "00:59:58:10"
    assert project.length == pytest.approx(2.002)
    assert project.tracks == []


def test_variable_frame_rate_says_so_and_uses_the_average(tmp_path, videos, capsys):
    info = probe_video(videos["vfr"])
    assert info.variable_frame_rate
    assert info.frame_rate.fps == pytest.approx(15.6, abs=0.1)  # 30 frames in 1.92 s
    assert "variable frame rate" in info.describe()
    project = tmp_path / "scene"
    main(["new", str(project)])
    capsys.readouterr()
    assert main(["import", str(project), str(videos["vfr"]), "--reference"]) == 0
    assert "variable frame rate: using its average" in capsys.readouterr().out


@pytest.mark.parametrize(("fps", "drop", "expected"), [
    (23.98, False, (24000, 1001, False)), (24.0, False, (24, 1, False)),
    (25.0, True, (25, 1, False)), (29.97, True, (30000, 1001, True)),
    (29.97, False, (30000, 1001, False)), (59.94, True, (60000, 1001, True)),
    (30.0, True, (30, 1, False)),
])
def test_frame_grid_of_a_measured_rate(fps, drop, expected):
    rate = grid_for(fps, drop)
    assert (rate.num, rate.den, rate.drop_frame) == expected


def test_a_file_that_is_not_a_video_is_refused(write_wav, tmp_path):
    sound = write_wav("tone.wav", np.zeros((RATE, 2), np.float32))
    with pytest.raises(DecodeError, match="no video stream"):
        probe_video(sound)
    with pytest.raises(DecodeError, match="not found"):
        probe_video(tmp_path / "missing.mp4")


def test_frame_grid_steps_and_snapping_land_on_frames_at_2997():
    rate = FrameRate(30000, 1001)
    for pps in (3.0, 40.0, 400.0, 4000.0):
        grid = time_grid(pps, rate.fps)
        for step in (grid.major, grid.minor, grid.snap_step):
            frames = step * rate.fps
            assert frames == pytest.approx(round(frames), abs=1e-9)
    grid = time_grid(40.0, rate.fps)  # coarse: the grid snaps to timecode seconds (30 frames)
    snapper = Snapper(np.array([]), grid.snap_step, threshold=10.0)
    landed = 12.3 + snapper.delta([12.3])
    assert landed * rate.fps == pytest.approx(round(landed * rate.fps), abs=1e-9)


def test_file_import_video_in_the_window_and_timecode_display(qtbot, tmp_path, videos):
    from tests.ui.test_window import new_window

    folder = tmp_path / "scene"
    main(["new", str(folder)])
    win = new_window(qtbot)
    assert win.open_path(folder)
    win.show()
    assert win.import_video_action in win.menuBar().actions()[0].menu().actions()
    win.import_video(videos["ntsc_df"])
    qtbot.waitUntil(lambda: win.document.project.start_timecode is not None, timeout=10000)
    qtbot.waitUntil(lambda: not win.workers.running, timeout=5000)
    # the preview dock shows the picture at the playhead, and follows it
    dock = win.video_dock
    qtbot.waitUntil(lambda: dock.shown_time == 0.0, timeout=10000)
    first = dock.picture.pixmap().toImage()
    assert (first.width(), first.height()) == (320, 240)  # 160x120 scaled to the dock's 320
    win.document.set_playhead(1.5)
    qtbot.waitUntil(lambda: dock.shown_time == 1.5, timeout=10000)
    assert dock.picture.pixmap().toImage() != first  # testsrc's counter moved on
    again = new_window(qtbot)
    assert again.open_path(folder)  # the window remembers the project's video
    assert again.video_dock.video == videos["ntsc_df"]
    project = win.document.project
    assert project.frame_rate.drop_frame and project.tracks[0].locked
    assert "29.97 fps drop-frame" in win.statusBar().currentMessage()
    win.video_dock.hide()  # no more grabs (60 s is past the video's end)
    win.document.set_playhead(60.06)  # 1800 frames in
    assert win.time_label.text() == "01:00.060"
    win.timecode_action.setChecked(True)
    assert win.time_label.text() == "01:01:00;02"  # drop-frame skips ;00 and ;01
    assert win.panel.view.ruler.label(win.panel.view.grid(), 0.0) == "01:00:00;00"
    win.document.undo_stack.undo()  # one step: grid, timecode, length and the track go
    assert win.document.project.frame_rate is None and win.document.project.tracks == []
    assert win.time_label.text() == "00:01:00:01"  # the default grid: 30 fps from zero


def test_a_drag_with_a_2997_grid_lands_the_clip_on_a_frame(qtbot, tmp_path):
    from PySide6.QtCore import QPoint

    from audiostudio.model import Project, Track
    from audiostudio.ui.document import Document
    from tests.ui.test_timeline import at_clip, clip, drag, open_panel, write_source

    source = write_source(tmp_path, "line.wav", 1.0)
    project = Project(frame_rate=FrameRate(30000, 1001), tracks=[
        Track(id="t-1", kind="voice", clips=[clip("c-1", 1.0, source, 1.0)])])
    with open_panel(qtbot, Document(project, tmp_path)) as panel:
        view = panel.view
        # 20 px/s: grid lines a timecode second (20 px) apart, none within the 8 px reach of
        # 2.5 s, where the drag ends
        view.set_pixels_per_second(20.0, anchor_x=0)
        view.horizontalScrollBar().setValue(0)
        start = at_clip(view, "c-1")
        drag(qtbot, view, start, start + QPoint(30, 0))
        moved = project.find_clip("c-1")[1].start
        assert moved == pytest.approx(2.5, abs=0.03)
        assert moved * 30000 / 1001 == pytest.approx(round(moved * 30000 / 1001), abs=1e-6)


def test_a_video_dropped_on_the_window_becomes_the_reference_not_a_clip(qtbot, tmp_path,
                                                                         videos, write_wav):
    """A creator drops the picture and a sound effect together: the video sets the grid and
    the preview and brings its sound as the locked reference track (out of the mix); the WAV
    becomes a clip where it lands."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from tests.ui.test_window import new_window

    folder = tmp_path / "scene"
    main(["new", str(folder)])
    win = new_window(qtbot)
    assert win.open_path(folder)
    win.show()
    knock = write_wav("knock.wav", np.full((4800, 2), 0.1, np.float32))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(videos["pal"])), QUrl.fromLocalFile(str(knock))])
    drop = QDropEvent(QPointF(win.width() / 2, win.height() / 2), Qt.DropAction.CopyAction,
                      mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    win.dropEvent(drop)
    qtbot.waitUntil(lambda: len(win.document.project.tracks) == 2, timeout=20000)
    qtbot.waitUntil(lambda: not win.workers.running, timeout=10000)
    project = win.document.project
    assert project.frame_rate.fps == 25 and project.length == pytest.approx(2.0)
    assert win.video_dock.video == videos["pal"]
    reference = next(t for t in project.tracks if t.name == "Reference: pal")
    assert reference.locked and not reference.in_mix and reference.clips[0].name == "pal.mp4"
    placed = [c for t in project.tracks if t is not reference for c in t.clips]
    assert [c.name for c in placed] == ["knock"]  # the video is not an audio clip too
