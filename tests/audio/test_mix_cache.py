"""The whole-mix measurement is kept in the cache by everything that shapes the mix."""

import os
from pathlib import Path

import numpy as np
import pytest

from audiostudio.audio.master import premaster_loudness
from audiostudio.audio.mix_cache import measure_mix, mix_key
from audiostudio.audio.mixer import build_plan
from tests.audio.test_master import CEILING, loud_scene

TARGET = -14.0  # loud enough that the limiter passes run: the delivered curve is kept too


@pytest.fixture
def scene(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    return loud_scene(folder), folder, tmp_path / "cache"


def plan_of(project, folder, cache):
    return build_plan(project, folder, export=False, cache=cache)


def test_a_mix_is_measured_once_and_then_read_back(scene):
    project, folder, cache = scene
    fresh = premaster_loudness(plan_of(project, folder, cache), None, TARGET, CEILING)
    first = measure_mix(plan_of(project, folder, cache), cache, None, TARGET, CEILING)
    assert first.normalisation.passes >= 1 and first.normalisation.short_term is not None
    assert first.integrated == fresh.integrated and first.norm_db == fresh.norm_db
    (entry,) = (cache / "levels").glob("mix-*.npz")

    # What a hit returns is the entry: doctor it, and the doctored value comes back.
    with np.load(entry) as data:
        stored = dict(data)
    stored["scalars"][0] = -99.0
    with entry.open("wb") as out:
        np.savez(out, **stored)
    again = measure_mix(plan_of(project, folder, cache), cache, None, TARGET, CEILING)
    assert again.integrated == -99.0
    norm, kept = again.normalisation, first.normalisation
    assert (norm.norm_db, norm.delivered_lufs, norm.target_lufs, norm.ceiling_dbtp,
            norm.passes) == (kept.norm_db, kept.delivered_lufs, TARGET, CEILING, kept.passes)
    np.testing.assert_array_equal(again.short_term, first.short_term)
    np.testing.assert_array_equal(again.delivered_short_term, first.delivered_short_term)


def test_the_key_follows_the_mix_the_settings_and_the_files(scene):
    project, folder, cache = scene
    key = mix_key(plan_of(project, folder, cache), TARGET, CEILING)
    assert key == mix_key(plan_of(project, folder, cache), TARGET, CEILING)  # rebuilt: same
    assert key != mix_key(plan_of(project, folder, cache), -16.0, CEILING)
    assert key != mix_key(plan_of(project, folder, cache), TARGET, -2.0)
    project.tracks[0].clips[0].gain_db = -1.0
    assert key != mix_key(plan_of(project, folder, cache), TARGET, CEILING)
    project.tracks[0].clips[0].gain_db = 0.0
    assert key == mix_key(plan_of(project, folder, cache), TARGET, CEILING)
    bed = folder / "assets" / "bed.wav"
    stat = bed.stat()
    os.utime(bed, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))  # edited in place
    assert key != mix_key(plan_of(project, folder, cache), TARGET, CEILING)


def test_a_damaged_entry_or_an_unwritable_cache_measures_again(scene):
    project, folder, cache = scene
    first = measure_mix(plan_of(project, folder, cache), cache, None, TARGET, CEILING)
    (entry,) = (cache / "levels").glob("mix-*.npz")
    entry.write_bytes(b"not numpy")
    again = measure_mix(plan_of(project, folder, cache), cache, None, TARGET, CEILING)
    assert again.integrated == first.integrated
    assert measure_mix(plan_of(project, folder, cache), cache, None, TARGET,
                       CEILING).integrated == first.integrated  # the entry was written anew
    blocked = Path(cache / "blocked")
    blocked.write_text("a file where the cache folder should be")
    third = measure_mix(plan_of(project, folder, cache), blocked, None, TARGET, CEILING)
    assert third.integrated == first.integrated and not list(cache.glob("**/*.part"))


def test_silence_keeps_its_missing_loudness(scene):
    project, folder, cache = scene
    for track in project.tracks:
        track.mute = True
    for _ in range(2):  # measured, then read back
        loudness = measure_mix(plan_of(project, folder, cache), cache, None, TARGET, CEILING)
        assert loudness.integrated is None and loudness.normalisation.delivered_lufs is None
    assert len(list((cache / "levels").glob("mix-*.npz"))) == 1
