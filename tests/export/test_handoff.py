"""The hand-off to video editors: broadcast-WAV stems, OTIO / FCP7 XML / EDL, markers, subtitles,
and the mix muxed into a copy of the reference video."""

from __future__ import annotations

import csv
import re
import struct
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlparse

import numpy as np
import opentimelineio as otio
import pytest
import soundfile as sf

from audiostudio.audio.decode import read_all
from audiostudio.cli import main
from audiostudio.errors import ExportError
from audiostudio.export.handoff import StemFile, build_timeline, edl
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model import Clip, FrameRate, Marker, Project, Request, Track
from audiostudio.model.assets import import_asset
from audiostudio.model.store import load_project, save_project
from audiostudio.video import ffmpeg_exe, probe_video
from tests.conftest import RATE, sine
from tests.videos import make_video, picture_hash

NARRATION = [("c-1", 0.2, 0.6, "[whispering] Hello there."),
             ("c-2", 1.0, 0.7, "Second [laughs] line.")]


def _scene(folder: Path, video: Path) -> Path:
    """A project on ``video`` (imported as reference) with a narration and an SFX track."""
    assert main(["new", str(folder)]) == 0
    assert main(["import", str(folder), str(video), "--reference"]) == 0
    loaded = load_project(folder)
    project = loaded.project
    tone, noise = folder.parent / "tone.wav", folder.parent / "noise.wav"
    sf.write(tone, sine(300, 0.8, 0.3), RATE)
    sf.write(noise, np.random.default_rng(1).uniform(-0.2, 0.2, (RATE // 2, 2)), RATE)
    voice, sfx = import_asset(folder, tone), import_asset(folder, noise)
    clips = [Clip(id=cid, start=start, duration=length, source=voice, source_duration=0.8,
                  speaker="NARRATOR", request=Request(kind="voice", text=text))
             for cid, start, length, text in NARRATION]
    project.tracks += [
        Track(id="t-n", name="Narration", kind="voice", clips=clips),
        Track(id="t-s", name="Door SFX", kind="sfx",
              clips=[Clip(id="c-3", start=0.5, source=sfx, source_duration=0.5)]),
    ]
    project.markers = [Marker(id="m-2", time=1.4, label="Slam"),
                       Marker(id="m-1", time=0.5, label="Door opens")]
    save_project(project, folder)
    return folder


@pytest.fixture(scope="module")
def ntsc(tmp_path_factory: pytest.TempPathFactory):
    """A 29.97 drop-frame scene at 01:00:00;00, rendered with stems and the video (AAC)."""
    base = tmp_path_factory.mktemp("handoff")
    video = make_video(base / "picture.mov", "30000/1001", timecode="01:00:00;00")
    folder = _scene(base / "scene", video)
    project = load_project(folder).project
    out = base / "out"
    report = export_project(project, folder, out, ExportOptions(stems=True, video=video),
                            cache=base / "cache")
    return project, video, out, report, folder


def _bext_time_reference(path: Path) -> int:
    """The bext chunk's time reference, parsed from the RIFF chunks."""
    data = path.read_bytes()
    assert data[:4] in (b"RIFF", b"RF64") and data[8:12] == b"WAVE"
    at = 12
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], struct.unpack("<I", data[at + 4:at + 8])[0]
        if chunk == b"bext":
            body = data[at + 8:at + 8 + size]
            assert body[256:256 + 11] == b"Audiostudio"  # the originator
            assert struct.unpack("<5h", body[412:422]) == (0x7FFF,) * 5  # loudness: not set
            low, high = struct.unpack("<II", body[338:346])
            return low | high << 32
        at += 8 + size + (size & 1)
    raise AssertionError(f"{path.name} has no bext chunk")


def test_stems_are_broadcast_wavs_at_the_start_timecode(ntsc):
    _, _, out, report, _ = ntsc
    # 01:00:00;00 drop-frame is frame 107892: 3599.9964 s at 30000/1001
    expected = round(107892 * 1001 / 30000 * RATE)
    for name in ["mix.wav"] + [t["stem"] for t in report["tracks"]]:
        assert _bext_time_reference(out / name) == expected
        assert sf.info(str(out / name)).frames > 0  # libsndfile still reads the file


def test_the_mux_copies_the_picture_bit_for_bit_and_carries_the_mix(ntsc):
    _, video, out, report, _ = ntsc
    muxed = out / "picture-mix.mov"
    assert "picture-mix.mov" in report["handoff"]
    assert picture_hash(muxed) == picture_hash(video)
    info = probe_video(muxed)
    assert info.start_timecode == "01:00:00;00" and info.has_audio
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(muxed)],
                           capture_output=True, text=True).stderr
    assert len(re.findall(r"Audio: aac", probe)) == 1  # the mix only, not the video's own sound
    mix, _ = read_all(out / "mix.wav")
    muxed_audio, _ = read_all(muxed, RATE)
    n = min(len(mix), len(muxed_audio)) - 4096
    # AAC's encoder delay is trimmed on decode: the mix comes back aligned, within the codec
    at, width, reach = round(0.6 * RATE), 4096, 1024  # in the (unique) noise of the SFX
    found = np.correlate(muxed_audio[at - reach:at + width + reach, 0], mix[at:at + width, 0])
    assert abs(int(np.argmax(found)) - reach) <= 2
    level = 20 * np.log10(np.sqrt(np.mean(muxed_audio[:n] ** 2)) / np.sqrt(np.mean(mix[:n] ** 2)))
    assert abs(level) < 0.5


