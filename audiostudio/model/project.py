"""Dataclasses for project format version 1 (see docs/project-format.md).

Attribute names are the JSON keys, so the format and the code read the same. Each class keeps the
keys it does not know in ``extra`` so they survive a load/save round trip (the format's rule).
Serialisation and validation live in ``model/schema.py``, files in ``model/store.py``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

FORMAT_NAME = "audiostudio-project"
FORMAT_VERSION = 1

TRACK_KINDS = ("voice", "sfx", "music", "audio")
REQUEST_KINDS = ("voice", "sfx", "music")
DUCK_ROLES = ("key", "ducked", "none")
FADE_CURVES = ("linear", "equal_power", "s_curve")
DEFAULT_DUCK_ROLE = {"voice": "key", "music": "ducked"}


def new_id(prefix: str) -> str:
    """A random id such as ``c-1a2b3c4d5e6f``: pasting between projects never collides."""
    return f"{prefix}-{secrets.token_hex(6)}"


@dataclass
class FrameRate:
    num: int
    den: int = 1
    drop_frame: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def fps(self) -> float:
        return self.num / self.den


@dataclass
class Marker:
    id: str
    time: float = 0.0
    label: str = ""
    script: dict[str, Any] | None = None  # where a script import placed it (model/reflow.py)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class CastEntry:
    provider: str = "offline"
    voice: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Request:
    kind: str
    provider: str = "offline"
    model: str | None = None
    text: str | None = None
    prompt: str | None = None
    lyrics: str | None = None
    voice: str | None = None
    duration: float | None = None
    seed: int | None = None
    variants: int = 1
    fit: bool = False  # voice: generate the line to the clip's duration (sent as ``duration``)
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Take:
    source: str
    request_hash: str | None = None
    cache_key: str | None = None
    request: Request | None = None
    seed: int | None = None
    provider: str | None = None
    model: str | None = None
    engine_version: str | None = None
    created: str | None = None
    request_id: str | None = None
    cost: dict[str, Any] | None = None
    variant: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Clip:
    id: str
    name: str = ""
    start: float = 0.0
    duration: float | None = None  # None = length of source - offset
    offset: float = 0.0
    loop: bool = False
    gain_db: float = 0.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    fade_in_curve: str = "equal_power"
    fade_out_curve: str = "equal_power"
    mute: bool = False
    locked: bool = False
    color: str | None = None
    speaker: str | None = None
    source: str | None = None
    source_duration: float | None = None
    request: Request | None = None
    takes: list[Take] = field(default_factory=list)
    take: int | None = None
    auto_gain_db: float | None = None  # None = measured by the mix's auto-level; set = fixed
    script: dict[str, Any] | None = None  # where a script import placed it (model/reflow.py)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def length(self) -> float | None:
        """Seconds the clip lasts on the timeline, or None while unknown (no source yet)."""
        if self.duration is not None:
            return self.duration
        if self.source_duration is not None:
            return max(0.0, self.source_duration - self.offset)
        return None

    @property
    def end(self) -> float:
        return self.start + (self.length or 0.0)


@dataclass
class Track:
    id: str
    name: str = ""
    kind: str = "audio"
    gain_db: float = 0.0
    pan: float = 0.0
    mute: bool = False
    solo: bool = False
    in_mix: bool = True
    duck: str | None = None  # None = by kind
    color: str | None = None
    height: int | None = None
    locked: bool = False
    clips: list[Clip] = field(default_factory=list)
    auto_level: bool = True  # False: the mix's auto-level leaves this track's clips alone
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_kind(self) -> str:
        """Unknown kinds (from newer files) act as "audio"."""
        return self.kind if self.kind in TRACK_KINDS else "audio"

    @property
    def duck_role(self) -> str:
        if self.duck in DUCK_ROLES:
            return self.duck
        return DEFAULT_DUCK_ROLE.get(self.effective_kind, "none")


@dataclass
class Duck:
    depth_db: float = -12.0
    threshold_db: float = -30.0
    attack_ms: float = 80.0
    release_ms: float = 500.0
    hold_ms: float = 300.0
    lookahead_ms: float = 150.0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class AutoLevel:
    """Clip gains from measured loudness, by kind (audio/autolevel.py)."""

    enabled: bool = True
    dialogue_lufs: float = -18.0  # voice clips are brought to this (speech-gated)
    music_under_lu: float = 16.0  # music this far under the dialogue while the voice plays
    sfx_under_lu: float = 6.0  # sound effects this far under the dialogue
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Mix:
    target_lufs: float | None = -16.0
    true_peak_ceiling_dbtp: float = -1.0
    master_gain_db: float = 0.0
    duck: Duck = field(default_factory=Duck)
    auto_level: AutoLevel | None = None  # None (files from before it) = off, as they were
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Project:
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION
    min_reader_version: int = 1
    app_version: str | None = None
    revision: int = 0
    name: str | None = None  # None = the folder's name
    sample_rate_hz: int = 48000
    frame_rate: FrameRate | None = None
    start_timecode: str | None = None  # None = 00:00:00:00
    length: float | None = None
    tracks: list[Track] = field(default_factory=list)
    cast: dict[str, CastEntry] = field(default_factory=dict)
    mix: Mix = field(default_factory=Mix)
    markers: list[Marker] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def iter_clips(self):
        """(track, clip) pairs, top track first, clips in list order."""
        for track in self.tracks:
            for clip in track.clips:
                yield track, clip

    def find_track(self, track_id: str) -> Track | None:
        return next((t for t in self.tracks if t.id == track_id), None)

    def find_clip(self, clip_id: str) -> tuple[Track, Clip] | None:
        return next(((t, c) for t, c in self.iter_clips() if c.id == clip_id), None)

    def content_end(self) -> float:
        """End of the last clip in seconds (0 for an empty project)."""
        return max((c.end for _, c in self.iter_clips()), default=0.0)

    def timeline_length(self) -> float:
        """What a render covers: ``length`` when set, else the end of the last clip."""
        return self.length if self.length is not None else self.content_end()
