"""The master stage: the delivered mix (and stems) over any range of the timeline.

delivered mix = limiter(pre-master mix x normalisation gain); each delivered stem = its track x
the same gains x the limiter's gain curve, so the stems sum to the mix. Export and live preview
both read blocks from a ``MasterStream``, so what is heard is what is exported.

Design note. The limiter's state depends on the past (its release decays over ~17x
``release_ms``; its look-ahead is 5 ms). A stream that starts mid-timeline therefore renders a
warm-up of ``17 x release + look-ahead`` before its start and throws it away: the remaining
difference from a whole render is below the limiter's own "no reduction" threshold (1e-6 dB).
Keeping limiter checkpoints from the measuring pass would save the warm-up (~0.9 s of audio,
a few ms of work) but would have to be invalidated on every edit; the warm-up needs no state.

Delivered as promised. The limiter lowers the loudness a normalisation gain was computed for,
by up to a few LU on a hot mix. ``normalise`` therefore works as a two-pass loudness normaliser
does: it runs the master stage over the whole pre-master mix at the plain gain, measures the
limited result and corrects the gain (secant steps: the limiter makes the loudness grow slower
than the gain) until the delivered loudness is within 0.05 LU of the target, or says it cannot
be (the ceiling caps it). The correction is part of the normalisation gain the stream is given,
so the ceiling still holds, and export and preview both take their gain from ``normalise``.
A mix whose peaks, even at the largest inter-sample overshoot, stay under the ceiling needs no
pass at all.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audiostudio.audio.limiter import TruePeakLimiter, apply_gain
from audiostudio.audio.loudness import LoudnessMeter, OversampledPeaks, gain_to_target_db
from audiostudio.audio.mixer import RenderPlan, render_tracks
from audiostudio.progress import Progress

RELEASE_MS = 50.0
WARMUP_RELEASES = 17  # the release decays to < 1e-6 dB of gain reduction within this
BLOCK_FRAMES = 4800  # 100 ms at 48 kHz: the master stage's own work size

TARGET_TOLERANCE_LU = 0.2  # the delivered mix is this close to its target, or says why not
AIM_LU = 0.05  # the corrections stop once this close
LIMITER_PASSES = 5  # most mixes need 0 or 1, a hard-limited one 2 or 3
MAX_CORRECTION_DB = 20.0  # over the plain normalisation gain
MIN_SLOPE = 0.05  # LU per dB: flatter than this, the limiter holds the loudness where it is

# Pre-master audio of timeline frames [b0, b1): (parts, frames, 2), summing to the mix.
Source = Callable[[int, int], np.ndarray]


def track_source(plan: RenderPlan, stems: bool) -> Source:
    """Pre-master audio rendered from the plan: every track (``stems``) or their sum."""
    master = np.float32(plan.master_gain)

    def render(b0: int, b1: int) -> np.ndarray:
        tracks = render_tracks(plan, b0, b1)
        tracks *= master
        return tracks if stems else tracks.sum(axis=0, keepdims=True)

    return render


@dataclass(frozen=True)
class Normalisation:
    """The gain the master stage is given, and what it delivers."""

    norm_db: float
    delivered_lufs: float | None  # the whole delivered mix at ``norm_db`` (limited)
    target_lufs: float | None  # None: not normalised
    ceiling_dbtp: float
    passes: int = 0  # limiter passes measured to find ``norm_db``
    # The delivered mix's short-term loudness every 100 ms, measured after the limiter by the
    # pass that chose ``norm_db``; None when the limiter never acts (the pre-master's + gain).
    short_term: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def target_met(self) -> bool:
        if self.target_lufs is None:
            return True
        return (self.delivered_lufs is not None
                and abs(self.delivered_lufs - self.target_lufs) <= TARGET_TOLERANCE_LU)

    @property
    def reason(self) -> str | None:
        """Why the target is missed, in one line (None when it is met)."""
        if self.target_met:
            return None
        if self.delivered_lufs is None:
            return "the mix is silent (or shorter than 400 ms): it has no loudness to normalise"
        return (f"the {self.ceiling_dbtp:g} dBTP ceiling holds this mix at "
                f"{self.delivered_lufs:.1f} LUFS, not {self.target_lufs:g}: lower the target "
                "or raise the ceiling")


def normalise(
    source: Callable[[], Source], rate: int, frames: int, pre_lufs: float | None,
    pre_peak: float, target_lufs: float | None, ceiling_dbtp: float,
    progress: Progress | None = None,
) -> Normalisation:
    """The normalisation gain that delivers ``target_lufs`` through the limiter (module note).
    ``source`` makes a fresh pre-master mix source; ``pre_lufs`` and ``pre_peak`` (linear
    sample peak) are that mix measured. ``progress`` may raise to cancel."""
    if target_lufs is None:
        return Normalisation(0.0, pre_lufs, None, ceiling_dbtp)
    gain = gain_to_target_db(pre_lufs, target_lufs)
    if pre_lufs is None:
        return Normalisation(0.0, None, target_lufs, ceiling_dbtp)
    # The highest true peak the sample peak allows; under the ceiling the limiter never acts.
    bound = pre_peak * OversampledPeaks(2).gain_bound * 10.0 ** (gain / 20.0)
    if bound <= 10.0 ** (ceiling_dbtp / 20.0):
        return Normalisation(gain, pre_lufs + gain, target_lufs, ceiling_dbtp)
    tried: list[tuple[float, float]] = []
    curves: list[np.ndarray] = []
    for index in range(LIMITER_PASSES):
        def part(fraction: float, _label: str = "", index: int = index) -> None:
            if progress:
                progress((index + fraction) / LIMITER_PASSES)

        lufs, curve = _delivered(source(), rate, frames, gain, ceiling_dbtp, part)
        if lufs is None:
            break
        tried.append((gain, lufs))
        curves.append(curve)
        if abs(lufs - target_lufs) <= AIM_LU:
            break
        gain = _next_gain(tried, target_lufs, tried[0][0] + MAX_CORRECTION_DB)
    if not tried:
        return Normalisation(gain, None, target_lufs, ceiling_dbtp, 1)
    best = min(range(len(tried)), key=lambda i: abs(tried[i][1] - target_lufs))
    return Normalisation(*tried[best], target_lufs, ceiling_dbtp, len(tried), curves[best])


def _next_gain(tried: list[tuple[float, float]], target: float, highest: float) -> float:
    """A secant step towards ``target`` from the last two (gain, loudness) points."""
    gain, lufs = tried[-1]
    slope = 1.0
    if len(tried) > 1 and tried[-2][0] != gain:
        slope = (lufs - tried[-2][1]) / (gain - tried[-2][0])
    return min(highest, gain + (target - lufs) / max(slope, MIN_SLOPE))


def _delivered(source: Source, rate: int, frames: int, norm_db: float, ceiling: float,
               progress: Progress) -> tuple[float | None, np.ndarray]:
    """Integrated and short-term loudness of the delivered mix of the whole timeline at
    ``norm_db``."""
    stream = MasterStream(source, rate, norm_db, ceiling)
    meter = LoudnessMeter(rate, 2, true_peak=False)
    for b0 in range(0, frames, BLOCK_FRAMES):
        meter.add(stream.read(min(BLOCK_FRAMES, frames - b0)).mix)
        progress(min(1.0, (b0 + BLOCK_FRAMES) / frames))
    return meter.integrated(), meter.short_term_curve()


@dataclass(frozen=True)
class MixLoudness:
    integrated: float | None  # LUFS of the whole pre-master mix
    short_term: np.ndarray  # 3 s loudness every 100 ms (``LoudnessMeter.short_term_curve``)
    normalisation: Normalisation  # the gain to play it at (``normalise``)

    @property
    def norm_db(self) -> float:
        return self.normalisation.norm_db

    @property
    def delivered_short_term(self) -> np.ndarray:
        """Short-term loudness of the delivered mix (after the limiter), every 100 ms."""
        limited = self.normalisation.short_term
        return self.short_term + self.norm_db if limited is None else limited


def premaster_loudness(plan: RenderPlan, progress: Progress | None = None,
                       target_lufs: float | None = None,
                       ceiling_dbtp: float = 0.0) -> MixLoudness:
    """The whole pre-master mix measured, and the normalisation gain that delivers
    ``target_lufs`` under ``ceiling_dbtp`` (``normalise``, as the export does). ``progress``
    may raise to cancel.

    The mix is kept in a scratch file (the system temp dir) while it is measured, so the
    limiter passes read it back instead of rendering every track again, as the export does
    (the 32-track 2-minute scene's measurement after an edit: 13.6 s -> 4.7 s)."""
    meter = LoudnessMeter(plan.rate, 2, true_peak=False)
    source = track_source(plan, stems=False)
    fd, name = tempfile.mkstemp(prefix="audiostudio-measure-", suffix=".f32")
    kept = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            for b0, b1 in plan.blocks():
                mix = source(b0, b1)[0]
                meter.add(mix)
                if target_lufs is not None:  # no target: no limiter passes to read it back
                    mix.tofile(out)
                if progress:
                    progress(b1 / plan.frames / 2)
        norm = normalise(lambda: file_source(kept), plan.rate, plan.frames,
                         meter.integrated(), meter.sample_peak, target_lufs, ceiling_dbtp,
                         None if progress is None else lambda f, _l="": progress(0.5 + f / 2))
    finally:
        kept.unlink(missing_ok=True)
    return MixLoudness(meter.integrated(), meter.short_term_curve(), norm)


@dataclass
class MasterBlock:
    """Delivered audio of timeline frames [start, start + frames). The stems are made on
    demand (``stem``): an export scales each on its own output thread, and skips the silent
    ones, which are most stem blocks of a scene."""

    start: int  # first timeline frame
    parts: np.ndarray  # (parts, frames, 2) float32: normalised pre-master audio
    gains: np.ndarray  # (frames,) float32: the limiter's gain curve over the block
    mix: np.ndarray  # (frames, 2) float32: delivered (the parts' sum, limited)

    @classmethod
    def of(cls, start: int, parts: np.ndarray, gains: np.ndarray) -> MasterBlock:
        summed = parts.sum(axis=0) if len(parts) > 1 else parts[0]
        return cls(start, parts, gains, apply_gain(summed, gains))

    @classmethod
    def joined(cls, blocks: list[MasterBlock]) -> MasterBlock:
        return cls(blocks[0].start, np.concatenate([b.parts for b in blocks], axis=1),
                   np.concatenate([b.gains for b in blocks]),
                   np.concatenate([b.mix for b in blocks]))

    def tail(self, offset: int) -> MasterBlock:
        """The block from its frame ``offset`` on."""
        return MasterBlock(self.start + offset, self.parts[:, offset:], self.gains[offset:],
                           self.mix[offset:])

    def stem(self, index: int) -> np.ndarray:
        """Delivered stem ``index`` (a silent one as it is: nothing to scale)."""
        part = self.parts[index]
        return apply_gain(part, self.gains) if part.any() else part

    @property
    def stems(self) -> np.ndarray | None:
        """Every delivered stem, (parts, frames, 2); None for a mix-only stream."""
        if len(self.parts) == 1:
            return None
        return self.parts * self.gains[None, :, None]


def file_source(path: Path) -> Source:
    """Pre-master mix kept in a raw float32 stereo file (the export's measuring pass)."""
    return array_source(np.memmap(path, dtype="<f4", mode="r").reshape(-1, 2)
                        if path.stat().st_size else np.zeros((0, 2), np.float32))


def array_source(data: np.ndarray) -> Source:
    """Stereo audio (frames, 2) as one part from timeline frame 0; silence after its end."""

    def read(b0: int, b1: int) -> np.ndarray:
        out = np.zeros((1, b1 - b0, 2), np.float32)
        end = min(b1, len(data))
        if end > b0:
            out[0, :end - b0] = data[b0:end]
        return out

    return read


class MasterStream:
    """Delivered audio from timeline frame ``start`` on, read in consecutive blocks of any size.

    ``source`` gives the pre-master audio (see ``Source``); with more than one part the parts are
    delivered as stems. ``norm_db`` is the loudness normalisation gain; ``set_norm_db`` changes it
    with a ramp (live preview after a re-measure) instead of a step.
    """

    def __init__(
        self,
        source: Source,
        rate: int,
        norm_db: float,
        ceiling_dbtp: float,
        start: int = 0,
        block_frames: int = BLOCK_FRAMES,
    ) -> None:
        self._source = source
        self._limiter = TruePeakLimiter(rate, 2, ceiling_dbtp=ceiling_dbtp, release_ms=RELEASE_MS)
        warmup = self._limiter.latency_frames + round(WARMUP_RELEASES * RELEASE_MS * rate / 1000)
        self._render_pos = max(0, start - warmup)  # before 0 the timeline is silent: no warm-up
        self._discard = start - self._render_pos  # rendered frames before ``start``
        self._skip = self._limiter.latency_frames  # the limiter's first gains are its pre-roll
        self._position = start
        self._block = block_frames
        self._gain = 10.0 ** (norm_db / 20.0)
        self._ramp: tuple[int, int, float, float] | None = None  # (frame0, frame1, from, to)
        self._audio: np.ndarray | None = None  # pending pre-limiter audio (parts, n, 2)
        self._gains = np.zeros(0, np.float32)  # limiter gains for the first frames of _audio

    @property
    def position(self) -> int:
        """The timeline frame the next ``read`` starts at."""
        return self._position

    def set_norm_db(self, norm_db: float, ramp_frames: int, at: int | None = None) -> None:
        """Move to a new normalisation gain linearly over ``ramp_frames`` from timeline frame
        ``at`` (default: what is rendered next, a few ms ahead of ``position``)."""
        new = 10.0 ** (norm_db / 20.0)
        at = self._render_pos if at is None else max(at, self._render_pos)
        now = self._gain_at(at)
        self._ramp = (at, at + max(1, ramp_frames), now, new)
        self._gain = new

    def read(self, frames: int) -> MasterBlock:
        while len(self._gains) < frames:
            self._advance()
        assert self._audio is not None
        block = MasterBlock.of(self._position, self._audio[:, :frames], self._gains[:frames])
        self._audio = self._audio[:, frames:]
        self._gains = self._gains[frames:]
        self._position += frames
        return block

    def _gain_at(self, frame: int) -> float:
        if self._ramp is None or frame >= self._ramp[1]:
            return self._gain
        f0, f1, g0, g1 = self._ramp
        return g0 + (g1 - g0) * max(0.0, (frame - f0) / (f1 - f0))

    def _scale(self, audio: np.ndarray, b0: int, b1: int) -> None:
        if self._ramp is not None and b0 < self._ramp[1]:
            f0, f1, g0, g1 = self._ramp
            x = np.clip((np.arange(b0, b1) - f0) / (f1 - f0), 0.0, 1.0)
            audio *= (g0 + (g1 - g0) * x).astype(np.float32)[None, :, None]
        else:
            self._ramp = None
            audio *= np.float32(self._gain)

    def _advance(self) -> None:
        b0 = self._render_pos
        b1 = b0 + max(self._block, self._discard)  # the warm-up in one piece: fewer calls
        audio = self._source(b0, b1)
        self._scale(audio, b0, b1)
        gains = self._limiter.process_gain(audio.sum(axis=0) if len(audio) > 1 else audio[0])
        self._render_pos = b1
        drop = min(self._skip, len(gains))
        self._skip -= drop
        self._audio = audio if self._audio is None else np.concatenate([self._audio, audio], 1)
        self._gains = np.concatenate([self._gains, gains[drop:]])
        if self._discard:  # warm-up frames whose gains are known: not delivered
            drop = min(self._discard, len(self._gains))
            self._discard -= drop
            self._audio = self._audio[:, drop:]
            self._gains = self._gains[drop:]
