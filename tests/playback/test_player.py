"""Live preview against the null sink: it plays in real time exactly what export writes."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
import soundfile as sf

from audiostudio.audio.loudness import LoudnessMeter, gain_to_target_db
from audiostudio.audio.master import MasterBlock, MasterStream, track_source
from audiostudio.audio.mixer import build_plan, render
from audiostudio.export.render import ExportOptions, export_project
from audiostudio.model.store import load_project
from audiostudio.playback.feeder import Feeder
from audiostudio.playback.loop import LoopStream
from audiostudio.playback.player import Player
from audiostudio.playback.ring import RingBuffer
from audiostudio.playback.sink import NullSink
from audiostudio.settings import cache_dir
from tests.conftest import RATE, SAMPLE_PROJECT


def test_ring_wraps_and_refuses_stale_epochs():
    ring = RingBuffer(10)
    epoch, _ = ring.restart(100)
    data = np.arange(14, dtype=np.float32).reshape(7, 2)
    assert ring.write(data, epoch) == 7
    out = np.zeros((5, 2), np.float32)
    assert ring.read_into(out) == 5 and ring.read_frame() == 105
    assert ring.write(data, epoch) == 7  # wraps around the end
    got = np.zeros((9, 2), np.float32)
    assert ring.read_into(got) == 9
    np.testing.assert_array_equal(got, np.concatenate([data[5:], data]))
    assert ring.write(np.zeros((11, 2), np.float32), epoch) == 10  # only what fits
    ring.read_into(np.zeros((10, 2), np.float32))
    new_epoch, at = ring.restart()  # from where reading is: drops nothing already read
    assert at == 124 and ring.write(data, epoch) == -1 and ring.available() == 0
    assert ring.write(data, new_epoch) == 7


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The sample project, its exported mix (32-bit float) and a stream opener for preview."""
    loaded = load_project(SAMPLE_PROJECT)
    out = tmp_path_factory.mktemp("export")
    export_project(loaded.project, loaded.folder, out, ExportOptions(bit_depth="32f"),
                   cache=cache_dir())
    mix, _ = sf.read(str(out / "mix.wav"), dtype="float32", always_2d=True)
    plan = build_plan(loaded.project, loaded.folder, export=False, cache=cache_dir())
    meter = LoudnessMeter(RATE, 2, true_peak=False)
    meter.add(render(plan, 0, plan.frames))
    norm_db = gain_to_target_db(meter.integrated(), loaded.project.mix.target_lufs)
    ceiling = loaded.project.mix.true_peak_ceiling_dbtp

    def opener(gain_db: float = 0.0):
        return lambda frame: MasterStream(track_source(plan, stems=True), RATE,
                                          norm_db + gain_db, ceiling, start=frame, block_frames=960)

    return mix, opener


@contextmanager
def playing_into(sink: NullSink, open_stream) -> Iterator[Player]:
    """A player on ``sink`` with ``open_stream`` as its source, closed afterwards."""
    player = Player(RATE, sink)
    try:
        player.set_source(open_stream)
        yield player
    finally:
        player.close()


def play_for(player: Player, seconds: float, frame: int) -> None:
    player.play(frame)
    time.sleep(seconds)
    player.pause()


def test_preview_plays_the_exported_samples(sample):
    mix, opener = sample
    sink = NullSink(RATE, record=True)
    with playing_into(sink, opener()) as player:
        start = 5 * RATE
        play_for(player, 0.6, start)
        heard = np.concatenate(sink.recording)
        assert 0.45 * RATE < len(heard) < 0.8 * RATE
        np.testing.assert_allclose(heard, mix[start:start + len(heard)], atol=2e-6)
        assert player.underruns == 0
        assert player.position() == start + len(heard)
        levels = player.levels()
        assert levels is not None and len(levels.track_peaks) == 3  # the sample's tracks


def test_position_moves_in_real_time_and_seek_jumps(sample):
    _mix, opener = sample
    with playing_into(NullSink(RATE), opener()) as player:
        player.play(RATE)
        time.sleep(0.5)
        moved = player.position() - RATE
        assert 0.4 * RATE < moved < 0.6 * RATE
        player.seek(20 * RATE)
        assert player.position() == 20 * RATE  # at once, before a block is heard
        time.sleep(0.2)
        assert 20 * RATE < player.position() < 20.4 * RATE
        player.pause()
        paused_at = player.position()
        time.sleep(0.1)
        assert player.position() == paused_at and not player.playing


