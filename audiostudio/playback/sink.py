"""What an output sink provides, and the null sink used when there is no output device.

The null sink consumes the ring in real time on its own thread, as a sound card would, so the
window plays, seeks and reports a moving position on CI and servers; tests can record it.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

import numpy as np

from audiostudio.playback.ring import RingBuffer

TICK_S = 0.005
# A sink starts taking audio once the ring holds this much: two feeder blocks, so the block
# rendered while the first plays arrives in time (press-to-sound stays ~0.1 s + one render).
START_S = 0.1


class Sink(Protocol):
    rate: int  # the device's frame rate
    underruns: int  # reads the ring could not fill while playing
    error: str | None  # set when the device went away

    def start(self, ring: RingBuffer) -> None: ...
    def stop(self) -> None: ...
    def buffered_frames(self) -> int: ...  # taken from the ring, not yet heard
    def close(self) -> None: ...


class NullSink:
    def __init__(self, rate: int, record: bool = False) -> None:
        self.rate = rate
        self.underruns = 0
        self.underrun_at: list[float] = []  # seconds played when each happened (benchmarks)
        self.error: str | None = None
        self.recording: list[np.ndarray] | None = [] if record else None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, ring: RingBuffer) -> None:
        self.stop()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(ring,), name="null-sink",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None

    def buffered_frames(self) -> int:
        return 0

    def close(self) -> None:
        self.stop()

    def _run(self, ring: RingBuffer) -> None:
        chunk = np.zeros((self.rate, 2), np.float32)  # a second: more than one tick ever takes
        started: float | None = None  # the clock starts with the first audio, as a device's does
        consumed = 0
        while not self._stop.wait(TICK_S):
            if started is None:
                if ring.available() < min(ring.capacity, round(START_S * self.rate)):
                    continue
                started = time.monotonic() - TICK_S
            due = min(len(chunk), round((time.monotonic() - started) * self.rate) - consumed)
            got = ring.read_into(chunk[:due])
            if got < due:
                self.underruns += 1
                self.underrun_at.append(consumed / self.rate)
                chunk[got:due] = 0.0
            consumed += due
            if self.recording is not None:
                self.recording.append(chunk[:due].copy())
