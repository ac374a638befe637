"""True-peak brick-wall limiter with look-ahead, streamable, with an exportable gain curve.

Design note. The limiter computes one linear gain per frame, shared by all channels (linked), and
multiplies the delayed input by it; the export applies the very same curve to every stem so the
stems still sum to the delivered mix. The curve is built from whole-array numpy passes,
because a per-sample Python loop (the textbook envelope follower) costs minutes per hour:

1. detection: per frame, the max over channels of |x| at 4x oversampling (the meter's
   ``OversampledPeaks``), i.e. inter-sample peaks included; required gain r = min(1, ceiling/peak);
2. release: the gain reduction in dB recovers exponentially (a one-pole),
   ``gr[n] = max(gr_req[n], a * gr[n-1])``. That recursion is a running maximum in the log
   domain, ``log gr[n] = max_k(log gr_req[k] + (n-k) log a)``, so ``np.maximum.accumulate``
   does it; the logs are quantised to integers so that any block split gives the same result;
3. look-ahead: a trailing minimum over W frames, then a trailing moving average over A frames
   (exact int64 sums), output ``lookahead - lag`` frames later. Every averaged value is a
   minimum over a window that contains the frame and ``hold`` frames on each side of it, so the
   gain never exceeds what a frame, or its interpolation neighbourhood, requires: the attack is a
   ramp that lands exactly on the peak, and for an isolated peak the gain is flat over the whole
   interpolation window, so inter-sample peaks are scaled like samples.

The limiter aims 0.2 dB under the ceiling. Measured at 4x, as BS.1770 does, the output then
stays under the ceiling with room to spare; the margin is for meters that look between the 4x
points: a sine at fs/4 can peak 0.17 dB above its highest 4x point, so 8x meters (checked in the
tests with ``scipy.signal.resample_poly``) also read at most the ceiling for content up to about
fs/4 (12 kHz at 48 kHz). Strong content near Nyquist, full-band noise say, can read a few tenths
of a dB higher there; a larger ``margin_db`` buys that too. Every stage carries its state, and
every value is a fixed function of its own window, so processing in blocks of any size is
bit-identical to processing the whole array.
"""

from __future__ import annotations

import math

import numpy as np

from audiostudio.audio.loudness import OversampledPeaks, as_frames
from audiostudio.audio.sliding import sliding_extreme
from audiostudio.errors import AudioError

SAFETY_MARGIN_DB = 0.2
CHUNK_FRAMES = 65536  # internal work size: bounded temporaries and int64 sums that cannot overflow
_NO_REDUCTION_DB = 1e-6  # reductions below this are treated as none, so gains return to exactly 1
_LOG_STEPS_PER_FRAME = 1 << 16  # release decay per frame, in quantised log units
_GAIN_ONE = float(1 << 40)  # fixed point for the moving average of (1 - gain)
_SENTINEL = -(1 << 60)  # quantised log of "no reduction"
_LOG_DB_PER_NEPER = math.log(20.0 / math.log(10.0))
_MIN_LOG_OVER = _NO_REDUCTION_DB / (20.0 / math.log(10.0))  # ln(over) of the smallest reduction