def test_an_edit_is_heard_within_100_ms(sample):
    mix, opener = sample
    sink = NullSink(RATE, record=True)
    with playing_into(sink, opener()) as player:
        player.play(2 * RATE)
        time.sleep(0.3)
        changed_at = player.position()
        player.set_source(opener(gain_db=-40.0))  # as a fader pulled down while listening
        time.sleep(0.3)
        player.pause()
        heard = np.concatenate(sink.recording)
        later = changed_at - 2 * RATE + round(0.1 * RATE)
        quiet = np.abs(heard[later:]).max()
        loud = np.abs(mix[2 * RATE + later:2 * RATE + len(heard)]).max()
        assert quiet < loud * 10 ** (-30 / 20)


def test_a_device_at_another_rate_gets_converted_audio(sample):
    mix, opener = sample
    sink = NullSink(44100, record=True)
    with playing_into(sink, opener()) as player:
        play_for(player, 0.5, 8 * RATE)
        heard = np.concatenate(sink.recording)
        assert player.underruns == 0
        # Same loudness as the project-rate mix over the same span.
        seconds = len(heard) / 44100
        ref = mix[8 * RATE:8 * RATE + round(seconds * RATE)]
        rms = lambda x: float(np.sqrt(np.mean(x[2000:-2000] ** 2)))  # noqa: E731
        assert rms(heard) == pytest.approx(rms(ref), rel=0.05)
        assert player.position() == pytest.approx(8 * RATE + seconds * RATE, abs=0.01 * RATE)


def test_a_render_error_stops_with_a_message():
    def broken(frame):
        raise OSError("assets/voice.wav: no such file")

    with playing_into(NullSink(RATE), broken) as player:
        player.play(0)
        deadline = time.monotonic() + 2
        while player.error is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "voice.wav" in (player.error or "")