def test_otio_re_reads_with_the_stems_names_lengths_and_markers(ntsc):
    _, _, out, report, _ = ntsc
    assert report["handoff"] == [
        "edl/01-narration.edl", "edl/02-door-sfx.edl", "markers.csv", "subtitles.srt",
        "subtitles.vtt", "timeline.otio", "timeline.xml", "picture-mix.mov"]
    assert all((out / name).is_file() for name in report["handoff"])
    timeline = otio.adapters.read_from_file(str(out / "timeline.otio"))
    rate = 30000 / 1001
    assert timeline.global_start_time.rate == pytest.approx(rate)
    assert otio.opentime.to_timecode(timeline.global_start_time, rate) == "01:00:00;00"
    assert [t.name for t in timeline.tracks] == ["Narration", "Door SFX"]
    for track, entry in zip(timeline.tracks, report["tracks"], strict=True):
        assert track.kind == otio.schema.TrackKind.Audio
        [clip] = list(track)
        stem = out / entry["stem"]
        assert clip.name == stem.name
        assert Path(unquote(urlparse(clip.media_reference.target_url).path)) == stem.resolve()
        seconds = sf.info(str(stem)).frames / RATE
        assert clip.duration().value == int(seconds * rate + 1e-6)  # never past the file's end
        assert clip.source_range.start_time.value == 107892  # the stem's own timecode
    markers = sorted(timeline.tracks.markers, key=lambda m: m.marked_range.start_time.value)
    assert [m.name for m in markers] == ["Door opens", "Slam"]
    assert [m.marked_range.start_time.value for m in markers] == [
        int(0.5 * rate), int(1.4 * rate)]


def test_fcp7_xml_and_edls_parse_back_through_the_adapters(ntsc):
    _, _, out, report, _ = ntsc
    xml = otio.adapters.read_from_file(str(out / "timeline.xml"), "fcp_xml")
    sequence = xml if isinstance(xml, otio.schema.Timeline) else next(iter(xml))
    audio = [t for t in sequence.tracks if t.kind == otio.schema.TrackKind.Audio]
    assert [next(iter(t)).name for t in audio] == [Path(e["stem"]).name for e in report["tracks"]]
    assert otio.opentime.to_timecode(sequence.global_start_time, 30000 / 1001) == "01:00:00;00"
    assert {m.name for m in sequence.tracks.markers} == {"Door opens", "Slam"}
    for entry in report["tracks"]:
        path = out / "edl" / f"{Path(entry['stem']).stem}.edl"
        assert "FCM: DROP FRAME" in path.read_text()
        read = otio.adapters.read_from_file(str(path), "cmx_3600", rate=30000 / 1001)
        [clip] = list(read.find_clips())
        assert clip.name == Path(entry["stem"]).name
        assert clip.source_range.start_time.to_timecode(30000 / 1001) == "01:00:00;00"
        assert clip.duration().value == 60  # 2.002 s: the project's length, the video's
        # the adapter reads record times from zero: the record in of the event line itself
        event = re.search(r"^001 +\S+ +A +C +(\S+) (\S+) (\S+) (\S+)$", path.read_text(), re.M)
        assert event.groups() == ("01:00:00;00", "01:00:02;00", "01:00:00;00", "01:00:02;00")
        # the markers (the adapter reads back only non-drop LOC lines: see the 25 fps test)
        assert re.findall(r"^\* LOC: (\S+) RED +(.+)$", path.read_text(), re.M) == [
            ("01:00:00;14", "DOOR OPENS"), ("01:00:01;11", "SLAM")]


