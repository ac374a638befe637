"""Export: the project -> mix (WAV and/or MP3) + stems + report.json, streamed in blocks.

Passes over the timeline (each one block per track in memory, whatever the length):
1. the mixer's plan (sources decoded once into the cache, ducking envelope from the key tracks);
2. measure the pre-master mix's integrated loudness -> the normalisation gain;
3. read the delivered mix (and stems) from the master stage (``audio/master.py``, which live
   preview plays too): that gain, the true-peak limiter on the mix, and the limiter's gain
   curve on the mix *and* every stem, so the stems carry the mix's ducking, normalisation and
   limiting and sum to the delivered mix;
4. MP3: encode with extra limiter margin, decode it back and measure; more margin until the
   decoded MP3 also stays under the ceiling (the encoder's filters create new peaks).
A range (``start``/``end``) is still measured over the whole project, and the master stage
warms the limiter up before ``start``: the range of the export equals the same samples of a
whole export.
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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile as sf

from audiostudio.audio.limiter import TruePeakLimiter
from audiostudio.audio.loudness import LoudnessMeter, gain_to_target_db, measure_file
from audiostudio.audio.master import MasterBlock, MasterStream, file_source, track_source
from audiostudio.audio.mixer import RenderPlan, build_plan, render_tracks
from audiostudio.errors import CancelledError, ExportError
from audiostudio.export.handoff import (
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
from audiostudio.problems import render_problems
from audiostudio.progress import Progress

OUTPUT_THREADS = 3  # lanes 0, 1: the meter, the mix; stems go round all three
MP3_RATES = (32000, 44100, 48000)
MP3_MAX_TRIES = 4


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
    """Sample peak and RMS of each track, accumulated block by block."""

    def __init__(self, count: int) -> None:
        self.peak = np.zeros(count)
        self.sum_sq = np.zeros(count)
        self.frames = 0

    def add_track(self, index: int, audio: np.ndarray) -> None:
        """One track's next block; the frames are counted by ``count``. Safe from several
        threads as long as each index is updated by one of them."""
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
    plan: RenderPlan, phase: _Phase, keep: BinaryIO | None
) -> tuple[float | None, _StemStats]:
    """Loudness of the pre-master mix. For a mix-only export (``keep`` given) also keep the
    mix on disk, so the writing pass need not render the tracks again, and the per-track
    levels, which an export with stems measures on the written stems instead."""
    meter = LoudnessMeter(plan.rate, 2, true_peak=False)
    stats = _StemStats(len(plan.tracks))
    worker = _BackgroundWorker()  # the meter (and the kept mix) beside the rendering
    try:
        for b0, b1 in plan.blocks():
            tracks = render_tracks(plan, b0, b1)
            tracks *= np.float32(plan.master_gain)
            mix = tracks.sum(axis=0)
            worker.submit(meter.add, mix)
            if keep is not None:
                worker.submit(mix.tofile, keep)
                stats.add(tracks)
            phase(b1 / plan.frames)
    finally:
        worker.close()
    return meter.integrated(), stats


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


def _encode_mp3(master: Path, rate: int, ceiling: float, kbps: int, target: Path) -> dict:
    """Limit with growing margin until the decoded MP3 stays under ``ceiling``."""
    data = np.memmap(master, dtype="<f4", mode="r").reshape(-1, 2)
    margin = 0.5
    for _ in range(MP3_MAX_TRIES):
        limiter = TruePeakLimiter(rate, 2, ceiling_dbtp=ceiling - margin)
        skip = limiter.latency_frames  # the limiter's output starts with its look-ahead delay
        out = _Mp3Writer(target, rate, kbps)
        try:
            step = 1 << 16
            for i in range(0, len(data), step):
                limited = limiter.process(np.asarray(data[i : i + step]))
                drop = min(skip, len(limited))
                skip -= drop
                out.write(limited[drop:])
            out.write(limiter.flush()[skip:])
        finally:
            out.close()
        figures = measure_file(target).to_json_dict()
        peak = figures["true_peak_dbtp"]
        if peak is None or peak <= ceiling:
            figures["limiter_margin_db"] = round(margin, 2)
            figures["bitrate_kbps"] = kbps
            return figures
        margin += peak - ceiling + 0.2
    raise ExportError(f"Could not keep the MP3 under {ceiling} dBTP (decoded peak {peak} dBTP)")


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
    _check_options(options, options.sample_rate or project.sample_rate_hz)
    try:
        return _export(project, folder, out_dir, options, _Phase(progress, cancelled), cache)
    except (OSError, sf.SoundFileError) as exc:
        # Disk full, a file where a folder should be, no permission: one clear message.
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        where = getattr(exc, "filename", None) or out_dir
        raise ExportError(f"Could not write the export ({where}): {reason}") from exc


def _check_options(options: ExportOptions, rate: int) -> None:
    """Refuse impossible options before any work, not after a long render."""
    if options.bit_depth not in SUBTYPES:
        raise ExportError(f"Bit depth must be one of {', '.join(SUBTYPES)}")
    if "mp3" in options.formats:
        if rate not in MP3_RATES:
            raise ExportError(f"MP3 needs a 32, 44.1 or 48 kHz sample rate, not {rate} Hz")
        _check_mp3_bitrate(options.mp3_bitrate)
    if options.video is not None and ("wav" not in options.formats
                                      or options.start is not None or options.end is not None):
        raise ExportError("The video gets the whole mix as WAV: export the whole project "
                          "with a WAV mix to put it into the video")
    if options.start is not None and options.start < 0:
        raise ExportError(f"The range cannot start before 0 s ({options.start} s)")
    if options.start is not None and options.end is not None and options.end <= options.start:
        raise ExportError(f"The range must end after it starts ({options.start} s to "
                          f"{options.end} s)")


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
    names = stem_names([t.name or t.track_id for t in plan.tracks])
    report: dict[str, Any] = {}
    temps: list[Path] = []

    def temp_file(prefix: str) -> BinaryIO:
        # Scratch audio goes to the system temp dir (TMPDIR), never into the output folder.
        fd, name = tempfile.mkstemp(prefix=f"audiostudio-{prefix}-", suffix=".f32")
        temps.append(Path(name))
        return os.fdopen(fd, "w+b")

    try:
        with OutputSet() as outputs:
            phase.start("Measuring loudness", 0.35)
            pre_master = None if options.stems or not whole else temp_file("premaster")
            pre_lufs, stats = _measure_pass(plan, phase, pre_master)
            kept = None
            if pre_master is not None:
                pre_master.flush()
                kept = temps[0]  # read back in place by the writing pass
            norm_db = gain_to_target_db(pre_lufs, target) if target is not None else 0.0
            norm = 10.0 ** (norm_db / 20.0)
            phase.start("Writing mix" + (" and stems" if options.stems else ""), 0.55)
            master = temp_file("master") if "mp3" in options.formats else None
            stem_stats = _StemStats(len(plan.tracks))
            origin = timeline_zero_samples(project, plan.rate)  # the bext time reference
            report.update(_write_pass(plan, options, out_dir, outputs, names, ceiling, norm,
                                      kept, master, phase, stem_stats, span, origin))
            # Track levels: of the written stems (and of each delivered track of a range),
            # else of each track after normalisation (before the limiter, which only the
            # stems carry).
            levels, scale = (stem_stats, 1.0) if options.stems or not whole else (stats, norm)
            if master is not None:
                master.close()
                phase.start("Encoding MP3", 0.1)
                mp3 = outputs.path_for(out_dir / "mix.mp3")
                report["mp3"] = _encode_mp3(temps[-1], plan.rate, ceiling, options.mp3_bitrate,
                                            mp3)
            if pre_master is not None:
                pre_master.close()
            report.update(
                target_lufs=target,
                true_peak_ceiling_dbtp=ceiling,
                pre_normalization_lufs=None if pre_lufs is None else round(pre_lufs, 2),
                normalization_gain_db=round(norm_db, 2),
                sample_rate_hz=plan.rate,
                range_s=None if whole else [round(span[0] / plan.rate, 3),
                                            round(span[1] / plan.rate, 3)],
                bit_depth=options.bit_depth,
                files=sorted(
                    [f"mix.{fmt}" for fmt in options.formats]
                    + ([f"stems/{n}" for n in names] if options.stems else [])
                ),
                tracks=[
                    {
                        "id": t.track_id,
                        "name": t.name,
                        "stem": f"stems/{n}" if options.stems else None,
                        "sample_peak_dbfs": _db(float(levels.peak[i]) * scale),
                        "rms_dbfs": _db(float(levels.rms()[i]) * scale),
                    }
                    for i, (t, n) in enumerate(zip(plan.tracks, names, strict=True))
                ],
            )
            report["warnings"] = [p.to_json() for p in render_problems(project, folder, report)]
            # the video editors' files (and the video), apart from the audio files
            report["handoff"] = _handoff(project, options, out_dir, outputs, plan, names, span)
            report_path = outputs.path_for(out_dir / "report.json")
            report_path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    phase(1.0)
    return report


def _write_pass(
    plan: RenderPlan,
    options: ExportOptions,
    out_dir: Path,
    outputs: OutputSet,
    names: list[str],
    ceiling: float,
    norm: float,
    pre_master: Path | None,
    master: BinaryIO | None,
    phase: _Phase,
    stem_stats: _StemStats,
    span: tuple[int, int],
    origin: int,
) -> dict[str, Any]:
    """Normalise, limit and write the mix (and stems) of timeline frames ``span``; returns the
    delivered mix's figures. With stems (and for a range), ``stem_stats`` collects each
    delivered track's peak and RMS. ``origin``: samples since midnight at timeline zero (every
    WAV is a broadcast WAV placed there).

    One loop over the master stage (``audio/master.py``), as live preview does: from the
    tracks rendered again (with stems, or for a range, whose limiter the stream warms up
    before ``span``), or from the pre-master mix the measuring pass kept (``pre_master``), so
    a mix-only export renders the tracks once.
    """
    f0, f1 = span
    writers: list[WavWriter] = []

    def wav(path: Path) -> WavWriter:
        seed = len(writers)  # reproducible dither, different in every file
        writers.append(WavWriter(outputs.path_for(path), plan.rate, options.bit_depth,
                                 f1 - f0, seed, bext=Bext(origin + f0, f"Audiostudio {path.stem}")))
        return writers[-1]

    lanes = _Lanes(OUTPUT_THREADS if options.stems else 2)
    # A range reports each delivered track's levels, so it renders the tracks even for a mix.
    per_track = options.stems or span != (0, plan.frames)
    try:
        try:
            mix_file = wav(out_dir / "mix.wav") if "wav" in options.formats else None
            stem_files = [wav(out_dir / "stems" / n) for n in names] if options.stems else []
            meter = LoudnessMeter(plan.rate, 2)
            source = (file_source(pre_master) if pre_master is not None
                      else track_source(plan, stems=per_track))
            stream = MasterStream(source, plan.rate, 20.0 * np.log10(norm), ceiling, start=f0,
                                  block_frames=plan.block_frames)

            def put_stem(index: int, block: MasterBlock) -> None:
                stem = block.stem(index)  # scaled here, on the stem's own output thread
                if stem_files:
                    stem_files[index].write(stem)
                if stem.any():
                    stem_stats.add_track(index, stem)

            for b0, b1 in plan.blocks(f0, f1):
                block = stream.read(b1 - b0)
                if per_track:
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
    lufs = meter.integrated()
    return {
        "file": next((f"mix.{fmt}" for fmt in ("wav", "mp3") if fmt in options.formats), None),
        "integrated_lufs": None if lufs is None else round(lufs, 2),
        "lra": _round(meter.loudness_range()),
        "true_peak_dbtp": _round(meter.true_peak_dbtp()),
        "sample_peak_dbfs": _round(meter.sample_peak_dbfs()),
        "duration_s": round((f1 - f0) / plan.rate, 3),
    }


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


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
