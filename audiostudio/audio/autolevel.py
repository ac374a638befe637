"""Auto-level: each clip's gain set from its audio's measured loudness, by kind.

Voice clips go to the mix's ``dialogue_lufs`` (their speech-gated loudness, so the pauses
between words do not count), SFX ``sfx_under_lu`` under it, and music so that it sits
``music_under_lu`` under the dialogue while the voice plays. It is a clip gain: the clip's own
``gain_db``, its fades, the track fader and the ducking all apply on top. So a ducked bed is set
``|depth_db|`` higher, and the duck takes it down to its place under the voice; between the
lines it comes up by the depth, never above the dialogue level. A bed that is not ducked sits
``music_under_lu`` under all the time; in a scene without voice music is the scene, at the
dialogue level. A clip's ``auto_gain_db`` fixes its gain;
a track with ``auto_level: false`` (or of kind "audio": imported or reference audio) is left
alone. Nothing is written into the audio: the gain is recomputed from the model at every
render, so a new take is levelled as soon as it plays.

Each audio file is measured once, cached in the user cache's ``levels/`` folder by the asset's
fingerprint (an asset's name is the SHA-256 of its bytes; other files by ``file_key``): a few
bytes of JSON, and a measurement costs about a decode (~10 ms per minute of audio).
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from audiostudio.audio.decode import AudioSource
from audiostudio.audio.file_key import file_key
from audiostudio.audio.loudness import LoudnessMeter
from audiostudio.caches import LEVELS, mark_used, write_atomically
from audiostudio.model import AutoLevel, Clip, Project, Track

LEVELLED_KINDS = ("voice", "music", "sfx")
MAX_GAIN_DB = 30.0  # a nearly silent clip (a lone breath) is not lifted by 50 dB
MEASURE_VERSION = 1  # part of the cache key: a change in the measurement re-measures
READ_FRAMES = 1 << 16
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SourceLevel:
    """One audio file measured: BS.1770 integrated and speech-gated loudness, LUFS."""

    integrated: float | None
    speech: float | None

    def of_kind(self, kind: str) -> float | None:
        """The level auto-level uses: speech-gated for voice, integrated otherwise."""
        if kind == "voice" and self.speech is not None:
            return self.speech
        return self.integrated


@dataclass(frozen=True)
class AutoGain:
    gain_db: float  # what the render applies before the clip's own gain_db
    measured_lufs: float | None  # the clip's level (None: fixed, or unmeasurable)
    target_lufs: float | None  # where its kind sits (None: fixed by the clip)

    @property
    def fixed(self) -> bool:
        return self.target_lufs is None


def measure_source(source: AudioSource, rate: int) -> SourceLevel:
    """Loudness of a whole source. Audio shorter than a gating block (a click, a blip) has no
    integrated loudness; its ungated level stands in, so it is levelled too."""
    meter = LoudnessMeter(rate, source.channels, true_peak=False)
    for start in range(0, source.frames, READ_FRAMES):
        block = source.read(start, min(READ_FRAMES, source.frames - start))
        if not len(block):
            break
        meter.add(block)
    integrated = meter.integrated()
    if integrated is None and meter.frames:
        integrated = meter.recent(meter.frames / rate)
    speech = meter.speech_gated()
    return SourceLevel(integrated, integrated if speech is None else speech)


def _asset_key(path: Path) -> str:
    """The asset's content fingerprint (its name), else the file's identity."""
    return path.stem if _SHA256.fullmatch(path.stem) else file_key(path)


def _cache_file(path: Path, cache: Path) -> Path:
    return cache / LEVELS / f"{_asset_key(path)}-v{MEASURE_VERSION}.json"


def cached_level(path: Path, cache: Path) -> SourceLevel | None:
    """The cached measurement of ``path``, or None when it was never measured."""
    file = _cache_file(path, cache)
    try:
        data = json.loads(file.read_text("utf-8"))
    except (OSError, ValueError):
        return None  # missing, or damaged: measured again
    mark_used(file)
    return SourceLevel(data.get("integrated"), data.get("speech"))


def source_level(path: Path, source: AudioSource, rate: int, cache: Path) -> SourceLevel:
    """``path`` measured (through its render ``source``), once: later calls read the cache."""
    found = cached_level(path, cache)
    if found is not None:
        return found
    level = measure_source(source, rate)
    with contextlib.suppress(OSError):  # a read-only cache: measured again next time
        write_atomically(_cache_file(path, cache), lambda out: json.dump(
            {"integrated": level.integrated, "speech": level.speech}, out))
    return level


def levelled_kind(track: Track) -> str | None:
    """The kind auto-level treats the track's clips as; None: left alone."""
    if not track.auto_level or track.effective_kind not in LEVELLED_KINDS:
        return None
    return track.effective_kind


def has_dialogue(project: Project) -> bool:
    """Whether the scene has voice: a voice clip with audio on a track in the mix. Mute and
    solo do not count, so soloing the bed in preview does not change its level."""
    return any(t.in_mix and t.effective_kind == "voice" and c.source and not c.mute
               for t in project.tracks for c in t.clips)


def ducked_by(project: Project, track: Track) -> float:
    """The duck depth in dB (<= 0) ``track`` gets while a key track plays; 0 if none ducks it."""
    keys = any(t.in_mix and t.duck_role == "key" and t.clips for t in project.tracks)
    return min(0.0, project.mix.duck.depth_db) if keys and track.duck_role == "ducked" else 0.0


def kind_target(settings: AutoLevel, kind: str, dialogue: bool, duck_db: float = 0.0) -> float:
    """Where a clip of ``kind`` sits, in LUFS, before ducking (``duck_db``: its depth)."""
    if kind == "music":
        if not dialogue:
            return settings.dialogue_lufs
        return min(settings.dialogue_lufs, settings.dialogue_lufs - settings.music_under_lu
                   - duck_db)
    if kind == "sfx":
        return settings.dialogue_lufs - settings.sfx_under_lu
    return settings.dialogue_lufs


def enabled(project: Project) -> bool:
    settings = project.mix.auto_level
    return settings is not None and settings.enabled


def clip_gain(project: Project, track: Track, clip: Clip, level: SourceLevel | None,
              dialogue: bool) -> AutoGain | None:
    """The auto-level gain of ``clip`` (None: auto-level does not touch it). ``level``: its
    audio measured (None: not measured yet); ``dialogue``: ``has_dialogue(project)``."""
    kind = levelled_kind(track)
    if not enabled(project) or kind is None:
        return None
    if clip.auto_gain_db is not None:
        return AutoGain(clip.auto_gain_db, None, None)
    assert project.mix.auto_level is not None
    target = kind_target(project.mix.auto_level, kind, dialogue, ducked_by(project, track))
    measured = None if level is None else level.of_kind(kind)
    if measured is None or not math.isfinite(measured):
        return AutoGain(0.0, None, target)  # silence is never boosted
    gain = max(-MAX_GAIN_DB, min(MAX_GAIN_DB, target - measured))
    return AutoGain(gain, measured, target)
