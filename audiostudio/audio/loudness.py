"""ITU-R BS.1770-4 / EBU R128 loudness, loudness range and true peak, measured as a stream.

Design note. pyloudnorm is the reference but wants the whole signal in memory (an hour of 48 kHz
stereo is 1.4 GB as float64) and keeps a per-channel list of 400 ms powers. We run the
K-weighting (``kweighting``: the standard's coefficients at any rate) block-wise with its state
carried, and fold the filtered signal straight into one channel-weighted energy per 100 ms
sub-block. Every gating block (400 ms, 75 % overlap) and every short-term block (3 s at 10 Hz,
for EBU Tech 3342 loudness range) is a whole number of sub-blocks, so an hour costs 36,000
floats, and since a sub-block is only summed once it is complete, any split of the stream into
blocks gives bit-identical results.

True peak (BS.1770-4 Annex 2 asks for >= 4x oversampling): a 65-tap Kaiser windowed sinc split
into phases, 16 taps each, normalised to unit DC gain, accurate to 0.3 % up to 0.4 fs; phase 0
is the sample itself, so the true peak is never below the sample peak. Each interpolated point
is a fixed-order sum over its own window of the block plus a few frames of history, so again
the block split does not matter (a BLAS matrix product would be faster but rounds differently
with the block size). Callers that only need the peaks above a level (the running maximum, the
limiter's ceiling) get exact values only where the window's sample peak times the filters' gain
bound reaches it, ~3 % of a mastered mix's frames. The limiter reuses the detector, so
"limited" means the same thing as "measured". Nothing here imports scipy: its import alone
(~0.5 s) cost more than rendering a short scene.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from audiostudio.audio.kweighting import SectionFilter, k_weighting_sos
from audiostudio.audio.sliding import sliding_extreme
from audiostudio.errors import AudioError, CancelledError, DecodeError

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
LRA_PERCENTILES = (10.0, 95.0)
SPEECH_GATE_LU = -20.0  # speech gate: 100 ms this far under the loud ones are pauses
SPEECH_LOUD_PERCENTILE = 95.0
SUB_BLOCKS_PER_SECOND = 10  # 100 ms: the hop of both gating and short-term blocks
GATING_SUB_BLOCKS = 4  # 400 ms momentary/gating block
SHORT_TERM_SUB_BLOCKS = 30  # 3 s short-term block
TRUE_PEAK_OVERSAMPLING = 4
CHUNK_FRAMES = 65536
_LOUDNESS_OFFSET = -0.691  # BS.1770: makes a 1 kHz sine read its own level after K-weighting


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights: L, R, C = 1.0, surrounds = 1.41; six channels are 5.1 with LFE ignored."""
    if 1 <= channels <= 5:
        return np.array([1.0, 1.0, 1.0, 1.41, 1.41][:channels])
    if channels == 6:  # L R C LFE Ls Rs
        return np.array([1.0, 1.0, 1.0, 0.0, 1.41, 1.41])
    raise AudioError(f"Loudness can be measured for 1 to 6 channels, not {channels}.")


def as_frames(block: np.ndarray, channels: int) -> np.ndarray:
    """``block`` as C-contiguous float32 (frames, channels); 1-D is accepted for mono."""
    array_ = np.asarray(block)
    if array_.ndim == 1 and channels == 1:
        array_ = array_[:, None]
    if array_.ndim != 2 or array_.shape[1] != channels:
        raise AudioError(f"Expected audio shaped (frames, {channels}), got {array_.shape}.")
    return np.ascontiguousarray(array_, dtype=np.float32)


def _interpolator_phases(factor: int, taps_per_phase: int) -> list[np.ndarray]:
    """Fractional-delay filters for the points 1/factor ... (factor-1)/factor past each frame,
    reversed: the point after frame i + lag - 1 is sum(taps[j] * x[i + j])."""
    half = taps_per_phase // 2
    length = 2 * half * factor + 1  # a Kaiser (beta 5) windowed sinc cutting at fs / 2
    prototype = np.sinc((np.arange(length) - half * factor) / factor) * np.kaiser(length, 5.0)
    phases = []
    for phase in range(1, factor):
        taps = prototype[phase::factor][:taps_per_phase]
        phases.append((taps / taps.sum())[::-1].copy())  # unit DC gain: no level bias
    return phases


