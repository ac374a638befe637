"""Small test videos made with ffmpeg's lavfi sources (testsrc picture, sine sound)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from audiostudio.video import ffmpeg_exe


def make_video(path: Path, rate: str = "25", seconds: float = 2.0, audio: bool = True,
               timecode: str | None = None, extra: tuple[str, ...] = ()) -> Path:
    """A ``seconds`` long 160x120 H.264 video at ``rate`` ("30000/1001"), with a 440 Hz
    48 kHz mono AAC track when ``audio``, and a start ``timecode`` when given."""
    cmd = [ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi",
           "-i", f"testsrc=size=160x120:rate={rate}:duration={seconds}"]
    if audio:
        cmd += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}:sample_rate=48000",
                "-c:a", "aac"]
    cmd += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", *extra]
    if timecode:
        cmd += ["-timecode", timecode]
    subprocess.run([*cmd, str(path)], check=True)
    return path


def picture_hash(path: Path) -> str:
    """SHA-256 over the packets of the first video stream, as stored (no decoding)."""
    out = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", str(path), "-map", "0:v:0",
                          "-c", "copy", "-f", "hash", "-hash", "sha256", "-"],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()
