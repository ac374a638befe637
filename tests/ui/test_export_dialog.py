"""The export dialog driven like a creator would: choose, export, read the summary, decode."""

import shutil
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QDesktopServices, QImage
from PySide6.QtWidgets import QApplication

from audiostudio.export.render import ExportOptions
from audiostudio.model import Clip, Track
from audiostudio.ui import export_dialog, workers
from audiostudio.ui.document import Document
from audiostudio.ui.export_dialog import ExportDialog
from audiostudio.ui.theme import apply_dark_theme
from tests.conftest import RATE, SAMPLE_PROJECT

ARTIFACTS = Path(__file__).resolve().parent.parent / "_artifacts" / "ui"


@pytest.fixture
def store(tmp_path) -> QSettings:
    """A private settings file: remembered choices never leak between tests."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def document(tmp_path) -> Document:
    doc = Document()
    doc.open(Path(shutil.copytree(SAMPLE_PROJECT, tmp_path / "scene")))
    return doc


def new_dialog(qtbot, document, store, ranges=None, video=None) -> ExportDialog:
    dialog = ExportDialog(document, workers.Workers(), ranges, store=store, video=video)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def choose(combo, text: str) -> None:
    index = combo.findText(text, Qt.MatchFlag.MatchStartsWith)
    assert index >= 0, text
    combo.setCurrentIndex(index)


def export(qtbot, dialog: ExportDialog, out: Path) -> dict:
    dialog.dest_edit.setText(str(out))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=30000)
    assert dialog.report is not None, dialog.status.text()
    return dialog.report


@pytest.fixture
def spy(monkeypatch):
    """The real export, with the options it was given kept."""
    calls: list[ExportOptions] = []
    real = export_dialog.export_project

    def record(project, folder, out_dir, options, **kwargs):
        calls.append(options)
        return real(project, folder, out_dir, options, **kwargs)

    monkeypatch.setattr(export_dialog, "export_project", record)
    return calls


def test_choices_become_the_options_and_the_files_meet_the_target(qtbot, document, store,
                                                                  spy, tmp_path):
    dialog = new_dialog(qtbot, document, store)
    assert dialog.target_spin.value() == -16.0  # from the project
    assert dialog.preset_combo.currentText().startswith("Podcast")
    dialog.mix_box.setChecked(True)
    dialog.stems_box.setChecked(True)
    choose(dialog.format_combo, "WAV and MP3")
    choose(dialog.depth_combo, "16-bit")
    choose(dialog.bitrate_combo, "192 kbps")
    choose(dialog.preset_combo, "Broadcast EBU R128")
    assert dialog.target_spin.value() == -23.0
    out = tmp_path / "delivery"
    export(qtbot, dialog, out)
    assert spy == [ExportOptions(formats=("wav", "mp3"), stems=True, normalize=True,
                                 target_lufs=-23.0, true_peak_dbtp=-1.0, sample_rate=48000,
                                 bit_depth="16", mp3_bitrate=192)]
    mix, rate = sf.read(str(out / "mix.wav"), always_2d=True)
    assert sf.info(str(out / "mix.wav")).subtype == "PCM_16" and rate == RATE
    assert pyloudnorm.Meter(rate).integrated_loudness(mix) == pytest.approx(-23.0, abs=0.3)
    assert (out / "mix.mp3").stat().st_size > 0
    assert len(list((out / "stems").glob("*.wav"))) == 3


def test_summary_shows_the_measured_figures_and_opens_the_folder(qtbot, document, store,
                                                                 tmp_path, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    dialog = new_dialog(qtbot, document, store)
    dialog.stems_box.setChecked(False)
    out = tmp_path / "out"
    report = export(qtbot, dialog, out)
    mix, rate = sf.read(str(out / "mix.wav"), always_2d=True)
    measured = pyloudnorm.Meter(rate).integrated_loudness(mix)
    text = dialog.status.text()
    assert f"{report['integrated_lufs']:.1f} LUFS" in text
    assert f"{measured:.1f} LUFS" in text  # what was written, not the target restated
    assert f"true peak {report['true_peak_dbtp']:.1f} dBTP" in text
    shown = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert shown == ["mix.wav", "report.json"] and all((out / f).is_file() for f in shown)
    assert dialog.open_button.isVisible()
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert opened == [str(out)]


def test_cancel_leaves_the_destination_unchanged(qtbot, document, store, tmp_path):
    out = tmp_path / "out"
    (out / "stems").mkdir(parents=True)
    (out / "mix.wav").write_bytes(b"last week's mix")
    (out / "stems" / "01-narration.wav").write_bytes(b"old stem")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    dialog = new_dialog(qtbot, document, store)
    dialog.dest_edit.setText(str(out))
    dialog.stems_box.setChecked(True)
    worker = dialog.start()
    assert worker is not None and dialog.cancel_button.isVisible()
    worker.signals.progress.connect(lambda _f: dialog.cancel_button.click())
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=30000)
    assert "cancelled" in dialog.status.text() and dialog.report is None
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert dialog.export_button.isEnabled() and not dialog.open_button.isVisible()


def test_a_clip_without_audio_says_what_to_tick(qtbot, document, store, tmp_path):
    document.project.tracks.append(
        Track("t-new", name="Voice 2", clips=[Clip("c-new", name="Line 9", start=1.0,
                                                   duration=2.0)]))
    dialog = new_dialog(qtbot, document, store)
    dialog.dest_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=30000)
    text = dialog.status.text()
    assert "Line 9" in text and "--skip-missing" not in text
    assert "Skip clips without audio" in text
    dialog.skip_box.setChecked(True)
    export(qtbot, dialog, tmp_path / "out")
    assert (tmp_path / "out" / "mix.wav").is_file()


def test_the_loop_range_exports_that_part(qtbot, document, store, spy, tmp_path):
    dialog = new_dialog(qtbot, document, store, ranges=[("Loop range", (2.0, 5.5))])
    dialog.stems_box.setChecked(False)
    choose(dialog.range_combo, "Loop range")
    export(qtbot, dialog, tmp_path / "out")
    assert (spy[0].start, spy[0].end) == (2.0, 5.5)
    assert sf.info(str(tmp_path / "out" / "mix.wav")).frames == round(3.5 * RATE)


def test_loudness_presets_custom_and_off(qtbot, document, store):
    dialog = new_dialog(qtbot, document, store)
    dialog.target_spin.setValue(-20.0)
    assert dialog.preset_combo.currentText() == "Custom"
    dialog.target_spin.setValue(-14.0)
    assert dialog.preset_combo.currentText().startswith("Music apps")
    choose(dialog.preset_combo, "Off")
    assert not dialog.target_spin.isEnabled()
    options = dialog.options()
    assert not options.normalize and options.target_lufs is None
    dialog.mix_box.setChecked(False)
    dialog.stems_box.setChecked(False)
    assert not dialog.export_button.isEnabled() and "Tick" in dialog.status.text()


def test_choices_and_destination_are_remembered_per_project(qtbot, document, store, tmp_path):
    dialog = new_dialog(qtbot, document, store)
    assert dialog.destination() == document.folder / "export"  # the first time
    choose(dialog.format_combo, "MP3")
    choose(dialog.bitrate_combo, "320 kbps")
    dialog.stems_box.setChecked(False)
    export(qtbot, dialog, tmp_path / "mine")
    again = new_dialog(qtbot, document, store)
    assert again.destination() == tmp_path / "mine"
    assert (again.format_combo.currentText(), again.bitrate_combo.currentText(),
            again.stems_box.isChecked()) == ("MP3", "320 kbps", False)
    other = Document()
    other.replace(document.project, tmp_path / "other")
    assert new_dialog(qtbot, other, store).destination() == tmp_path / "other" / "export"


def test_screenshot_of_the_dialog(qtbot, document, store, tmp_path):
    apply_dark_theme(QApplication.instance())
    dialog = new_dialog(qtbot, document, store, ranges=[("Loop range", (2.0, 5.5))])
    export(qtbot, dialog, tmp_path / "out")
    qtbot.wait(50)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / "export-dialog.png"
    assert dialog.grab().save(str(path))
    image = QImage(str(path))
    assert image.width() >= 480 and image.height() >= 400
    assert len({image.pixel(x, y) for x in range(0, image.width(), 7)
                for y in range(0, image.height(), 7)}) > 20  # drawn, not one flat colour
    assert np.isfinite(dialog.report["integrated_lufs"])


def test_the_window_offers_its_loop_and_selection(qtbot, document):
    from audiostudio.ui.main_window import MainWindow

    window = MainWindow(document)
    qtbot.addWidget(window)
    window.preview.set_loop(2.0, 5.5)
    document.select({"c-knock000001"})
    clip = document.project.find_clip("c-knock000001")[1]
    dialog = window.export_dialog()
    offered = [dialog.range_combo.itemData(i) for i in range(dialog.range_combo.count())]
    assert offered == [None, (2.0, 5.5), (clip.start, clip.end)]
    assert dialog.range_combo.itemText(2).startswith("Selected clips")
    dialog.close()


def test_stems_only_writes_no_mix(qtbot, document, store, tmp_path):
    dialog = new_dialog(qtbot, document, store)
    dialog.mix_box.setChecked(False)
    assert not dialog.format_combo.isVisibleTo(dialog)  # no mix, no mix format to choose
    report = export(qtbot, dialog, tmp_path / "out")
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*.*"))
    editors = ["timeline.otio", "timeline.xml", "markers.csv", "subtitles.srt", "subtitles.vtt",
               "edl/01-narration.edl", "edl/02-sfx.edl", "edl/03-music-bed.edl"]  # the hand-off
    assert written == sorted(["report.json", "stems/01-narration.wav", "stems/02-sfx.wav",
                              "stems/03-music-bed.wav", *editors])
    assert report["file"] is None  # the report named a mix.mp3 that was never written
    assert "-16.0 LUFS" in dialog.status.text()  # the delivered mix is still measured


def test_stems_as_mp3_the_editors_files_and_the_video_like_render(qtbot, document, store, spy,
                                                                  tmp_path):
    """What `audiostudio render` offers, chosen in the dialog; every file written is listed."""
    from audiostudio.audio.decode import read_all
    from audiostudio.export.render import written_files
    from tests.videos import make_video, picture_hash

    video = make_video(tmp_path / "picture.mp4", "25", seconds=24.0)
    dialog = new_dialog(qtbot, document, store, video=video)
    assert dialog.video_edit.text() == str(video) and not dialog.video_box.isChecked()
    dialog.video_box.click()
    choose(dialog.video_audio_combo, "PCM")
    choose(dialog.stems_format_combo, "MP3")
    assert dialog.bitrate_combo.isVisibleTo(dialog)  # the MP3 stems' bitrate
    assert dialog.handoff_note.isVisibleTo(dialog) and "timeline.otio" in dialog.handoff_note.text()
    out = tmp_path / "out"
    report = export(qtbot, dialog, out)
    options = spy[0]
    assert (options.stems_format, options.video, options.video_audio) == ("mp3", video, "pcm")
    shown = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    on_disk = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert shown == written_files(report) and sorted(shown) == on_disk
    assert {"stems/01-narration.mp3", "timeline.otio", "timeline.xml", "markers.csv",
            "subtitles.srt", "edl/01-narration.edl", "picture-mix.mov"} <= set(shown)
    assert "9 for the video editor" in dialog.status.text()  # 8 hand-off files, the video
    # the copy carries the picture as it was and the mix as its sound
    assert picture_hash(out / "picture-mix.mov") == picture_hash(video)
    mix, _ = read_all(out / "mix.wav")
    muxed, _ = read_all(out / "picture-mix.mov", RATE)
    n = min(len(mix), len(muxed))
    assert np.abs(muxed[:n] - mix[:n]).max() < 1e-4  # 24-bit PCM: the same samples
    stem, rate = read_all(out / "stems" / "03-music-bed.mp3")
    assert rate == RATE and abs(len(stem) - len(mix)) < RATE // 10


def test_the_video_needs_the_whole_project_and_a_wav_mix(qtbot, document, store, tmp_path):
    from tests.videos import make_video

    video = make_video(tmp_path / "picture.mp4", "25")
    dialog = new_dialog(qtbot, document, store, ranges=[("Loop range", (2.0, 5.5))],
                        video=video)
    dialog.video_box.click()
    assert dialog.options().video == video
    choose(dialog.range_combo, "Loop range")
    assert not dialog.video_box.isEnabled() and dialog.video_note.isVisibleTo(dialog)
    assert dialog.options().video is None  # a range exports without the video
    choose(dialog.range_combo, "Whole project")
    choose(dialog.format_combo, "MP3")
    assert not dialog.video_box.isEnabled() and dialog.options().video is None
    choose(dialog.format_combo, "WAV and MP3")
    assert dialog.video_box.isEnabled() and dialog.options().video == video
    dialog.video_edit.clear()
    dialog.dest_edit.setText(str(tmp_path / "out"))
    assert dialog.start() is None and "Choose the video" in dialog.status.text()
