"""The live preview's audio engine, in a process of its own: the feeder and the sink away from
the window's GIL.

Why a process: the window paints the timeline in Python (clips, waveforms, the ducking line);
while it scrolls, the GUI thread holds the interpreter lock most of the time, and a feeder
*thread* rendering 32 tracks in many short numpy steps waited for it at every step and fell
behind: 21-25 underruns in 20 s of scrolling, against 0 with the same feeder in a process
(measured side by side, bench/playback_bench.py). The sink's copies moved with it, so nothing
on the real-time path waits for the GUI.

The window talks to the engine over a pipe. Commands are short and answered only when they ask
for something (``status``, ``recording``); the engine's main thread serves them one by one, so a
status after a play sees the play. Render plans are built in the window's process (which needs
them anyway, for measuring and the ducking line) and sent pickled (``pack``: 0.1-0.5 MB, 1-3 ms
to unpickle; sources reopen their files here). Building one here instead, on a second thread,
starved the feeder of the interpreter lock again: 106 underruns over 10 edits of the 32-track
scene.

One engine process serves the whole application, started with the first ``PlaybackEngine`` and
reused by the next (a window opened again, the tests' many windows); each ``PlaybackEngine`` has
its own player in it. The process ends with its parent.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import multiprocessing
import os
import pickle
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from audiostudio.audio.mixer import RenderPlan
from audiostudio.playback.feeder import Levels

RAMP_S = 0.05  # a new normalisation gain ramps in over this, never as a step
STREAM_BLOCK_S = 0.05
ENGINE_NICE = -10


@dataclass(frozen=True)
class Status:
    playing: bool  # playing, or about to (a play waiting for the engine's first plan)
    position: int  # the timeline frame being heard
    error: str | None  # why playback stopped by itself (a render error, a lost device)
    underruns: int
    blocks_rendered: int
    feeder_cpu_s: float
    levels: Levels | None  # the newest meter reading at or before ``position``
    track_ids: tuple[str, ...]  # the playing plan's tracks, in ``levels.track_peaks`` order
    notes: tuple[str, ...] = ()  # for the status bar, each said once (no device, ...)
    ready: bool = False  # a plan is in: a play starts at once


@dataclass(frozen=True)
class Output:
    kind: str  # "device" or "null"
    rate: int  # the rate the output runs at (the feeder converts to it)


class PlaybackEngine:
    """The window's side: a transport whose feeder and sink run in the engine process.

    ``output`` names the device by its description ("" = the system default, "none" = the null
    output, which consumes audio in real time with no sound card); ``record`` keeps what the
    null output consumed, for tests."""

    def __init__(self, rate: int, output: str = "", record: bool = False) -> None:
        self.rate = rate
        self._server = _shared_server()
        self._id = next(_ids)
        self._server.send(self._id, "open", rate, output, record)
        self._loop: tuple[int, int] | None = None
        self._playing = False
        self._closed = False
        self.last = Status(False, 0, None, 0, 0, 0.0, None, ())

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def loop(self) -> tuple[int, int] | None:
        return self._loop

    def output(self) -> Output:
        return self._server.ask(self._id, "output")

    def set_mix(self, packed: bytes) -> None:
        """A new render plan (``pack``): heard from the next block on, at the gain there is."""
        self._server.send(self._id, "mix", packed)

    def set_gain(self, norm_db: float, ramp: bool) -> None:
        """The normalisation gain from a new measurement: ramped in, or (the first) at once."""
        self._server.send(self._id, "gain", norm_db, ramp)

    def set_loop(self, loop: tuple[int, int] | None) -> None:
        self._loop = loop if loop is None or loop[1] > loop[0] else None
        self._server.send(self._id, "loop", self._loop)

    def play(self, frame: int | None = None) -> None:
        self._server.send(self._id, "play", frame)
        self._playing = True

    def pause(self) -> None:
        if self._playing:
            self._server.send(self._id, "pause")
            self._playing = False
            self.status()

    def seek(self, frame: int) -> None:
        self._server.send(self._id, "seek", frame)

    def audition(self, path: Path) -> None:
        """Play one audio file from its start (a voice sample), through the same output."""
        self._server.send(self._id, "audition", path)
        self._playing = True

    def status(self) -> Status:
        """Ask the engine how playback stands; kept in ``last`` for the meters' timers."""
        self.last = self._server.ask(self._id, "status")
        if not self.last.playing:
            self._playing = False
        return self.last

    def position(self) -> int:
        return self.status().position

    @property
    def underruns(self) -> int:
        return self.status().underruns

    def recording(self) -> tuple[np.ndarray, list[float]]:
        """What the null output consumed since it opened, and when each underrun happened."""
        return self._server.ask(self._id, "recording")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._playing = False
            self._server.ask(self._id, "close")  # answered once the output is closed


