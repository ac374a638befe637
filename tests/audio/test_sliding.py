"""Sliding minimum / maximum against the plain definition."""

from __future__ import annotations

import numpy as np
import pytest

from audiostudio.audio.sliding import sliding_extreme


@pytest.mark.parametrize(("frames", "window"), [(241, 241), (1000, 241), (65_776, 241),
                                                (10, 3), (17, 16), (5, 1)])
@pytest.mark.parametrize("ufunc", [np.minimum, np.maximum])
def test_extreme_of_every_window(frames: int, window: int, ufunc: np.ufunc) -> None:
    x = np.random.default_rng(frames).random(frames).astype(np.float32)
    runs = np.lib.stride_tricks.sliding_window_view(x, window)
    expected = runs.min(axis=1) if ufunc is np.minimum else runs.max(axis=1)
    assert np.array_equal(sliding_extreme(x, window, ufunc), expected)


def test_shorter_than_the_window_has_no_runs() -> None:
    assert len(sliding_extreme(np.ones(3, np.float32), 4, np.maximum)) == 0
