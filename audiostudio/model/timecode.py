"""SMPTE timecode HH:MM:SS:FF on a project's frame grid (pure Python: the model, the ruler and
the hand-off files share it).

Drop-frame (29.97 and 59.94 only) keeps the labels close to the clock: frame numbers 00 and 01
(00-03 at 59.94) are skipped at the start of every minute except each tenth, and such labels
are written with ';' before the frames. Non-drop counts every frame, so at 29.97 an hour of
labels is 3.6 s longer than an hour of clock. A timecode is converted to a frame count from
midnight and back; seconds on the timeline are frames * den / num.
"""

from __future__ import annotations

import math
import re

from audiostudio.errors import ProjectFormatError
from audiostudio.model.project import FrameRate, Project

TIMECODE_RE = re.compile(r"(\d{2}):([0-5]\d):([0-5]\d)([:;.])(\d{2})")
ZERO = "00:00:00:00"
DEFAULT_FPS = 30  # the grid of a project without a frame_rate (timecode = clock time)


def nominal_fps(rate: FrameRate) -> int:
    """Frames per timecode second: 30 for 29.97, 24 for 23.976."""
    return max(1, round(rate.num / rate.den))


def drop_frame_allowed(rate: FrameRate) -> bool:
    """Drop-frame exists for 29.97 and 59.94 (30000/1001 and 60000/1001) only."""
    return rate.num * 1001 in (30000 * rate.den, 60000 * rate.den)


def _drops(rate: FrameRate) -> int:
    """Frame numbers dropped per minute: 2 at 29.97 DF, 4 at 59.94 DF, 0 otherwise."""
    return nominal_fps(rate) // 15 if rate.drop_frame and drop_frame_allowed(rate) else 0


def parse(text: str, rate: FrameRate) -> int:
    """Frames from midnight of ``text`` ("01:00:00:00" or "00:59:58;10"); ProjectFormatError
    when it is not a timecode of ``rate`` (frames >= the rate, a dropped label)."""
    match = TIMECODE_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ProjectFormatError(f"must be a timecode HH:MM:SS:FF, got {text!r}")
    hours, minutes, seconds, _, frames = match.groups()
    h, m, s, f = int(hours), int(minutes), int(seconds), int(frames)
    fps, drops = nominal_fps(rate), _drops(rate)
    if f >= fps:
        raise ProjectFormatError(f"has frame {f:02d}, but {rate.num / rate.den:g} fps counts "
                                 f"frames 00-{fps - 1:02d}: {text!r}")
    if drops and s == 0 and f < drops and m % 10:
        raise ProjectFormatError(f"names a frame drop-frame timecode skips: {text!r}")
    total_minutes = 60 * h + m
    return (3600 * h + 60 * m + s) * fps + f - drops * (total_minutes - total_minutes // 10)


def format_frames(frames: int, rate: FrameRate) -> str:
    """The timecode label of ``frames`` from midnight (wraps at 24 hours)."""
    fps, drops = nominal_fps(rate), _drops(rate)
    if drops:
        per_minute = 60 * fps - drops
        per_ten = 10 * per_minute + drops
        frames %= 24 * 6 * per_ten
        tens, rest = divmod(frames, per_ten)
        frames += 9 * drops * tens + (drops * ((rest - drops) // per_minute) if rest > drops
                                      else 0)
    frames %= 24 * 3600 * fps
    seconds, f = divmod(frames, fps)
    minutes, s = divmod(seconds, 60)
    h, m = divmod(minutes, 60)
    return f"{h:02d}:{m:02d}:{s:02d}{';' if drops else ':'}{f:02d}"


def start_frames(start_timecode: str | None, rate: FrameRate) -> int:
    """Frames from midnight at timeline zero (a missing start is 00:00:00:00)."""
    return parse(start_timecode, rate) if start_timecode else 0


def frame_at(seconds: float, rate: FrameRate) -> int:
    """The frame that is showing at ``seconds`` on the timeline (float slack forgiven)."""
    return math.floor(seconds * rate.num / rate.den + 1e-6)


def seconds_of(frames: int, rate: FrameRate) -> float:
    return frames * rate.den / rate.num


def label_at(seconds: float, rate: FrameRate, start_timecode: str | None = None) -> str:
    """The timecode shown at ``seconds`` on the timeline."""
    return format_frames(start_frames(start_timecode, rate) + frame_at(seconds, rate), rate)


def project_rate(project: Project) -> FrameRate:
    """The project's frame grid, or 30 fps non-drop when it has none."""
    return project.frame_rate or FrameRate(DEFAULT_FPS)


def project_label(project: Project, seconds: float) -> str:
    """The timecode of ``seconds`` on the project's timeline (the ruler, the transport)."""
    return label_at(seconds, project_rate(project), project.start_timecode)
