"""The sound card: a QAudioSink in pull mode whose device only copies out of the ring buffer.

Design note. Pull mode (the sink asks a QIODevice for bytes) needs no timer of ours; push mode
would need a writer waking every few ms. ``readData`` copies from the ring into a preallocated
array and hands the bytes to Qt; PySide needs a ``bytes`` object back, so that one copy per call
is the floor in Python. No mixing, locks held across rendering, or signals happen there: the
feeder thread did that work. The sink lives on a thread of its own with its own event loop: Qt
calls ``readData`` on the sink's thread, so a busy GUI thread cannot starve the device.

How deep the device is, measured on Qt 6.11's PulseAudio output (a private null sink recorded
from its monitor, 2-core machine; a play is 3 s of the sample project through the engine):
- Qt keeps a ring of ``setBufferSize`` bytes that libpulse's thread drains without Python; Qt
  refills it from ``readData`` on the sink's thread, which needs the engine's GIL. Stalls of
  that thread reached 30-40 ms here, so a 40 ms ring ran dry; at 60 ms its fill never went
  below 30 ms.
- The device is opened unbuffered: a buffered QIODevice reads 16 KB (43 ms) ahead, a buffer
  nobody accounts for, and asks Python only when it is empty.
- The server side: Qt asks libpulse to adjust the latency but caps the server's buffer at 1024
  frames whatever ``setBufferSize`` says (a known Qt bug; no API reaches it), and a late server
  request is silence inserted mid-play. ``PULSE_LATENCY_MSEC`` sets that latency.
- Plays with a dropout: 40 ms ring, 40 ms server: 1-2 in 10-14 (runs of 480 frames while the
  ring held 30 ms); 60 ms ring (unbuffered), 40 ms server: 2 of 14; 60 ms ring, 60 ms server:
  0 of 44. So a change is heard ~0.12 s after it leaves the ring, about Audacity's default
  100 ms output buffer.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np
from PySide6.QtCore import QCoreApplication, QIODevice, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtMultimedia import QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices, QtAudio

from audiostudio.playback.ring import RingBuffer

BUFFER_S = 0.06  # Qt's ring (the module note says why)
SERVER_LATENCY_MS = 60  # PulseAudio's, through PULSE_LATENCY_MSEC
FRAME_BYTES = 8  # stereo float32
WATCH_MS = 100
# The device opens once the ring holds what it and the server take at first: Qt pads what a
# request cannot get with silence, which would play ahead of the sound or as a gap after it.
START_POLL_MS = 2
START_TIMEOUT_S = 0.5  # ... or after this (the end of the timeline), whatever it holds


def _server_latency_frames(rate: int) -> int:
    """PulseAudio's latency as this process asks for it (``ensure_application``); nothing
    known elsewhere."""
    if not sys.platform.startswith("linux"):
        return 0
    try:
        return round(int(os.environ.get("PULSE_LATENCY_MSEC", SERVER_LATENCY_MS)) * rate / 1000)
    except ValueError:
        return 0


def default_device() -> QAudioDevice | None:
    """The system's default output, or None when there is no sound card (CI, servers)."""
    device = QMediaDevices.defaultAudioOutput()
    return None if device.isNull() else device


def output_devices() -> list[QAudioDevice]:
    return list(QMediaDevices.audioOutputs())


def device_rate(device: QAudioDevice, rate: int) -> int:
    """``rate`` when the device takes it as stereo float; else its preferred rate (the feeder
    converts with soxr)."""
    if device.isFormatSupported(_format(rate)):
        return rate
    return device.preferredFormat().sampleRate()


def _format(rate: int) -> QAudioFormat:
    fmt = QAudioFormat()
    fmt.setSampleRate(rate)
    fmt.setChannelCount(2)
    fmt.setSampleFormat(QAudioFormat.SampleFormat.Float)
    return fmt


