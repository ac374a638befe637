"""Generation from the window: the GenerationService on a Qt thread pool of its own, and the jobs
the window shows (queued / running / done / failed / cancelled, with cancel and retry).

The service calls back on worker threads; a small signals object living on the GUI thread turns
those callbacks into queued signals (DESIGN: workers never touch widgets). File work for a take
(copy a finished job's audio into assets, or a reused take's back from the cache; probe its
length) runs on the pool (``_off_gui``); the GUI thread then applies one pure, undoable edit by
clip id, or leaves the result alone if the clip changed meanwhile.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal

from audiostudio.errors import AudiostudioError, CancelledError
from audiostudio.generation.cache import AssetCache
from audiostudio.generation.service import GeneratedAudio, GenerationService, Job
from audiostudio.generation.takes import (
    PreparedTakes,
    clips_to_generate,
    prepare_takes,
    reusable_take,
    reuse_edit,
    seed_for,
    takes_edit,
    wanted,
)
from audiostudio.model import Clip
from audiostudio.model.edits import Edit
from audiostudio.model.schema import to_json
from audiostudio.providers.base import Cost, Provider
from audiostudio.ui.document import Document

REFRESH_MS = 100  # how often running jobs' progress is shown


class QtExecutor(Executor):
    """``concurrent.futures.Executor`` on a QThreadPool."""

    def __init__(self, pool: QThreadPool) -> None:
        self.pool = pool

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                future.set_exception(exc)

        self.pool.start(run)  # a callable: no Python wrapper of a runnable Qt deletes (forms.py)
        return future


@dataclass
class JobRow:
    """One line of the Jobs dock."""

    id: int
    clip_id: str
    label: str
    provider: str
    new_take: bool
    state: str = "queued"  # queued / running / done / failed / cancelled
    progress: float = 0.0
    message: str = ""
    estimate: Cost | None = None
    cost: Cost | None = None  # what the provider reported for the finished job
    job: Job | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")


class _Calls(QObject):
    """Lives on the GUI thread: emitting from a worker queues the slot onto the GUI thread."""

    finished = Signal(int, object)  # row id, the job that finished
    done = Signal(object, object)  # a callback, and what the pool made for it (or the exception)


class GenerationController(QObject):
    rows_changed = Signal()  # the Jobs dock redraws
    clip_changed = Signal(str)  # a clip's generation state changed: the timeline redraws it
    message = Signal(str)

    def __init__(self, document: Document, cache: Path, providers: Mapping[str, Provider],
                 limits: Mapping[str, int]) -> None:
        super().__init__()
        self.document = document
        self._pool = QThreadPool(self)  # its own: generation never starves imports or waveforms
        self._pool.setMaxThreadCount(max(2, sum(limits.get(n, 2) for n in providers)))
        self.service = GenerationService(providers, QtExecutor(self._pool), AssetCache(cache),
                                         limits=limits)
        self.rows: list[JobRow] = []
        self._spent: dict[str, float] = {}  # per unit; a row retried keeps what it cost
        self._ids = itertools.count(1)
        self._calls = _Calls()
        self._calls.finished.connect(self._finished)
        self._calls.done.connect(self._then)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh)

    # --- what the window asks for ---------------------------------------------------------
    def generate(self, clip_ids: list[str] | None = None, new_take: bool = False) -> list[JobRow]:
        """Generate the given clips (None: every empty or stale one); returns their rows."""
        project = self.document.project
        busy = {r.clip_id for r in self.rows if r.active}
        clips = [c for c in clips_to_generate(project, clip_ids, new_take) if c.id not in busy]
        if not clips:
            self.message.emit("Nothing to generate: every clip is up to date"
                              if clip_ids is None else "Those clips are up to date")
        return [self._submit(clip, new_take) for clip in clips]

    def use_take(self, clip_id: str, index: int, text: str,
                 failed: Callable[[str], None] | None = None) -> None:
        """Make take ``index`` the clip's audio as one undo step named ``text``. Its file is
        copied back from the cache if it went and its length probed on the pool; the GUI thread
        then applies the edit unless the clip changed meanwhile. ``failed`` hears why not
        (default: the status bar)."""
        found, folder = self.document.project.find_clip(clip_id), self.document.folder
        if found is None or folder is None:
            return
        clip, cache = copy.deepcopy(found[1]), self.service.cache  # the pool reads a copy
        tell = failed or self.message.emit

        def then(edit: Edit | Exception) -> None:
            if isinstance(edit, Exception):
                tell(str(edit))
            elif not self._unchanged(clip):
                tell(f"Take {index + 1} was not used: the clip changed meanwhile")
            elif error := self.document.try_apply(edit, text):
                tell(error)

        self._off_gui(lambda: reuse_edit(folder, clip, index, cache), then)

    def cancel(self, row: JobRow) -> None:
        if not row.active:
            return
        if row.job is None:  # reusing a take: its file work ends on its own, unapplied
            self._end(row, "cancelled", "Cancelled before it started")
            return
        row.job.cancel()
        if row.job.future.cancelled():  # it never started: done with it now
            self._end(row, "cancelled", "Cancelled before it started")

    def cancel_all(self) -> None:
        for row in self.rows:
            self.cancel(row)

    def retry(self, row: JobRow) -> JobRow | None:
        """Run a failed or cancelled row's clip again, on the same row (so a retried failure
        is no longer counted as one) with the same seed (a result that reached the cache is
        found there, not paid for again). None when the clip is gone or already busy."""
        found = self.document.project.find_clip(row.clip_id)
        if (row.active or found is None or found[1].request is None
                or self._busy(row.clip_id)):
            return None
        clip, seed = found[1], row.job.seed if row.job is not None else None
        self.rows.remove(row)
        self.rows.append(row)  # the clip's newest job again (``state_of``, the dock's top)
        row.label, row.provider = _label(clip), clip.request.provider
        row.state, row.message, row.progress = "queued", "", 0.0
        row.estimate = row.cost = row.job = None
        return self._submit(clip, row.new_take, row, seed)

    def _busy(self, clip_id: str) -> bool:
        return any(r.active for r in self.rows if r.clip_id == clip_id)

    def state_of(self, clip_id: str) -> JobRow | None:
        """The newest job of a clip (for its badge), if any."""
        return next((r for r in reversed(self.rows) if r.clip_id == clip_id), None)

    def spent(self) -> dict[str, float]:
        """What finished jobs reported they cost this session, per unit."""
        return dict(self._spent)

    def close(self) -> None:
        self.cancel_all()
        self._timer.stop()
        self._pool.waitForDone()

    # --- jobs -----------------------------------------------------------------------------
    def _submit(self, clip: Clip, new_take: bool, row: JobRow | None = None,
                seed: int | None = None) -> JobRow:
        """Generate ``clip`` on a new row (or ``row``, retried), with ``seed`` if given."""
        assert clip.request is not None
        if row is None:
            row = JobRow(next(self._ids), clip.id, _label(clip), clip.request.provider,
                         new_take)
            self.rows.append(row)
        folder = self.document.folder
        reusable = None if new_take or folder is None else \
            reusable_take(folder, clip, self.service.cache)
        if reusable is not None:
            self._reuse(clip, row, reusable, seed)
        else:
            self._send(clip, row, seed)
        return row

    def _send(self, clip: Clip, row: JobRow, seed: int | None = None) -> None:
        """Hand the clip's request to the service (the row is queued until a slot frees)."""
        assert clip.request is not None
        project = self.document.project
        cast = project.cast.get(clip.speaker or "")
        if seed is None or clip.request.seed is not None:
            seed = seed_for(clip.request, row.new_take, clip)
        try:
            row.estimate = self.service.estimate(clip.request, cast)
            row.job = self.service.submit(clip.request, seed, cast,
                                          neighbours=self.service.neighbour_request_ids(
                                              project, clip))
        except AudiostudioError as error:  # e.g. an empty line: shown on the clip, never sent
            self._end(row, "failed", str(error))
            return
        job = row.job
        job.future.add_done_callback(
            lambda _f, rid=row.id: self._calls.finished.emit(rid, job))
        self._timer.start()
        self.rows_changed.emit()
        self.clip_changed.emit(clip.id)

    def _reuse(self, clip: Clip, row: JobRow, index: int, seed: int | None) -> None:
        """A request back to an older take's gets that take again: no call, no cost (as the
        CLI's generate does). Its file work runs on the pool; the row waits as queued."""
        folder, cache, snapshot = self.document.folder, self.service.cache, copy.deepcopy(clip)
        assert folder is not None

        def then(edit: Edit | Exception) -> None:
            if not row.active:  # cancelled meanwhile
                return
            if not self._unchanged(snapshot):
                self._end(row, "cancelled", "The clip changed meanwhile: generate it again")
            elif isinstance(edit, AudiostudioError):  # its audio went meanwhile: generate it
                self._send(self.document.project.find_clip(clip.id)[1], row, seed)
            elif isinstance(edit, Exception):
                self._end(row, "failed", f"Unexpected error: {type(edit).__name__}: {edit}")
            else:
                self.document.apply(edit, f"Use take {index + 1}: {row.label}")
                self._end(row, "done", f"Reused take {index + 1}: no charge")

        self.rows_changed.emit()
        self.clip_changed.emit(clip.id)
        self._off_gui(lambda: reuse_edit(folder, snapshot, index, cache), then)

    def _unchanged(self, snapshot: Clip) -> bool:
        """Whether the clip ``snapshot`` was copied from is still there, as it was."""
        found = self.document.project.find_clip(snapshot.id)
        return found is not None and to_json(found[1]) == to_json(snapshot)

    def _off_gui(self, work: Callable[[], Any], then: Callable[[Any], None]) -> None:
        """Run ``work`` (file work, no Qt) on the pool; ``then(its result or exception)`` runs
        on the GUI thread."""

        def run() -> None:
            try:
                result: object = work()
            except Exception as exc:  # handed to ``then``, which shows it
                result = exc
            self._calls.done.emit(then, result)

        self._pool.start(run)

    def _then(self, then: Callable[[Any], None], result: object) -> None:
        then(result)

    def _row(self, row_id: int) -> JobRow | None:
        return next((r for r in self.rows if r.id == row_id), None)

    def _finished(self, row_id: int, job: Job) -> None:
        row = self._row(row_id)
        if row is None or row.job is not job or not row.active:
            return  # e.g. a job cancelled before it started, its row since retried
        future = row.job.future
        if future.cancelled():
            self._end(row, "cancelled", "Cancelled")
            return
        error = future.exception()
        if isinstance(error, CancelledError):
            self._end(row, "cancelled", "Cancelled")
        elif isinstance(error, AudiostudioError):
            self._end(row, "failed", str(error))
        elif error is not None:  # a bug: shown, never swallowed
            self._end(row, "failed", f"Unexpected error: {type(error).__name__}: {error}")
        else:
            self._apply(row, future.result())

    def _apply(self, row: JobRow, results: list[GeneratedAudio]) -> None:
        assert row.job is not None
        row.cost = _total_cost(results)
        if row.cost is not None:
            self._spent[row.cost.unit] = self._spent.get(row.cost.unit, 0.0) + row.cost.amount
        if self.document.folder is None or not wanted(self.document.project, row.clip_id,
                                                      row.job.request):
            self._end(row, "done", "Kept in the cache: the clip changed while it was generated")
            return
        job, folder = row.job, self.document.folder
        provider = self.service.provider(job.provider)
        cached = all(r.cached for r in results)
        self._off_gui(lambda: prepare_takes(folder, job, results, provider),
                      lambda prepared: self._prepared(row, prepared, cached))

    def _prepared(self, row: JobRow, prepared: PreparedTakes | Exception, cached: bool) -> None:
        if isinstance(prepared, Exception):  # shown on the row (AudiostudioError or a bug)
            self._end(row, "failed", str(prepared))
            return
        edit = takes_edit(self.document.project, row.clip_id, prepared)
        if edit is None:
            self._end(row, "done", "Kept in the cache: the clip changed while it was generated")
            return
        verb = "New take" if row.new_take else "Generate"
        self.document.apply(edit, f"{verb}: {row.label}")
        self._end(row, "done", "From the cache: no charge" if cached else "")

    def _end(self, row: JobRow, state: str, message: str) -> None:
        row.state = state
        row.message = message
        row.progress = 1.0 if state == "done" else row.progress
        if state == "failed":
            self.message.emit(f"'{row.label}' failed: {message}")
        self.rows_changed.emit()
        self.clip_changed.emit(row.clip_id)

    def _refresh(self) -> None:
        active = [r for r in self.rows if r.active and r.job is not None]
        for row in active:
            assert row.job is not None
            running = row.job.future.running()
            if running and row.state == "queued":
                row.state = "running"
            row.progress = row.job.progress
            row.message = row.job.note  # why it waits, if it does
            self.clip_changed.emit(row.clip_id)
        if active:
            self.rows_changed.emit()
        else:
            self._timer.stop()


def _label(clip: Clip) -> str:
    if clip.name:
        return clip.name
    request = clip.request
    words = (request.text or request.prompt or "") if request else ""
    return (words[:40] + "…") if len(words) > 40 else (words or clip.id)


def _total_cost(results: list[GeneratedAudio]) -> Cost | None:
    costs = [r.cost for r in results if r.cost is not None]
    if not costs:
        return None
    return Cost(sum(c.amount for c in costs), costs[0].unit)
