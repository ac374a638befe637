"""Export: the project -> mix (WAV and/or MP3) + stems + report.json, streamed in blocks.

Passes over the timeline (each one block per track in memory, whatever the length):
1. the mixer's plan (sources decoded once into the cache, ducking envelope from the key tracks);
2. measure the pre-master mix's integrated loudness -> the normalisation gain;
3. read the delivered mix (and stems) from the master stage (``audio/master.py``, which live
   preview plays too): that gain, the true-peak limiter on the mix, and the limiter's gain
   curve on the mix *and* every stem, so the stems carry the mix's ducking, normalisation and
   limiting and sum to the delivered mix;
4. MP3: encode with extra limiter margin, decode it back and measure; more margin until the
   decoded MP3 also stays under the ceiling (the encoder's filters create new peaks). MP3
   stems are encoded as they are (a limiter of their own would break their sum) and decoded
   back to check; one over the ceiling is encoded again behind a limiter of its own with the
   margin it asked for (``_fit_mp3_stems``).
A range (``start``/``end``) is still measured over the whole project (its loudness sets the
gain), and the master stage warms the limiter up before ``start``: the range of the export
equals the same samples of a whole export. Without normalisation the measuring pass covers
the range and the warm-up only. A mix without stems, whole or a range, is written from the
pre-master mix the measuring pass kept, which also measures each track's level over the
range: the tracks are rendered once.
Rendering twice costs less than keeping every stem of the whole timeline on disk in between
(10 minutes of 8 tracks: ~1 s of CPU to render again, against 1.8 GB of float32 scratch).
The output side runs on a few threads ("lanes", ``_Lanes``) beside the mixing: libsndfile's
float -> 24-bit conversion is ~0.6 s of CPU per 10-minute stereo file, the largest single cost
of an export with stems, and a numpy conversion written raw saved only ~10 % of it.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from audiostudio.audio.limiter import TruePeakLimiter
from audiostudio.audio.loudness import (
    LoudnessMeter,
    OversampledPeaks,
    mean_loudness,
    measure_file,
    speech_gate,
)
from audiostudio.audio.master import (
    RELEASE_MS,
    TARGET_TOLERANCE_LU,
    WARMUP_RELEASES,
    MasterBlock,
    MasterStream,
    Normalisation,
    Source,
    file_source,
    normalise,
    track_source,
)
from audiostudio.audio.mixer import RenderPlan, build_plan, render_tracks
from audiostudio.errors import CancelledError, ExportError
from audiostudio.export.handoff import (
    VIDEO_AUDIO,
    StemFile,
    mux_video,
    muxed_name,
    timeline_zero_samples,
    write_handoff,
)
from audiostudio.export.naming import stem_names
from audiostudio.export.outputs import OutputSet
from audiostudio.export.wavfile import SUBTYPES, Bext, WavWriter
from audiostudio.model import Project
from audiostudio.problems import WARNING, Problem, render_problems
from audiostudio.progress import Progress

OUTPUT_THREADS = 3  # lanes 0, 1: the meter, the mix; stems go round all three
MP3_RATES = (32000, 44100, 48000)
MP3_MAX_TRIES = 5
MP3_AIM_LU = 0.1  # the MP3's own loudness correction stops this close to the target
MP3_MARGIN_STEP_DB = 0.2  # a margin that fell short grows by the overshoot and this
TARGET_RANGE_LUFS = (-70.0, -5.0)
CEILING_RANGE_DBTP = (-9.0, 0.0)
RATE_RANGE_HZ = (8000, 384000)  # what the WAV writer (and the project format) take
# MP3 stems whose sample peak is further under the ceiling than this are not decoded to check
# them: the encoder's overshoot measured at most 2.4 dB (hard-limited noise and square waves
# at -1 dBTP, 32-320 kbps; the scenes' own stems came back lower than they went in).
MP3_OVERSHOOT_DB = 6.0
# Rendered around a range that is not normalised: before it, more than the master stage's
# limiter warm-up (WARMUP_RELEASES x RELEASE_MS plus its 5 ms look-ahead); after it, more than
# the look-ahead (the limiter lowers the range's last frames for a peak just after it).
RANGE_LEAD_S = WARMUP_RELEASES * RELEASE_MS / 1000.0 + 0.5
RANGE_TAIL_S = 0.1


@dataclass
class ExportOptions:
    formats: tuple[str, ...] = ("wav",)
    stems: bool = False
    normalize: bool = True
    target_lufs: float | None = None  # None = the project's mix.target_lufs
    true_peak_dbtp: float | None = None  # None = the project's mix.true_peak_ceiling_dbtp
    sample_rate: int | None = None  # None = the project's rate
    bit_depth: str = "24"
    mp3_bitrate: int = 192
    skip_missing: bool = False
    start: float | None = None  # seconds; None = the start of the project
    end: float | None = None  # seconds; None = its end (a later end is the end too)
    video: Path | None = None  # mux the mix into a copy of this video (export/handoff.py)
    video_audio: str = "aac"  # its audio: "aac" or "pcm"
    stems_format: str = "wav"  # or "mp3"
    auto_level: bool = True  # False: render as if the project's auto-level were off


def _db(value: float) -> float | None:
    return round(20.0 * np.log10(value), 2) if value > 0 else None


class _Phase:
    """Maps a phase's own 0..1 progress into its share of the whole export."""

    def __init__(self, progress: Progress | None, cancelled: Callable[[], bool] | None) -> None:
        self.progress = progress
        self.cancelled = cancelled
        self.base = 0.0
        self.span = 0.0
        self.label = ""

    def start(self, label: str, span: float) -> None:
        self.base += self.span
        self.span = span
        self.label = label
        self(0.0)

    def __call__(self, fraction: float) -> None:
        if self.cancelled and self.cancelled():
            raise CancelledError("Export cancelled")
        if self.progress:
            self.progress(min(1.0, self.base + self.span * fraction), self.label)