# --- the window's end of the pipe ---------------------------------------------------------------
class _Server:
    def __init__(self) -> None:
        context = multiprocessing.get_context("spawn")  # fork would copy the GUI's threads
        self._conn, child = context.Pipe()
        self._process = context.Process(target=serve, args=(child,), name="audiostudio-audio",
                                        daemon=True)
        self._process.start()
        child.close()
        self._lock = threading.Lock()

    def send(self, engine: int, command: str, *args: Any) -> None:
        with self._lock:
            self._conn.send((engine, command, args))

    def ask(self, engine: int, command: str, *args: Any) -> Any:
        with self._lock:
            self._conn.send((engine, command, args))
            ok, value = self._conn.recv()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # already gone
            self.send(0, "exit")
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()


_server: _Server | None = None
_ids = itertools.count(1)


def _shared_server() -> _Server:
    global _server
    if _server is None or not _server._process.is_alive():
        _server = _Server()
        atexit.register(_server.stop)
    return _server


# --- the engine process ------------------------------------------------------------------------
def serve(conn: Connection) -> None:
    """The engine process's main loop: one command at a time until told to exit or orphaned."""
    # The real-time part of the app runs ahead of the window and the workers where the system
    # lets it (a user without the right keeps the normal priority).
    with contextlib.suppress(OSError):
        os.nice(ENGINE_NICE)
    engines: dict[int, _Engine] = {}
    try:
        while True:
            try:
                key, command, args = conn.recv()
            except EOFError:  # the window's process is gone
                return
            if command == "exit":
                return
            engine = engines.setdefault(key, _Engine())
            try:
                value = getattr(engine, command)(*args)
                ok = True
            except Exception as exc:  # answered as an error of the command that asked
                value, ok = exc, False
            if command == "close":
                del engines[key]
            if command in _QUERIES:
                conn.send((ok, value))
            elif not ok:
                engine.notes.append(f"Playback: {value}")
    finally:
        for engine in engines.values():
            engine.close()


_QUERIES = {"status", "recording", "output", "close"}


@dataclass
class _Mix:
    plan: RenderPlan
    ceiling_dbtp: float
    track_ids: tuple[str, ...]


def pack(plan: RenderPlan, ceiling_dbtp: float) -> bytes:
    """A plan as ``PlaybackEngine.set_mix`` takes it (pickle it on a worker, not the GUI)."""
    return pickle.dumps(_Mix(plan, ceiling_dbtp, tuple(t.track_id for t in plan.tracks)),
                        pickle.HIGHEST_PROTOCOL)


@dataclass
class _Gain:
    db: float = 0.0
    ramp_from_db: float | None = None  # the next stream opened ramps from here, once


