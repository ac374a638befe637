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
holds completes at once, without a slot or a thread.
"""

from __future__ import annotations

import random
import secrets
import shutil
import threading
from collections import deque
from collections.abc import Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path

from audiostudio.errors import (
    BadRequestError,
    CancelledError,
    ProviderError,
    RateLimitedError,
    UnknownProviderError,
)
from audiostudio.generation.cache import AssetCache
from audiostudio.model import CastEntry, Request
from audiostudio.model.request import cache_key
from audiostudio.progress import Progress
from audiostudio.providers.base import Cost, Provider, Resolved, param_defaults

DEFAULT_LIMIT = 2


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
    a future, a cancel switch, and its latest progress."""

    def __init__(self, provider: str, request: Request, resolved: Resolved, seed: int,
                 keys: list[str], on_progress: Progress | None) -> None:
        self.provider = provider
        self.request = request
        self.resolved = resolved
        self.seed = seed
        self.keys = keys
        self.future: Future[list[GeneratedAudio]] = Future()
        self.progress = 0.0
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
        limits = limits or {}
        self._limits = {name: max(1, int(limits.get(name, DEFAULT_LIMIT)))
                        for name in self.providers}
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

    def resolve(self, request: Request, cast: CastEntry | None = None) -> Resolved:
        """The request with the provider's defaults and the speaker's cast entry filled in."""
        provider = self.provider(request.provider)
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
            model=request.model or provider.default_model,
            text=request.text,
            prompt=request.prompt,
            lyrics=request.lyrics,
            voice=voice,
            duration=request.duration,
            variants=max(1, request.variants),
            params=params,
        )

    def estimate(self, request: Request, cast: CastEntry | None = None) -> Cost:
        return self.provider(request.provider).estimate_cost(self.resolve(request, cast))

    def cache_keys(self, request: Request, seed: int, cast: CastEntry | None = None) -> list[str]:
        provider = self.provider(request.provider)
        resolved = self.resolve(request, cast)
        return [
            cache_key(resolved.to_json(), seed, v, provider.engine_version(request.kind))
            for v in range(resolved.variants)
        ]

    def submit(
        self,
        request: Request,
        seed: int,
        cast: CastEntry | None = None,
        on_progress: Progress | None = None,
    ) -> Job:
        provider = self.provider(request.provider)
        _require_words(request)
        job = Job(provider.name, request, self.resolve(request, cast), seed,
                  self.cache_keys(request, seed, cast), on_progress)
        hits = [self.cache.get(k) for k in job.keys]
        if all(hits):
            job.future.set_running_or_notify_cancel()
            job.report(1.0)
            job.future.set_result([GeneratedAudio(path, key, seed, v, None, None, cached=True)
                                   for v, (path, key) in enumerate(zip(hits, job.keys,
                                                                       strict=True))])
            return job
        with self._lock:
            self._queues[provider.name].append(job)
        self._dispatch(provider.name)
        return job

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
                    queue.popleft().future.cancel()
                if not queue or self._running[name] >= self._limits[name]:
                    return
                job = queue.popleft()
                self._running[name] += 1
            self.executor.submit(self._run, job)

    def _run(self, job: Job) -> None:
        provider = self.providers[job.provider]
        try:
            if not job.future.set_running_or_notify_cancel():
                return
            workdir = self.cache.workdir()
            try:
                results = self._call_with_retries(provider, job.resolved, job.seed, workdir, job)
                out = []
                for result in results:
                    key = job.keys[min(result.variant, len(job.keys) - 1)]
                    path = self.cache.put(key, result.audio)
                    out.append(GeneratedAudio(path, key, result.seed, result.variant,
                                              result.request_id, result.cost, cached=False))
                job.report(1.0)
                job.future.set_result(out)
            except BaseException as exc:
                job.future.set_exception(exc)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
        finally:
            with self._lock:
                self._running[job.provider] -= 1
            self._dispatch(job.provider)

    def _call_with_retries(
        self, provider: Provider, resolved: Resolved, seed: int, workdir: Path, job: Job
    ) -> list:
        attempt = 0
        while True:
            if job.cancelled():
                raise CancelledError("Generation cancelled")
            try:
                return provider.generate(resolved, seed, workdir, job.report, job.cancelled)
            except ProviderError as error:
                attempt += 1
                if not error.retryable or attempt >= self.retry.max_attempts:
                    raise
                if job.wait_cancelled(self.retry.delay(attempt - 1, error)):
                    raise CancelledError("Generation cancelled") from error