class TruePeakLimiter:
    """Streaming linked true-peak limiter.

    ``process(block)`` returns as many frames as it is given, delayed by ``latency_frames``
    (the first ``latency_frames`` output frames are silence); ``flush()`` returns the last
    ``latency_frames`` frames, so ``concat(outputs + [flush()])[latency_frames:]`` is the
    limited input, frame for frame. ``process_gain``/``flush_gain`` advance the same way but
    return the gain curve (linear float32, shape (frames,), shared by all channels) with the
    same delay, for a caller that applies it to several signals (the mix and its stems):
    ``apply_gain(delayed_block, gain)`` (= ``delayed_block * gain[:, None]``) is exactly what
    ``process`` returns. Feed each block to one of the two, not both.
    """

    def __init__(
        self,
        rate: int,
        channels: int,
        ceiling_dbtp: float = -1.0,
        lookahead_ms: float = 5.0,
        release_ms: float = 50.0,
        oversample: int = 4,
        margin_db: float = SAFETY_MARGIN_DB,
    ) -> None:
        if rate <= 0 or channels < 1:
            raise AudioError(f"Limiter needs a positive rate and channels, not {rate}, {channels}.")
        if not (math.isfinite(ceiling_dbtp) and lookahead_ms >= 0 and release_ms > 0
                and margin_db >= 0):
            raise AudioError("Limiter ceiling must be finite, look-ahead and margin >= 0, "
                             "release > 0.")
        self.rate = int(rate)
        self.channels = int(channels)
        self.ceiling_dbtp = float(ceiling_dbtp)
        self._detector = OversampledPeaks(self.channels, oversample)
        lag = self._detector.lag
        hold = lag  # keep the gain down over the whole interpolation window of a peak
        self.latency_frames = max(round(lookahead_ms * self.rate / 1000.0), lag + hold)
        smoothing_lookahead = self.latency_frames - lag
        self._attack = smoothing_lookahead - hold + 1  # moving-average length
        window = smoothing_lookahead + hold + 1
        self._window = window + 1 - window % 2  # odd, so the centred filter has no origin shift
        self._ceiling = 10.0 ** ((self.ceiling_dbtp - margin_db) / 20.0)
        # Release: log(gr) falls by 1/release_frames per frame = _LOG_STEPS_PER_FRAME units.
        self._log_unit = 1.0 / (release_ms * self.rate / 1000.0) / _LOG_STEPS_PER_FRAME
        self._floor = math.ceil(math.log(_NO_REDUCTION_DB) / self._log_unit)
        self._release = _SENTINEL
        self._min_history = np.ones(self._window - 1)
        self._sum_history = np.zeros(self._attack, np.int64)
        self._delay = np.zeros((self.latency_frames, self.channels), np.float32)

    # --- public API -----------------------------------------------------------------------
    def process(self, block: np.ndarray) -> np.ndarray:
        """Limit ``block``; returns the same number of frames, ``latency_frames`` later."""
        return self._run(block, want_audio=True)

    def process_gain(self, block: np.ndarray) -> np.ndarray:
        """Like :meth:`process`, but return the gain curve applied to the delayed frames."""
        return self._run(block, want_audio=False)

    def flush(self) -> np.ndarray:
        """The last ``latency_frames`` output frames (the stream is taken to end in silence)."""
        return self.process(np.zeros((self.latency_frames, self.channels), np.float32))

    def flush_gain(self) -> np.ndarray:
        return self.process_gain(np.zeros((self.latency_frames, self.channels), np.float32))

    # --- pipeline -------------------------------------------------------------------------
    def _run(self, block: np.ndarray, want_audio: bool) -> np.ndarray:
        x = as_frames(block, self.channels)
        results = [self._chunk(x[start:start + CHUNK_FRAMES], want_audio)
                   for start in range(0, len(x), CHUNK_FRAMES)]
        if results:
            return np.concatenate(results)
        return np.zeros((0, self.channels) if want_audio else 0, np.float32)

    def _chunk(self, x: np.ndarray, want_audio: bool) -> np.ndarray:
        sample_peak = float(np.abs(x).max())
        if not math.isfinite(sample_peak):
            raise AudioError("Audio contains NaN or infinite samples; it cannot be limited.")
        frames = len(x)
        gain = self._lookahead(self._release_stage(self._detect(x, sample_peak), frames), frames)
        delayed = np.concatenate([self._delay, x])
        self._delay = delayed[frames:].copy()
        if not want_audio:
            return gain
        return apply_gain(delayed[:frames], gain)

    def _detect(self, x: np.ndarray, sample_peak: float) -> np.ndarray | None:
        """Per frame (lagging the input by the detector's lag): the quantised log of the gain
        reduction in dB the frame needs, or None when nothing here can reach the ceiling."""
        window_peak = max(sample_peak, self._detector.history_peak())
        # The bound covers every interpolated point; the factor covers float32 rounding.
        if self._detector.gain_bound * window_peak * (1.0 + 1e-5) <= self._ceiling:
            self._detector.skip(x)
            return None
        # Exact peaks are only needed where they can reach the ceiling; the rest read lower.
        peaks = self._detector.push(x, floor=self._ceiling / (1.0 + 1e-5))
        with np.errstate(divide="ignore", invalid="ignore"):  # silent frames: log(0)
            log_over = np.log(peaks.astype(np.float64) / self._ceiling)
            reducing = log_over > _MIN_LOG_OVER
            # log(dB reduction) = log(log(over)) + log(20 / ln 10); rounded up: never too little.
            steps = np.ceil((np.log(log_over) + _LOG_DB_PER_NEPER) / self._log_unit)
        return np.where(reducing, steps, _SENTINEL).astype(np.int64)

    def _release_stage(self, quantised: np.ndarray | None, frames: int) -> np.ndarray | None:
        """Required linear gain after the exponential release, or None for 1.0 everywhere."""
        if quantised is None:
            if self._release <= self._floor:
                return None
            quantised = np.full(frames, _SENTINEL, np.int64)
        steps = _LOG_STEPS_PER_FRAME * np.arange(frames, dtype=np.int64)
        running = np.maximum.accumulate(quantised + steps)
        np.maximum(running, self._release - _LOG_STEPS_PER_FRAME, out=running)  # carried state
        held = running - steps
        self._release = max(int(held[-1]), _SENTINEL)
        if held.max() <= self._floor:
            return None
        # float32 is plenty for a gain (errors ~1e-7 vs a 0.2 dB margin) and its exp is ~10x faster.
        log_db = (held * self._log_unit).astype(np.float32)
        reduction_db = np.where(held > self._floor, np.exp(log_db), np.float32(0.0))
        return np.exp(reduction_db * np.float32(-math.log(10.0) / 20.0))

    def _lookahead(self, required: np.ndarray | None, frames: int) -> np.ndarray:
        """Trailing minimum over ``_window`` frames, then trailing mean over ``_attack``."""
        if required is None and not self._sum_history.any() and self._min_history.min(
                initial=1.0) == 1.0:
            return np.ones(frames, np.float32)  # idle: both histories already hold "no gain"
        if required is None:
            required = np.ones(frames, np.float32)
        extended = np.concatenate([self._min_history, required])
        self._min_history = extended[len(extended) - (self._window - 1):].copy()
        held = sliding_extreme(extended, self._window, np.minimum)
        # Exact integer sums: no drift over hours and no dependence on how blocks are split.
        reduction = np.ceil((1.0 - held) * _GAIN_ONE).astype(np.int64)
        extended_sum = np.concatenate([self._sum_history, reduction])
        self._sum_history = extended_sum[frames:].copy()
        totals = np.cumsum(extended_sum)
        window_sums = totals[self._attack:] - totals[:frames]
        return (1.0 - window_sums / (self._attack * _GAIN_ONE)).astype(np.float32)


