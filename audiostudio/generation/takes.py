"""Which clips need generating, and how a finished generation becomes takes on its clip.

Semantics (shared by the CLI and the window):
- a clip with a current take (its request unchanged since) is left alone by "generate";
- an empty or stale clip gets a new take; the seed is the request's, else a newly drawn one;
- "new take" always draws a new seed and appends a take, even when nothing changed;
- takes are only ever appended; ``take``, ``source``, ``source_duration`` and, for voice, the
  clip's ``duration`` follow the chosen take.
A finished job is applied by clip id; if the clip was deleted or its request edited meanwhile
the audio stays in the cache (a later generate finds it) and the project is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import soundfile as sf

from audiostudio.audio.decode import read_all
from audiostudio.errors import AudioError, DecodeError
from audiostudio.generation.service import GeneratedAudio, Job, draw_seed
from audiostudio.model import Clip, Project, Request, Take
from audiostudio.model.assets import import_asset, resolve_path
from audiostudio.model.clip_state import ClipState, clip_state
from audiostudio.model.edits import Edit, SetFields
from audiostudio.model.request import request_hash
from audiostudio.providers.base import Provider


def clips_to_generate(
    project: Project,
    clip_ids: list[str] | None = None,
    new_take: bool = False,
    only_stale: bool = False,
) -> list[Clip]:
    """Clips with a request that need work: empty or stale ones, or every chosen one when
    ``new_take`` (unless ``only_stale``); locked clips and clips on locked tracks are left
    alone."""
    wanted = set(clip_ids) if clip_ids else None
    chosen = []
    for track, clip in project.iter_clips():
        if wanted is not None and clip.id not in wanted:
            continue
        if track.locked or clip.locked:
            continue  # its take could not be applied: never pay for it
        state = clip_state(clip)
        if state is ClipState.NO_REQUEST:
            continue
        if (new_take and not only_stale) or state in (ClipState.EMPTY, ClipState.STALE):
            chosen.append(clip)
    return chosen


def seed_for(request: Request, new_take: bool) -> int:
    return draw_seed() if new_take or request.seed is None else request.seed


def audio_duration(path: Path) -> float:
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        try:
            data, rate = read_all(path)
        except DecodeError as exc:
            raise AudioError(f"Generated audio {path.name} cannot be read: {exc}") from exc
        return len(data) / rate


@dataclass(frozen=True)
class PreparedTakes:
    """Finished audio turned into takes: copied into the project's assets, its length probed.
    Made off the GUI thread (``prepare_takes``); applying it is then a pure edit."""

    request: Request
    takes: list[Take]
    length: float  # seconds of the first take's audio


def wanted(project: Project, clip_id: str, request: Request) -> bool:
    """Whether ``clip_id`` still exists with ``request`` unchanged (else: cache only)."""
    found = project.find_clip(clip_id)
    return (found is not None and found[1].request is not None
            and request_hash(found[1].request) == request_hash(request))


def prepare_takes(folder: Path, job: Job, results: list[GeneratedAudio],
                  provider: Provider) -> PreparedTakes:
    """The file work for a finished job: import each result into ``folder``'s assets."""
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    request = job.request
    takes = [
        Take(
            source=import_asset(folder, result.path),
            request_hash=request_hash(request),
            cache_key=result.cache_key,
            request=replace(request),
            seed=result.seed,
            provider=provider.name,
            model=job.resolved.model,
            engine_version=provider.engine_version(request.kind),
            created=created,
            request_id=result.request_id,
            cost=result.cost.to_json() if result.cost else None,
            variant=result.variant,
        )
        for result in sorted(results, key=lambda r: r.variant)
    ]
    return PreparedTakes(request, takes, audio_duration(resolve_path(folder, takes[0].source)))


def takes_edit(project: Project, clip_id: str, prepared: PreparedTakes) -> Edit | None:
    """The edit that appends the takes and selects the first; None if the clip was deleted or
    its request edited meanwhile."""
    if not prepared.takes or not wanted(project, clip_id, prepared.request):
        return None
    clip = project.find_clip(clip_id)[1]
    fields: dict = {
        "takes": [*clip.takes, *prepared.takes],
        "take": len(clip.takes),
        "source": prepared.takes[0].source,
        "source_duration": prepared.length,
    }
    if prepared.request.kind == "voice" or clip.duration is None:
        fields["duration"] = max(1e-3, prepared.length - clip.offset)
    return SetFields(clip_id, fields)