class OversampledPeaks:
    """Streaming per-frame peak: max over channels of |x| at the frame and at ``factor - 1``
    interpolated points before the next frame. Results lag the input by ``lag`` frames (the
    interpolator needs that many future frames); frames before the stream count as silence."""

    TAPS_PER_PHASE = 16

    def __init__(self, channels: int, factor: int = TRUE_PEAK_OVERSAMPLING) -> None:
        if factor < 1:
            raise AudioError(f"Oversampling factor must be at least 1, not {factor}.")
        self.factor = factor
        self._phases = _interpolator_phases(factor, self.TAPS_PER_PHASE) if factor > 1 else []
        self.lag = self.TAPS_PER_PHASE // 2 if self._phases else 0
        # No interpolated value can exceed this multiple of the largest |sample| in its window.
        self.gain_bound = max([1.0, *(float(np.abs(p).sum()) for p in self._phases)])
        self._history = np.zeros((max(2 * self.lag - 1, 0), channels), np.float32)

    def history_peak(self) -> float:
        return float(np.abs(self._history).max()) if len(self._history) else 0.0

    def push(self, block: np.ndarray, floor: float = 0.0) -> np.ndarray:
        """Peaks (float32, one per frame) for the ``len(block)`` frames ending ``lag`` frames
        before the end of ``block``. Only peaks that can exceed ``floor`` are interpolated;
        the others read as their sample peak (which is <= their true peak <= ``floor``)."""
        extended = np.concatenate([self._history, block])
        self._keep_history(extended)
        return self._peaks(extended, len(block), floor)

    def skip(self, block: np.ndarray) -> None:
        """Advance past ``block`` without computing peaks the caller knows cannot matter."""
        self._keep_history(np.concatenate([self._history, block]))

    def tail(self) -> np.ndarray:
        """Peaks of the last ``lag`` frames, as if silence followed; the state is unchanged."""
        silence = np.zeros((self.lag, self._history.shape[1]), np.float32)
        return self._peaks(np.concatenate([self._history, silence]), self.lag, 0.0)

    def _keep_history(self, extended: np.ndarray) -> None:
        if len(self._history):
            self._history = extended[len(extended) - len(self._history):].copy()

    def _peaks(self, extended: np.ndarray, frames: int, floor: float) -> np.ndarray:
        sample = _channel_max(np.abs(extended))
        peak = sample[max(self.lag - 1, 0):][:frames].copy()  # phase 0: the frame itself
        if not self._phases or not frames:
            return peak
        # Output i interpolates from extended[i ... i + 2 lag - 1] and is bounded by its maximum.
        width = 2 * self.lag
        reach = sliding_extreme(sample, width, np.maximum)
        wanted = np.flatnonzero(reach * np.float32(self.gain_bound) > floor)
        if not len(wanted):
            return peak
        dense = len(wanted) * 4 > frames  # then slices beat a gather; the arithmetic is the same
        if dense:
            windows = [extended[offset:offset + frames] for offset in range(width)]
        else:  # one gather: windows[offset][k] = extended[wanted[k] + offset]
            windows = extended[np.arange(width)[:, None] + wanted[None, :]]
        for taps in self._phases:
            # A fixed-order float64 sum per output: the same value whatever the split or path.
            between = taps[0] * windows[0]
            for offset in range(1, width):
                between += taps[offset] * windows[offset]
            best = _channel_max(np.abs(between, out=between))
            if dense:
                np.maximum(peak, best, out=peak)
            else:
                peak[wanted] = np.maximum(peak[wanted], best)
        return peak


def _channel_max(frames: np.ndarray) -> np.ndarray:
    """Per-frame maximum over the channels of (frames, channels); numpy's ``max(axis=1)`` is
    several times slower over so short an axis."""
    out = frames[:, 0].copy()
    for channel in range(1, frames.shape[1]):
        np.maximum(out, frames[:, channel], out=out)
    return out


