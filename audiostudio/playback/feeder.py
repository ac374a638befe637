"""The feeder thread: renders the delivered mix ahead of the sink into the ring buffer.

A seek drops what the sink has not taken yet and renders from the new frame. An edit (a new
plan, mute, solo, gain) is spliced in instead: the new stream opens beside the old one, whose
audio keeps playing from the ring meanwhile, and takes over at a frame a little after the one
being read, chosen to cover the opening (the limiter's warm-up): 50 ms, up to 90 ms when
rendering runs slower here (a 32-track scene on a loaded machine). A change is heard after the
device's buffer (~0.12 s on PulseAudio, qt_sink.py) plus that. An opening slower than that
costs no dropout while the ring (300 ms) has audio: the new stream skips ahead to a later cut.
Meters (each track's and the mix's peak per block) are computed here, never in the sink's read,
and kept with their timeline frame for the GUI timer to pick up.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import soxr

from audiostudio.audio.loudness import LoudnessMeter
from audiostudio.audio.master import RELEASE_MS, WARMUP_RELEASES, MasterBlock
from audiostudio.playback.ring import RingBuffer

POLL_S = 0.004  # the sink never signals (it only copies): the feeder looks for space this often
SWITCH_INTERVAL_S = 0.001
KEEP_S = 0.05  # an edit takes over this far after the frame being read ...
MAX_KEEP_S = 0.09  # ... at most: it is still heard within 0.1 s (plus the device's buffer)
KEEP_MARGIN = 1.5  # ... covering this many times what opening a stream should take, plus 20 ms
# A stream opened mid-timeline first renders the limiter's warm-up (master.py).
WARMUP_S = WARMUP_RELEASES * RELEASE_MS / 1000 + 0.005
RATIO_SMOOTHING = 0.1  # per block: follows a slow spell within a second, not one late block


class Stream(Protocol):
    def read(self, frames: int) -> MasterBlock: ...


OpenStream = Callable[[int], Stream]  # timeline frame -> a stream delivering from there


@dataclass(frozen=True)
class Levels:
    start: int  # timeline frame of the block
    frames: int
    mix_peak: float  # linear sample peak of the delivered mix
    track_peaks: tuple[float, ...]  # per delivered stem (empty for a mix-only stream)
    momentary: float | None  # LUFS of the last 400 ms of the delivered mix
    short_term: float | None  # LUFS of the last 3 s
    integrated: float | None  # LUFS since play (or the last seek) started
    true_peak: float | None  # dBTP since play started


class Feeder:
    def __init__(self, ring: RingBuffer, rate: int, device_rate: int, block_frames: int) -> None:
        self._ring = ring
        self._rate = rate
        self._device_rate = device_rate
        self._block = block_frames
        self._cond = threading.Condition()
        self._open: OpenStream | None = None
        self._pending: tuple[int, int] | None = None  # (epoch, frame) to start rendering at
        self._swap: OpenStream | None = None  # an edit's stream, to splice in
        self._fresh_meter = True  # play and seek start the loudness readings anew; edits don't
        self._closed = False
        self.error: BaseException | None = None
        self.levels: deque[Levels] = deque(maxlen=256)
        self.blocks_rendered = 0
        self.cpu_s = 0.0  # CPU time of this thread's rendering (benchmarks)
        self._render_ratio = 0.0  # recent wall seconds per second rendered (smoothed)
        # Python hands the GIL over every 5 ms by default; the feeder renders in many short
        # numpy steps, each waiting for it while the GUI paints or a worker computes.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._run, name="playback-feeder", daemon=True)
        self._thread.start()

    def start(self, open_stream: OpenStream, frame: int) -> None:
        """Render from ``frame`` with ``open_stream``, dropping what is in the ring."""
        # The ring restarts here, on the caller's thread, so positions are right at once.
        with self._cond:
            self._open = open_stream
            self._pending = self._ring.restart(frame)
            self._swap = None
            self._fresh_meter = True
            self.levels.clear()
            self.error = None
            self._cond.notify()

    def refresh(self, open_stream: OpenStream | None = None) -> None:
        """Splice in a stream of ``open_stream`` (None: the current one anew) after an edit."""
        with self._cond:
            self._open = open_stream or self._open
            if self._open is not None:
                self._swap = self._open
                self.error = None
                self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join()

    def _run(self) -> None:
        stream: Stream | None = None
        resampler: soxr.ResampleStream | None = None
        meter = LoudnessMeter(self._rate, 2)
        epoch = -1
        while True:
            swap: OpenStream | None = None
            with self._cond:
                while not self._closed and self._pending is None and self._swap is None and (
                        stream is None or self._ring.space() < self._block):
                    self._cond.wait(POLL_S)
                if self._closed:
                    return
                if self._swap is not None and stream is None:  # nothing to splice onto
                    self._pending, self._swap = self._ring.restart(), None
                if self._pending is not None:
                    (epoch, frame), self._pending = self._pending, None
                    opener = self._open
                    stream = None
                    if self._fresh_meter:
                        meter, self._fresh_meter = LoudnessMeter(self._rate, 2), False
                swap, self._swap = self._swap, None
            cpu, opening = time.thread_time(), stream is None or swap is not None
            try:
                began = time.perf_counter()
                if swap is not None:
                    spliced = self._splice(swap)
                    if spliced is None:  # a seek came first
                        continue
                    stream, epoch, block = spliced
                else:
                    if stream is None:
                        assert opener is not None
                        stream = opener(frame)
                    block = stream.read(self._block)
                if opening:
                    resampler = (None if self._device_rate == self._rate else soxr.ResampleStream(
                        self._rate, self._device_rate, 2, dtype="float32"))
            except Exception as exc:  # reported to the player, which stops and says why
                self.error = exc
                stream = None
                continue
            if not opening:  # how fast rendering goes here now: the next edit keeps enough
                ratio = (time.perf_counter() - began) * self._rate / max(1, len(block.mix))
                self._render_ratio += RATIO_SMOOTHING * (ratio - self._render_ratio)
            out = block.mix if resampler is None else resampler.resample_chunk(block.mix)
            peaks = () if block.stems is None else tuple(np.abs(block.stems).max(axis=(1, 2)))
            meter.add(block.mix)
            self.levels.append(Levels(block.start, len(block.mix),
                                      float(np.abs(block.mix).max(initial=0.0)), peaks,
                                      meter.recent(0.4), meter.recent(3.0), meter.integrated(),
                                      meter.true_peak_dbtp()))
            self.cpu_s += time.thread_time() - cpu
            if self._push(out, epoch):
                self.blocks_rendered += 1

    def _splice(self, open_stream: OpenStream) -> tuple[Stream, int, MasterBlock] | None:
        """Open a stream a little after the frame being read and render its first block while
        the ring plays on, then cut the ring there. Returns (stream, epoch, first block), or
        None when a seek restarted the ring meanwhile."""
        block_s = self._block / self._rate
        open_s = self._render_ratio * (WARMUP_S + block_s)
        keep_s = min(MAX_KEEP_S, max(KEEP_S, KEEP_MARGIN * open_s + 0.02))
        ahead = round(keep_s * self._device_rate)
        cut, frame, epoch = self._ring.cut_point(ahead)
        stream = open_stream(frame)
        first = stream.read(self._block)  # the slow part: the limiter's warm-up comes first
        while (spliced := self._ring.splice(cut, epoch)) is None:
            if self._ring.epoch != epoch:
                return None
            # The reader passed the cut while the stream warmed up: take over further on. The
            # ring's frames count on across a loop's laps (a block's start wraps): skip by
            # the difference.
            cut, later, epoch = self._ring.cut_point(ahead)
            skip, frame = later - frame, later
            if skip < len(first.mix):
                first = first.tail(skip)
            else:
                if skip > len(first.mix):
                    stream.read(skip - len(first.mix))
                first = stream.read(self._block)
        return stream, spliced[0], first

    def _push(self, out: np.ndarray, epoch: int) -> bool:
        """Write all of ``out``, waiting for space; False when a restart made it stale."""
        while True:
            taken = self._ring.write(out, epoch)
            if taken < 0:
                return False
            out = out[taken:]
            if not len(out):
                return True
            with self._cond:
                if self._closed or self._pending is not None or self._swap is not None:
                    return False
                self._cond.wait(POLL_S)