class _StemStats:
    """Sample peak, RMS and loudness of each track, accumulated block by block."""

    def __init__(self, count: int, rate: int) -> None:
        self.peak = np.zeros(count)
        self.sum_sq = np.zeros(count)
        self.frames = 0
        self.meters = [LoudnessMeter(rate, 2, true_peak=False) for _ in range(count)]

    def add_track(self, index: int, audio: np.ndarray) -> None:
        """One track's next block, silent or not (the meters keep time); the frames are
        counted by ``count``. Safe from several threads as long as each index is updated by
        one of them."""
        self.meters[index].add(audio)
        if not audio.any():
            return
        self.peak[index] = max(self.peak[index], float(np.abs(audio).max(initial=0.0)))
        flat = audio.ravel()
        self.sum_sq[index] += float(np.dot(flat, flat))  # float32 per block is plenty

    def count(self, frames: int) -> None:
        self.frames += frames

    def add(self, tracks: np.ndarray) -> None:
        for index, audio in enumerate(tracks):
            self.add_track(index, audio)
        self.count(tracks.shape[1])

    def rms(self) -> np.ndarray:
        return np.sqrt(self.sum_sq / max(1, 2 * self.frames))


def _measure_pass(
    plan: RenderPlan, phase: _Phase, keep: BinaryIO | None, levels_of: tuple[int, int] | None,
    frames: tuple[int, int],
) -> tuple[LoudnessMeter, _StemStats]:
    """Loudness of the pre-master mix. ``keep``: also keep the mix on disk, for the limiter
    passes of ``normalise`` and for a mix-only export's writing pass (which then need not
    render the tracks again). ``levels_of``: the timeline frames to measure each track's
    levels over too (the range a mix-only export delivers), which an export with stems
    measures on the written stems instead. ``frames``: the timeline frames to measure (and
    keep), the whole timeline unless nothing outside the range matters."""
    meter = LoudnessMeter(plan.rate, 2, true_peak=False)
    stats = _StemStats(0 if levels_of is None else len(plan.tracks), plan.rate)
    worker = _BackgroundWorker()  # the meter (and the kept mix) beside the rendering
    try:
        for b0, b1 in plan.blocks(*frames):
            tracks = render_tracks(plan, b0, b1)
            tracks *= np.float32(plan.master_gain)
            mix = tracks.sum(axis=0)
            worker.submit(meter.add, mix)
            if keep is not None:
                worker.submit(mix.tofile, keep)
            if levels_of is not None:
                s0, s1 = max(b0, levels_of[0]), min(b1, levels_of[1])
                if s0 < s1:
                    stats.add(tracks[:, s0 - b0 : s1 - b0])
            phase((b1 - frames[0]) / (frames[1] - frames[0]))
    finally:
        worker.close()
    return meter, stats


class _BackgroundWorker:
    """Runs part of the output side of the export (file writes, the output meter) on its own
    thread, beside the mixing: libsndfile's writes and numpy release the GIL. The queue is
    short, so memory stays a few blocks whatever the length."""

    def __init__(self, depth: int = 4) -> None:
        self._queue: queue.Queue[tuple[Callable[..., Any], tuple] | None] = queue.Queue(depth)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="export-output", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None:
                try:
                    item[0](*item[1])
                except BaseException as exc:  # re-raised on the exporting thread
                    self._error = exc

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((fn, args))

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error


