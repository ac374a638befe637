"""Auto-level: clip gains from measured loudness, by kind; measurements cached per asset."""

import json
from dataclasses import fields
from pathlib import Path

import jsonschema
import numpy as np
import pyloudnorm
import pytest

from audiostudio.audio.autolevel import (
    cached_level,
    clip_gain,
    has_dialogue,
    measure_source,
    source_level,
)
from audiostudio.audio.decode import open_source
from audiostudio.audio.loudness import LoudnessMeter
from audiostudio.audio.mixer import build_plan, render
from audiostudio.caches import LEVELS
from audiostudio.errors import ProjectFormatError
from audiostudio.model import AutoLevel, Clip, Mix, Project, Track
from audiostudio.model.assets import import_asset
from tests.conftest import RATE, sine


def _syllables(seconds: float, level: float, rate: int = RATE) -> np.ndarray:
    """A voice-like test line: 200 ms harmonic syllables 100 ms apart in 1.8 s phrases, 2.2 s
    pauses of room tone at -50 dBFS between them."""
    t = np.arange(round(seconds * rate)) / rate
    tone = sum(np.sin(2 * np.pi * f * t) / k for k, f in enumerate((180, 360, 540, 900), 1))
    on = ((t % 0.3) < 0.2) & ((t % 4.0) < 1.8)
    room = np.random.default_rng(3).standard_normal(len(t)) * 10 ** (-50 / 20)
    return ((tone * on * level) + room).astype(np.float32)[:, None]


def test_speech_gated_level_leaves_the_pauses_out():
    line = _syllables(8.0, 0.3)
    meter = LoudnessMeter(RATE, 1)
    meter.add(line)
    t = np.arange(len(line)) / RATE
    words = LoudnessMeter(RATE, 1)
    words.add(line[((t % 0.3) < 0.2) & ((t % 4.0) < 1.8)])  # the syllables alone
    assert meter.speech_gated() == pytest.approx(words.integrated(), abs=0.5)
    # 400 ms gating blocks count the gaps between the syllables: the integrated level is lower
    assert meter.integrated() < meter.speech_gated() - 1.0


def test_a_source_is_measured_once_and_cached_by_its_asset_fingerprint(tmp_path, write_wav):
    folder = tmp_path / "p"
    rel = import_asset(folder, write_wav("bed.wav", sine(220, 3.0, 0.25)))
    path = folder / rel
    cache = tmp_path / "cache"
    source = open_source(path, RATE, cache)
    level = source_level(path, source, RATE, cache)
    assert level.integrated == pytest.approx(
        pyloudnorm.Meter(RATE).integrated_loudness(sine(220, 3.0, 0.25)[:, 0]), abs=0.1)
    [stored] = (cache / LEVELS).iterdir()
    assert stored.name.startswith(path.stem)  # the asset's own SHA-256 name
    # a later call reads the cache (a changed cache value shows it is not measured again)
    stored.write_text(json.dumps({"integrated": -42.0, "speech": -41.0}))
    assert source_level(path, source, RATE, cache).integrated == -42.0
    assert cached_level(folder / "assets" / ("0" * 64 + ".wav"), cache) is None


def test_a_short_blip_has_a_level_too(tmp_path, write_wav):
    path = write_wav("blip.wav", sine(1000, 0.2, 0.5))
    level = measure_source(open_source(path, RATE, tmp_path), RATE)
    assert level.integrated == pytest.approx(-9.0, abs=0.5)  # ungated: a 1 kHz sine at -6 dBFS


def _project(auto: AutoLevel | None, *tracks: Track) -> Project:
    return Project(tracks=list(tracks), mix=Mix(auto_level=auto))


def _track(kind: str, **kw) -> Track:
    return Track(f"t-{kind}", kind=kind, clips=[Clip(f"c-{kind}", source="assets/x.wav")], **kw)


class _Level:
    def __init__(self, lufs: float) -> None:
        self.integrated = self.speech = lufs

    def of_kind(self, _kind: str) -> float:
        return self.integrated


@pytest.mark.parametrize(("kind", "measured", "expected_db"), [
    ("voice", -30.0, 12.0),  # to the dialogue level, -18
    ("sfx", -10.0, -14.0),  # 6 LU under: -24
    ("music", -10.0, -12.0),  # ducked 12 dB while voice plays: set to -18 - 16 + 12 = -22
])
def test_each_kind_goes_to_its_level(kind, measured, expected_db):
    voice, sfx, music = _track("voice"), _track("sfx"), _track("music")
    project = _project(AutoLevel(), voice, sfx, music)
    track = {"voice": voice, "sfx": sfx, "music": music}[kind]
    gain = clip_gain(project, track, track.clips[0], _Level(measured), has_dialogue(project))
    assert gain is not None and gain.gain_db == pytest.approx(expected_db)


