"""Render any range of the timeline in blocks: clips -> tracks -> ducking -> stereo mix.

``build_plan`` resolves the model once (sample positions, linear gains, decoded sources mapped
from the cache, who is audible, the ducking envelope); ``render_tracks`` then renders any frame
range from it. Everything depends only on absolute timeline positions, so a range render equals
the same range of a full render, and memory is one block per track whatever the timeline length.
The master stage (loudness gain, limiter) lives in ``export/``, which streams these blocks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audiostudio.audio.autolevel import clip_gain, enabled, has_dialogue, source_level
from audiostudio.audio.decode import AudioSource, HandlePool, open_source
from audiostudio.audio.ducking import DuckEnvelope, envelope_db, window_frames, window_levels_db
from audiostudio.errors import MissingSourceError
from audiostudio.model import Clip, Project, Track
from audiostudio.model.assets import resolve_path
from audiostudio.progress import Progress

BLOCK_WINDOWS = 100  # blocks hold 100 ducking windows: 1 s at any rate


def db_to_linear(db: float) -> float:
    return 10.0 ** (db / 20.0)


def sample_at(seconds: float, rate: int) -> int:
    """The format's rounding rule: a clip at 3.0 s starts at sample 144000 at 48 kHz."""
    return round(seconds * rate)


def fade_curve(x: np.ndarray, curve: str) -> np.ndarray:
    """Fade-in gain for x in [0, 1]: 0 at the clip edge, 1 at the end of the fade."""
    if curve == "linear":
        return x
    if curve == "s_curve":
        return 0.5 - 0.5 * np.cos(np.pi * x)
    return np.sin(0.5 * np.pi * x)  # equal_power (also for unknown curves from newer files)


def pan_gains(pan: float, channels: int) -> np.ndarray:
    """(left, right) gains: constant-power for mono sources, balance for stereo ones."""
    pan = min(1.0, max(-1.0, pan))
    if channels == 1:
        theta = (pan + 1.0) * math.pi / 4.0
        return np.array([math.cos(theta), math.sin(theta)], np.float32)
    return np.array([min(1.0, 1.0 - pan), min(1.0, 1.0 + pan)], np.float32)


@dataclass
class ClipPlan:
    clip_id: str
    start: int  # first timeline frame
    end: int  # one past the last timeline frame
    offset: int  # source frame played at ``start``
    loop: bool
    gain: float  # linear: the auto-level gain and the clip's gain_db
    auto_gain_db: float | None  # the auto-level part (None: auto-level leaves it alone)
    fade_in: int
    fade_out: int
    fade_in_curve: str
    fade_out_curve: str
    source: AudioSource
    pan: np.ndarray  # (left, right) gains for this source's channel count


@dataclass
class TrackPlan:
    track_id: str
    name: str
    gain: float
    duck_role: str
    kind: str = "audio"
    clips: list[ClipPlan] = field(default_factory=list)
    starts: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    ends: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def index(self) -> None:
        self.starts = np.array([c.start for c in self.clips], np.int64)
        self.ends = np.array([c.end for c in self.clips], np.int64)