def _to_db(linear: float, scale: float) -> float | None:
    return scale * math.log10(linear) if linear > 0.0 else None


class LoudnessMeter:
    """BS.1770-4 integrated loudness, EBU Tech 3342 loudness range, true and sample peak.

    Feed any number of blocks of any length with :meth:`add`; query at any time. Memory is one
    float per 100 ms of audio.
    """

    def __init__(self, rate: int, channels: int, true_peak: bool = True) -> None:
        """``true_peak=False`` skips the 4x-oversampled peak (most of the cost) when only
        loudness is wanted, as in the export's measuring pass."""
        if rate <= 0:
            raise AudioError(f"Sample rate must be positive, not {rate}.")
        self.rate = int(rate)
        self.channels = int(channels)
        self._weights = channel_weights(self.channels)
        self._filter = SectionFilter(k_weighting_sos(self.rate), self.channels)
        self._peaks = (OversampledPeaks(self.channels, TRUE_PEAK_OVERSAMPLING)
                       if true_peak else None)
        self._frames = 0
        self._pending = np.zeros(0)  # per-frame powers of the sub-block not yet complete
        self._sums = array("d")  # channel-weighted energy of each complete 100 ms sub-block
        self._sample_peak = 0.0
        self._true_peak = 0.0

    @property
    def frames(self) -> int:
        return self._frames

    def add(self, block: np.ndarray) -> None:
        """Measure the next ``block`` (float32, shape (frames, channels))."""
        x = as_frames(block, self.channels)
        for start in range(0, len(x), CHUNK_FRAMES):  # bounded temporaries for whole files
            self._add_chunk(x[start:start + CHUNK_FRAMES])

    def _add_chunk(self, x: np.ndarray) -> None:
        block_peak = float(np.abs(x).max())
        if not math.isfinite(block_peak):
            raise AudioError("Audio contains NaN or infinite samples; it cannot be measured.")

        self._add_power(self._weighted_power(self._filter.push(x)))
        self._frames += len(x)

        self._sample_peak = max(self._sample_peak, block_peak)
        if self._peaks is None:
            return
        window_peak = max(block_peak, self._peaks.history_peak())
        if self._peaks.gain_bound * window_peak <= self._true_peak:
            self._peaks.skip(x)  # no interpolated point here can beat the peak found so far
        else:
            peaks = self._peaks.push(x, floor=self._true_peak)  # exact where it can beat it
            self._true_peak = max(self._true_peak, float(peaks.max()))

    def _weighted_power(self, filtered: np.ndarray) -> np.ndarray:
        """Channel-weighted power per frame of K-weighted (channels, frames) audio."""
        power = np.zeros(filtered.shape[1])
        for channel, weight in enumerate(self._weights):
            if weight:
                power += weight * np.square(filtered[channel])
        return power

    def _add_power(self, power: np.ndarray) -> None:
        sums, self._pending = self._complete_sub_blocks(power)
        self._sums.extend(sums)

    def _complete_sub_blocks(self, power: np.ndarray) -> tuple[list[float], np.ndarray]:
        """Energies of the sub-blocks that ``power`` (the frames after the pending ones)
        completes, and the powers left pending."""
        done = len(self._sums)
        start = self._boundary(done)
        buffered = np.concatenate([self._pending, power])
        end = start + len(buffered)
        last = (SUB_BLOCKS_PER_SECOND * (end + 1) - 1) // self.rate  # last boundary <= end
        if last <= done:
            return [], buffered.copy()
        cuts = self._boundary(np.arange(done, last + 1)) - start
        # Each sub-block is summed alone, from the same contiguous values, whatever the split.
        sums = np.add.reduceat(buffered[:cuts[-1]], cuts[:-1]).tolist()
        return sums, buffered[cuts[-1]:].copy()

    def _boundary(self, index: np.ndarray | int) -> np.ndarray | int:
        """First frame of sub-block ``index`` (100 ms hops, exact for any sample rate)."""
        return index * self.rate // SUB_BLOCKS_PER_SECOND

    def _sums_so_far(self) -> np.ndarray:
        """Energies of every complete sub-block fed so far. The filter holds back the frames of
        an incomplete chunk: they count as if the stream ended here (the same values it gives
        them when the chunk completes)."""
        held, _ = self._complete_sub_blocks(self._weighted_power(self._filter.pending()))
        return np.concatenate([np.frombuffer(self._sums, dtype=np.float64), held])

    def _block_powers(self, sub_blocks: int) -> np.ndarray:
        """Mean-square power of every ``sub_blocks``-long block, hopping by one sub-block."""
        sums = self._sums_so_far()
        if len(sums) < sub_blocks:
            return np.zeros(0)
        frames = np.diff(self._boundary(np.arange(len(sums) + 1)))
        energy = np.lib.stride_tricks.sliding_window_view(sums, sub_blocks).sum(axis=1)
        length = np.lib.stride_tricks.sliding_window_view(frames, sub_blocks).sum(axis=1)
        return energy / length

    def integrated(self) -> float | None:
        """Gated integrated loudness in LUFS; None for silence or less than 400 ms."""
        powers = self._block_powers(GATING_SUB_BLOCKS)
        loud = powers[_loudness(powers) > ABSOLUTE_GATE_LUFS]
        if not len(loud):
            return None
        relative_gate = _loudness(loud.mean()) + RELATIVE_GATE_LU
        gated = loud[_loudness(loud) > relative_gate]
        return float(_loudness(gated.mean())) if len(gated) else None

    def sub_blocks(self) -> np.ndarray:
        """Ungated loudness in LUFS of every complete 100 ms sub-block (i covers
        [i / 10, (i + 1) / 10) s); -inf for silence."""
        sums = self._sums_so_far()
        frames = np.diff(self._boundary(np.arange(len(sums) + 1)))
        return _loudness(sums / np.maximum(frames, 1))

    def speech_gated(self) -> float | None:
        """Loudness of the words without their pauses: the 100 ms sub-blocks above the
        absolute gate and within ``SPEECH_GATE_LU`` of the loud ones (their 95th percentile),
        so the gaps between words and sentences, breaths and room tone do not pull a line's
        level down, as they do inside 400 ms gating blocks (a simple stand-in for a speech
        detector, which clean, dry TTS output does not need)."""
        return speech_gated_mean(self.sub_blocks())

    def recent(self, seconds: float) -> float | None:
        """Loudness of the last ``seconds`` of complete sub-blocks, ungated (0.4 s: EBU
        momentary, 3 s: short-term); None before the first 100 ms or for silence."""
        sums = self._sums_so_far()
        count = len(sums)
        n = min(count, max(1, round(seconds * SUB_BLOCKS_PER_SECOND)))
        if not n:
            return None
        frames = self._boundary(count) - self._boundary(count - n)
        power = float(sums[count - n:].sum()) / frames
        return float(_loudness(power)) if power > 0 else None

    def short_term_curve(self) -> np.ndarray:
        """Short-term (3 s) loudness in LUFS every 100 ms: entry i covers sub-blocks
        [i, i + 30), i.e. ends at (i + 30) / 10 s. -inf for silence."""
        return _loudness(self._block_powers(SHORT_TERM_SUB_BLOCKS))

    def loudness_range(self) -> float | None:
        """EBU Tech 3342 loudness range in LU; None for silence or less than 3 s."""
        short_term = _loudness(self._block_powers(SHORT_TERM_SUB_BLOCKS))
        loud = short_term[short_term > ABSOLUTE_GATE_LUFS]
        if not len(loud):
            return None
        relative_gate = _loudness(_power(loud).mean()) + LRA_RELATIVE_GATE_LU
        gated = loud[loud >= relative_gate]
        low, high = np.percentile(gated, LRA_PERCENTILES)
        return float(high - low)

    def true_peak_dbtp(self) -> float | None:
        """Highest 4x-oversampled absolute value in dBTP; None for digital silence (or when the
        meter was made with ``true_peak=False``)."""
        if self._peaks is None:
            return None
        tail = self._peaks.tail()
        return _to_db(max(self._true_peak, float(tail.max()) if len(tail) else 0.0), 20.0)

    def sample_peak_dbfs(self) -> float | None:
        return _to_db(self._sample_peak, 20.0)

    @property
    def sample_peak(self) -> float:
        """The largest |sample| so far, linear."""
        return self._sample_peak


