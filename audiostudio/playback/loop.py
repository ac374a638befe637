"""Looped playback inside the feeder: at the loop's end a fresh stream starts at its beginning,
so the wrap is seamless (a seek from the GUI would come a timer tick and a device buffer late)."""

from __future__ import annotations

from audiostudio.audio.master import MasterBlock
from audiostudio.playback.feeder import OpenStream, Stream


def wrap(frame: int, start: int, end: int) -> int:
    """The timeline frame heard at ``frame`` of an unrolled looped playback."""
    return frame if frame < end else start + (frame - start) % (end - start)


class LoopStream:
    def __init__(self, open_stream: OpenStream, frame: int, start: int, end: int) -> None:
        self._open = open_stream
        self._start, self._end = start, end
        self._position = wrap(frame, start, end)
        self._stream: Stream = open_stream(self._position)

    def read(self, frames: int) -> MasterBlock:
        parts: list[MasterBlock] = []
        while frames:
            take = min(frames, self._end - self._position)
            parts.append(self._stream.read(take))
            frames -= take
            self._position += take
            if self._position >= self._end:
                self._position = self._start
                self._stream = self._open(self._start)
        return parts[0] if len(parts) == 1 else MasterBlock.joined(parts)
