"""The hand-off to video editors, written beside the stems of an export.

- ``timeline.otio``: OpenTimelineIO, one audio track per stem pointing at its file, the markers
  and the frame rate; from it, through OTIO's adapters, ``timeline.xml`` (Final Cut Pro 7
  XML, which Premiere and Resolve import) and one CMX 3600 EDL per stem in ``edl/`` (an EDL
  holds one track of events, and CMX 3600 has no more than two audio channels);
- ``markers.csv``; the voice lines as ``subtitles.srt`` and ``subtitles.vtt`` (the words of
  each line with the audio tags dropped, at the clip's final place);
- with a video: the mix muxed into a copy of it (``mux_video``), the picture copied packet for
  packet, never re-encoded.

Every file places timeline zero at the project's ``start_timecode`` (00:00:00:00 when it has
none, as the format says), on the project's frame grid (30 fps when it has none): the stems'
``bext`` time reference (``timeline_zero_samples``), the EDLs, the XML and the OTIO agree. The
subtitles count from timeline zero, as editors import them onto a timeline's start.

Drop-frame: OTIO writes 29.97 as drop-frame timecode whatever it is told, so an EDL of a
non-drop 29.97 project counts its frames at the nominal 30 (the same labels, frame for frame),
and the XML is told the display format through the adapter's metadata.
"""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from audiostudio.errors import ExportError
from audiostudio.export.outputs import OutputSet
from audiostudio.model import FrameRate, Project, timecode
from audiostudio.video import ffmpeg_exe

VIDEO_AUDIO = ("aac", "pcm")
_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}


@dataclass(frozen=True)
class StemFile:
    track_id: str
    name: str  # the track's name
    file: str  # relative to the export folder: "stems/01-narration.wav"


@dataclass(frozen=True)
class Line:
    """A voice line as a subtitle: seconds from the start of the export."""

    start: float
    end: float
    speaker: str
    words: str


def timeline_zero_samples(project: Project, sample_rate: int) -> int:
    """Samples since midnight at timeline zero: the stems' ``bext`` time reference."""
    rate = timecode.project_rate(project)
    frames = timecode.start_frames(project.start_timecode, rate)
    return round(Fraction(frames * rate.den * sample_rate, rate.num))


def voice_lines(project: Project, track_ids: set[str], start: float, end: float) -> list[Line]:
    """The heard voice lines (their tracks exported, not muted) inside [start, end), in time
    order, clipped to the range and counted from ``start``."""
    # Here, not at the top: the offline provider's package imports scipy (~0.5 s), which a
    # render without stems must not pay for.
    from audiostudio.providers.offline.tags import strip_tags

    lines = []
    for track, clip in project.iter_clips():
        request = clip.request
        if (track.id not in track_ids or clip.mute or request is None or request.kind != "voice"
                or clip.length is None):
            continue
        words = strip_tags(request.text or "")
        if words and clip.end > start and clip.start < end:
            lines.append(Line(max(clip.start, start) - start, min(clip.end, end) - start,
                              (clip.speaker or "").strip(), words))
    return sorted(lines, key=lambda line: (line.start, line.end))


def _clock(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def srt(lines: Sequence[Line]) -> str:
    return "".join(f"{i}\n{_clock(line.start, ',')} --> {_clock(line.end, ',')}\n{line.words}\n\n"
                   for i, line in enumerate(lines, start=1))


def webvtt(lines: Sequence[Line]) -> str:
    def cue(line: Line) -> str:
        voice = f"<v {line.speaker}>" if line.speaker else ""
        return f"{_clock(line.start, '.')} --> {_clock(line.end, '.')}\n{voice}{line.words}\n\n"

    return "WEBVTT\n\n" + "".join(cue(line) for line in lines)


def markers_csv(project: Project, start: float, end: float) -> str:
    rate = timecode.project_rate(project)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["timecode", "seconds", "label"])
    for marker in sorted(project.markers, key=lambda m: m.time):
        if start <= marker.time < end:
            label = timecode.label_at(marker.time, rate, project.start_timecode)
            writer.writerow([label, f"{marker.time - start:.3f}", marker.label])
    return out.getvalue()


# --- OpenTimelineIO ---------------------------------------------------------------------------
def build_timeline(project: Project, stems: Sequence[StemFile], out_dir: Path, start: float,
                   seconds: float):
    """The export as an OTIO timeline: the stems from ``start`` (timeline seconds) on, each
    ``seconds`` long, their media at the start timecode plus ``start``."""
    import opentimelineio as otio

    rate = timecode.project_rate(project)
    fps = rate.num / rate.den
    zero = timecode.start_frames(project.start_timecode, rate)
    first = timecode.frame_at(start, rate)
    length = max(1, timecode.frame_at(seconds, rate))  # whole frames the stems hold
    tc_meta = _fcp_timecode(rate)
    timeline = otio.schema.Timeline(
        name=project.name or "Audiostudio",
        global_start_time=otio.opentime.RationalTime(zero, fps))
    timeline.metadata["audiostudio"] = {
        "frame_rate": {"num": rate.num, "den": rate.den, "drop_frame": rate.drop_frame},
        "start_timecode": timecode.format_frames(zero, rate)}
    timeline.metadata["fcp_xml"] = {"timecode": tc_meta}
    for stem in stems:
        track = otio.schema.Track(name=stem.name, kind=otio.schema.TrackKind.Audio)
        span = otio.opentime.TimeRange(otio.opentime.RationalTime(zero + first, fps),
                                       otio.opentime.RationalTime(length, fps))
        media = otio.schema.ExternalReference(
            target_url=(out_dir / stem.file).resolve().as_uri(), available_range=span)
        media.metadata["fcp_xml"] = {"timecode": tc_meta}
        if first:
            track.append(otio.schema.Gap(duration=otio.opentime.RationalTime(first, fps)))
        track.append(otio.schema.Clip(name=Path(stem.file).name, media_reference=media,
                                      source_range=span))
        timeline.tracks.append(track)
    for marker in sorted(project.markers, key=lambda m: m.time):
        if start <= marker.time < start + seconds:
            at = otio.opentime.RationalTime(timecode.frame_at(marker.time, rate), fps)
            timeline.tracks.markers.append(otio.schema.Marker(
                name=marker.label, marked_range=otio.opentime.TimeRange(
                    at, otio.opentime.RationalTime(0, fps))))
    return timeline


