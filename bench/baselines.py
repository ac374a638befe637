"""What a user would do instead of Audiostudio, on the same project and the same job.

* ffmpeg: one filter graph built from project.json. One ``-i`` per distinct source file
  (``asplit`` when several clips use it; looped clips get their own ``-stream_loop -1`` input);
  each clip ``atrim`` -> ``aresample`` -> ``volume`` -> ``afade`` -> ``pan`` -> ``adelay``; clips
  of a track ``amix``-ed (normalize=0) with the track's gain; the music bus ducked by the voice
  bus with ``sidechaincompress``; then two passes: ``loudnorm`` print_format=json to measure,
  and ``loudnorm`` with the measured_* values (linear=true) + ``alimiter`` to a 24-bit WAV.
  Mix only: stems would need one more graph output (and encode) per track.
* pydub: ``AudioSegment.from_wav`` per source, each clip (trim, loop, gain, fades, pan)
  overlaid onto a silent segment per track, tracks overlaid, ``effects.normalize``, WAV export.
  No ducking and no loudness normalisation (it does less than the other two).

``python bench/baselines.py pydub PROJECT_DIR OUT.wav`` runs the pydub pipeline; ``run.py``
builds and times the ffmpeg commands (``ffmpeg_commands``).
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from audiostudio.model import Clip, Project, Track
from audiostudio.model.store import load_project

CURVES = {"linear": "tri", "equal_power": "qsin", "s_curve": "hsin"}


def _tracks(project: Project) -> list[Track]:
    return [t for t in project.tracks if not t.mute and t.in_mix and t.clips]


def _clips(project: Project, track: Track | None = None) -> list[Clip]:
    """The clips that sound (of one track, or of all): unmuted, with audio, on an audible track."""
    tracks = _tracks(project) if track is None else [track]
    return [c for t in tracks for c in t.clips if c.source and not c.mute]


def _clip_length(clip: Clip) -> float:
    return clip.length or 0.0


def _pan(pan: float, channels: int) -> str:
    import math

    if channels == 1:  # constant power, as the format says
        theta = (pan + 1) * math.pi / 4
        return f"pan=stereo|c0={math.cos(theta):.5f}*c0|c1={math.sin(theta):.5f}*c0"
    return f"pan=stereo|c0={min(1, 1 - pan):.5f}*c0|c1={min(1, 1 + pan):.5f}*c1"


def _mixer(inputs: int) -> str:
    return f"amix=inputs={inputs}:normalize=0:duration=longest" if inputs > 1 else "anull"


def ffmpeg_graph(project: Project, folder: Path) -> tuple[list[str], str]:
    """(input arguments, filter graph ending in the label ``[pre]``: the pre-master mix)."""
    import soundfile as sf

    rate, length = project.sample_rate_hz, project.timeline_length()
    inputs: list[str] = []
    index: dict[str, int] = {}  # plain (non-looped) source -> input number
    uses: dict[str, int] = {}
    for clip in _clips(project):
        if not clip.loop:
            uses[clip.source] = uses.get(clip.source, 0) + 1
    graph: list[str] = []
    for src, count in uses.items():
        index[src] = len(index)
        inputs += ["-i", str(folder / src)]
        if count > 1:
            outs = "".join(f"[s{index[src]}_{k}]" for k in range(count))
            graph.append(f"[{index[src]}:a]asplit={count}{outs}")
    taken: dict[str, int] = {}
    buses: dict[str, list[str]] = {"key": [], "ducked": [], "none": []}
    for track in _tracks(project):
        labels = []
        for clip in _clips(project, track):
            if clip.loop:
                n = inputs.count("-i")
                inputs += ["-stream_loop", "-1", "-i", str(folder / clip.source)]
                src_label = f"[{n}:a]"
            else:
                k = taken[clip.source] = taken.get(clip.source, -1) + 1
                n = index[clip.source]
                src_label = f"[s{n}_{k}]" if uses[clip.source] > 1 else f"[{n}:a]"
            dur = _clip_length(clip)
            # Sample-count timestamps first: a looped input's own timestamps jump at each loop.
            chain = ["asetpts=N/SR/TB", f"atrim=start={clip.offset:.6f}:duration={dur:.6f}",
                     "asetpts=PTS-STARTPTS",
                     f"aresample={rate}", f"volume={clip.gain_db:.2f}dB"]
            if clip.fade_in:
                chain.append(f"afade=t=in:d={clip.fade_in}:curve={CURVES[clip.fade_in_curve]}")
            if clip.fade_out:
                chain.append(f"afade=t=out:st={dur - clip.fade_out:.6f}:d={clip.fade_out}"
                             f":curve={CURVES[clip.fade_out_curve]}")
            channels = sf.info(str(folder / clip.source)).channels
            chain += [_pan(track.pan, channels), f"adelay=delays={round(clip.start * rate)}S:all=1"]
            label = f"[c{len(graph)}]"
            graph.append(f"{src_label}{','.join(chain)}{label}")
            labels.append(label)
        graph.append(f"{''.join(labels)}{_mixer(len(labels))},volume={track.gain_db:.2f}dB"
                     f"[t_{track.id}]")
        buses[track.duck_role].append(f"[t_{track.id}]")
    final = list(buses["none"])
    for role in ("key", "ducked"):
        if buses[role]:
            graph.append(f"{''.join(buses[role])}{_mixer(len(buses[role]))}[{role}]")
    if buses["key"] and buses["ducked"]:
        duck = project.mix.duck
        threshold = 10 ** (duck.threshold_db / 20)
        graph.append("[key]asplit=2[voice][side]")
        graph.append(f"[ducked][side]sidechaincompress=threshold={threshold:.4f}:ratio=8:"
                     f"attack={duck.attack_ms:g}:release={duck.release_ms:g}[music]")
        final += ["[voice]", "[music]"]
    else:
        final += [f"[{r}]" for r in ("key", "ducked") if buses[r]]
    graph.append(f"{''.join(final)}amix=inputs={len(final)}:normalize=0:duration=longest,"
                 f"asetpts=N/SR/TB,apad=whole_dur={length:.6f},atrim=duration={length:.6f}[pre]")
    return inputs, ";\n".join(graph)


def ffmpeg_commands(
    exe: str, project: Project, folder: Path, work: Path
) -> tuple[list[str], Path, Path]:
    """(pass-1 command, pass-1 graph file, pass-2 graph template): the graphs are written to
    ``work``; pass 2's template holds ``{measured}``, filled from pass 1's JSON."""
    inputs, graph = ffmpeg_graph(project, folder)
    target, ceiling = project.mix.target_lufs or -16.0, project.mix.true_peak_ceiling_dbtp
    norm = f"loudnorm=I={target:g}:TP={ceiling:g}:LRA=11"
    work.mkdir(parents=True, exist_ok=True)
    pass1, pass2 = work / "ffmpeg-pass1.graph", work / "ffmpeg-pass2.graph"
    pass1.write_text(f"{graph};\n[pre]{norm}:print_format=json[out]\n")
    limit = 10 ** (ceiling / 20)
    pass2.write_text(f"{graph};\n[pre]{norm}:{{measured}}:linear=true:print_format=summary,"
                     f"aresample={project.sample_rate_hz},alimiter=limit={limit:.4f}:level=0[out]\n")
    base = [exe, "-hide_banner", "-nostats", "-y", *inputs]
    cmd1 = [*base, "-/filter_complex", str(pass1), "-map", "[out]", "-f", "null", "-"]
    return cmd1, pass1, pass2


def pass2_command(cmd1: list[str], pass1: Path, pass2: Path, stderr: str, out: Path) -> list[str]:
    """Pass 2 from pass 1's command and its printed loudnorm JSON (the graph file is filled in)."""
    stats = json.loads(re.findall(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)[-1])
    measured = (f"measured_I={stats['input_i']}:measured_TP={stats['input_tp']}:"
                f"measured_LRA={stats['input_lra']}:measured_thresh={stats['input_thresh']}:"
                f"offset={stats['target_offset']}")
    pass2.write_text(pass2.read_text().replace("{measured}", measured))
    cmd = cmd1[: cmd1.index("-/filter_complex")]
    return [*cmd, "-/filter_complex", str(pass2), "-map", "[out]", "-c:a", "pcm_s24le", str(out)]