class _Lanes:
    """A few output threads. Each target (one file, the meter) always goes to the same lane,
    so its blocks stay in order; different files are converted and written in parallel (the
    24-bit conversion in libsndfile is most of an export's cost)."""

    def __init__(self, count: int) -> None:
        self._workers = [_BackgroundWorker() for _ in range(max(1, count))]

    def submit(self, lane: int, fn: Callable[..., Any], *args: Any) -> None:
        self._workers[lane % len(self._workers)].submit(fn, *args)

    def close(self) -> None:
        """Finish every lane, then re-raise the first error."""
        errors = []
        for worker in self._workers:
            try:
                worker.close()
            except BaseException as exc:
                errors.append(exc)
        if errors:
            raise errors[0]


MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def _check_mp3_bitrate(kbps: int) -> None:
    if kbps not in MP3_BITRATES:
        raise ExportError(f"MP3 bitrate must be one of {', '.join(map(str, MP3_BITRATES))} "
                          f"kbps, not {kbps}")


class _Mp3Writer:
    """Constant-bitrate MP3 through the ffmpeg of imageio-ffmpeg (libmp3lame). Unlike
    libsndfile's encoder it writes the LAME header with the encoder delay, so the MP3 decodes
    sample-aligned with the WAV (libsndfile's lagged 871 frames: 18 ms in a video edit)."""

    def __init__(self, target: Path, rate: int, kbps: int) -> None:
        import imageio_ffmpeg

        cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "f32le", "-ar", str(rate),
               "-ac", "2", "-i", "-", "-c:a", "libmp3lame", "-b:a", f"{kbps}k", "-f", "mp3",
               "-y", str(target)]
        # stderr to a file (a pipe could fill up and stall ffmpeg), closed in close()
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=self._errors)

    def write(self, block: np.ndarray) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.write(np.ascontiguousarray(block, dtype="<f4").tobytes())

    def close(self) -> None:
        assert self._proc.stdin is not None
        self._proc.stdin.close()
        code = self._proc.wait()
        self._errors.seek(0)
        message = self._errors.read().decode(errors="replace").strip()
        self._errors.close()
        if code != 0:
            raise ExportError(f"MP3 encoding failed: {message or f'ffmpeg exit code {code}'}")


def _encode_mp3(master: Path, rate: int, ceiling: float, kbps: int, target: Path,
                target_lufs: float | None = None) -> dict:
    """Limit with growing margin until the decoded MP3 stays under ``ceiling``; with a
    ``target_lufs``, also correct the gain until the decoded MP3 is within ``MP3_AIM_LU`` of
    it (the extra margin lowers a hot mix's loudness again)."""
    data = np.memmap(master, dtype="<f4", mode="r").reshape(-1, 2)
    margin, gain_db = 0.5, 0.0
    best: dict | None = None
    for _ in range(MP3_MAX_TRIES):
        figures = _mp3_try(data, rate, ceiling - margin, gain_db, kbps, target)
        peak, lufs = figures["true_peak_dbtp"], figures["integrated_lufs"]
        under = peak is None or peak <= ceiling
        if under:
            figures.update(limiter_margin_db=round(margin, 2), gain_db=round(gain_db, 2),
                           bitrate_kbps=kbps)
            if target_lufs is None or lufs is None or abs(lufs - target_lufs) <= MP3_AIM_LU:
                return figures
            if best is None or abs(lufs - target_lufs) < abs(best["integrated_lufs"]
                                                              - target_lufs):
                best = figures
            gain_db += target_lufs - lufs
        else:
            margin += peak - ceiling + MP3_MARGIN_STEP_DB
    if best is None:
        raise ExportError(f"Could not keep the MP3 under {ceiling} dBTP (decoded peak {peak} "
                          "dBTP)")
    if best is not figures:  # the closest try is the one to deliver
        _mp3_try(data, rate, ceiling - best["limiter_margin_db"], best["gain_db"], kbps, target)
    return best


class _LimitedMp3:
    """An MP3 behind a true-peak limiter of its own at ``ceiling`` (the encoder's margin), x
    ``gain_db``; the limiter's look-ahead delay is dropped, so the MP3 stays on the timeline.
    ``finish`` writes the limiter's tail, ``close`` always ends the encoder."""

    def __init__(self, target: Path, rate: int, kbps: int, ceiling: float,
                 gain_db: float = 0.0) -> None:
        self._limiter = TruePeakLimiter(rate, 2, ceiling_dbtp=ceiling)
        self._gain = np.float32(10.0 ** (gain_db / 20.0))
        self._skip = self._limiter.latency_frames  # the output starts with the look-ahead
        self._out = _Mp3Writer(target, rate, kbps)

    def write(self, block: np.ndarray) -> None:
        limited = self._limiter.process(block * self._gain)
        drop = min(self._skip, len(limited))
        self._skip -= drop
        self._out.write(limited[drop:])

    def finish(self) -> None:
        self._out.write(self._limiter.flush()[self._skip:])

    def close(self) -> None:
        self._out.close()


