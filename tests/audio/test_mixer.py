"""The mixer on real files: placement, trims, loops, gains, fades, pan laws, solo/mute."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio.mixer import build_plan, render
from audiostudio.errors import MissingSourceError
from audiostudio.model import Clip, Project, Track
from audiostudio.settings import cache_dir
from tests.conftest import RATE, sine


def put(folder: Path, name: str, audio: np.ndarray) -> str:
    (folder / "assets").mkdir(exist_ok=True)
    sf.write(str(folder / "assets" / name), audio, RATE, subtype="FLOAT")
    return f"assets/{name}"


def project_with(*tracks: Track, length: float | None = None) -> Project:
    return Project(name="t", tracks=list(tracks), length=length)


def full(project: Project, folder: Path, **kw) -> np.ndarray:
    plan = build_plan(project, folder, **kw, cache=cache_dir())
    return render(plan, 0, plan.frames)


def ones(seconds: float, channels: int = 1) -> np.ndarray:
    return np.ones((round(seconds * RATE), channels), np.float32) * 0.5


def test_clip_at_3s_starts_at_sample_144000(tmp_path):
    src = put(tmp_path, "dc.wav", ones(1.0))
    clip = Clip("c1", start=3.0, source=src)
    mix = full(project_with(Track("t1", clips=[clip])), tmp_path)
    nonzero = np.nonzero(mix[:, 0])[0]
    assert nonzero[0] == 144000 and nonzero[-1] == 144000 + RATE - 1
    assert len(mix) == 4 * RATE


def test_offset_trim_and_silence_after_source(tmp_path):
    ramp = (np.arange(RATE, dtype=np.float32) / RATE)[:, None]
    src = put(tmp_path, "ramp.wav", ramp)
    clip = Clip("c1", start=0.0, offset=0.25, duration=1.0, source=src)
    mix = full(project_with(Track("t1", pan=-1.0, clips=[clip])), tmp_path)
    assert len(mix) == RATE
    np.testing.assert_allclose(mix[: 3 * RATE // 4, 0], ramp[RATE // 4 :, 0], atol=1e-6)
    assert not mix[3 * RATE // 4 :].any()  # past the source's end: silence, not a loop


def test_loop_repeats_the_source(tmp_path):
    src = put(tmp_path, "tone.wav", sine(100, 0.5))
    clip = Clip("c1", start=0.0, duration=2.0, loop=True, source=src)
    mix = full(project_with(Track("t1", pan=-1, clips=[clip])), tmp_path)
    np.testing.assert_allclose(mix[RATE : RATE + RATE // 2, 0], sine(100, 0.5)[:, 0], atol=1e-6)


def test_clip_and_track_gain_in_db(tmp_path):
    src = put(tmp_path, "dc.wav", ones(0.5, channels=2))
    clip = Clip("c1", source=src, gain_db=-6.0)
    mix = full(project_with(Track("t1", gain_db=-6.0, clips=[clip])), tmp_path)
    assert mix[100, 0] == pytest.approx(0.5 * 10 ** (-12 / 20), rel=1e-5)


@pytest.mark.parametrize(
    ("curve", "mid"), [("linear", 0.5), ("equal_power", np.sin(np.pi / 4)), ("s_curve", 0.5)]
)
def test_fade_curves_start_at_zero_and_reach_unity(tmp_path, curve, mid):
    src = put(tmp_path, "dc.wav", ones(2.0, channels=2) * 2)
    clip = Clip("c1", source=src, fade_in=1.0, fade_in_curve=curve, fade_out=0.5,
                fade_out_curve=curve)
    mix = full(project_with(Track("t1", clips=[clip])), tmp_path)
    assert mix[0, 0] == 0.0  # no click: the fade starts from silence
    assert mix[RATE // 2, 0] == pytest.approx(mid, abs=1e-3)
    assert mix[RATE + 10, 0] == pytest.approx(1.0)
    assert mix[-1, 0] == pytest.approx(0.0, abs=1e-9)
    assert np.all(np.diff(mix[:RATE, 0]) >= -1e-7)  # monotonic: no zipper or jump


def test_pan_laws(tmp_path):
    mono = put(tmp_path, "mono.wav", ones(0.2))
    stereo = put(tmp_path, "stereo.wav", ones(0.2, channels=2))

    def level(src: str, pan: float) -> np.ndarray:
        mix = full(project_with(Track("t", pan=pan, clips=[Clip("c", source=src)])), tmp_path)
        return mix[100] / 0.5

    np.testing.assert_allclose(level(mono, 0.0), [10 ** (-3.0103 / 20)] * 2, rtol=1e-4)
    np.testing.assert_allclose(level(mono, -1.0), [1.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(level(stereo, 0.0), [1.0, 1.0])  # balance: unity at centre
    np.testing.assert_allclose(level(stereo, 0.5), [0.5, 1.0])
    np.testing.assert_allclose(level(stereo, -1.0), [1.0, 0.0])


def test_mute_solo_and_reference_tracks(tmp_path):
    a = put(tmp_path, "a.wav", ones(0.1, 2))
    b = put(tmp_path, "b.wav", ones(0.1, 2) * 0.5)

    def mix_of(*tracks, export=True):
        return full(project_with(*tracks), tmp_path, export=export)[10, 0]

    assert mix_of(Track("1", clips=[Clip("x", source=a)]),
                  Track("2", clips=[Clip("y", source=b)])) == pytest.approx(0.75)
    assert mix_of(Track("1", mute=True, clips=[Clip("x", source=a)]),
                  Track("2", clips=[Clip("y", source=b)])) == pytest.approx(0.25)
    assert mix_of(Track("1", clips=[Clip("x", source=a)]),
                  Track("2", solo=True, clips=[Clip("y", source=b)])) == pytest.approx(0.25)
    reference = Track("r", in_mix=False, clips=[Clip("x", source=a)])
    assert mix_of(reference, Track("2", clips=[Clip("y", source=b)])) == pytest.approx(0.25)
    reference.solo = True  # a soloed reference track is heard in preview, never exported
    assert mix_of(reference, Track("2", clips=[Clip("y", source=b)]), export=False) == 0.5


def test_overlapping_clips_sum_and_split_halves_meet(tmp_path):
    noise = np.random.default_rng(1).uniform(-0.4, 0.4, (RATE, 2)).astype(np.float32)
    src = put(tmp_path, "noise.wav", noise)
    whole = full(project_with(Track("t", clips=[Clip("w", start=0.5, source=src)])), tmp_path)
    split_at = 0.5 + 0.3333333
    left = Clip("l", start=0.5, duration=split_at - 0.5, source=src)
    right = Clip("r", start=split_at, offset=split_at - 0.5, duration=1.5 - split_at, source=src)
    halves = full(project_with(Track("t", clips=[left, right])), tmp_path)
    np.testing.assert_array_equal(whole, halves)  # sample-exact: no gap, no double sample


def test_range_render_equals_full_render(tmp_path):
    rng = np.random.default_rng(2)
    voice = put(tmp_path, "v.wav", rng.uniform(-0.3, 0.3, (RATE * 2, 1)).astype(np.float32))
    music = put(tmp_path, "m.wav", sine(220, 3.0, channels=2))
    project = project_with(
        Track("v", kind="voice", clips=[Clip("v1", start=1.1, source=voice, fade_in=0.2)]),
        Track("m", kind="music", pan=0.3, clips=[
            Clip("m1", start=0.0, duration=6.0, loop=True, source=music, fade_out=1.0)]),
    )
    plan = build_plan(project, tmp_path, cache=cache_dir())
    everything = render(plan, 0, plan.frames)
    for start, end in [(0, 1000), (12345, 98765), (RATE * 2 + 7, RATE * 5 - 3)]:
        np.testing.assert_array_equal(render(plan, start, end), everything[start:end])


def test_missing_source_names_the_clip_unless_skipped(tmp_path):
    track = Track("t", name="Narration", clips=[Clip("c1", name="Line 1", start=0, duration=1)])
    with pytest.raises(MissingSourceError, match="Line 1"):
        build_plan(project_with(track), tmp_path, cache=cache_dir())
    plan = build_plan(project_with(track), tmp_path, skip_missing=True, cache=cache_dir())
    assert plan.frames == RATE and not render(plan, 0, plan.frames).any()
    track.clips[0].source = "assets/gone.wav"
    with pytest.raises(MissingSourceError, match="missing"):
        build_plan(project_with(track), tmp_path, cache=cache_dir())


def test_resolves_to_the_export_rate(tmp_path):
    src = put(tmp_path, "tone.wav", sine(1000, 1.0))
    plan = build_plan(project_with(Track("t", clips=[Clip("c", start=1.0, source=src)])),
                      tmp_path, rate=44100, cache=cache_dir())
    mix = render(plan, 0, plan.frames)
    assert len(mix) == 2 * 44100 and np.nonzero(mix[:, 0])[0][0] == 44100


def test_each_plan_reads_through_handles_of_its_own(tmp_path):
    """An export holding its file handles never makes the preview wait for a read."""
    import threading

    src = put(tmp_path, "dc.wav", ones(2.0))
    project = project_with(Track("t1", clips=[Clip("c1", start=0.0, source=src)]))
    preview = build_plan(project, tmp_path, export=False, cache=cache_dir())
    export = build_plan(project, tmp_path, cache=cache_dir())
    busy = export.tracks[0].clips[0].source._handles
    read = threading.Event()
    with busy.lock:  # the export is in the middle of a read
        reader = threading.Thread(
            target=lambda: (preview.tracks[0].clips[0].source.read(0, 100), read.set()))
        reader.start()
        assert read.wait(2.0)
    reader.join()