class _Engine:
    """Owns the Player; its methods are the commands, all run on the process's main thread."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self._player: Any = None  # playback.player.Player
        self._sink: Any = None
        self._mix: _Mix | None = None
        self._gain = _Gain()
        self._pending_play: int | None = None  # a play that came before the first plan
        self._audition_end: int | None = None  # playing a file, not the mix, up to this frame
        self._output = Output("null", 0)

    # commands ------------------------------------------------------------------------------------
    def open(self, rate: int, output: str, record: bool) -> None:
        from audiostudio.playback.player import Player

        self.close()
        self._sink = self._open_sink(rate, output, record)
        self._player = Player(rate, self._sink)
        self._mix, self._gain, self._pending_play = None, _Gain(), None

    def output(self) -> Output:
        return self._output

    def mix(self, packed: bytes) -> None:
        self._mix = pickle.loads(packed)  # the window's own plan: trusted data
        self._reinstall()
        if self._pending_play is not None:
            frame, self._pending_play = self._pending_play, None
            self._player.play(frame)

    def gain(self, norm_db: float, ramp: bool) -> None:
        self._gain = _Gain(norm_db, self._gain.db if ramp else None)
        self._reinstall()

    def loop(self, loop: tuple[int, int] | None) -> None:
        self._player.set_loop(loop)

    def play(self, frame: int | None) -> None:
        if self._mix is None:
            self._pending_play = self._player.position() if frame is None else frame
            return
        self._audition_end = None
        self._reinstall()
        self._player.play(frame)

    def pause(self) -> None:
        if self._pending_play is not None:
            self._player.seek(self._pending_play)
            self._pending_play = None
        self._player.pause()

    def seek(self, frame: int) -> None:
        if self._pending_play is not None:
            self._pending_play = frame
        self._player.seek(frame)

    def audition(self, path: Path) -> None:
        from audiostudio.audio.decode import read_all
        from audiostudio.audio.master import MasterStream, array_source

        rate = self._player.rate
        audio, _ = read_all(path, rate)
        stereo = np.repeat(audio, 2, axis=1) if audio.shape[1] == 1 else audio[:, :2]
        source = array_source(stereo)
        self._pending_play = None
        self._player.set_loop(None)
        self._player.set_source(lambda frame: MasterStream(
            source, rate, 0.0, 0.0, start=frame, block_frames=round(STREAM_BLOCK_S * rate)))
        self._player.play(0)
        self._audition_end = len(stereo)

    def status(self) -> Status:
        player, notes = self._player, tuple(self.notes)
        self.notes.clear()
        if player is None:
            return Status(False, 0, None, 0, 0, 0.0, None, (), notes)
        if self._pending_play is not None:
            return Status(True, self._pending_play, None, player.underruns,
                          player.blocks_rendered, player.feeder_cpu_s, None, (), notes,
                          ready=False)
        error = player.error
        if player.playing and (error is not None or self._auditioned()):
            player.pause()
        ids = self._mix.track_ids if self._mix is not None else ()
        return Status(player.playing, player.position(), error, player.underruns,
                      player.blocks_rendered, player.feeder_cpu_s,
                      player.levels() if player.playing else None, ids, notes,
                      ready=self._mix is not None)

    def recording(self) -> tuple[np.ndarray, list[float]]:
        recorded = getattr(self._sink, "recording", None) or [np.zeros((0, 2), np.float32)]
        return np.concatenate(recorded), list(getattr(self._sink, "underrun_at", []))

    def close(self) -> None:
        if self._player is not None:
            self._player.close()
            self._player = self._sink = self._mix = None

    # plans -------------------------------------------------------------------------------------
    def _auditioned(self) -> bool:
        """True once a file being auditioned has been heard to its end."""
        return self._audition_end is not None and self._player.position() >= self._audition_end

    def _reinstall(self) -> None:
        """The current plan at the current gain: the next block the feeder renders uses it
        (not while a file is being auditioned: the next play brings the mix back)."""
        if self._mix is not None and self._player is not None and self._audition_end is None:
            self._player.set_source(_Opener(self._mix, self._gain))

    def _open_sink(self, rate: int, output: str, record: bool) -> Any:
        from audiostudio.playback.sink import NullSink

        if output == "none":
            self._output = Output("null", rate)
            return NullSink(rate, record)
        from audiostudio.playback import qt_sink

        qt_sink.ensure_application()
        chosen = next((d for d in qt_sink.output_devices() if d.description() == output), None)
        if chosen is None and output:
            self.notes.append(f"The output '{output}' is not connected: using the default")
        device = chosen or qt_sink.default_device()
        if device is None:
            self.notes.append("No audio output device: playback runs silently "
                              "(the playhead moves)")
            self._output = Output("null", rate)
            return NullSink(rate, record)
        sink = qt_sink.QtSink(device, rate)
        self._output = Output("device", sink.rate)
        return sink


class _Opener:
    """Opens master streams on one plan at one gain; the first one opened ramps in from an
    earlier gain (a later seek starts at the new gain)."""

    def __init__(self, mix: _Mix, gain: _Gain) -> None:
        self._mix = mix
        self._gain = gain

    def __call__(self, frame: int) -> Any:
        from audiostudio.audio.master import MasterStream, track_source

        plan, gain = self._mix.plan, self._gain
        start_db = gain.db if gain.ramp_from_db is None else gain.ramp_from_db
        stream = MasterStream(track_source(plan, stems=True), plan.rate, start_db,
                              self._mix.ceiling_dbtp, start=frame,
                              block_frames=round(STREAM_BLOCK_S * plan.rate))
        if gain.ramp_from_db is not None:
            stream.set_norm_db(gain.db, round(RAMP_S * plan.rate), at=frame)
            gain.ramp_from_db = None
        return stream
