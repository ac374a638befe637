"""The master stage: a range of the delivered mix equals the same range of a whole render."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio.limiter import TruePeakLimiter
from audiostudio.audio.master import MasterStream, track_source
from audiostudio.audio.mixer import build_plan, render
from audiostudio.model import Clip, Project, Track
from audiostudio.settings import cache_dir
from tests.conftest import RATE, sine

CEILING = -1.0


def loud_scene(folder: Path) -> Project:
    """A hard-limited passage (2-4 s, +6 dB over full scale), then loud material right after."""
    (folder / "assets").mkdir()
    rng = np.random.default_rng(3)
    hit = sine(220, 2.0, amp=1.0) * 2.0 + rng.normal(0, 0.3, (2 * RATE, 1)).astype(np.float32)
    sf.write(str(folder / "assets" / "hit.wav"), hit, RATE, subtype="FLOAT")
    sf.write(str(folder / "assets" / "bed.wav"), sine(110, 6.0, amp=0.7, channels=2), RATE,
             subtype="FLOAT")
    return Project(name="loud", tracks=[
        Track("fx", clips=[Clip("h", start=2.0, source="assets/hit.wav")]),
        Track("bed", clips=[Clip("b", start=0.0, source="assets/bed.wav")]),
    ])


def delivered(stream: MasterStream, frames: int, step: int) -> tuple[np.ndarray, np.ndarray]:
    blocks = [stream.read(min(step, frames - i)) for i in range(0, frames, step)]
    return (np.concatenate([b.mix for b in blocks]),
            np.concatenate([b.stems for b in blocks], axis=1))


@pytest.fixture
def plan(tmp_path):
    return build_plan(loud_scene(tmp_path), tmp_path, cache=cache_dir())


def test_whole_stream_is_the_limited_premaster(plan):
    norm_db = 3.0
    mix, stems = delivered(MasterStream(track_source(plan, True), RATE, norm_db, CEILING),
                           plan.frames, 4096)
    limiter = TruePeakLimiter(RATE, 2, ceiling_dbtp=CEILING)
    pre = render(plan, 0, plan.frames) * np.float32(10 ** (norm_db / 20))
    expected = np.concatenate([limiter.process(pre), limiter.flush()])[limiter.latency_frames:]
    np.testing.assert_allclose(mix, expected, atol=1e-5)
    assert 20 * np.log10(np.abs(mix).max()) <= CEILING
    np.testing.assert_allclose(stems.sum(axis=0), mix, atol=1e-6)  # the stems sum to the mix


@pytest.mark.parametrize("start_s", [4.0, 4.3, 5.1])
def test_range_equals_the_same_range_of_the_whole(plan, start_s):
    """Right after the limited passage the limiter is still releasing: its past matters."""
    whole, whole_stems = delivered(MasterStream(track_source(plan, True), RATE, 6.0, CEILING),
                                   plan.frames, 4800)
    start = round(start_s * RATE)
    part, part_stems = delivered(
        MasterStream(track_source(plan, True), RATE, 6.0, CEILING, start=start),
        plan.frames - start, 1000)
    diff = np.abs(part - whole[start:]).max()
    assert diff == 0 or 20 * np.log10(diff) < -90
    assert np.abs(part_stems - whole_stems[:, start:]).max() < 10 ** (-90 / 20)
    # Without the warm-up the same range starts unlimited: the test can tell the difference.
    cold = MasterStream(track_source(plan, True), RATE, 6.0, CEILING)
    cold._render_pos = start
    cold._position = start
    cold_mix, _ = delivered(cold, plan.frames - start, 1000)
    assert np.abs(cold_mix - whole[start:]).max() > 1e-3


def test_mix_only_source_delivers_no_stems(plan):
    stream = MasterStream(track_source(plan, False), RATE, 0.0, CEILING)
    block = stream.read(1000)
    assert block.stems is None and block.mix.shape == (1000, 2) and stream.position == 1000


def test_gain_change_ramps_without_a_step(plan):
    stream = MasterStream(track_source(plan, False), RATE, -20.0, CEILING)
    before = stream.read(RATE // 2).mix
    stream.set_norm_db(-14.0, ramp_frames=RATE // 20)  # 50 ms
    after = stream.read(RATE // 2).mix
    # The bed is a steady 110 Hz sine: its envelope rises smoothly by 6 dB over ~50 ms.
    env = np.abs(np.concatenate([before, after])[:, 0]).reshape(-1, 480)  # 10 ms windows
    peaks = env.max(axis=1)
    steps = np.diff(20 * np.log10(peaks[40:70]))
    assert 20 * np.log10(peaks[-1] / peaks[0]) == pytest.approx(6.0, abs=0.2)
    assert steps.max() < 2.0  # no 6 dB jump from one window to the next