def _mp3_try(data: np.ndarray, rate: int, ceiling: float, gain_db: float, kbps: int,
             target: Path) -> dict:
    """One MP3: the master x ``gain_db``, limited to ``ceiling``, encoded, decoded, measured."""
    out = _LimitedMp3(target, rate, kbps, ceiling, gain_db)
    try:
        step = 1 << 16
        for i in range(0, len(data), step):
            out.write(np.asarray(data[i : i + step]))
        out.finish()
    finally:
        out.close()
    return measure_file(target).to_json_dict()


def export_project(
    project: Project,
    folder: Path,
    out_dir: Path,
    options: ExportOptions | None = None,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    *,
    cache: Path,
) -> dict[str, Any]:
    """Render and write everything; returns the report (also written as report.json).
    ``cache``: the user cache folder sources are decoded into."""
    options = options or ExportOptions()
    check_options(options, options.sample_rate or project.sample_rate_hz)
    try:
        return _export(project, folder, out_dir, options, _Phase(progress, cancelled), cache)
    except (OSError, sf.SoundFileError) as exc:
        # Disk full, a file where a folder should be, no permission: one clear message.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = getattr(exc, "filename", None) or out_dir
        raise ExportError(f"Could not write the export ({where}): {reason}") from exc


def check_options(options: ExportOptions, rate: int) -> None:
    """Refuse impossible options before any work, not after a long render, in one line each
    (the CLI and the window's export dialog both come through here)."""
    low, high = TARGET_RANGE_LUFS
    if options.target_lufs is not None and not low <= options.target_lufs <= high:
        raise ExportError(f"The loudness target must be between {low:g} and {high:g} LUFS, "
                          f"not {options.target_lufs:g}")
    low, high = CEILING_RANGE_DBTP
    if options.true_peak_dbtp is not None and not low <= options.true_peak_dbtp <= high:
        raise ExportError(f"The true-peak ceiling must be between {low:g} and {high:g} dBTP, "
                          f"not {options.true_peak_dbtp:g}")
    if not RATE_RANGE_HZ[0] <= rate <= RATE_RANGE_HZ[1]:
        raise ExportError(f"The sample rate must be between {RATE_RANGE_HZ[0]} and "
                          f"{RATE_RANGE_HZ[1]} Hz, not {rate} Hz")
    if options.bit_depth not in SUBTYPES:
        raise ExportError(f"Bit depth must be one of {', '.join(SUBTYPES)}")
    if options.stems_format not in ("wav", "mp3"):
        raise ExportError(f"Stems are written as wav or mp3, not {options.stems_format!r}")
    mp3_files = [what for what, wanted in (
        ("the mix", "mp3" in options.formats),
        ("the stems", options.stems and options.stems_format == "mp3")) if wanted]
    if mp3_files:
        if rate not in MP3_RATES:
            also = " (the WAV mix alone can)" if "wav" in options.formats else ""
            raise ExportError(f"MP3 needs a 32, 44.1 or 48 kHz sample rate, not {rate} Hz: "
                              f"{' and '.join(mp3_files)} cannot be MP3 at that rate{also}")
        _check_mp3_bitrate(options.mp3_bitrate)
    if options.video is not None and ("wav" not in options.formats
                                      or options.start is not None or options.end is not None):
        raise ExportError("The video gets the whole mix as WAV: export the whole project "
                          "with a WAV mix to put it into the video")
    if options.video is not None and not options.video.is_file():
        raise ExportError(f"Video file not found: {options.video}")
    if options.video_audio not in VIDEO_AUDIO:
        raise ExportError(f"The video's audio must be one of {', '.join(VIDEO_AUDIO)}, "
                          f"not {options.video_audio!r}")
    if options.start is not None and options.start < 0:
        raise ExportError(f"The range cannot start before 0 s ({options.start} s)")
    if options.start is not None and options.end is not None and options.end <= options.start:
        raise ExportError(f"The range must end after it starts ({options.start} s to "
                          f"{options.end} s)")


def written_files(report: dict[str, Any]) -> list[str]:
    """Every file an export wrote, relative to its folder: the audio files, the editors'
    hand-off files and the video (``handoff``), and report.json. The CLI and the export
    dialog both list these."""
    return [*report["files"], *report["handoff"], "report.json"]


