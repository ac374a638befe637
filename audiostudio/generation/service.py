"""GenerationService: runs generation jobs on the executor it is given.

The CLI gives it a ThreadPoolExecutor; the window will give it one backed by QThreadPool, so the
service itself stays pure Python. It owns what every provider needs and none should repeat:
resolving a request (provider defaults, the speaker's cast entry), the cache (a hit makes no
provider call), per-provider concurrency limits (semaphores), and retries with exponential
back-off and jitter on rate limits and transient errors, honouring Retry-After. Bad keys, bad
requests and refused content are not retried: trying again cannot help and may cost money.

A job waiting for its provider's concurrency slot holds no executor thread: each provider has a
queue, and a job goes to the executor only when a slot is free (so eight queued ElevenLabs lines
never keep the offline engine, or an import, waiting for a thread). A request the cache already
holds completes at once, without a slot or a thread. A provider's limit is the user's setting,
else what the provider says its account allows (``max_concurrency()``, optional); a provider
that answers "every slot busy" (``SlotsBusyError``) while other jobs of ours run lowers the
limit to those and puts the job back at the head of its queue: it waits for a slot, not a timer.
The lowered limit climbs back as AIMD does: one slot more after as many jobs succeed as it
allows (at least ``RAISE_AFTER``), up to the limit, so a busy moment (another app on the same
account) costs the session nothing once it passes, and a real cap is probed only now and then.

Request stitching: ``neighbour_request_ids`` finds a line's neighbours on the timeline for a
provider that ``stitches`` with the model, and ``submit`` puts their ids into the resolved
request (so into the cache key). A cache hit gives back the request id the audio was made
with (kept beside it), so a line restored from the cache stays a neighbour to stitch to.
"""

from __future__ import annotations

import random
import secrets
import shutil
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, replace
from pathlib import Path

from audiostudio.errors import (
    BadRequestError,
    CancelledError,
    GenerationError,
    ProviderError,
    RateLimitedError,
    SlotsBusyError,
    UnknownProviderError,
)
from audiostudio.generation.cache import AssetCache
from audiostudio.model import CastEntry, Clip, Project, Request
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.request import cache_key
from audiostudio.progress import Progress
from audiostudio.providers.base import Cost, Provider, Resolved, param_defaults, stitches

DEFAULT_LIMIT = 2
# A lowered limit climbs one slot after this many successful jobs, or as many as it allows if
# more: a limit set above what the account really allows costs a "busy" answer per few jobs,
# not one per job.
RAISE_AFTER = 4
STITCH_NEIGHBOURS = 3  # the service takes up to 3 ids each way


def draw_seed() -> int:
    return secrets.randbelow(2**31)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.25  # +/- fraction of the delay, so parallel jobs do not retry in lockstep
    max_retry_after_s: float = 120.0  # a longer Retry-After is waited for only this long

    def delay(self, attempt: int, error: ProviderError) -> float:
        if isinstance(error, RateLimitedError) and error.retry_after is not None:
            return min(self.max_retry_after_s, max(0.0, error.retry_after))
        base = min(self.max_delay_s, self.base_delay_s * 2**attempt)
        return base * (1 + random.uniform(-self.jitter, self.jitter))


@dataclass(frozen=True)
class GeneratedAudio:
    path: Path  # in the generation cache
    cache_key: str
    seed: int | None
    variant: int
    request_id: str | None
    cost: Cost | None
    cached: bool  # True when served from the cache without calling the provider


class Job:
    """A submitted generation: what it runs (the request as written and as resolved, the seed),
    a future, a cancel switch, its latest progress and why it is waiting (``note``)."""

    def __init__(self, provider: str, request: Request, resolved: Resolved, seed: int,
                 keys: list[str], on_progress: Progress | None) -> None:
        self.provider = provider
        self.request = request
        self.resolved = resolved
        self.seed = seed
        self.keys = keys
        self.future: Future[list[GeneratedAudio]] = Future()
        self.started = False  # set once; a job put back in its queue keeps its running future
        self.progress = 0.0
        self.note = ""  # why a running job is waiting (a retry's back-off, a busy service)
        self._cancel = threading.Event()
        self._on_progress = on_progress

    def cancel(self) -> None:
        self._cancel.set()
        self.future.cancel()

    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait_cancelled(self, seconds: float) -> bool:
        return self._cancel.wait(seconds)

    def report(self, fraction: float, label: str = "") -> None:
        # A Progress for the provider; a clip's bar shows no phase, so ``label`` is unused.
        self.progress = min(1.0, max(0.0, fraction))
        if self._on_progress:
            self._on_progress(self.progress)


