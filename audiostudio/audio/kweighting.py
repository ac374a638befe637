"""BS.1770 K-weighting: coefficients for any rate, and a streaming filter without scipy.

Design note. The coefficients come from the analog prototypes behind the standard's 48 kHz
table (a high shelf, then a high pass; the parameters libebur128 fitted to that table),
mapped through the bilinear transform: at 48 kHz they are the table to 1e-12, and from 44.1 to
96 kHz the response stays within 0.03 dB of it. Like libebur128, the high pass keeps the table's
unnormalised numerator [1, -2, 1] at every rate. (pyloudnorm's default cookbook filters read
full-band noise ~0.04 LU lower; its "DeMan" filters agree with these.)

The filter is a linear recursion, which numpy cannot run sample by sample and scipy.signal
costs ~0.5 s to import, more than a short render. Being linear, a block of L samples is exactly
"zero-state response + response to the state at the block start", both matrix products; the
states at the starts of M consecutive blocks are again a matrix product of the blocks' inputs
and the starting state. So a chunk of L x M = 64 x 64 samples costs three small BLAS products
(~90 multiply-adds per sample, as fast as ``sosfilt`` here; 32 x 64 took twice as long, its
Python steps dominating) and the state is carried chunk to chunk.
Chunks are always the same size and aligned to the stream's start (the input is buffered), so
every output is computed by the same operations whatever blocks the stream arrives in: results
are bit-identical for any split, which the meter relies on.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

# (f0 Hz, gain dB, Q) of the pre-filter shelf, and (f0 Hz, Q) of the RLB high pass.
SHELF = (1681.974450955533, 3.999843853973347, 0.7071752369554196)
SHELF_VB_EXPONENT = 0.4996667741545416  # shelf mid-band gain exponent (libebur128)
HIGH_PASS = (38.13547087602444, 0.5003270373238773)
BLOCK = 64  # L: samples per block of the zero-state matrix product
BLOCKS_PER_CHUNK = 64  # M: blocks whose start states are one matrix product
CHUNK = BLOCK * BLOCKS_PER_CHUNK


def k_weighting_sos(rate: int) -> np.ndarray:
    """The two K-weighting biquads as second-order sections [b0 b1 b2 1 a1 a2] at ``rate``."""
    f0, gain_db, q = SHELF
    k = math.tan(math.pi * f0 / rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh ** SHELF_VB_EXPONENT
    a0 = 1.0 + k / q + k * k
    shelf = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0,
             (vh - vb * k / q + k * k) / a0, 1.0, 2.0 * (k * k - 1.0) / a0,
             (1.0 - k / q + k * k) / a0]
    f0, q = HIGH_PASS
    k = math.tan(math.pi * f0 / rate)
    a0 = 1.0 + k / q + k * k
    high_pass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, high_pass])


def _simulate(sos: np.ndarray, x: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reference cascade (transposed direct form II, as ``sosfilt``), sample by sample; only
    used on a few short signals to derive the block matrices. ``state``: (sections, 2)."""
    z = state.astype(np.float64).copy()
    out = np.empty(len(x))
    for n, value in enumerate(x):
        for s, (b0, b1, b2, _, a1, a2) in enumerate(sos):
            y = b0 * value + z[s, 0]
            z[s, 0] = b1 * value - a1 * y + z[s, 1]
            z[s, 1] = b2 * value - a2 * y
            value = y
        out[n] = value
    return out, z