def _span(options: ExportOptions, plan: RenderPlan) -> tuple[int, int]:
    """The timeline frames to deliver."""
    f0 = 0 if options.start is None else round(options.start * plan.rate)
    f1 = plan.frames if options.end is None else min(plan.frames, round(options.end * plan.rate))
    if f1 <= f0:
        raise ExportError(f"Nothing to export: the range starts at {f0 / plan.rate:.2f} s, at or "
                          f"after the end of the project ({plan.frames / plan.rate:.2f} s)")
    return f0, f1


def _export(
    project: Project, folder: Path, out_dir: Path, options: ExportOptions, phase: _Phase,
    cache: Path,
) -> dict[str, Any]:
    phase.start("Preparing sources", 0.1)
    if not options.auto_level and project.mix.auto_level is not None:
        project = replace(project, mix=replace(project.mix, auto_level=None))
    plan = build_plan(
        project, folder, rate=options.sample_rate, export=True,
        skip_missing=options.skip_missing, progress=phase, cache=cache,
    )
    if plan.frames <= 0:
        raise ExportError("Nothing to export: the project has no audio on the timeline")
    if not plan.tracks:
        raise ExportError("Nothing to export: every track is muted or left out of the mix")
    target = options.target_lufs if options.target_lufs is not None else project.mix.target_lufs
    if not options.normalize:
        target = None
    ceiling = (
        options.true_peak_dbtp
        if options.true_peak_dbtp is not None
        else project.mix.true_peak_ceiling_dbtp
    )

    span = _span(options, plan)
    whole = span == (0, plan.frames)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = stem_names([t.name or t.track_id for t in plan.tracks], options.stems_format)
    report: dict[str, Any] = {}
    temps: list[Path] = []

    def temp_file(prefix: str) -> BinaryIO:
        # Scratch audio goes to the system temp dir (TMPDIR), never into the output folder.
        fd, name = tempfile.mkstemp(prefix=f"audiostudio-{prefix}-", suffix=".f32")
        temps.append(Path(name))
        return os.fdopen(fd, "w+b")

    try:
        with OutputSet() as outputs:
            phase.start("Measuring loudness", 0.3)
            mix_only = not options.stems
            # The whole timeline's loudness sets the gain. Without a gain to find, a range
            # needs only itself and the limiter's warm-up before it: kept for a mix, and
            # rendered by the writing itself with stems.
            measured = (0, plan.frames)
            if target is None and not whole:
                measured = (span[0], span[0])  # the stems' writing renders its own
                if mix_only:
                    measured = (max(0, span[0] - round(RANGE_LEAD_S * plan.rate)),
                                min(plan.frames, span[1] + round(RANGE_TAIL_S * plan.rate)))
            pre_master = (temp_file("premaster") if mix_only or target is not None else None)
            pre_meter, stats = _measure_pass(plan, phase, pre_master,
                                             levels_of=span if mix_only else None,
                                             frames=measured)
            pre_lufs = pre_meter.integrated() if measured == (0, plan.frames) else None
            kept: Source | None = None  # the mix kept, read back in place
            if pre_master is not None:
                pre_master.flush()
                kept = _starting_at(file_source(temps[0]), measured[0])
            phase.start("Matching the loudness target", 0.1)
            norm = normalise(
                lambda: kept or track_source(plan, stems=False),
                plan.rate, plan.frames, pre_lufs, pre_meter.sample_peak, target, ceiling, phase)
            phase.start("Writing mix" + (" and stems" if options.stems else ""), 0.5)
            master = temp_file("master") if "mp3" in options.formats else None
            stem_stats = _StemStats(len(plan.tracks), plan.rate)
            origin = timeline_zero_samples(project, plan.rate)  # the bext time reference
            report.update(_write_pass(plan, options, out_dir, outputs, names, ceiling,
                                      norm.norm_db, kept if mix_only else None, master, phase,
                                      stem_stats, span, origin))
            # Track levels: of the written stems, else of each track over the range after
            # normalisation (before the limiter, which only the stems carry).
            scale_db = 0.0 if not mix_only else norm.norm_db
            levels = stats if mix_only else stem_stats
            if master is not None:
                master.close()
                phase.start("Encoding MP3", 0.1)
                mp3 = outputs.path_for(out_dir / "mix.mp3")
                report["mp3"] = _encode_mp3(temps[-1], plan.rate, ceiling, options.mp3_bitrate,
                                            mp3, target if whole else None)
                report["mp3"]["file"] = "mix.mp3"
                if "wav" not in options.formats:  # the figures at the top: the file asked for
                    report.update({k: v for k, v in report["mp3"].items() if k in report})
            if pre_master is not None:
                pre_master.close()
            report.update(_target_report(norm, report, whole))
            report.update(
                target_lufs=target,
                true_peak_ceiling_dbtp=ceiling,
                pre_normalization_lufs=None if pre_lufs is None else round(pre_lufs, 2),
                normalization_gain_db=round(norm.norm_db, 2),
                sample_rate_hz=plan.rate,
                range_s=None if whole else [round(span[0] / plan.rate, 3),
                                            round(span[1] / plan.rate, 3)],
                bit_depth=options.bit_depth,
                stems_format=options.stems_format if options.stems else None,
                auto_level=project.mix.auto_level is not None and project.mix.auto_level.enabled,
                files=sorted(
                    [f"mix.{fmt}" for fmt in options.formats]
                    + ([f"stems/{n}" for n in names] if options.stems else [])
                ),
                tracks=_track_reports(plan, names, options.stems, levels, scale_db),
                dialogue_to_music_lu=_dialogue_to_music(plan, levels),
            )
            problems = render_problems(project, folder, report)
            if options.stems and options.stems_format == "mp3":
                problems += _fit_mp3_stems(plan, options, out_dir, outputs, report["tracks"],
                                           ceiling, norm.norm_db, span, stem_stats, phase)
            report["warnings"] = [p.to_json() for p in problems]
            # the video editors' files (and the video), apart from the audio files
            report["handoff"] = _handoff(project, options, out_dir, outputs, plan, names, span)
            report_path = outputs.path_for(out_dir / "report.json")
            report_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    phase(1.0)
    return report


