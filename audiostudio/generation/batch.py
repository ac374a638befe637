"""Generate a set of clips and apply the results, waiting on the calling thread (the CLI's way).

Jobs run concurrently on the service's executor; each finished job is applied to the project
here, on the caller's thread, one edit per clip; one failed clip loses nothing else. "Failed"
means a user-facing error (``audiostudio.errors``: provider refusals, bad audio...); any other
exception is a bug and propagates, after the jobs still queued are cancelled.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, wait
from dataclasses import dataclass, field
from pathlib import Path

from audiostudio.errors import AudiostudioError, CancelledError
from audiostudio.generation.service import GenerationService, Job
from audiostudio.generation.takes import (
    clips_to_generate,
    prepare_takes,
    reusable_take,
    reuse_edit,
    seed_for,
    takes_edit,
    wanted,
)
from audiostudio.model import Clip, Project, Request
from audiostudio.model.edits import apply
from audiostudio.providers.base import Cost

# (clip, event, value): event is "progress" (fraction), "done" (None) or "failed" (the error)
Listener = Callable[[Clip, str, object], None]


@dataclass
class BatchResult:
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, AudiostudioError] = field(default_factory=dict)
    interrupted: bool = False
    reused: list[str] = field(default_factory=list)  # an earlier take again: no provider call


def clip_costs(service: GenerationService, project: Project,
               clips: list[Clip]) -> dict[str, Cost]:
    """The estimated cost of generating each of ``clips`` by clip id; a clip whose request
    cannot run has none (it fails at submit, naming its clip)."""
    costs = {}
    for clip in clips:
        assert clip.request is not None
        try:
            costs[clip.id] = service.estimate(clip.request,
                                              project.cast.get(clip.speaker or ""))
        except AudiostudioError:
            continue
    return costs


def estimate(service: GenerationService, project: Project, clips: list[Clip]) -> dict[str, Cost]:
    """Total estimated cost per unit (credits, USD...) of generating ``clips``."""
    totals: dict[str, float] = {}
    for cost in clip_costs(service, project, clips).values():
        totals[cost.unit] = totals.get(cost.unit, 0.0) + cost.amount
    return {unit: Cost(amount, unit) for unit, amount in totals.items()}


def reusable(service: GenerationService, folder: Path, clips: list[Clip],
             new_take: bool) -> dict[str, int]:
    """Clip id -> the earlier take each of ``clips`` gets again (no call, no cost); never for
    a new take."""
    if new_take:
        return {}
    found = {clip.id: reusable_take(folder, clip, service.cache) for clip in clips}
    return {clip_id: index for clip_id, index in found.items() if index is not None}


def generate_clips(
    service: GenerationService,
    project: Project,
    folder: Path,
    clips: list[Clip] | None = None,
    new_take: bool = False,
    listener: Listener | None = None,
) -> BatchResult:
    if clips is None:
        clips = clips_to_generate(project, new_take=new_take, folder=folder)
    notify = listener or (lambda clip, event, value: None)
    jobs: dict[object, tuple[Clip, Request, Job]] = {}
    result = BatchResult()
    reuse = reusable(service, folder, clips, new_take)
    for clip in clips:
        assert clip.request is not None
        request = clip.request
        try:
            if clip.id in reuse:
                apply(project, reuse_edit(folder, clip, reuse[clip.id], service.cache))
                result.succeeded.append(clip.id)
                result.reused.append(clip.id)
                notify(clip, "done", None)
                continue
            job = service.submit(
                request,
                seed_for(request, new_take, clip),
                project.cast.get(clip.speaker or ""),
                on_progress=lambda f, c=clip: notify(c, "progress", f),
                neighbours=service.neighbour_request_ids(project, clip),
            )
        except AudiostudioError as exc:
            result.failed[clip.id] = exc
            notify(clip, "failed", exc)
            continue
        jobs[job.future] = (clip, request, job)
    pending = set(jobs)

    def stop_pending() -> None:
        for future in pending:
            jobs[future][2].cancel()

    while pending:
        try:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
        except KeyboardInterrupt:
            # Stop paying for queued work; what finished is already applied and stays.
            stop_pending()
            for future in pending:
                result.failed[jobs[future][0].id] = CancelledError(
                    "interrupted before it finished")
            result.interrupted = True
            return result
        for future in done:
            clip, request, job = jobs[future]
            try:
                results = future.result()
                if wanted(project, clip.id, request):
                    provider = service.provider(request.provider)
                    edit = takes_edit(project, clip.id,
                                      prepare_takes(folder, job, results, provider))
                    if edit is not None:
                        apply(project, edit)
                result.succeeded.append(clip.id)
                notify(clip, "done", None)
            except AudiostudioError as error:  # this clip failed; the others go on
                result.failed[clip.id] = error
                notify(clip, "failed", error)
            except BaseException:
                # A bug, not a failed clip: stop paying for the rest and let it surface.
                stop_pending()
                raise
    return result