def _require_words(request: Request) -> None:
    """An empty line or prompt is the user's to fix, never a (paid) call to a provider."""
    if request.kind == "voice":
        if not (request.text or "").strip():
            raise BadRequestError("This voice line has no text yet: write what it should say")
    elif not ((request.prompt or "").strip() or (request.lyrics or "").strip()):
        raise BadRequestError(f"This {request.kind} clip has no prompt yet: describe the sound")


class GenerationService:
    def __init__(
        self,
        providers: Mapping[str, Provider],
        executor: Executor,
        cache: AssetCache,
        limits: Mapping[str, int] | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.providers = dict(providers)
        self.executor = executor
        self.cache = cache
        self.retry = retry or RetryPolicy()
        self._settings_limits = {name: max(1, int(n)) for name, n in (limits or {}).items()}
        self._busy_caps: dict[str, int] = {}  # lowered after a "slots busy" answer
        self._done_under_cap: dict[str, int] = {}  # jobs finished since the cap last moved
        self._running = dict.fromkeys(self.providers, 0)
        self._queues: dict[str, deque[Job]] = {name: deque() for name in self.providers}
        self._lock = threading.Lock()

    def provider(self, name: str) -> Provider:
        try:
            return self.providers[name]
        except KeyError:
            known = ", ".join(sorted(self.providers))
            raise UnknownProviderError(
                f"Unknown provider '{name}' (this Audiostudio has: {known})"
            ) from None

    def update_providers(self, providers: Mapping[str, Provider]) -> None:
        """Rebuilt providers (a key added in Preferences): the same names, new objects; a job
        already running finishes with the one it started with."""
        with self._lock:
            for name, provider in providers.items():
                if name in self.providers:
                    self.providers[name] = provider

    def limit(self, name: str) -> int:
        """How many jobs of provider ``name`` may run at once now."""
        limit = self._full_limit(name)
        return max(1, min(limit, self._busy_caps.get(name, limit)))

    def _full_limit(self, name: str) -> int:
        """The user's setting, else what the provider says its account allows."""
        limit = self._settings_limits.get(name)
        if limit is None:
            own = getattr(self.providers[name], "max_concurrency", None)
            limit = (own() if callable(own) else None) or DEFAULT_LIMIT
        return limit

    def resolve(self, request: Request, cast: CastEntry | None = None) -> Resolved:
        """The request with the provider's defaults and the speaker's cast entry filled in."""
        provider = self.provider(request.provider)
        if request.kind not in provider.kinds:
            makes = ", ".join(sorted(provider.kinds))
            raise BadRequestError(
                f"{provider.name} cannot make {request.kind} (it makes {makes}): choose another "
                "provider for this clip", provider.name, field="provider")
        from_cast = cast if cast is not None and cast.provider == request.provider else None
        voice = None
        if request.kind == "voice":
            voice = request.voice or (from_cast.voice if from_cast else None)
            voice = voice or provider.default_voice()
        params = {
            **param_defaults(provider, request.kind),
            **(from_cast.params if from_cast else {}),
            **request.params.get(provider.name, {}),
        }
        return Resolved(
            kind=request.kind,
            model=request.model or provider.default_models.get(request.kind),
            text=request.text,
            prompt=request.prompt,
            lyrics=request.lyrics,
            voice=voice,
            # A voice line's duration is a length to fit only when it asks for ``fit``; else
            # the voice speaks at its own pace and the clip is as long as the line.
            duration=request.duration if request.kind != "voice" or request.fit else None,
            variants=max(1, request.variants),
            params=params,
        )

    def estimate(self, request: Request, cast: CastEntry | None = None) -> Cost:
        return self.provider(request.provider).estimate_cost(self.resolve(request, cast))

    def cache_keys(self, request: Request, seed: int, cast: CastEntry | None = None,
                   resolved: Resolved | None = None) -> list[str]:
        provider = self.provider(request.provider)
        resolved = resolved or self.resolve(request, cast)
        return [
            cache_key(resolved.to_json(), seed, v, provider.engine_version(request.kind))
            for v in range(resolved.variants)
        ]

    def neighbour_request_ids(self, project: Project, clip: Clip
                              ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Request ids of the nearest earlier and later clips (any track, by start) with the
        same provider, voice and model and a current take, when the provider stitches."""
        request = clip.request
        if request is None or request.kind != "voice":
            return (), ()
        provider = self.provider(request.provider)
        mine = self.resolve(request, project.cast.get(clip.speaker or ""))
        if not stitches(provider, mine.model):
            return (), ()
        earlier: list[tuple[float, str]] = []
        later: list[tuple[float, str]] = []
        for _, other in project.iter_clips():
            if other.id == clip.id or clip_state(other) is not ClipState.CURRENT:
                continue
            take = other.takes[other.take or 0]
            theirs = other.request
            if (not take.request_id or theirs is None or theirs.kind != "voice"
                    or take.provider != provider.name or take.model != mine.model):
                continue
            voice = self.resolve(theirs, project.cast.get(other.speaker or "")).voice
            if voice != mine.voice:
                continue
            (earlier if other.start < clip.start else later).append((other.start, take.request_id))
        earlier.sort(key=lambda e: -e[0])
        later.sort(key=lambda e: e[0])
        return (tuple(i for _, i in earlier[:STITCH_NEIGHBOURS]),
                tuple(i for _, i in later[:STITCH_NEIGHBOURS]))

    def submit(
        self,
        request: Request,
        seed: int,
        cast: CastEntry | None = None,
        on_progress: Progress | None = None,
        neighbours: tuple[tuple[str, ...], tuple[str, ...]] = ((), ()),
    ) -> Job:
        """``neighbours``: (previous, next) request ids from ``neighbour_request_ids``."""
        provider = self.provider(request.provider)
        _require_words(request)
        resolved = replace(self.resolve(request, cast), previous_request_ids=neighbours[0],
                           next_request_ids=neighbours[1])
        job = Job(provider.name, request, resolved, seed,
                  self.cache_keys(request, seed, resolved=resolved), on_progress)
        hits = [self.cache.get(k) for k in job.keys]
        if all(hits):
            job.future.set_running_or_notify_cancel()
            job.report(1.0)
            job.future.set_result([self._from_cache(path, key, seed, v)
                                   for v, (path, key) in enumerate(zip(hits, job.keys,
                                                                       strict=True))])
            return job
        with self._lock:
            self._queues[provider.name].append(job)
        self._dispatch(provider.name)
        return job

    def _from_cache(self, path: Path, key: str, seed: int, variant: int) -> GeneratedAudio:
        """A hit, with the request id and seed the provider gave when it made the audio (a
        neighbour stitches to that id; a provider that ignored the seed said None)."""
        meta = self.cache.meta(key)
        made_with = meta.get("seed", seed)
        return GeneratedAudio(path, key, made_with if isinstance(made_with, int) else None,
                              variant, _text_or_none(meta.get("request_id")), None, cached=True)

    def queued(self, provider: str) -> int:
        """Jobs waiting for one of ``provider``'s slots."""
        with self._lock:
            return sum(1 for job in self._queues[provider] if not job.cancelled())

    def _dispatch(self, name: str) -> None:
        """Hand queued jobs to the executor while ``name`` has free slots."""
        while True:
            with self._lock:
                queue = self._queues[name]
                while queue and queue[0].cancelled():
                    _end_cancelled(queue.popleft())
                if not queue or self._running[name] >= self.limit(name):
                    return
                job = queue.popleft()
                self._running[name] += 1
            self.executor.submit(self._run, job)

    def _run(self, job: Job) -> None:
        provider = self.providers[job.provider]
        succeeded = False
        try:
            if not job.started and not job.future.set_running_or_notify_cancel():
                return
            job.started = True
            workdir: Path | None = None
            outcome: list[GeneratedAudio] | BaseException | None = None
            try:
                workdir = self.cache.workdir()
                results = self._call_with_retries(provider, job.resolved, job.seed, workdir, job)
                if results is not None:  # None: back in its queue, waiting for a slot
                    outcome = []
                    for result in results:
                        # A provider may make more than asked (Suno: two songs a task);
                        # each extra one gets its own variant's key, never another's.
                        key = (job.keys[result.variant] if result.variant < len(job.keys)
                               else cache_key(job.resolved.to_json(), job.seed, result.variant,
                                              provider.engine_version(job.request.kind)))
                        path = self.cache.put(key, result.audio, {
                            "request_id": result.request_id, "seed": result.seed})
                        outcome.append(GeneratedAudio(path, key, result.seed, result.variant,
                                                      result.request_id, result.cost,
                                                      cached=False))
            except OSError as exc:
                outcome = _storage_error(exc) if exc.filename else exc
            except BaseException as exc:
                outcome = exc
            finally:
                # Before the job ends: whoever waits on it finds no half-written file.
                if workdir is not None:
                    shutil.rmtree(workdir, ignore_errors=True)
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            elif outcome is not None:
                succeeded = True
                job.report(1.0)
                job.future.set_result(outcome)
        finally:
            with self._lock:
                self._running[job.provider] -= 1
                if succeeded:
                    self._raise_cap(job.provider)
            self._dispatch(job.provider)

    def _raise_cap(self, name: str) -> None:
        """A job succeeded: after as many as the cap allows (at least ``RAISE_AFTER``), one slot
        more (the cap goes once it is back at the limit). Called with the lock held."""
        cap = self._busy_caps.get(name)
        if cap is None:
            return
        done = self._done_under_cap.get(name, 0) + 1
        enough = done >= max(cap, RAISE_AFTER)
        self._done_under_cap[name] = 0 if enough else done
        if not enough:
            return
        if cap + 1 >= self._full_limit(name):
            del self._busy_caps[name]
        else:
            self._busy_caps[name] = cap + 1

    def _requeue_for_slot(self, job: Job) -> bool:
        """After "every slot busy": if other jobs of ours hold slots, cap the limit at them and
        put ``job`` first in line (True); alone, the caller backs off instead (False)."""
        with self._lock:
            others = self._running[job.provider] - 1
            if others < 1:
                return False
            self._busy_caps[job.provider] = others
            self._done_under_cap[job.provider] = 0
            job.note = "Waiting for a free slot: the service said all of them are busy"
            self._queues[job.provider].appendleft(job)
            return True

    def _call_with_retries(
        self, provider: Provider, resolved: Resolved, seed: int, workdir: Path, job: Job
    ) -> list | None:
        """The provider's results, or None when the job went back to its queue."""
        attempt = 0
        while True:
            job.note = ""
            if job.cancelled():
                raise CancelledError("Generation cancelled")
            try:
                return provider.generate(resolved, seed, workdir, job.report, job.cancelled)
            except ProviderError as error:
                if isinstance(error, SlotsBusyError) and self._requeue_for_slot(job):
                    return None
                attempt += 1
                if not error.retryable or attempt >= self.retry.max_attempts:
                    raise
                delay = self.retry.delay(attempt - 1, error)
                job.note = (f"Trying again in {max(1, round(delay))} s (retry {attempt} of "
                            f"{self.retry.max_attempts - 1}): {error}")
                if job.wait_cancelled(delay):
                    raise CancelledError("Generation cancelled") from error


def _end_cancelled(job: Job) -> None:
    """A cancelled job leaving its queue: a job put back after it started has a running
    future, which cannot be cancelled any more, only failed."""
    if job.started:
        job.future.set_exception(CancelledError("Generation cancelled"))
    else:
        job.future.cancel()


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _storage_error(exc: OSError) -> GenerationError:
    """A file the job could not write (a full disk, a read-only cache): said as such, once
    (retrying would fail the same way)."""
    return GenerationError(f"Could not store the generated audio: {exc.strerror or exc} "
                           f"({exc.filename}). Free some disk space, or move the cache "
                           "(AUDIOSTUDIO_CACHE_DIR), and generate again.")