def _target_report(norm: Normalisation, report: dict[str, Any], whole: bool) -> dict[str, Any]:
    """``target_met`` (None: not normalised) and, when it is missed, ``target_reason``. A
    whole export is judged on the files delivered (an MP3 measured decoded); a range, whose
    part of the scene has a loudness of its own, on the whole mix the normalisation measured."""
    target = norm.target_lufs
    if target is None:
        return {"target_met": None, "target_reason": None}
    met, reason = norm.target_met, norm.reason
    if whole and met:
        figures = [report, *([report["mp3"]] if "mp3" in report else [])]
        for figure in figures:
            lufs = figure.get("integrated_lufs")
            if lufs is None or abs(lufs - target) > TARGET_TOLERANCE_LU:
                met = False
                reason = (f"{figure.get('file') or 'the mix'} measures "
                          f"{'no loudness' if lufs is None else f'{lufs:.1f} LUFS'}")
                break
    return {"target_met": met, "target_reason": reason}


def _combined_blocks(meters: list[LoudnessMeter]) -> np.ndarray:
    """100 ms loudness of several tracks together (their powers add)."""
    with np.errstate(divide="ignore"):
        return 10.0 * np.log10(sum(10.0 ** (m.sub_blocks() / 10.0) for m in meters))


def _track_reports(plan: RenderPlan, names: list[str], stems: bool, levels: _StemStats,
                   scale_db: float) -> list[dict[str, Any]]:
    """Each track's peak, RMS and loudness (``scale_db``: the gain still to apply to
    levels measured before normalisation); voice tracks also speech-gated."""
    scale = 10.0 ** (scale_db / 20.0)
    out = []
    for i, (track, name) in enumerate(zip(plan.tracks, names, strict=True)):
        meter = levels.meters[i]
        integrated = meter.integrated()
        speech = meter.speech_gated() if track.kind == "voice" else None
        out.append({
            "id": track.track_id,
            "name": track.name,
            "kind": track.kind,
            "stem": f"stems/{name}" if stems else None,
            "sample_peak_dbfs": _db(float(levels.peak[i]) * scale),
            "rms_dbfs": _db(float(levels.rms()[i]) * scale),
            "integrated_lufs": None if integrated is None else round(integrated + scale_db, 2),
            "speech_gated_lufs": None if speech is None else round(speech + scale_db, 2),
        })
    return out