def _fcp_timecode(rate: FrameRate) -> dict[str, str]:
    """The FCP7 adapter's timecode metadata (its rate comes from the times): DF or NDF."""
    return {"displayformat": "DF" if rate.drop_frame else "NDF"}


def edl(timeline, stem_index: int, rate: FrameRate) -> str:
    """One stem's track of ``timeline`` as a CMX 3600 EDL (the adapter writes the first track
    and wants one video track beside it: an empty one). The adapter counts record times from
    the track's start, so a gap as long as the start timecode puts them on the timecode. The
    markers become the stem's ``* LOC`` lines (Resolve reads them as timeline markers)."""
    import opentimelineio as otio

    fps = rate.num / rate.den if rate.drop_frame else timecode.nominal_fps(rate)
    single = otio.schema.Timeline(name=timeline.tracks[stem_index].name)
    audio = timeline.tracks[stem_index].deepcopy()
    for item in audio:
        _rescale(item, fps)
    zero = otio.opentime.RationalTime(timeline.global_start_time.value, fps)
    stem = next(iter(audio.find_clips()))
    for marker in timeline.tracks.markers:  # at the stem's own timecode, which is the record's
        at = zero + otio.opentime.RationalTime(marker.marked_range.start_time.value, fps)
        stem.markers.append(otio.schema.Marker(name=marker.name, marked_range=(
            otio.opentime.TimeRange(at, otio.opentime.RationalTime(0, fps)))))
    audio.insert(0, otio.schema.Gap(duration=zero))
    single.tracks.append(audio)
    single.tracks.append(otio.schema.Track(kind=otio.schema.TrackKind.Video))
    text = otio.adapters.write_to_string(single, "cmx_3600", rate=fps)
    mode = "DROP FRAME" if rate.drop_frame else "NON-DROP FRAME"
    title, _, events = text.partition("\n\n")
    return f"{title}\nFCM: {mode}\n\n{events}"


def _rescale(item, fps: float) -> None:
    """Same frame counts at ``fps`` (29.97 non-drop is written as its frames at 30)."""
    import opentimelineio as otio

    def at(t):
        return otio.opentime.RationalTime(t.value, fps)

    if item.source_range is not None:
        item.source_range = otio.opentime.TimeRange(at(item.source_range.start_time),
                                                    at(item.source_range.duration))
    media = getattr(item, "media_reference", None)
    if media is not None and media.available_range is not None:
        media.available_range = otio.opentime.TimeRange(at(media.available_range.start_time),
                                                        at(media.available_range.duration))


def write_handoff(project: Project, out_dir: Path, outputs: OutputSet,
                  stems: Sequence[StemFile], start: float, seconds: float) -> list[str]:
    """Write the editors' files for stems covering ``seconds`` from timeline ``start``; the
    names written, relative to ``out_dir``."""
    import opentimelineio as otio

    rate = timecode.project_rate(project)
    timeline = build_timeline(project, stems, out_dir, start, seconds)
    texts = {
        "timeline.otio": otio.adapters.write_to_string(timeline, "otio_json"),
        "timeline.xml": otio.adapters.write_to_string(timeline, "fcp_xml"),
        "markers.csv": markers_csv(project, start, start + seconds),
    }
    lines = voice_lines(project, {s.track_id for s in stems}, start, start + seconds)
    texts["subtitles.srt"] = srt(lines)
    texts["subtitles.vtt"] = webvtt(lines)
    for index, stem in enumerate(stems):
        texts[f"edl/{Path(stem.file).stem}.edl"] = edl(timeline, index, rate)
    for name, text in texts.items():
        outputs.path_for(out_dir / name).write_text(text, encoding="utf-8")
    return sorted(texts)


# --- the mix in a copy of the video -----------------------------------------------------------
def muxed_name(video: Path, audio: str) -> str:
    """``<video>-mix.<ext>``: the video's container when it holds the audio codec, else MOV."""
    ext = video.suffix.lower()
    if ext not in _MUXERS or (audio == "pcm" and _MUXERS[ext] == "mp4"):
        ext = ".mov"  # MP4 has no PCM audio that editors read; MOV takes both codecs
    return f"{video.stem}-mix{ext}"


def mux_video(video: Path, mix: Path, target: Path, audio: str = "aac") -> None:
    """Write ``video``'s picture (copied bit for bit) with ``mix`` as its only audio to
    ``target`` (its container from ``muxed_name``'s extension)."""
    if audio not in VIDEO_AUDIO:
        raise ExportError(f"The video's audio must be one of {', '.join(VIDEO_AUDIO)}, "
                          f"not {audio!r}")
    name = muxed_name(video, audio)
    codec = ["-c:a", "aac", "-b:a", "320k"] if audio == "aac" else ["-c:a", "pcm_s24le"]
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-y", "-i", str(video), "-i", str(mix), "-map", "0:v:0",
         "-map", "1:a:0", "-c:v", "copy", *codec, "-map_metadata", "0",
         "-f", _MUXERS[Path(name).suffix], str(target)],
        capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ExportError(f"Could not put the mix into a copy of '{video.name}': {last[0]}")