@lru_cache(maxsize=8)
def _matrices(sos_bytes: bytes) -> tuple[np.ndarray, ...]:
    sos = np.frombuffer(sos_bytes).reshape(-1, 6)
    dims = 2 * len(sos)
    zero = np.zeros((len(sos), 2))
    impulse = np.zeros(BLOCK)
    impulse[0] = 1.0
    h, _ = _simulate(sos, impulse, zero)
    toeplitz = np.zeros((BLOCK, BLOCK))  # zero-state response: y = toeplitz @ x
    for i in range(BLOCK):
        toeplitz[i, : i + 1] = h[i::-1]
    # State after the block from an impulse at j = state after BLOCK - j steps from one at 0.
    after = [_simulate(sos, impulse[: BLOCK - j], zero)[1].ravel() for j in range(BLOCK)]
    input_to_state = np.array(after).T  # (dims, BLOCK)
    state_to_output = np.zeros((BLOCK, dims))
    step = np.zeros((dims, dims))  # F: state after a silent block
    for d in range(dims):
        unit = np.zeros(dims)
        unit[d] = 1.0
        y, z = _simulate(sos, np.zeros(BLOCK), unit.reshape(-1, 2))
        state_to_output[:, d], step[:, d] = y, z.ravel()
    powers = [np.eye(dims)]
    for _ in range(BLOCKS_PER_CHUNK):
        powers.append(step @ powers[-1])
    # Start state of block k (zero chunk start) = sum over m < k of F^(k-1-m) u_m.
    inputs_to_starts = np.zeros((BLOCKS_PER_CHUNK * dims, BLOCKS_PER_CHUNK * dims))
    for k in range(BLOCKS_PER_CHUNK):
        for m in range(k):
            inputs_to_starts[k * dims:(k + 1) * dims, m * dims:(m + 1) * dims] = powers[k - 1 - m]
    state_to_starts = np.concatenate(powers[:BLOCKS_PER_CHUNK])  # (M * dims, dims)
    # Transposed, so that row vectors (one row per channel or block) multiply from the left.
    return (toeplitz.T.copy(), input_to_state.T.copy(), inputs_to_starts.T.copy(),
            state_to_starts.T.copy(), state_to_output.T.copy(), step.T.copy())


class SectionFilter:
    """Streaming cascade of biquads over (frames, channels) blocks, exact for any split.

    ``push`` returns the filtered frames that are complete (channel-major, (channels, n), n a
    multiple of ``CHUNK``) and keeps the rest; ``pending`` filters the kept frames as if the
    stream ended there, without changing the state.
    """

    def __init__(self, sos: np.ndarray, channels: int) -> None:
        self._m = _matrices(np.ascontiguousarray(sos, np.float64).tobytes())
        self.channels = channels
        self._state = np.zeros((channels, 2 * len(sos)))
        self._buffer = np.zeros((0, channels), np.float32)

    def push(self, block: np.ndarray) -> np.ndarray:
        data = np.concatenate([self._buffer, block]) if len(self._buffer) else block
        whole = len(data) - len(data) % CHUNK
        self._buffer = data[whole:].copy()
        out = np.empty((self.channels, whole))
        for start in range(0, whole, CHUNK):
            out[:, start:start + CHUNK], self._state = self._chunk(data[start:start + CHUNK],
                                                                   self._state)
        return out

    def pending(self) -> np.ndarray:
        count = len(self._buffer)
        if not count:
            return np.zeros((self.channels, 0))
        padded = np.zeros((CHUNK, self.channels), np.float32)
        padded[:count] = self._buffer  # zeros after: later inputs never reach earlier outputs
        return self._chunk(padded, self._state)[0][:, :count]

    def _chunk(self, frames: np.ndarray, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        toeplitz_t, to_state_t, to_starts_t, state_starts_t, to_output_t, step_t = self._m
        channels, dims = state.shape
        x = frames.T.astype(np.float64).reshape(channels * BLOCKS_PER_CHUNK, BLOCK)
        u = (x @ to_state_t).reshape(channels, BLOCKS_PER_CHUNK * dims)
        starts = u @ to_starts_t + state @ state_starts_t
        y = x @ toeplitz_t + starts.reshape(channels * BLOCKS_PER_CHUNK, dims) @ to_output_t
        last = (starts.reshape(channels, BLOCKS_PER_CHUNK, dims)[:, -1] @ step_t
                + u.reshape(channels, BLOCKS_PER_CHUNK, dims)[:, -1])
        return y.reshape(channels, CHUNK), last