def _fit_mp3_stems(plan: RenderPlan, options: ExportOptions, out_dir: Path, outputs: OutputSet,
                   tracks: list[dict[str, Any]], ceiling: float, norm_db: float,
                   span: tuple[int, int], levels: _StemStats, phase: _Phase) -> list[Problem]:
    """Decode the MP3 stems that came near the ceiling; encode each one over it again behind a
    limiter of its own, with the margin the decoded file asked for (as the MP3 mix is), until
    it stays under. Each track report gets ``mp3_margin_db`` (None: encoded as it is) and
    ``over_ceiling_dbtp`` (the decoded true peak when still over, else None; a warning too).
    The stem's levels in the report stay those before the margin."""
    def stem_path(index: int) -> Path:
        return outputs.pending(out_dir / tracks[index]["stem"])

    def still_over(indices: Iterable[int]) -> dict[int, float]:
        peaks = {i: _decoded_over(stem_path(i), ceiling) for i in indices}
        return {i: peak for i, peak in peaks.items() if peak is not None}

    near = 10.0 ** ((ceiling - MP3_OVERSHOOT_DB) / 20.0)
    over = still_over(i for i in range(len(tracks)) if levels.peak[i] >= near)
    margins: dict[int, float] = {}
    for _ in range(MP3_MAX_TRIES - 1):
        if not over:
            break
        for i, peak in over.items():
            margins[i] = margins.get(i, 0.0) + peak - ceiling + MP3_MARGIN_STEP_DB
        phase.start("Keeping the MP3 stems under the ceiling", 0.0)
        _encode_stems_again(plan, options, {i: (stem_path(i), ceiling - margins[i])
                                            for i in over}, norm_db, ceiling, span, phase)
        over = still_over(over)
    problems = []
    for index, track in enumerate(tracks):
        track["mp3_margin_db"] = round(margins[index], 2) if index in margins else None
        track["over_ceiling_dbtp"] = peak = over.get(index)
        if peak is not None:
            problems.append(Problem(
                WARNING, f"peaks at {peak:.1f} dBTP once decoded, over the {ceiling:g} dBTP "
                f"ceiling (the MP3 encoder's overshoot): export WAV stems, or a ceiling "
                f"{peak - ceiling + 0.1:.1f} dB lower", f"stem {track['stem']}",
                track_id=track["id"]))
    return problems


def _encode_stems_again(plan: RenderPlan, options: ExportOptions,
                        stems: dict[int, tuple[Path, float]], norm_db: float, ceiling: float,
                        span: tuple[int, int], phase: _Phase) -> None:
    """MP3 stems ``{index: (path, their own ceiling)}`` from the master stage again."""
    f0, f1 = span
    stream = MasterStream(track_source(plan, stems=True), plan.rate, norm_db, ceiling,
                          start=f0, block_frames=plan.block_frames)
    writers: dict[int, _LimitedMp3] = {}
    try:
        for index, (path, own) in stems.items():
            writers[index] = _LimitedMp3(path, plan.rate, options.mp3_bitrate, own)
        for b0, b1 in plan.blocks(f0, f1):
            block = stream.read(b1 - b0)
            for index, writer in writers.items():
                writer.write(block.stem(index))
            phase((b1 - f0) / (f1 - f0))  # cancels
        for writer in writers.values():
            writer.finish()
    finally:
        for writer in writers.values():
            writer.close()


def _decoded_over(path: Path, ceiling: float) -> float | None:
    """The true peak (dBTP) of an audio file decoded, when over ``ceiling``; else None. Only
    frames that can exceed the ceiling are interpolated."""
    floor = 10.0 ** (ceiling / 20.0)
    top = 0.0
    with sf.SoundFile(str(path)) as audio:
        peaks = OversampledPeaks(audio.channels)
        for block in audio.blocks(65536, dtype="float32", always_2d=True):
            top = max(top, float(peaks.push(block, floor).max(initial=0.0)))
        tail = np.zeros((peaks.lag, audio.channels), np.float32)  # the last frames' peaks
        top = max(top, float(peaks.push(tail, floor).max(initial=0.0)))
    return round(20.0 * np.log10(top), 2) if top > floor else None


def _dialogue_to_music(plan: RenderPlan, levels: _StemStats) -> float | None:
    """Voice over music while the voice is active (its speech-gated 100 ms), in LU; None
    without both, or when the music is silent under every line."""
    voice = [levels.meters[i] for i, t in enumerate(plan.tracks) if t.kind == "voice"]
    music = [levels.meters[i] for i, t in enumerate(plan.tracks) if t.kind == "music"]
    if not voice or not music:
        return None
    voice_blocks = _combined_blocks(voice)
    active = speech_gate(voice_blocks)
    dialogue = mean_loudness(voice_blocks, active)
    under = mean_loudness(_combined_blocks(music), active)
    if dialogue is None or under is None:
        return None
    return round(dialogue - under, 2)