def pydub_mix(folder: Path, out: Path) -> None:
    from pydub import AudioSegment
    from pydub.effects import normalize

    project = load_project(folder).project
    rate, length_ms = project.sample_rate_hz, round(project.timeline_length() * 1000)
    sources: dict[str, AudioSegment] = {}
    buses = []
    for track in _tracks(project):
        bus = AudioSegment.silent(duration=length_ms, frame_rate=rate).set_channels(2)
        for clip in _clips(project, track):
            if clip.source not in sources:
                sources[clip.source] = AudioSegment.from_wav(str(folder / clip.source))
            src = sources[clip.source]
            start, dur = round(clip.offset * 1000), round(_clip_length(clip) * 1000)
            if clip.loop:
                src = src * (1 + (start + dur) // len(src))
            seg = src[start : start + dur].apply_gain(clip.gain_db + track.gain_db)
            if clip.fade_in:
                seg = seg.fade_in(round(clip.fade_in * 1000))
            if clip.fade_out:
                seg = seg.fade_out(round(clip.fade_out * 1000))
            seg = seg.set_channels(2).pan(track.pan) if track.pan else seg
            bus = bus.overlay(seg, position=round(clip.start * 1000))
        buses.append(bus)
    mix = buses[0]
    for bus in buses[1:]:
        mix = mix.overlay(bus)
    normalize(mix, headroom=1.0).export(str(out), format="wav")


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "pydub":
        sys.exit("usage: python bench/baselines.py pydub PROJECT_DIR OUT.wav")
    pydub_mix(Path(sys.argv[2]), Path(sys.argv[3]))