def test_loop_wraps_seamlessly_and_the_position_follows(sample):
    mix, opener = sample
    sink = NullSink(RATE, record=True)
    with playing_into(sink, opener()) as player:
        start, end = 3 * RATE, 3 * RATE + RATE // 4  # a 250 ms loop
        player.set_loop((start, end))
        play_for(player, 0.7, start)
        heard = np.concatenate(sink.recording)
        lap = end - start
        assert len(heard) > 2 * lap
        whole_laps = heard[:len(heard) // lap * lap].reshape(-1, lap, 2)
        # Every lap is the export's range (the first right from the stream's warm-up on).
        for number, played in enumerate(whole_laps):
            np.testing.assert_allclose(played, mix[start:end], atol=2e-6, err_msg=f"lap {number}")
        assert start <= player.position() < end
        assert player.underruns == 0


def test_a_splice_keeps_what_is_queued_up_to_the_cut():
    ring = RingBuffer(100)
    epoch, _ = ring.restart(1000)
    ring.write(np.arange(80, dtype=np.float32).reshape(40, 2), epoch)
    ring.read_into(np.zeros((10, 2), np.float32))
    cut, frame, at_epoch = ring.cut_point(5)  # 5 of the 30 unread frames stay
    assert (cut, frame, at_epoch) == (15, 1015, epoch)
    new_epoch, frame = ring.splice(cut, at_epoch)
    assert frame == 1015 and ring.available() == 5
    assert ring.write(np.zeros((3, 2), np.float32), epoch) == -1  # the old stream's: refused
    ring.write(np.full((3, 2), -1, np.float32), new_epoch)
    out = np.zeros((8, 2), np.float32)
    assert ring.read_into(out) == 8
    np.testing.assert_array_equal(out[:5, 0], [20, 22, 24, 26, 28])
    assert (out[5:] == -1).all() and ring.read_frame() == 1018
    assert ring.cut_point(50)[:2] == (18, 1018)  # less queued than asked: the end of it


def test_a_splice_refuses_a_cut_already_read_or_after_a_seek():
    ring = RingBuffer(100)
    epoch, _ = ring.restart(0)
    ring.write(np.zeros((40, 2), np.float32), epoch)
    cut, _, at_epoch = ring.cut_point(5)
    ring.read_into(np.zeros((6, 2), np.float32))  # the reader is past the cut
    assert ring.splice(cut, at_epoch) is None and ring.available() == 34
    cut, _, at_epoch = ring.cut_point(5)
    ring.restart(500)  # a seek meanwhile
    assert ring.splice(cut, at_epoch) is None and ring.read_frame() == 500


@pytest.mark.parametrize(("looping", "open_s"), [(False, 0.15), (True, 0.0), (True, 0.15)])
def test_an_edit_is_spliced_in_without_a_gap(sample, looping, open_s):
    """A fader pulled while listening, also while a selection loops: the old mix plays on
    from the ring, the new one takes over a little later, no gap, no repeat. ``open_s``: a
    warm-up slower than what the ring keeps (a 32-track scene on a loaded machine), three
    times the 50 ms an edit normally keeps; the new stream then takes over further on (in a
    loop by the frames the reader moved, not by laps)."""
    mix, opener = sample
    sink = NullSink(RATE, record=True)
    quiet, opened = opener(gain_db=-40.0), []

    def slow_quiet(frame: int):
        if not opened:  # the splice's open, not each lap's
            time.sleep(open_s)
        opened.append(frame)
        return quiet(frame)

    start, end = 3 * RATE, 3 * RATE + RATE // 4
    with playing_into(sink, opener()) as player:
        if looping:
            player.set_loop((start, end))
        player.play(start)
        time.sleep(0.5)
        commanded = heard_so_far(sink)
        player.set_source(slow_quiet)
        time.sleep(0.6)
        player.pause()
        heard = np.concatenate(sink.recording)
        assert player.underruns == 0
        if looping:
            lap = mix[start:end]
            old = np.tile(lap, (len(heard) // len(lap) + 1, 1))[:len(heard)]
        else:
            old = mix[start:start + len(heard)]
        assert_taken_over(heard, old, commanded, within_s=0.5)


def heard_so_far(sink: NullSink) -> int:
    return sum(len(chunk) for chunk in list(sink.recording))


def assert_taken_over(heard: np.ndarray, old: np.ndarray, commanded: int,
                      within_s: float) -> None:
    """``heard`` is ``old`` up to one frame, a little after ``commanded`` (what the sink had
    taken when the edit came), then the same 40 dB down: no silence, no repeat between."""
    same_old = np.all(np.abs(heard - old) < 2e-6, axis=1)
    took_over = int(np.argmin(same_old))
    assert commanded + 0.04 * RATE < took_over < commanded + within_s * RATE, (
        (took_over - commanded) / RATE)
    assert same_old[:took_over].all()
    np.testing.assert_allclose(heard[took_over:], old[took_over:] * 10 ** (-40 / 20), atol=2e-6)


def test_a_slow_splice_into_a_long_loop_skips_by_frames_not_by_laps():
    """After a minute of a 0.25 s loop the ring's frames are 240 laps on from the loop's
    start, while a block's start wraps: a splice whose stream opened too slowly skips ahead
    by what the reader moved, not by every lap played (60 s of audio rendered for nothing)."""
    rendered = [0]

    class Counting:  # a silent stream that counts what it renders
        def __init__(self, frame: int) -> None:
            self.position = frame

        def read(self, frames: int) -> MasterBlock:
            rendered[0] += frames
            self.position += frames
            return MasterBlock(self.position - frames, np.zeros((1, frames, 2), np.float32),
                               np.ones(frames, np.float32), np.zeros((frames, 2), np.float32))

    ring = RingBuffer(round(0.3 * RATE))
    start, end = 3 * RATE, 3 * RATE + RATE // 4
    epoch, _ = ring.restart(start)
    lap = np.zeros((end - start, 2), np.float32)
    for _ in range(240):  # a minute of looping heard
        ring.write(lap, epoch)
        ring.read_into(lap.copy())
    ring.write(np.zeros((RATE // 4, 2), np.float32), epoch)  # and a quarter second queued
    feeder = Feeder(ring, RATE, RATE, RATE // 20)
    try:
        def slow_open(frame: int) -> LoopStream:
            stream = LoopStream(Counting, frame, start, end)
            ring.read_into(np.zeros((RATE // 8, 2), np.float32))  # the reader passes the cut
            return stream

        assert feeder._splice(slow_open) is not None
    finally:
        feeder.close()
    assert rendered[0] < RATE // 2, rendered[0] / RATE