def test_subtitles_and_markers_csv_hold_the_final_times(ntsc):
    _, _, out, _, _ = ntsc
    srt = (out / "subtitles.srt").read_text()
    clock = r"(\d\d):(\d\d):(\d\d),(\d{3})"
    cues = re.findall(rf"(\d+)\n{clock} --> {clock}\n(.+)\n", srt)
    assert len(cues) == len(NARRATION)

    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    for cue, (_, start, length, _) in zip(cues, NARRATION, strict=True):
        assert seconds(*cue[1:5]) == pytest.approx(start, abs=5e-4)
        assert seconds(*cue[5:9]) == pytest.approx(start + length, abs=5e-4)
    assert [c[9] for c in cues] == ["Hello there.", "Second line."]  # tags dropped
    vtt = (out / "subtitles.vtt").read_text()
    assert vtt.startswith("WEBVTT\n\n")
    assert "00:00:00.200 --> 00:00:00.800\n<v NARRATOR>Hello there.\n" in vtt
    rows = list(csv.DictReader((out / "markers.csv").open()))
    assert [(r["label"], r["timecode"]) for r in rows] == [
        ("Door opens", "01:00:00;14"), ("Slam", "01:00:01;11")]  # the frames showing then


def test_25fps_pcm_mux_a_range_and_no_start_timecode(tmp_path):
    video = make_video(tmp_path / "pal.mp4", "25")
    folder = _scene(tmp_path / "scene", video)
    project = load_project(folder).project
    out = tmp_path / "out"
    report = export_project(project, folder, out,
                            ExportOptions(stems=True, video=video, video_audio="pcm"),
                            cache=tmp_path / "cache")
    muxed = out / "pal-mix.mov"  # MP4 holds no PCM editors read: MOV
    assert "pal-mix.mov" in report["handoff"]
    assert picture_hash(muxed) == picture_hash(video)
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(muxed)],
                           capture_output=True, text=True).stderr
    assert "Audio: pcm_s24le" in probe
    assert _bext_time_reference(out / report["tracks"][0]["stem"]) == 0  # 00:00:00:00
    assert "FCM: NON-DROP FRAME" in (out / "edl" / "01-narration.edl").read_text()
    read = otio.adapters.read_from_file(str(out / "edl" / "02-door-sfx.edl"), "cmx_3600", rate=25)
    [clip] = list(read.find_clips())
    assert [(m.name, m.marked_range.start_time.to_timecode(25)) for m in clip.markers] == [
        ("DOOR OPENS", "00:00:00:12"), ("SLAM", "00:00:01:10")]
    # a range: stems placed at its start, subtitles counted from it
    ranged = tmp_path / "range"
    report = export_project(project, folder, ranged, ExportOptions(stems=True, start=0.8),
                            cache=tmp_path / "cache")
    assert _bext_time_reference(ranged / report["tracks"][0]["stem"]) == round(0.8 * RATE)
    timeline = otio.adapters.read_from_file(str(ranged / "timeline.otio"))
    clip = next(iter(timeline.find_clips()))
    assert clip.range_in_parent().start_time.value == 20  # 0.8 s at 25 fps
    assert "00:00:00,200 --> 00:00:00,900\nSecond line." in (ranged / "subtitles.srt").read_text()


def test_non_drop_2997_edl_keeps_non_drop_labels():
    project = Project(name="ndf", frame_rate=FrameRate(30000, 1001),
                      start_timecode="01:00:00:00")
    timeline = build_timeline(project, [StemFile("t", "Narration", "stems/01-narration.wav")],
                              Path("/tmp"), 0.0, 60 * 1001 / 30000)
    text = edl(timeline, 0, project.frame_rate)
    assert "FCM: NON-DROP FRAME" in text
    assert "01:00:00:00 01:00:02:00 01:00:00:00 01:00:02:00" in text  # ':' and whole frames


def test_bad_video_options_and_a_failed_mux_leave_nothing(tmp_path, ntsc):
    project, video, _, _, folder = ntsc
    with pytest.raises(ExportError, match="whole mix as WAV"):
        export_project(project, folder, tmp_path / "a", ExportOptions(formats=("mp3",),
                                                                      video=video),
                       cache=tmp_path / "cache")
    with pytest.raises(ExportError, match="whole project"):
        export_project(project, folder, tmp_path / "b", ExportOptions(video=video, end=1.0),
                       cache=tmp_path / "cache")
    not_video = tmp_path / "notes.mov"
    not_video.write_text("not a video")
    with pytest.raises(ExportError, match=r"notes\.mov"):
        export_project(project, folder, tmp_path / "c", ExportOptions(stems=True,
                                                                      video=not_video),
                       cache=tmp_path / "cache")
    assert list((tmp_path / "c").rglob("*.*")) == []  # the set appears whole or not at all
