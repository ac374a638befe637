"""Waveform data for the timeline: peak pyramids built off the GUI thread, cached per source.

Design note: the pyramid (``audio/peaks.py``) answers any zoom in O(pixels); below 256 frames
per pixel it asks for the samples, which come from the decoder's memory-mapped cache, so
neither path reads more than the columns on screen. A pyramid is built on a QThreadPool
worker that only returns data through a signals QObject (workers never touch items); until
it arrives, clips draw without a waveform. One worker thread: waveforms are a nicety that
must not starve playback or generation of the machine's few cores.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal
from PySide6.QtGui import QPolygonF

from audiostudio.audio.decode import decode
from audiostudio.audio.peaks import PeakPyramid, column_minmax_from_samples, peaks_for
from audiostudio.errors import AudiostudioError, CancelledError
from audiostudio.settings import cache_dir


@dataclass(frozen=True, eq=False)
class Waveform:
    pyramid: PeakPyramid
    samples: np.ndarray  # read-only memmap (frames, channels) for zooms finer than the pyramid

    @property
    def frames(self) -> int:
        return self.pyramid.frames

    def columns(self, start_frame: int, end_frame: int, pixels: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """(mins, maxs) per pixel column of frames [start, end); silence outside the source."""
        found = self.pyramid.query(start_frame, end_frame, pixels)
        if found is None:
            found = column_minmax_from_samples(self.samples, start_frame, end_frame, pixels)
        return found


def clip_columns(waveform: Waveform, rate: int, offset: float, loop_length: float | None,
                 first_column: int, columns: int, pixels_per_second: float
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Columns ``first_column ..`` of a clip whose audio starts ``offset`` s into the source.

    A looped clip repeats its source: the range is cut where the source wraps and each piece
    is queried from the source's beginning again.
    """
    mins = np.empty(columns, np.float32)
    maxs = np.empty(columns, np.float32)
    col = first_column
    end_col = first_column + columns
    while col < end_col:
        t0 = offset + col / pixels_per_second
        stop = end_col
        if loop_length:
            wraps = np.floor(t0 / loop_length)
            t0 -= wraps * loop_length
            wrap_col = int(np.ceil(((wraps + 1) * loop_length - offset) * pixels_per_second))
            stop = min(end_col, max(wrap_col, col + 1))
        t1 = t0 + (stop - col) / pixels_per_second
        lo, hi = col - first_column, stop - first_column
        mins[lo:hi], maxs[lo:hi] = waveform.columns(round(t0 * rate), round(t1 * rate), stop - col)
        col = stop
    return mins, maxs


def polygon(points: np.ndarray) -> QPolygonF:
    """A QPolygonF filled straight from an (n, 2) array.

    Writing into the polygon's own buffer avoids building one QPointF per point in Python
    (pyqtgraph does the same for its curves).
    """
    result = QPolygonF()
    result.resize(len(points))
    buffer = shiboken6.VoidPtr(result.data(), len(points) * 16, True)
    np.frombuffer(buffer, dtype=np.float64).reshape(-1, 2)[:] = points
    return result


def waveform_polygon(mins: np.ndarray, maxs: np.ndarray, x0: float, mid: float, half: float,
                     gain: float = 1.0) -> QPolygonF:
    """A closed outline (maxs left to right, then mins back), at least one pixel thick so
    silence shows as a line rather than nothing."""
    n = len(mins)
    points = np.empty((2 * n, 2))
    xs = np.arange(x0, x0 + n, dtype=np.float64)
    scale = gain * half
    # minimum/maximum rather than np.clip: a fraction of the overhead on these small arrays.
    top = np.maximum(np.minimum(mid - maxs * scale, mid - 0.5), mid - half)
    bottom = np.minimum(np.maximum(mid - mins * scale, mid + 0.5), mid + half)
    points[:n, 0] = xs
    points[:n, 1] = top
    points[n:, 0] = xs[::-1]
    points[n:, 1] = bottom[::-1]
    return polygon(points)


MISSING = "missing audio"  # badges of a source without a waveform
NO_WAVEFORM = "no waveform"


class _Signals(QObject):
    done = Signal(object, object)  # key, Waveform
    failed = Signal(object, str, str)  # key, message, badge


class _PeakJob(QRunnable):
    def __init__(self, key: tuple[str, int], signals: _Signals, stop: threading.Event) -> None:
        super().__init__()
        self.key = key
        self.signals = signals
        self.stop = stop

    def run(self) -> None:
        path, rate = Path(self.key[0]), self.key[1]
        try:
            cache = cache_dir()
            pyramid = peaks_for(path, rate, cache, cancelled=self.stop.is_set)
            samples = decode(path, rate, cache).samples  # already decoded by peaks_for: a mapping
        except CancelledError:
            return
        except (AudiostudioError, OSError) as exc:
            self.signals.failed.emit(self.key, str(exc), MISSING)
            return
        except Exception as exc:  # a bug, not a bad file: still reported, never left pending
            self.signals.failed.emit(
                self.key, f"Waveform failed ({type(exc).__name__}: {exc})", NO_WAVEFORM)
            return
        self.signals.done.emit(self.key, Waveform(pyramid, samples))


class WaveformCache(QObject):
    """Waveforms per (source path, rate), built in the background on first request."""

    ready = Signal(str)  # the source path whose waveform (or failure) just arrived

    def __init__(self, parent: QObject | None = None, max_entries: int = 512) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._stop = threading.Event()
        self._signals = _Signals(self)
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)
        self._ready: OrderedDict[tuple[str, int], Waveform] = OrderedDict()
        self._pending: set[tuple[str, int]] = set()
        self.errors: dict[str, str] = {}  # path -> why it has no waveform (missing file...)
        self.badges: dict[str, str] = {}  # path -> MISSING or NO_WAVEFORM
        self._max = max_entries
        app = QCoreApplication.instance()
        if app is not None:  # a build in flight must not outlive the interpreter
            app.aboutToQuit.connect(self.shutdown)

    def get(self, path: Path, rate: int) -> Waveform | None:
        """The waveform if ready; else None, and a build is started once per source."""
        key = (str(path), rate)
        found = self._ready.get(key)
        if found is not None:
            self._ready.move_to_end(key)
            return found
        if key not in self._pending and key[0] not in self.errors:
            self._pending.add(key)
            self._pool.start(_PeakJob(key, self._signals, self._stop))
        return None

    def is_idle(self) -> bool:
        return not self._pending

    def wait(self, msecs: int = -1) -> bool:
        """Block until the queued builds are done (tests and benchmarks)."""
        return self._pool.waitForDone(msecs)

    def shutdown(self) -> None:
        """Cancel queued builds and wait for the running one (call before the app quits)."""
        self._stop.set()
        self._pool.clear()
        self._pool.waitForDone()

    def _on_done(self, key: tuple[str, int], waveform: Waveform) -> None:
        self._pending.discard(key)
        self._ready[key] = waveform
        while len(self._ready) > self._max:
            self._ready.popitem(last=False)
        self.ready.emit(key[0])

    def forget_errors(self) -> None:
        """Try failed sources again (a file missing before may be there now)."""
        self.errors.clear()
        self.badges.clear()

    def _on_failed(self, key: tuple[str, int], message: str, badge: str) -> None:
        self._pending.discard(key)
        self.errors[key[0]] = message
        self.badges[key[0]] = badge
        self.ready.emit(key[0])
