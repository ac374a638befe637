"""Minimum or maximum of every run of ``window`` consecutive values, in a few numpy passes.

Doubling: the extreme of runs of 2w is the extreme of two runs of w, so log2(window) passes of
contiguous pairwise ``np.minimum``/``np.maximum`` give runs of the largest power of two, and two
of those, overlapping, cover any window. Exact (no arithmetic), and the same for any split of
the input, since each value depends only on its own run.
"""

from __future__ import annotations

import numpy as np


def sliding_extreme(x: np.ndarray, window: int, ufunc: np.ufunc) -> np.ndarray:
    """``ufunc`` (``np.minimum`` or ``np.maximum``) over every ``window``-long run of the 1-D
    ``x``: ``len(x) - window + 1`` values, the first over ``x[0:window]``."""
    count = len(x) - window + 1
    if count <= 0:
        return np.zeros(0, x.dtype)
    runs, width = x, 1
    while 2 * width <= window:
        runs = ufunc(runs[:-width], runs[width:])
        width *= 2
    return ufunc(runs[:count], runs[window - width:window - width + count])
