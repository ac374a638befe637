"""A parsed script onto the timeline: tracks, prompt clips, markers and the cast, as one edit.

Lines play back to back with a gap; a line's length is estimated from its text until it is
generated (then "Re-flow", ``model/reflow.py``, moves what follows). An untimed cue starts where
the previous line ends, ``+N`` N seconds after that, ``@N`` at N; a bed (music) runs from its cue
to the end of the line before its end cue, or to the end of the scene, looped, fading out inside
the clip. Every clip and marker carries its anchor, so the first layout here and every later
re-flow are the same solver (``reflow.solve``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from audiostudio.model import CastEntry, Clip, Marker, Project, Request, Track, new_id
from audiostudio.model.edits import AddClip, AddMarker, AddTrack, Compound, Edit, Scope, SetFields
from audiostudio.model.reflow import Placed, anchor, bed_fades, clip_length, solve
from audiostudio.providers.base import Provider
from audiostudio.script.cast import cast_for
from audiostudio.script.cues import BedEnd, Heading, Line, Script, Sound, Timing

DEFAULT_GAP_S = 0.4
NARRATION_TRACK = "Narration"
SFX_TRACK = "SFX"
MUSIC_TRACK = "Music"
# Offline and cloud voices measured here speak ~17–20 characters a second (tags excluded),
# plus the short silences at each end of a line.
CHARS_PER_SECOND = 18.5
LINE_EDGES_S = 0.2
_TAG = re.compile(r"\[[^\]]*\]")


def estimate_speech_seconds(text: str, speed: float = 1.0) -> float:
    """How long a line will take to say, from its length (before it is generated)."""
    words = " ".join(_TAG.sub(" ", text).split())
    return round(LINE_EDGES_S + len(words) / (CHARS_PER_SECOND * speed), 3)


@dataclass(frozen=True)
class ImportOptions:
    gap: float = DEFAULT_GAP_S  # seconds between consecutive lines
    narration_track: bool = False  # every line on one "Narration" track
    voices: Mapping[str, str] = field(default_factory=dict)  # speaker -> voice id
    sound_provider: str = "offline"  # for SFX and music


@dataclass(frozen=True)
class Summary:
    """What the import makes, for a preview before anything is generated."""

    lines: int
    characters: int  # of the voice lines' text, what voice providers bill
    sfx: int
    music: int
    markers: int
    speakers: tuple[str, ...]
    length: float  # estimated seconds of the scene

    def describe(self) -> str:
        return (f"{self.lines} voice line(s) by {len(self.speakers)} speaker(s), "
                f"{self.characters} characters; {self.sfx} sound effect(s), "
                f"{self.music} music cue(s), {self.markers} marker(s); about "
                f"{self.length:.0f} s")


@dataclass(frozen=True)
class ScriptPlan:
    edit: Edit  # applied to the project it was planned for, all or nothing
    summary: Summary
    clip_ids: tuple[str, ...]


@dataclass
class _Builder:
    script: Script
    options: ImportOptions
    base: float  # where the script's timeline zero falls (after what the project holds)
    clips: dict[str, tuple[str, Clip]] = field(default_factory=dict)  # id -> (track key, clip)
    markers: list[Marker] = field(default_factory=list)
    previous: str | None = None  # the sequential clip (a line) that played last
    # bed -> (its clip, the line that had played last when it began)
    open_beds: dict[tuple[str, str], tuple[Clip, str | None]] = field(default_factory=dict)

    def _after(self, offset: float) -> dict:
        return {"after": self.previous, "offset": offset if self.previous else self.base + offset}

    def _turn_offset(self, timing: Timing) -> float:
        """A sequential cue waits one gap after the line before it (none for the first)."""
        if timing.after is not None:
            return timing.after
        return self.options.gap if self.previous else 0.0

    def _anchor(self, item_id: str, line: int, at: float | None, offset: float) -> dict:
        if at is not None:
            return anchor(item_id, at=self.base + at, line=line)
        return anchor(item_id, line=line, **self._after(offset))

    def line(self, cue: Line, cast: CastEntry) -> None:
        clip_id = new_id("c")
        speed = cast.params.get("speed", 1.0)  # a faster voice takes less time
        speed = speed if isinstance(speed, int | float) and speed > 0 else 1.0
        offset = self._turn_offset(cue.timing)
        estimate = estimate_speech_seconds(cue.text, speed)
        length = cue.timing.length  # ~Ns: a fixed length, generated to fit it
        if length is None and cue.slot is not None and estimate > cue.slot:
            length = cue.slot  # too long for its subtitle: sped up into it
        request = Request(kind="voice", provider=cast.provider, text=cue.text,
                          duration=length, fit=length is not None)
        clip = Clip(clip_id, start=0.0, speaker=cue.speaker, request=request,
                    gain_db=cue.gain_db, duration=length or estimate)
        clip.script = self._anchor(clip_id, cue.line, cue.timing.at, offset)
        key = NARRATION_TRACK if self.options.narration_track else cue.speaker
        self.clips[clip_id] = (key, clip)
        self.previous = clip_id

    def sound(self, cue: Sound) -> None:
        clip_id = new_id("c")
        request = Request(kind=cue.kind, provider=self.options.sound_provider,
                          prompt=cue.prompt, duration=cue.timing.length)
        clip = Clip(clip_id, start=0.0, request=request, gain_db=cue.gain_db)
        offset = self._turn_offset(cue.timing) if cue.sequential else cue.timing.after or 0.0
        data = self._anchor(clip_id, cue.line, cue.timing.at, offset)
        if cue.bed is not None:
            clip.loop = True
            data["until"] = None  # to the end of the scene, unless its end cue comes
            self.open_beds[(cue.kind, cue.bed)] = (clip, self.previous)
        clip.script = data
        self.clips[clip_id] = (SFX_TRACK if cue.kind == "sfx" else MUSIC_TRACK, clip)
        if cue.sequential:
            self.previous = clip_id

    def end(self, cue: BedEnd) -> None:
        # check_script made sure it is open
        clip, previous = self.open_beds.pop((cue.kind, cue.bed))
        if self.previous == previous:
            opened = clip.script["line"]
            raise self.script.error(cue.line, (
                f"the {cue.kind} cue of line {opened} ends before any line plays under it: "
                "put the lines it accompanies between the cue and its end"))
        clip.script["until"] = self.previous

    def heading(self, cue: Heading) -> None:
        marker = Marker(new_id("m"), label=cue.label)
        marker.script = anchor(marker.id, line=cue.line, **self._after(0.0))
        self.markers.append(marker)


def plan_import(script: Script, project: Project, providers: Mapping[str, Provider],
                options: ImportOptions | None = None) -> ScriptPlan:
    """The edit that fills ``project`` with ``script`` (after what it already holds).
    Raises ScriptError (nothing changed) for an unknown voice or speaker or a bad cue."""
    options = options or ImportOptions()
    speakers = script.speakers()
    cast = cast_for(speakers, options.voices, providers, project.cast, script.file)
    end = project.content_end()
    builder = _Builder(script, options, base=end + options.gap if end else 0.0)
    for cue in script.cues:
        if isinstance(cue, Line):
            builder.line(cue, cast[cue.speaker])
        elif isinstance(cue, Sound):
            builder.sound(cue)
        elif isinstance(cue, BedEnd):
            builder.end(cue)
        else:
            builder.heading(cue)
    clips = {cid: clip for cid, (_, clip) in builder.clips.items()}
    _place(script, clips, builder.markers)
    edits = _track_edits(project, builder, speakers)
    edits.append(SetFields(Scope.PROJECT, {"cast": cast}))
    edits += [AddMarker(m) for m in builder.markers]
    summary = Summary(
        lines=sum(isinstance(c, Line) for c in script.cues),
        characters=sum(len(c.text) for c in script.cues if isinstance(c, Line)),
        sfx=sum(isinstance(c, Sound) and c.kind == "sfx" for c in script.cues),
        music=sum(isinstance(c, Sound) and c.kind == "music" for c in script.cues),
        markers=len(builder.markers),
        speakers=tuple(speakers),
        length=max((c.start + clip_length(c) for c in clips.values()), default=0.0),
    )
    return ScriptPlan(Compound(tuple(edits)), summary, tuple(clips))


def _place(script: Script, clips: Mapping[str, Clip], markers: list[Marker]) -> None:
    """Starts (and bed lengths) from the anchors: the solver re-flow uses."""
    items = {cid: Placed(c.script, 0.0, clip_length(c)) for cid, c in clips.items()}
    items |= {m.id: Placed(m.script, 0.0, 0.0) for m in markers}
    solved = solve(items)
    for clip_id, clip in clips.items():
        start, length = solved[clip_id]
        clip.start = start
        if clip.loop:  # a bed: its span, else (nothing after it) its own ~length
            if length <= 0:
                line = clip.script["line"]
                raise script.error(line, "nothing plays after this cue, so it would last 0 s: "
                                         "give it a length (~30s) or put it before the lines")
            clip.duration = length
            clip.fade_in, clip.fade_out = bed_fades(length).values()
    for marker in markers:
        marker.time = solved[marker.id][0]


def _track_edits(project: Project, builder: _Builder, speakers: list[str]) -> list[Edit]:
    """Clips onto their tracks: an existing track of that name and kind, else a new one."""
    kinds = {NARRATION_TRACK: "voice", SFX_TRACK: "sfx", MUSIC_TRACK: "music"}
    voices = [NARRATION_TRACK] if builder.options.narration_track else speakers
    order = [*voices, SFX_TRACK, MUSIC_TRACK]
    edits: list[Edit] = []
    for key in order:
        clips = [clip for k, clip in builder.clips.values() if k == key]
        if not clips:
            continue
        kind = kinds.get(key, "voice")
        track = next((t for t in project.tracks if t.name == key and t.kind == kind), None)
        if track is None:
            track = Track(new_id("t"), name=key, kind=kind)
            edits.append(AddTrack(track))
        edits += [AddClip(track.id, clip) for clip in clips]
    return edits
