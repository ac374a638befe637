"""A reference video: what its file says (frame rate, start timecode, length, audio), and the
edit that makes it the project's picture reference.

Design note: the ffmpeg that imageio-ffmpeg ships has no ffprobe beside it, so ``probe_video``
reads the stream summary ``ffmpeg -i`` prints. ffmpeg prints two rates per video stream:
``fps`` (the average, frames / duration) and ``tbr`` (the rate the timestamps are laid on); a
constant-rate file has the two equal, a variable-rate one (phones, screen recordings) does not,
and we use its average, as the issue asks. Rates within 0.01 of a whole number or of an NTSC
rate (n * 1000/1001) are taken as that exact fraction. Drop-frame comes from the file's
timecode (``;`` before the frames), the way editors decide it.

The reference audio is extracted to FLAC at the project rate (not the video copied into the
project: a film's picture would multiply the folder's size for nothing) and placed on a locked
track left out of the mix (``in_mix: false``): heard when soloed, never exported.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from audiostudio.errors import DecodeError, ProjectFormatError
from audiostudio.importing import StagedAudio, stage_import
from audiostudio.model import Clip, FrameRate, Project, Track, new_id, timecode
from audiostudio.model.edits import AddTrack, Compound, Edit, Scope, SetFields

_DURATION_RE = re.compile(r"Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)")
_VIDEO_RE = re.compile(r"Stream #\d+:\d+\S*: Video: (\w+)(.*)")
_RATE_RE = re.compile(r", ([\d.]+)(k?) (fps|tbr)")
_AUDIO_RE = re.compile(r"Stream #\d+:\d+\S*: Audio: ")
_TIMECODE_RE = re.compile(r"^\s*timecode\s*:\s*(\S+)\s*$", re.MULTILINE)


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    codec: str
    frame_rate: FrameRate
    duration: float  # seconds, a whole number of frames
    start_timecode: str | None  # normalised label on ``frame_rate``; None = the file has none
    has_audio: bool
    variable_frame_rate: bool  # then ``frame_rate`` is the average

    def describe(self) -> str:
        """One line for the status bar and the CLI."""
        parts = [f"{self.frame_rate.fps:.3f}".rstrip("0").rstrip(".") + " fps"
                 + (" drop-frame" if self.frame_rate.drop_frame else "")]
        if self.variable_frame_rate:
            parts.append("variable frame rate: using its average")
        parts.append(f"starts at {self.start_timecode or timecode.ZERO}")
        parts.append(f"{self.duration:.3f} s")
        if not self.has_audio:
            parts.append("no audio stream")
        return ", ".join(parts)


# Containers that hold a picture: a file dropped on the window with one of these becomes the
# reference video (its sound comes along on the reference track), not an audio clip.
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".mkv", ".mxf", ".avi", ".webm")


def is_video_file(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _rate_value(number: str, kilo: str) -> float:
    return float(number) * (1000 if kilo else 1)


def grid_for(fps: float, drop_frame: bool = False) -> FrameRate:
    """The frame grid of a measured rate: 25 -> 25/1, 29.97 -> 30000/1001 (drop-frame when
    asked and possible), anything else the nearest simple fraction."""
    if abs(fps - round(fps)) < 0.01:
        return FrameRate(round(fps))
    ntsc = round(fps * 1.001)
    if abs(fps * 1.001 - ntsc) < 0.01:
        rate = FrameRate(ntsc * 1000, 1001)
        rate.drop_frame = drop_frame and timecode.drop_frame_allowed(rate)
        return rate
    fraction = Fraction(fps).limit_denominator(100)
    return FrameRate(fraction.numerator, fraction.denominator)


def probe_video(path: str | Path) -> VideoInfo:
    """What ``path`` holds; DecodeError when it is not a video ffmpeg can read."""
    path = Path(path)
    if not path.is_file():
        raise DecodeError(f"Video file not found: {path}")
    probe = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True,
                           text=True, errors="replace")
    info = probe.stderr
    video = next((m for m in _VIDEO_RE.finditer(info) if "(attached pic)" not in m.group(2)),
                 None)
    if video is None:
        raise DecodeError(f"'{path.name}' has no video stream Audiostudio can read")
    rates = {kind: _rate_value(n, k) for n, k, kind in _RATE_RE.findall(video.group(2))}
    fps = rates.get("fps") or rates.get("tbr")
    duration = _DURATION_RE.search(info)
    if not fps or duration is None:
        raise DecodeError(f"'{path.name}' does not say its frame rate and length")
    tc_match = _TIMECODE_RE.search(info)
    label = tc_match.group(1) if tc_match else None
    rate = grid_for(fps, drop_frame=bool(label) and label[8:9] in ";.")
    h, m, s = duration.groups()
    frames = round((int(h) * 3600 + int(m) * 60 + float(s)) * rate.fps)
    start = None
    if label:
        try:
            start = timecode.format_frames(timecode.parse(label, rate), rate)
        except ProjectFormatError as exc:
            raise DecodeError(f"'{path.name}' has a timecode that does not fit its "
                              f"{rate.fps:g} fps ({exc})") from exc
    tbr = rates.get("tbr")
    return VideoInfo(
        path=path, codec=video.group(1), frame_rate=rate,
        duration=timecode.seconds_of(frames, rate), start_timecode=start,
        has_audio=_AUDIO_RE.search(info) is not None,
        variable_frame_rate=tbr is not None and abs(tbr - fps) > 0.01,
    )


@dataclass(frozen=True)
class StagedVideo:
    info: VideoInfo
    audio: StagedAudio | None  # None: the video has no audio stream


def stage_video(folder: Path, file: Path, rate: int, cache: Path) -> StagedVideo:
    """Probe ``file`` and put its audio (if any) into the project's assets as FLAC at ``rate``
    (slow: run it on a worker in the window)."""
    info = probe_video(file)
    if not info.has_audio:
        return StagedVideo(info, None)
    with tempfile.TemporaryDirectory(prefix="audiostudio-video-") as tmp:
        audio = Path(tmp) / f"{file.stem}.flac"
        done = subprocess.run(
            [ffmpeg_exe(), "-v", "error", "-i", str(file), "-map", "0:a:0", "-vn", "-ar",
             str(rate), "-c:a", "flac", str(audio)], capture_output=True, text=True,
            errors="replace")
        if done.returncode != 0 or not audio.is_file():
            last = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
            raise DecodeError(f"The audio of '{file.name}' could not be read: {last[0]}")
        return StagedVideo(info, stage_import(folder, audio, rate, cache))


def reference_edit(project: Project, staged: StagedVideo) -> tuple[Edit, str | None]:
    """(edit, reference track id): the video's grid, start timecode and length become the
    project's; its audio a locked reference track at the top (None: no audio)."""
    info = staged.info
    edits: list[Edit] = [SetFields(Scope.PROJECT, {
        "frame_rate": info.frame_rate, "start_timecode": info.start_timecode,
        "length": info.duration})]
    if staged.audio is None:
        return Compound(tuple(edits)), None
    audio = staged.audio
    clip = Clip(id=new_id("c"), name=info.path.name, start=0.0, duration=audio.duration,
                source=audio.source, source_duration=audio.duration, locked=True)
    track = Track(id=new_id("t"), name=f"Reference: {info.path.stem}", kind="audio",
                  in_mix=False, locked=True, clips=[clip])
    edits.append(AddTrack(track, index=0))
    return Compound(tuple(edits)), track.id


def frame_png(path: Path, seconds: float, width: int = 320) -> bytes:
    """The picture showing at ``seconds`` as a PNG ``width`` pixels wide (the preview dock):
    ffmpeg seeks to the keyframe before and decodes up to that time."""
    done = subprocess.run(
        [ffmpeg_exe(), "-v", "error", "-ss", f"{max(0.0, seconds):.3f}", "-i", str(path),
         "-frames:v", "1", "-vf", f"scale={width}:-2", "-f", "image2pipe", "-c:v", "png", "-"],
        capture_output=True)
    if done.returncode != 0 or not done.stdout:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-1:]
        raise DecodeError(f"No picture of '{path.name}' at {seconds:.2f} s"
                          + (f": {message[0]}" if message else ""))
    return done.stdout
