"""`audiostudio demo`: a small scene made entirely by the offline provider, generated and rendered.

Music bed, three voices (Piper's Joe narrating, Flite's Sally and Angus), three SFX. Lines are
laid out back to back once their real lengths are known, the way a creator would place them.
"""

from __future__ import annotations

from audiostudio.model import AutoLevel, CastEntry, Clip, Mix, Project, Request, Track, new_id
from audiostudio.model.edits import Compound, MoveClip, Scope, SetFields, apply

LINES = [
    ("NARRATOR", "The old lighthouse had been dark for thirty years."),
    ("MAYA", "[whispering] Did you hear that? Someone is on the stairs."),
    ("KEEPER", "Who goes there? Nobody has climbed these stairs in years."),
    ("MAYA", "[excited] Look! The lamp is turning on!"),
]
GAP_S = 0.8
LEAD_IN_S = 2.0
TAIL_S = 3.0


def build_demo_project(name: str = "Audiostudio demo") -> Project:
    voice = Track(new_id("t"), name="Narration", kind="voice")
    for i, (speaker, text) in enumerate(LINES):
        voice.clips.append(Clip(
            new_id("c"), name=f"Line {i + 1}", start=LEAD_IN_S + 4.0 * i, speaker=speaker,
            request=Request(kind="voice", text=text), fade_out=0.05,
        ))
    sfx = Track(new_id("t"), name="SFX", kind="sfx", clips=[
        Clip(new_id("c"), name="Door", start=0.3,
             request=Request(kind="sfx", prompt="creaky old wooden door opening", duration=2.5,
                             seed=11)),
        Clip(new_id("c"), name="Footsteps", start=10.0,
             request=Request(kind="sfx", prompt="slow heavy footsteps on wooden stairs",
                             duration=4.0, seed=12)),
        Clip(new_id("c"), name="Thunder", start=16.0, gain_db=-3.0,
             request=Request(kind="sfx", prompt="distant rolling thunder", duration=5.0,
                             seed=13)),
    ])
    music = Track(new_id("t"), name="Music", kind="music", clips=[
        Clip(new_id("c"), name="Bed", start=0.0, loop=True, fade_in=1.5, fade_out=3.0,
             fade_out_curve="s_curve",
             request=Request(kind="music", duration=30.0, seed=7,
                             prompt="slow mysterious ambient pads and piano in D minor, "
                                    "70 bpm, no drums, loopable")),
    ])
    return Project(
        name=name,
        cast={
            "NARRATOR": CastEntry("offline", "piper:en_US-joe-medium"),
            "MAYA": CastEntry("offline", "flite:slt"),
            "KEEPER": CastEntry("offline", "flite:awb"),
        },
        tracks=[voice, sfx, music],
        mix=Mix(auto_level=AutoLevel()),  # balanced by kind: the faders start at 0 dB
    )


def lay_out(project: Project) -> None:
    """Place the lines back to back, move the SFX to their cues, fit the bed and the length."""
    voice, sfx, music = project.tracks
    edits = []
    t = LEAD_IN_S
    starts = []
    for clip in voice.clips:
        starts.append(t)
        edits.append(MoveClip(clip.id, t))
        t += (clip.length or 3.0) + GAP_S
    end = t - GAP_S + TAIL_S
    _, steps, thunder = sfx.clips
    edits += [
        MoveClip(steps.id, starts[2] - 1.0),
        MoveClip(thunder.id, starts[3] - 1.5),
        SetFields(music.clips[0].id, {"duration": end}),
        SetFields(Scope.PROJECT, {"length": end}),
    ]
    apply(project, Compound(tuple(edits)))