def limit(
    samples: np.ndarray,
    rate: int,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 5.0,
    release_ms: float = 50.0,
    oversample: int = 4,
    margin_db: float = SAFETY_MARGIN_DB,
) -> tuple[np.ndarray, np.ndarray]:
    """Limit a whole array: returns ``(out, gain)`` aligned with ``samples``, where
    ``out == samples * gain[:, None]`` (float32, same shape) and ``gain`` has shape (frames,)."""
    x = np.asarray(samples)
    limiter = TruePeakLimiter(rate, 1 if x.ndim == 1 else x.shape[1], ceiling_dbtp,
                              lookahead_ms, release_ms, oversample, margin_db)
    x = as_frames(x, limiter.channels)
    gain = np.concatenate([limiter.process_gain(x), limiter.flush_gain()])
    gain = gain[limiter.latency_frames:]
    out = apply_gain(x, gain)
    return (out[:, 0] if np.ndim(samples) == 1 else out), gain


def apply_gain(samples: np.ndarray, gain: np.ndarray) -> np.ndarray:
    """``samples * gain[:, None]`` as float32 for (frames, channels), or for stacked
    (tracks, frames, channels), e.g. the limiter's curve on the stems. numpy is slow at
    broadcasting over 2 channels, so the gain is interleaved once and multiplied flat."""
    x = np.asarray(samples, dtype=np.float32)
    channels = x.shape[-1]
    flat = x.reshape(-1, x.shape[-2] * channels)
    out = flat * np.repeat(np.asarray(gain, np.float32), channels)
    return out.reshape(x.shape)
