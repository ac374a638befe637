"""Transport over a feeder and a sink: play from a frame, pause, seek, refresh after edits.

Positions are timeline frames at the project rate. ``position()`` is what is being heard: the
frame the sink reads next, less what the device holds.
"""

from __future__ import annotations

from audiostudio.playback.feeder import Feeder, Levels, OpenStream
from audiostudio.playback.loop import LoopStream, wrap
from audiostudio.playback.ring import RingBuffer
from audiostudio.playback.sink import Sink

RING_S = 0.3
BLOCK_S = 0.05


class Player:
    def __init__(self, rate: int, sink: Sink) -> None:
        self.rate = rate
        self.sink = sink
        ratio = rate / sink.rate
        self._ring = RingBuffer(round(RING_S * sink.rate), ratio=ratio)
        self._feeder = Feeder(self._ring, rate, sink.rate, round(BLOCK_S * rate))
        self._open: OpenStream | None = None
        self._loop: tuple[int, int] | None = None
        self._playing = False
        self._position = 0

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def error(self) -> str | None:
        """Why playback stopped by itself (a render error or a lost device)."""
        if self._feeder.error is not None:
            return str(self._feeder.error)
        return self.sink.error

    @property
    def underruns(self) -> int:
        return self.sink.underruns

    @property
    def blocks_rendered(self) -> int:
        return self._feeder.blocks_rendered

    @property
    def feeder_cpu_s(self) -> float:
        return self._feeder.cpu_s

    @property
    def loop(self) -> tuple[int, int] | None:
        return self._loop

    def set_source(self, open_stream: OpenStream) -> None:
        """A new plan (after an edit, mute, gain change): heard from the next block on."""
        self._open = open_stream
        if self._playing:
            self._feeder.refresh(self._opener())

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        """Play [start, end) over and over (None: play on), from what is being heard on."""
        heard = self.position()
        self._loop = loop if loop is None or loop[1] > loop[0] else None
        if self._playing:
            self.play(heard)  # restart the ring so its frames count on the new timeline

    def _opener(self) -> OpenStream:
        assert self._open is not None
        if self._loop is None:
            return self._open
        open_stream, (start, end) = self._open, self._loop
        return lambda frame: LoopStream(open_stream, frame, start, end)

    def play(self, frame: int | None = None) -> None:
        if self._open is None:
            raise RuntimeError("Player.play before set_source")
        self.pause()
        self._position = self._position if frame is None else max(0, frame)
        self._feeder.start(self._opener(), self._position)
        self.sink.start(self._ring)
        self._playing = True

    def pause(self) -> None:
        if self._playing:
            buffered = self.sink.buffered_frames()
            self.sink.stop()  # first: nothing more is taken from the ring after the reading
            self._position = self._heard(buffered)
            self._playing = False

    def seek(self, frame: int) -> None:
        if self._playing:
            self.play(frame)
        else:
            self._position = max(0, frame)

    def position(self) -> int:
        return self._heard(self.sink.buffered_frames()) if self._playing else self._position

    def _heard(self, buffered: int) -> int:
        """The frame being heard: the one the sink reads next, less what the device holds."""
        heard = max(0, self._ring.read_frame() - round(buffered * self._ring.ratio))
        return heard if self._loop is None else wrap(heard, *self._loop)

    def levels(self) -> Levels | None:
        """The newest meter reading at or before what is being heard."""
        heard = self.position()
        for levels in reversed(tuple(self._feeder.levels)):  # a copy: the feeder appends
            if levels.start <= heard:
                return levels
        return None

    def close(self) -> None:
        self.pause()
        self._feeder.close()
        self.sink.close()