def _write_pass(
    plan: RenderPlan,
    options: ExportOptions,
    out_dir: Path,
    outputs: OutputSet,
    names: list[str],
    ceiling: float,
    norm_db: float,
    pre_master: Source | None,
    master: BinaryIO | None,
    phase: _Phase,
    stem_stats: _StemStats,
    span: tuple[int, int],
    origin: int,
) -> dict[str, Any]:
    """Normalise, limit and write the mix (and stems) of timeline frames ``span``; returns the
    delivered mix's figures. With stems, ``stem_stats`` collects each delivered stem's peak,
    RMS and loudness. ``origin``: samples since midnight at timeline zero (every
    WAV is a broadcast WAV placed there).

    One loop over the master stage (``audio/master.py``), as live preview does (it warms the
    limiter up before ``span``): from the tracks rendered again (with stems), or from the
    pre-master mix the measuring pass kept (``pre_master``), so a mix-only export renders the
    tracks once.
    """
    f0, f1 = span
    writers: list[WavWriter] = []

    def wav(path: Path) -> WavWriter:
        seed = len(writers)  # reproducible dither, different in every file
        writers.append(WavWriter(outputs.path_for(path), plan.rate, options.bit_depth,
                                 f1 - f0, seed, bext=Bext(origin + f0, f"Audiostudio {path.stem}")))
        return writers[-1]

    lanes = _Lanes(OUTPUT_THREADS if options.stems else 2)
    stem_files: list[Any] = []
    try:
        try:
            mix_file = wav(out_dir / "mix.wav") if "wav" in options.formats else None
            stem_files = _stem_writers(options, out_dir, outputs, names, plan.rate, wav)
            meter = LoudnessMeter(plan.rate, 2)
            source = pre_master or track_source(plan, stems=options.stems)
            stream = MasterStream(source, plan.rate, norm_db, ceiling, start=f0,
                                  block_frames=plan.block_frames)

            def put_stem(index: int, block: MasterBlock) -> None:
                stem = block.stem(index)  # scaled here, on the stem's own output thread
                if stem_files:
                    stem_files[index].write(stem)
                stem_stats.add_track(index, stem)

            for b0, b1 in plan.blocks(f0, f1):
                block = stream.read(b1 - b0)
                if options.stems:
                    for index in range(len(block.parts)):
                        lanes.submit(2 + index, put_stem, index, block)
                    stem_stats.count(b1 - b0)
                if mix_file is not None:
                    lanes.submit(1, mix_file.write, block.mix)
                if master is not None:
                    block.mix.tofile(master)
                lanes.submit(0, meter.add, block.mix)
                phase((b1 - f0) / (f1 - f0))
        finally:
            lanes.close()  # waits for the queued work; re-raises its error
    except OSError as exc:
        raise ExportError(f"Could not write to {out_dir}: {exc.strerror or exc}") from exc
    finally:
        for writer in writers:
            writer.close()
        for stem in stem_files:
            if isinstance(stem, _Mp3Writer):
                stem.close()
    lufs = meter.integrated()
    return {
        "file": next((f"mix.{fmt}" for fmt in ("wav", "mp3") if fmt in options.formats), None),
        "integrated_lufs": None if lufs is None else round(lufs, 2),
        "lra": _round(meter.loudness_range()),
        "true_peak_dbtp": _round(meter.true_peak_dbtp()),
        "sample_peak_dbfs": _round(meter.sample_peak_dbfs()),
        "duration_s": round((f1 - f0) / plan.rate, 3),
    }


def _starting_at(source: Source, start: int) -> Source:
    """``source`` holding the timeline from frame ``start`` on (read from there only)."""
    if start == 0:
        return source
    return lambda b0, b1: source(b0 - start, b1 - start)


def _handoff(project: Project, options: ExportOptions, out_dir: Path, outputs: OutputSet,
             plan: RenderPlan, names: list[str], span: tuple[int, int]) -> list[str]:
    """The video editors' files beside the stems, and the mix muxed into the video."""
    files = []
    if options.stems:
        stems = [StemFile(t.track_id, t.name or t.track_id, f"stems/{n}")
                 for t, n in zip(plan.tracks, names, strict=True)]
        files += write_handoff(project, out_dir, outputs, stems, span[0] / plan.rate,
                               (span[1] - span[0]) / plan.rate)
    if options.video is not None:
        name = muxed_name(options.video, options.video_audio)
        mux_video(options.video, outputs.pending(out_dir / "mix.wav"),
                  outputs.path_for(out_dir / name), options.video_audio)
        files.append(name)
    return files


def _stem_writers(options: ExportOptions, out_dir: Path, outputs: OutputSet, names: list[str],
                  rate: int, wav: Callable[[Path], WavWriter]) -> list[Any]:
    """One writer per stem: a WAV (``wav``) or a constant-bitrate MP3. MP3 stems are encoded
    as they are: each is under the ceiling before encoding, as the mix is, but only the mix
    gets the extra limiter margin for the encoder's new peaks."""
    if not options.stems:
        return []
    if options.stems_format == "mp3":
        return [_Mp3Writer(outputs.path_for(out_dir / "stems" / n), rate, options.mp3_bitrate)
                for n in names]
    return [wav(out_dir / "stems" / n) for n in names]


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