def test_music_not_ducked_sits_under_the_voice_and_alone_it_is_not_lowered():
    voice, music = _track("voice"), _track("music", duck="none")
    project = _project(AutoLevel(music_under_lu=18.0), voice, music)
    gain = clip_gain(project, music, music.clips[0], _Level(-10.0), has_dialogue(project))
    assert gain.target_lufs == -36.0
    alone = _project(AutoLevel(), _track("music"))
    track = alone.tracks[0]
    gain = clip_gain(alone, track, track.clips[0], _Level(-10.0), has_dialogue(alone))
    assert gain.target_lufs == -18.0 and gain.gain_db == pytest.approx(-8.0)


def test_what_auto_level_leaves_alone():
    voice = _track("voice")
    level = _Level(-30.0)
    # a file from before auto-level, or switched off: as today
    assert clip_gain(_project(None, voice), voice, voice.clips[0], level, True) is None
    off = _project(AutoLevel(enabled=False), voice)
    assert clip_gain(off, voice, voice.clips[0], level, True) is None
    # a track switched off, an "audio" track
    quiet = _track("voice", auto_level=False)
    assert clip_gain(_project(AutoLevel(), quiet), quiet, quiet.clips[0], level, True) is None
    audio = _track("audio")
    assert clip_gain(_project(AutoLevel(), audio), audio, audio.clips[0], level, True) is None
    # a fixed gain wins; silence is never boosted; nothing is lifted by more than 30 dB
    voice.clips[0].auto_gain_db = -2.5
    assert clip_gain(_project(AutoLevel(), voice), voice, voice.clips[0], level, True).gain_db \
        == -2.5
    voice.clips[0].auto_gain_db = None
    assert clip_gain(_project(AutoLevel(), voice), voice, voice.clips[0], None, True).gain_db \
        == 0.0
    assert clip_gain(_project(AutoLevel(), voice), voice, voice.clips[0], _Level(-90.0),
                     True).gain_db == 30.0


def test_the_plan_applies_the_gain_and_a_new_take_is_levelled_again(tmp_path, write_wav):
    folder = tmp_path / "p"
    loud = import_asset(folder, write_wav("loud.wav", _syllables(4.0, 0.5)))
    quiet = import_asset(folder, write_wav("quiet.wav", _syllables(4.0, 0.02)))
    clip = Clip("c-line", source=loud, source_duration=4.0)
    project = _project(AutoLevel(), Track("t-v", kind="voice", clips=[clip]))
    cache = tmp_path / "cache"

    def rendered_level() -> float:
        plan = build_plan(project, folder, cache=cache)
        mix = render(plan, 0, plan.frames)
        meter = LoudnessMeter(RATE, 2)
        meter.add(mix)
        return meter.speech_gated()

    # centre-panned mono: -3 dB per side, the same loudness over both
    assert rendered_level() == pytest.approx(-18.0, abs=0.2)
    clip.source = quiet  # another take, 28 dB quieter
    assert rendered_level() == pytest.approx(-18.0, abs=0.2)
    clip.gain_db = 4.0  # the clip's own gain applies on top
    assert rendered_level() == pytest.approx(-14.0, abs=0.2)
    project.mix.auto_level = None  # off: the quiet take as it is, with its own gain
    as_it_is = LoudnessMeter(RATE, 1)
    as_it_is.add(_syllables(4.0, 0.02))
    assert rendered_level() == pytest.approx(as_it_is.speech_gated() + 4.0, abs=0.2)



def test_the_keys_are_optional_and_documented_by_the_schema():
    import audiostudio.model as model_package
    from audiostudio.model.schema import project_from_dict, project_to_dict

    schema = json.loads((Path(model_package.__file__).parent / "project.schema.json")
                        .read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    old = {"format": "audiostudio-project", "version": 1,
           "tracks": [{"id": "t", "kind": "voice", "clips": [{"id": "c"}]}]}
    project = project_from_dict(old)  # a file from before: no auto-level, as it played then
    assert project.mix.auto_level is None and project.tracks[0].auto_level is True
    assert project.tracks[0].clips[0].auto_gain_db is None
    project.mix.auto_level = AutoLevel(music_under_lu=18.0)
    project.tracks[0].clips[0].auto_gain_db = 3.5
    saved = project_to_dict(project)
    validator.validate(saved)
    assert [f.name for f in fields(AutoLevel) if f.name != "extra"] == list(
        schema["$defs"]["auto_level"]["properties"])
    again = project_from_dict(saved)
    assert again.mix.auto_level.music_under_lu == 18.0
    assert again.tracks[0].clips[0].auto_gain_db == 3.5
    saved["mix"]["auto_level"]["music_under_lu"] = -1
    assert not validator.is_valid(saved)
    with pytest.raises(ProjectFormatError, match="music_under_lu"):
        project_from_dict(saved)
