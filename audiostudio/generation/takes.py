"""Which clips need generating, and how a finished generation becomes takes on its clip.

Semantics (shared by the CLI and the window):
- a clip with a current take (its request unchanged since) is left alone by "generate";
- an empty or stale clip gets a new take; the seed is the request's, else a newly drawn one;
- "new take" always draws a new seed and appends a take, even when nothing changed;
- a clip whose request is back to that of an older take gets that take again, and a clip whose
  audio file is missing gets it back from the cache, without a provider call
  (``reusable_take``, ``reuse_edit``); when neither has the audio any more, generating it
  again uses that take's seed, so a deterministic provider makes the same audio;
- takes are only ever appended; ``take``, ``source``, ``source_duration`` and, for voice, the
  clip's ``duration`` follow the chosen take (a fitted line's new take plays from its start).
A finished job is applied by clip id; if the clip was deleted or its request edited meanwhile
the audio stays in the cache (a later generate finds it) and the project is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import soundfile as sf

from audiostudio.audio.decode import read_all
from audiostudio.errors import AudioError, AudiostudioError, DecodeError
from audiostudio.generation.cache import AssetCache
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
    folder: Path | None = None,
) -> list[Clip]:
    """Clips with a request that need work: empty or stale ones, or every chosen one when
    ``new_take`` (unless ``only_stale``); with ``folder``, also current clips whose audio file
    is missing. Locked clips and clips on locked tracks are left alone."""
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
        missing = folder is not None and clip.source is not None and \
            not _present(folder, clip.source)
        if (new_take and not only_stale) or missing or state in (ClipState.EMPTY,
                                                                 ClipState.STALE):
            chosen.append(clip)
    return chosen


def _present(folder: Path, source: str) -> bool:
    try:
        return resolve_path(folder, source).is_file()
    except AudiostudioError:
        return False


def _takes_of_request(clip: Clip) -> list[int]:
    """Indexes of the takes made from the clip's current request: the chosen take first,
    then the newest."""
    if clip.request is None:
        return []
    current = request_hash(clip.request)
    order = ([clip.take] if clip.take is not None else []) + list(range(len(clip.takes)))[::-1]
    return [i for i in dict.fromkeys(order) if clip.takes[i].request_hash == current]


def seed_for(request: Request, new_take: bool, clip: Clip | None = None) -> int:
    """The request's seed, else (not for a new take) that of a take of this very request whose
    audio is gone, so generating again makes the same audio; else a new one."""
    if new_take:
        return draw_seed()
    if request.seed is not None:
        return request.seed
    earlier = [clip.takes[i].seed for i in _takes_of_request(clip)] if clip else []
    seed = next((seed for seed in earlier if seed is not None), None)
    return draw_seed() if seed is None else seed


def reusable_take(folder: Path, clip: Clip, cache: AssetCache) -> int | None:
    """A take of the clip's current request whose audio is in the project or the generation
    cache: choosing it needs no provider call. None when there is none."""
    for index in _takes_of_request(clip):
        take = clip.takes[index]
        if _present(folder, take.source) or (take.cache_key and cache.get(take.cache_key)):
            return index
    return None


def reuse_edit(folder: Path, clip: Clip, index: int, cache: AssetCache) -> Edit:
    """The edit that chooses take ``index`` (from ``reusable_take``), its file copied back from
    the cache into assets/ first when it is missing."""
    takes = list(clip.takes)
    take = takes[index]
    if not _present(folder, take.source):
        hit = cache.get(take.cache_key or "")
        if hit is None:
            raise AudioError(f"The audio of take {index + 1} is neither in the project nor in "
                             "the cache any more")
        takes[index] = take = replace(take, source=import_asset(folder, hit))
    length = audio_duration(resolve_path(folder, take.source))
    return SetFields(clip.id, {"takes": takes, **_choose(clip, index, take.source, length)})


def _choose(clip: Clip, index: int, source: str, length: float, made: bool = False) -> dict:
    """The fields that make take ``index`` (audio ``source``, ``length`` s) the clip's audio;
    ``made``: a take just generated for the clip's request."""
    fields: dict = {"take": index, "source": source, "source_duration": length}
    request, offset = clip.request, clip.offset
    if made and request is not None and request.kind == "voice" and request.fit:
        # Made to its slot: the trimmed start of the take before is moot. An older take
        # chosen again keeps the clip's trim.
        offset = fields["offset"] = 0.0
    if (request is not None and request.kind == "voice") or clip.duration is None:
        fields["duration"] = max(1e-3, length - offset)
    return fields


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
    return SetFields(clip_id, {"takes": [*clip.takes, *prepared.takes],
                               **_choose(clip, len(clip.takes), prepared.takes[0].source,
                                         prepared.length, made=True)})
