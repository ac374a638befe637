"""Live preview for the window: what plays is the export's master stage, built off the GUI thread.

After every edit a snapshot of the project goes to a worker on a pool of its own, which builds
the render plan (sources opened, ducking envelope over the whole timeline) and hands it back,
pickled too for the audio engine's process (``playback.engine``), which plays it at once (the
change is heard after what the ring keeps plus the device's ~0.12 s), still at the old
normalisation gain. A second job measures the whole mix's loudness (kept in the user cache:
a mix heard before is not measured again, ``audio/mix_cache.py``); its gain then ramps in
over 50 ms. A newer edit cancels a measurement under way. Play pressed before the first
measurement of a project waits for it, so playback never starts at a provisional gain.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from audiostudio.audio.master import MixLoudness
from audiostudio.audio.mix_cache import measure_mix
from audiostudio.audio.mixer import RenderPlan, build_plan
from audiostudio.errors import CancelledError
from audiostudio.model import Project
from audiostudio.model.assets import resolve_path
from audiostudio.playback.engine import PlaybackEngine, Status, pack
from audiostudio.playback.feeder import Levels
from audiostudio.ui.document import Document
from audiostudio.ui.timeline.duck_line import DuckLine
from audiostudio.ui.workers import Worker

POLL_MS = 30


@dataclass
class _Built:
    revision: int
    plan: RenderPlan
    target_lufs: float | None  # None: not normalised
    ceiling_dbtp: float
    silent_clips: int  # prompt clips without audio yet: they play as silence
    packed: bytes  # the plan for the audio engine (``playback.engine.pack``)


def _build(project: Project, folder: Path | None, cache: Path, revision: int) -> _Built:
    plan = build_plan(project, folder or Path.cwd(), export=False, skip_missing=True, cache=cache)
    silent = sum(1 for _, c in project.iter_clips()
                 if not c.source or folder is None or not resolve_path(folder, c.source).is_file())
    ceiling = project.mix.true_peak_ceiling_dbtp
    return _Built(revision, plan, project.mix.target_lufs, ceiling, silent, pack(plan, ceiling))


class Preview(QObject):
    playing_changed = Signal(bool)
    loudness_changed = Signal()  # read ``measuring`` and ``lufs``
    plan_changed = Signal()  # a new plan plays (read ``duck_line``)
    message = Signal(str)  # for the status bar

    def __init__(self, document: Document, cache: Path, device: str = "",
                 record: bool = False) -> None:
        """``device`` names the output by its description ("" = the system default, "none" =
        no sound: the null output); ``record`` keeps what the null output played (tests)."""
        super().__init__()
        self.document = document
        self._cache = cache
        self._device = device
        self._record = record
        self._pool = QThreadPool(self)  # its own: never queued behind imports or waveforms
        self._pool.setMaxThreadCount(1)
        self.player = self._new_player()
        self.measuring = True
        self.lufs: float | None = None  # the whole pre-master mix's, for the normalisation gain
        self._curve = np.zeros(0)  # the delivered mix's short-term loudness every 100 ms
        self._delivered: float | None = None
        self.target_missed: str | None = None  # why the export cannot meet the target
        self._norm_db = 0.0
        self._built: _Built | None = None
        self._measured_revision = -1
        self._build_job: Worker | None = None
        self._measure_job: Worker | None = None
        self._running: set[Worker] = set()  # held until they report: their signals must live
        self._stale = False  # an edit arrived while a build ran
        self._play_when_measured = False
        self._closed = False
        self._play_from = 0.0  # where play started: Stop returns there
        self._moving_playhead = False
        self._auditioning = False  # a voice sample plays: the playhead stays where it is
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        document.changed.connect(lambda _ids: self._schedule())
        document.reset.connect(self._reset)
        document.playhead_moved.connect(self._playhead_moved)
        self._schedule()

    # --- transport --------------------------------------------------------------------------
    @property
    def playing(self) -> bool:
        return (self.player.playing and not self._auditioning) or self._play_when_measured

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        """Play from the playhead (once the first loudness measurement is in)."""
        if self._measured_revision < 0 or self._built is None:
            self._play_when_measured = True
            self.message.emit("Measuring loudness… playback starts when it is done")
            self.playing_changed.emit(True)
            return
        self._play_from = self.document.playhead
        self._auditioning = False
        self.player.play(self._frame(self.document.playhead))
        self._timer.start()
        if self._built.silent_clips:
            self.message.emit(f"{self._built.silent_clips} clip(s) have no audio yet and play "
                              "as silence: generate them to hear them")
        self.playing_changed.emit(True)

    def pause(self) -> None:
        self._play_when_measured = False
        if self.player.playing:
            self.player.pause()
            self._timer.stop()
            if not self._auditioning:  # the engine's answer to the pause: no second question
                self._set_playhead(self.player.last.position / self.player.rate)
        self._auditioning = False
        self.playing_changed.emit(False)

    def stop(self) -> None:
        """Stop and return the playhead to where play started."""
        was_playing = self.player.playing and not self._auditioning
        self.pause()
        if was_playing:
            self._set_playhead(self._play_from)

    def set_loop(self, start_s: float, end_s: float) -> None:
        self.player.set_loop((self._frame(start_s), self._frame(end_s)))

    def clear_loop(self) -> None:
        self.player.set_loop(None)

    @property
    def loop(self) -> tuple[float, float] | None:
        loop = self.player.loop
        return None if loop is None else (loop[0] / self.player.rate, loop[1] / self.player.rate)

    def levels(self) -> Levels | None:
        """The meters' latest reading while playing (track peaks in ``audible_ids`` order)."""
        return self.player.last.levels if self.player.playing else None

    @property
    def audible_ids(self) -> list[str]:
        """Ids of the tracks the engine plays, in the order of ``levels().track_peaks``."""
        return list(self.player.last.track_ids)

    def duck_line(self) -> DuckLine | None:
        """The ducking envelope of the plan playing, for the timeline to draw."""
        plan = None if self._built is None else self._built.plan
        if plan is None or plan.envelope is None:
            return None
        ducked = frozenset(t.track_id for t in plan.tracks if t.duck_role == "ducked")
        return DuckLine(plan.envelope.times(), plan.envelope.gain_db, ducked,
                        min(-1.0, float(plan.envelope.gain_db.min())))

    @property
    def target_lufs(self) -> float | None:
        return self.document.project.mix.target_lufs

    def loudness_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(end time s, LUFS) of the delivered mix's short-term loudness over the timeline,
        after the limiter (as the export delivers it)."""
        ends = (np.arange(len(self._curve)) + 30) / 10.0
        return ends, self._curve

    @property
    def norm_db(self) -> float:
        """The normalisation gain the mix plays (and exports) at."""
        return self._norm_db

    @property
    def delivered_lufs(self) -> float | None:
        """Integrated loudness the export will deliver (the limited mix, measured)."""
        return None if self.lufs is None else self._delivered

    def close(self) -> None:
        """Stop playing and wait for the background work; later edits start none."""
        self._closed = True
        self.pause()
        for job in self._running:
            job.cancel()
        self._pool.waitForDone()
        self.player.close()

    # --- plans and loudness, off the GUI thread ------------------------------------------------
    def _schedule(self) -> None:
        if self._closed:  # e.g. a text field committing its edit as the window goes
            return
        if self._build_job is not None:
            self._stale = True
            return
        if self._measure_job is not None:
            self._measure_job.cancel()  # its plan is out of date: whatever it reports is ignored
            self._measure_job = None
        self._stale = False
        self.measuring = True
        self.loudness_changed.emit()
        doc = self.document
        snapshot, folder, revision = copy.deepcopy(doc.project), doc.folder, doc.revision
        job = Worker(lambda _progress, _cancelled: _build(snapshot, folder, self._cache,
                                                          revision))
        job.signals.finished.connect(self._built_plan)
        job.signals.failed.connect(self._build_failed)
        self._build_job = job
        self._start(job)

    def _start(self, job: Worker) -> None:
        if self._closed:  # a measurement whose delayed start comes after close()
            return
        self._running.add(job)
        job.signals.finished.connect(lambda _result: self._running.discard(job))
        job.signals.failed.connect(lambda _exc: self._running.discard(job))
        self._pool.start(job)

    def _built_plan(self, built: _Built) -> None:
        self._build_job = None
        if self._stale:
            self._schedule()
            return
        self._built = built
        self.player.set_mix(built.packed)
        self.plan_changed.emit()
        plan, cache = built.plan, self._cache

        def measure(progress, cancelled):
            def check(fraction: float, _label: str = "") -> None:
                if cancelled():
                    raise CancelledError("superseded by an edit")

            return measure_mix(plan, cache, check, built.target_lufs, built.ceiling_dbtp)

        job = Worker(measure)
        job.signals.finished.connect(lambda loudness: self._measured(job, built, loudness))
        job.signals.failed.connect(lambda exc: self._measure_failed(job, exc))
        self._measure_job = job
        self._start(job)

    def _measured(self, job: Worker, built: _Built, loudness: MixLoudness) -> None:
        if job is not self._measure_job:
            return
        self._measure_job = None
        lufs = loudness.integrated
        self._curve = loudness.delivered_short_term
        self._delivered = loudness.normalisation.delivered_lufs
        self.target_missed = loudness.normalisation.reason
        previous = self._norm_db
        self._norm_db = loudness.norm_db  # the export's gain: its limiter passes included
        self.lufs = lufs
        self.measuring = False
        first = self._measured_revision < 0
        self._measured_revision = built.revision
        if first or self._norm_db != previous:
            self.player.set_gain(self._norm_db, ramp=not first)
        self.loudness_changed.emit()
        if self._play_when_measured:
            self._play_when_measured = False
            self.play()

    def _build_failed(self, exc: BaseException) -> None:
        self._build_job = None
        self.measuring = False
        self.loudness_changed.emit()
        self.message.emit(f"Preview unavailable: {exc}")
        if self._play_when_measured:
            self.pause()
        if self._stale:
            self._schedule()

    def _measure_failed(self, job: Worker, exc: BaseException) -> None:
        if job is not self._measure_job:
            return  # a cancelled, superseded measurement
        self._measure_job = None
        self._build_failed(exc)

    # --- position -------------------------------------------------------------------------------
    def _frame(self, seconds: float) -> int:
        return round(seconds * self.player.rate)

    def _poll(self) -> None:
        status = self.player.status()
        self._say_notes(status)
        if self._auditioning:
            if not status.playing:  # heard to its end
                self._timer.stop()
                self._auditioning = False
            return
        if status.error is not None:
            self.pause()
            self.message.emit(status.error)
            return
        frame = status.position
        end = self._built.plan.frames if self._built is not None else 0
        if self.player.loop is None and frame >= end:
            self.pause()
            self._set_playhead(end / self.player.rate)
            return
        self._set_playhead(frame / self.player.rate)

    def _set_playhead(self, seconds: float) -> None:
        self._moving_playhead = True
        try:
            self.document.set_playhead(seconds)
        finally:
            self._moving_playhead = False

    def _playhead_moved(self, seconds: float) -> None:
        if not self._moving_playhead and self.player.playing:
            self.player.seek(self._frame(seconds))  # a click on the ruler while playing

    def _reset(self) -> None:
        self.pause()
        self.player.set_loop(None)
        self._measured_revision = -1
        self.lufs = None
        self._norm_db = 0.0
        if self.document.project.sample_rate_hz != self.player.rate:
            self.player.close()
            self.player = self._new_player()
        self._schedule()

    def set_device(self, device: str) -> None:
        """Play through another output (Preferences); takes effect at once."""
        if device == self._device:
            return
        self._device = device
        was_playing = self.player.playing
        self.pause()
        self.player.close()
        self.player = self._new_player()
        if self._built is not None:
            self.player.set_mix(self._built.packed)
        if self._measured_revision >= 0:
            self.player.set_gain(self._norm_db, ramp=False)
        if was_playing:
            self.play()

    def audition(self, path: Path) -> None:
        """Play one audio file (a voice sample) through the preview's output."""
        self.pause()
        self._auditioning = True
        self.player.audition(path)
        self._timer.start()

    def _new_player(self) -> PlaybackEngine:
        engine = PlaybackEngine(self.document.project.sample_rate_hz, self._device, self._record)
        QTimer.singleShot(0, lambda: self._say_notes(engine.status()))  # after the window is wired
        return engine

    def _say_notes(self, status: Status) -> None:
        for note in status.notes:
            self.message.emit(note)