def _loudness(power: np.ndarray | float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return _LOUDNESS_OFFSET + 10.0 * np.log10(power)


def _power(loudness: np.ndarray) -> np.ndarray:
    return 10.0 ** ((loudness - _LOUDNESS_OFFSET) / 10.0)


def speech_gate(block_lufs: np.ndarray) -> np.ndarray:
    """Which 100 ms sub-blocks hold speech (see ``LoudnessMeter.speech_gated``)."""
    loud = block_lufs[block_lufs > ABSOLUTE_GATE_LUFS]
    if not len(loud):
        return np.zeros(len(block_lufs), bool)
    gate = max(ABSOLUTE_GATE_LUFS,
               float(np.percentile(loud, SPEECH_LOUD_PERCENTILE)) + SPEECH_GATE_LU)
    return block_lufs > gate


def speech_gated_mean(block_lufs: np.ndarray) -> float | None:
    return mean_loudness(block_lufs, speech_gate(block_lufs))


def mean_loudness(block_lufs: np.ndarray, where: np.ndarray) -> float | None:
    """Loudness of the mean power of the (equally long) blocks ``where`` is true; None if
    there are none (or they are all silent)."""
    chosen = block_lufs[where[: len(block_lufs)]]
    if not len(chosen) or not np.isfinite(chosen).any():
        return None
    return float(_loudness(_power(chosen).mean()))


@dataclass(frozen=True)
class Loudness:
    """One measurement; None where undefined (silence, too short)."""

    integrated_lufs: float | None
    lra: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    duration_s: float

    def to_json_dict(self) -> dict[str, float | None]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(float(value), 2)

        return {
            "integrated_lufs": rounded(self.integrated_lufs),
            "lra": rounded(self.lra),
            "true_peak_dbtp": rounded(self.true_peak_dbtp),
            "sample_peak_dbfs": rounded(self.sample_peak_dbfs),
            "duration_s": rounded(self.duration_s),
        }


def _result(meter: LoudnessMeter) -> Loudness:
    return Loudness(
        integrated_lufs=meter.integrated(),
        lra=meter.loudness_range(),
        true_peak_dbtp=meter.true_peak_dbtp(),
        sample_peak_dbfs=meter.sample_peak_dbfs(),
        duration_s=meter.frames / meter.rate,
    )


def measure(samples: np.ndarray, rate: int) -> Loudness:
    """Measure a whole array, float32 (frames, channels) or 1-D mono."""
    array_ = np.asarray(samples)
    meter = LoudnessMeter(rate, 1 if array_.ndim == 1 else array_.shape[-1])
    meter.add(array_)
    return _result(meter)


def measure_file(
    path: str | Path,
    block_frames: int = 65536,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Loudness:
    """Measure an audio file block by block, so an hour-long file needs a few MB of memory."""
    try:
        info = soundfile.info(str(path))
        meter = LoudnessMeter(info.samplerate, info.channels)
        total = max(info.frames, 1)
        for block in soundfile.blocks(str(path), blocksize=block_frames, dtype="float32",
                                      always_2d=True):
            if cancelled is not None and cancelled():
                raise CancelledError(f"Measuring {Path(path).name} was cancelled.")
            meter.add(block)
            if progress is not None:
                progress(min(meter.frames / total, 1.0))
    except soundfile.LibsndfileError as error:
        raise DecodeError(f"Cannot read {path}: {error}") from error
    return _result(meter)


def gain_to_target_db(measured_lufs: float | None, target_lufs: float) -> float:
    """Gain that brings ``measured_lufs`` to ``target_lufs``; 0 dB when nothing was measured,
    so silence is never boosted by a huge gain."""
    if measured_lufs is None or not math.isfinite(measured_lufs):
        return 0.0
    return float(target_lufs - measured_lufs)