@dataclass
class RenderPlan:
    rate: int
    frames: int
    tracks: list[TrackPlan]
    master_gain: float
    envelope: DuckEnvelope | None = None

    @property
    def block_frames(self) -> int:
        return window_frames(self.rate) * BLOCK_WINDOWS

    def blocks(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
        end = self.frames if end is None else end
        step = self.block_frames
        for b0 in range(start, end, step):
            yield b0, min(end, b0 + step)


def audible_tracks(project: Project, export: bool) -> list[Track]:
    """Tracks heard: unmuted; soloed ones only when any is soloed; export skips in_mix=false.

    In preview a reference track (in_mix=false) is heard only while soloed.
    """
    candidates = [t for t in project.tracks if not t.mute and (t.in_mix or not export)]
    soloed = [t for t in candidates if t.solo]
    if soloed:
        return soloed
    return [t for t in candidates if t.in_mix]


def _clip_plan(
    clip: Clip, track: Track, folder: Path, rate: int, skip_missing: bool,
    sources: dict[Path, AudioSource],
    handles: HandlePool,
    cache: Path,
    project: Project,
    dialogue: bool,
) -> ClipPlan | None:
    label = clip.name or clip.id
    if not clip.source:
        if skip_missing:
            return None
        raise MissingSourceError(
            f"Clip '{label}' on track '{track.name or track.id}' has no audio yet "
            "(generate it first, or render with --skip-missing)"
        )
    path = resolve_path(folder, clip.source)
    if not path.is_file():
        if skip_missing:
            return None
        raise MissingSourceError(f"Clip '{label}': its audio file {clip.source} is missing")
    if path not in sources:
        sources[path] = open_source(path, rate, cache, handles)
    source = sources[path]
    measured = (source_level(path, source, rate, cache)
                if enabled(project) and clip.auto_gain_db is None else None)
    auto = clip_gain(project, track, clip, measured, dialogue)
    auto_db = None if auto is None else auto.gain_db
    offset = sample_at(clip.offset, rate)
    source_s = source.frames / rate
    length = clip.length if clip.length is not None else max(0.0, source_s - clip.offset)
    start = sample_at(clip.start, rate)
    end = sample_at(clip.start + length, rate)
    if end <= start:
        return None
    return ClipPlan(
        clip_id=clip.id,
        start=start,
        end=end,
        offset=offset,
        loop=clip.loop,
        gain=db_to_linear(clip.gain_db + (auto_db or 0.0)),
        auto_gain_db=auto_db,
        fade_in=min(sample_at(clip.fade_in, rate), end - start),
        fade_out=min(sample_at(clip.fade_out, rate), end - start),
        fade_in_curve=clip.fade_in_curve,
        fade_out_curve=clip.fade_out_curve,
        source=source,
        pan=pan_gains(track.pan, source.channels),
    )


def build_plan(
    project: Project,
    folder: Path,
    rate: int | None = None,
    export: bool = True,
    skip_missing: bool = False,
    progress: Progress | None = None,
    *,
    cache: Path,
) -> RenderPlan:
    """Resolve the project into a plan; decodes (once, into the user cache folder ``cache``)
    every source it needs."""
    rate = rate or project.sample_rate_hz
    tracks = audible_tracks(project, export)
    total = sum(len(t.clips) for t in tracks) or 1
    done = 0
    plans: list[TrackPlan] = []
    sources: dict[Path, AudioSource] = {}  # each file opened once, however many clips use it
    handles = HandlePool()  # this plan's own: another consumer's reads never wait for it
    dialogue = has_dialogue(project)
    for track in tracks:
        plan = TrackPlan(track.id, track.name, db_to_linear(track.gain_db), track.duck_role,
                         track.effective_kind)
        for clip in track.clips:
            done += 1
            if clip.mute:
                continue
            clip_plan = _clip_plan(clip, track, folder, rate, skip_missing, sources, handles,
                                   cache, project, dialogue)
            if clip_plan:
                plan.clips.append(clip_plan)
            if progress:
                progress(done / total)
        plan.clips.sort(key=lambda c: c.start)
        plan.index()
        plans.append(plan)
    if project.length is not None:
        frames = sample_at(project.length, rate)
    else:  # the end of the last clip, with lengths the model did not know taken from the sources
        frames = max([sample_at(project.content_end(), rate)]
                     + [c.end for t in plans for c in t.clips])
    render = RenderPlan(rate, frames, plans, db_to_linear(project.mix.master_gain_db))
    render.envelope = _duck_envelope(render, project)
    return render


def _read_exact(source: AudioSource, start: int, count: int) -> np.ndarray:
    """``count`` frames; a file shorter than its header claims reads as silence at the end."""
    block = source.read(start, count)
    if len(block) < count:
        block = np.concatenate([block, np.zeros((count - len(block), block.shape[1]), np.float32)])
    return block


def _render_clip(clip: ClipPlan, b0: int, b1: int, out: np.ndarray) -> None:
    """Add ``clip``'s part of timeline frames [b0, b1) into ``out`` (frames, 2), panned."""
    t0, t1 = max(b0, clip.start), min(b1, clip.end)
    src_frames = clip.source.frames
    if clip.loop:
        # Repeat the source: read it in contiguous pieces that wrap at its end.
        pos = (t0 - clip.start + clip.offset) % src_frames
        pieces = []
        remaining = t1 - t0
        while remaining > 0:
            count = min(remaining, src_frames - pos)
            pieces.append(_read_exact(clip.source, pos, count))
            remaining -= count
            pos = 0
        audio = np.concatenate(pieces) if len(pieces) > 1 else pieces[0]
    else:
        s0 = clip.offset + t0 - clip.start
        t1 = min(t1, t0 + max(0, src_frames - s0))  # silence after the source ends
        if t1 <= t0:
            return
        audio = _read_exact(clip.source, s0, t1 - t0)
    gain: float | np.ndarray = clip.gain
    if t0 < clip.start + clip.fade_in or t1 > clip.end - clip.fade_out:
        pos = np.arange(t0, t1)
        env = np.ones(t1 - t0, np.float32)
        if clip.fade_in:
            x = np.clip((pos - clip.start) / clip.fade_in, 0.0, 1.0)
            env *= fade_curve(x, clip.fade_in_curve).astype(np.float32)
        if clip.fade_out:
            x = np.clip((clip.end - 1 - pos) / clip.fade_out, 0.0, 1.0)
            env *= fade_curve(x, clip.fade_out_curve).astype(np.float32)
        gain = env * clip.gain
    target = out[t0 - b0 : t1 - b0]
    # One output channel at a time: numpy is ~6x slower broadcasting (n, 1) or (n, 2) blocks
    # against the (left, right) pan pair than running two strided 1-D passes.
    for channel in range(2):
        line = audio[:, 0 if audio.shape[1] == 1 else channel]
        if isinstance(gain, float):  # gain and pan fold into one factor
            target[:, channel] += line * (clip.pan[channel] * np.float32(gain))
        else:
            target[:, channel] += (line * gain) * clip.pan[channel]


def render_tracks(
    plan: RenderPlan, b0: int, b1: int, which: list[int] | None = None, ducked: bool = True
) -> np.ndarray:
    """Post-fader (and, with ``ducked``, post-ducking) stereo of each track: (tracks, frames, 2)."""
    indices = range(len(plan.tracks)) if which is None else which
    out = np.zeros((len(indices), b1 - b0, 2), np.float32)
    duck_gain = None
    for slot, i in enumerate(indices):
        track = plan.tracks[i]
        hits = np.nonzero((track.starts < b1) & (track.ends > b0))[0]
        for k in hits:
            _render_clip(track.clips[k], b0, b1, out[slot])
        if track.gain != 1.0:
            out[slot] *= track.gain
        if ducked and plan.envelope is not None and track.duck_role == "ducked" and len(hits):
            if duck_gain is None:  # interleaved per channel: a flat multiply, no broadcast
                duck_gain = np.repeat(plan.envelope.linear(b0, b1), out.shape[2])
            out[slot].reshape(-1)[:] *= duck_gain
    return out


def render(plan: RenderPlan, start: int, end: int) -> np.ndarray:
    """The pre-master stereo mix of timeline frames [start, end) (master gain applied)."""
    parts = [render_tracks(plan, b0, b1).sum(axis=0) for b0, b1 in plan.blocks(start, end)]
    mix = np.concatenate(parts) if parts else np.zeros((0, 2), np.float32)
    return mix * np.float32(plan.master_gain)


def _duck_envelope(plan: RenderPlan, project: Project) -> DuckEnvelope | None:
    keys = [i for i, t in enumerate(plan.tracks) if t.duck_role == "key" and t.clips]
    if not keys or not any(t.duck_role == "ducked" and t.clips for t in plan.tracks):
        return None
    window = window_frames(plan.rate)
    levels: list[np.ndarray] = []
    for b0, b1 in plan.blocks():
        key = render_tracks(plan, b0, b1, which=keys, ducked=False).sum(axis=0)
        if len(key) % window:
            key = np.concatenate([key, np.zeros((window - len(key) % window, 2), np.float32)])
        levels.append(window_levels_db(key, window))
    gain_db = envelope_db(np.concatenate(levels), project.mix.duck)
    return DuckEnvelope(plan.rate, window, gain_db)
