"""A preallocated single-producer / single-consumer ring of stereo float32 frames.

The feeder writes rendered blocks; the sink's read only copies out of it. The lock is held for
the copies alone (microseconds), never while rendering. Each restart (a seek) or splice (an edit)
opens a new epoch: a block the feeder rendered for an older epoch is refused, so a stale block
never plays.
"""

from __future__ import annotations

import threading

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, channels: int = 2, ratio: float = 1.0) -> None:
        self.ratio = ratio  # timeline frames per ring frame (the device may run at another rate)
        self._buf = np.zeros((capacity, channels), np.float32)
        self._lock = threading.Lock()
        self._read = 0  # frames read, ever
        self._written = 0  # frames written, ever
        self._epoch_start = 0  # the write count at which the epoch began
        self._base = 0  # timeline frame of the epoch's first frame
        self.epoch = 0

    @property
    def capacity(self) -> int:
        return len(self._buf)

    def available(self) -> int:
        return self._written - self._read

    def space(self) -> int:
        return self.capacity - self.available()

    def read_frame(self) -> int:
        """The timeline frame the next read returns."""
        return self._frame_at(self._read)

    def restart(self, frame: int | None = None) -> tuple[int, int]:
        """Drop the unread frames and continue at timeline ``frame`` (None: where reading is).
        Returns (epoch, frame) for the producer."""
        with self._lock:
            return self._new_epoch(self._read, self._frame_at(self._read) if frame is None
                                   else frame)

    def cut_point(self, ahead: int) -> tuple[int, int, int]:
        """Where an edit can take over: ``ahead`` frames past what is being read, or the end of
        what is written if less is queued. Returns (write count, its timeline frame, epoch)."""
        with self._lock:
            cut = min(self._written, self._read + ahead)
            return cut, self._frame_at(cut), self.epoch

    def splice(self, cut: int, epoch: int) -> tuple[int, int] | None:
        """Keep what was written up to write count ``cut`` and drop the rest: a new epoch goes
        on from there. None when the reader is already past ``cut`` or a restart came first."""
        with self._lock:
            if epoch != self.epoch or self._read > cut:
                return None
            return self._new_epoch(cut, self._frame_at(cut))

    def _new_epoch(self, count: int, frame: int) -> tuple[int, int]:
        """Drop what was written after write count ``count``; go on from there at ``frame``."""
        self._base = frame
        self._written = self._epoch_start = count
        self.epoch += 1
        return self.epoch, frame

    def _frame_at(self, count: int) -> int:
        return self._base + round((count - self._epoch_start) * self.ratio)

    def write(self, block: np.ndarray, epoch: int) -> int:
        """Append what fits of ``block``; returns the frames taken, or -1 if the epoch is over."""
        with self._lock:
            if epoch != self.epoch:
                return -1
            n = min(len(block), self.capacity - (self._written - self._read))
            at = self._written % self.capacity
            first = min(n, self.capacity - at)
            self._buf[at:at + first] = block[:first]
            self._buf[:n - first] = block[first:n]
            self._written += n
            return n

    def read_into(self, out: np.ndarray) -> int:
        """Copy up to ``len(out)`` frames into ``out``; returns how many were there."""
        with self._lock:
            n = min(len(out), self._written - self._read)
            at = self._read % self.capacity
            first = min(n, self.capacity - at)
            out[:first] = self._buf[at:at + first]
            out[first:n] = self._buf[:n - first]
            self._read += n
            return n