class _RingDevice(QIODevice):
    def __init__(self, ring: RingBuffer, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ring = ring
        self._out = np.zeros((1 << 15, 2), np.float32)
        self.underruns = 0

    def readData(self, maxlen: int) -> bytes:  # Qt's pull: copy only
        frames = min(maxlen // FRAME_BYTES, len(self._out))
        got = self._ring.read_into(self._out[:frames])
        if got < frames:  # the feeder fell behind: play silence rather than stall the device
            self.underruns += 1
            self._out[got:frames] = 0.0
        return self._out[:frames].tobytes()

    def writeData(self, data: bytes) -> int:
        return -1

    def bytesAvailable(self) -> int:
        return len(self._out) * FRAME_BYTES

    def isSequential(self) -> bool:
        return True


class _Output(QObject):
    """Owns the QAudioSink; every method runs on the audio thread."""

    def __init__(self, device: QAudioDevice, rate: int) -> None:
        super().__init__()
        self.device = device
        self.rate = rate
        self.error: str | None = None
        # Bytes taken from the ring and not heard yet: Qt's buffer (pull mode keeps it full)
        # and, on Linux, what PulseAudio holds (playhead and meters follow the sound; a pause
        # resumes where the sound stopped).
        self.buffered = 0
        self.underruns = 0
        self._sink: QAudioSink | None = None
        self._io: _RingDevice | None = None
        # Polled, not stateChanged: PySide 6.11 cannot convert that signal's QAudio::State.
        self._watch = QTimer(self)
        self._watch.setInterval(WATCH_MS)
        self._watch.timeout.connect(self._check)
        self._ring: RingBuffer | None = None
        self._asked = 0.0
        self._filling = QTimer(self)
        self._filling.setTimerType(Qt.TimerType.PreciseTimer)
        self._filling.setInterval(START_POLL_MS)
        self._filling.timeout.connect(self._open_when_filled)

    @Slot(object)
    def begin(self, ring: RingBuffer) -> None:
        self.end()
        self.error = None
        self._ring, self._asked = ring, time.monotonic()
        self._filling.start()

    def _open_when_filled(self) -> None:
        ring = self._ring
        assert ring is not None
        first = min(ring.capacity, round((BUFFER_S + SERVER_LATENCY_MS / 1000) * self.rate))
        if ring.available() < first and time.monotonic() < self._asked + START_TIMEOUT_S:
            return
        self._filling.stop()
        self._sink = QAudioSink(self.device, _format(self.rate))
        self._sink.setBufferSize(round(BUFFER_S * self.rate) * FRAME_BYTES)
        self._io = _RingDevice(ring, self._sink)
        # Unbuffered: Qt's own read-ahead would be a hidden 43 ms buffer (module note).
        self._io.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
        self._sink.start(self._io)
        self.buffered = self._sink.bufferSize() + _server_latency_frames(self.rate) * FRAME_BYTES
        self._watch.start()

    @Slot()
    def end(self) -> None:
        self._filling.stop()
        if self._sink is not None:
            self._watch.stop()
            self._sink.stop()
            assert self._io is not None
            self.underruns += self._io.underruns
            self._sink.deleteLater()
            self._sink = self._io = None
        self.buffered = 0

    def live_underruns(self) -> int:
        return self.underruns + (self._io.underruns if self._io is not None else 0)

    def _check(self) -> None:
        if self._sink is not None and self._sink.error() != QtAudio.Error.NoError:
            self.error = (f"The audio output stopped ({self._sink.error().name}); "
                          "playback stopped at the playhead.")


class _Calls(QObject):
    begin = Signal(object)
    end = Signal()


class QtSink:
    """A ``playback.sink.Sink`` on a real output device, driven from the GUI thread."""

    def __init__(self, device: QAudioDevice, rate: int) -> None:
        self.rate = device_rate(device, rate)
        self._thread = QThread()
        self._thread.setObjectName("audio-output")
        self._output = _Output(device, self.rate)
        self._output.moveToThread(self._thread)
        self._calls = _Calls()
        # Blocking: when stop() returns, the device really stopped; when start() returns, it
        # opens as soon as the ring holds enough.
        blocking = Qt.ConnectionType.BlockingQueuedConnection
        self._calls.begin.connect(self._output.begin, blocking)
        self._calls.end.connect(self._output.end, blocking)
        self._thread.start()

    @property
    def underruns(self) -> int:
        return self._output.live_underruns()

    @property
    def error(self) -> str | None:
        return self._output.error

    def start(self, ring: RingBuffer) -> None:
        self._calls.begin.emit(ring)

    def stop(self) -> None:
        self._calls.end.emit()

    def buffered_frames(self) -> int:
        return self._output.buffered // FRAME_BYTES

    def close(self) -> None:
        self.stop()
        self._thread.quit()
        self._thread.wait()


_application: QCoreApplication | None = None


def ensure_application() -> None:
    """Qt's device list and audio threads need an application object: the audio engine's
    process has no window, so it makes a core one (kept: Qt must not see it collected).
    It also sets PulseAudio's latency for this process (module note; a user's value wins)."""
    global _application
    os.environ.setdefault("PULSE_LATENCY_MSEC", str(SERVER_LATENCY_MS))
    if QCoreApplication.instance() is None:
        _application = QCoreApplication([])
