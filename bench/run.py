"""Export benchmarks, side by side in one run; prints the figures and the commands behind them.

    python bench/run.py [--minutes 10] [--only typical|stress|baselines|short] [--profile]

Every job runs as a child process (the exact command is printed), timed by wall clock; peak
RSS is the child's ``ru_maxrss`` and "CPU s" its user + system time (RUSAGE_CHILDREN of a small
launcher process; less sensitive to other load than the wall time ``x real time`` uses);
"anon" is the peak of its anonymous memory (RssAnon, sampled every 20 ms), i.e. without the
page-cache pages of memory-mapped files, which RSS counts.
Each Audiostudio run gets a fresh, empty ``XDG_CACHE_HOME``: the decode cache is cold.
Outputs are checked (duration, loudness measured with pyloudnorm) and then deleted; before
that, the export with stems is followed by its write floor: the same bytes written plainly.
"short" compares whole processes on a 2-minute scene (ours vs pydub vs ffmpeg, one run each)
and times ``audiostudio --help`` / ``--version``.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scenes
import soundfile as sf
from baselines import ffmpeg_commands, pass2_command  # bench/ is sys.path[0] for this script

ROOT = Path(__file__).resolve().parent.parent
CLI = os.path.relpath(Path(sys.executable).parent / "audiostudio", ROOT)
PYTHON = os.path.relpath(sys.executable, ROOT)
SHORT_MINUTES = 2.0  # the short scene: 8 tracks, ~40 clips


@dataclass
class Result:
    job: str
    wall: float
    audio: float  # seconds of timeline rendered
    rss_mb: float
    cpu: float  # user + system seconds of the child (all its threads)
    anon_mb: float
    command: str
    check: str
    ok: bool


# Children are started by a fresh, small Python (the launcher), not by this process: on Linux a
# child's ru_maxrss starts from the RSS of the process that forked it, and this one grows while
# it checks the outputs. The launcher reports its children's peak RSS to the file in argv[1].
LAUNCHER = ("import resource, subprocess, sys; rc = subprocess.call(sys.argv[2:]); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "open(sys.argv[1], 'w').write(f'{u.ru_maxrss} {u.ru_utime + u.ru_stime}'); "
            "sys.exit(rc)")


def _anon_peak(launcher: int, stop: threading.Event, peak: list[int]) -> None:
    """Peak RssAnon (KiB) of the launcher's children, sampled every 20 ms."""
    while not stop.wait(0.02):
        total = 0
        try:
            pids = Path(f"/proc/{launcher}/task/{launcher}/children").read_text().split()
            for pid in pids:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("RssAnon:"):
                        total += int(line.split()[1])
        except OSError:
            continue
        peak[0] = max(peak[0], total)


def timed(cmd: list[str], log: Path,
          env: dict[str, str] | None = None) -> tuple[float, int, int, float]:
    """Run ``cmd`` (output to ``log``); (wall seconds, peak RSS KiB, peak anonymous KiB,
    CPU seconds)."""
    rss = log.with_suffix(".rss")
    with log.open("w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, str(rss), *cmd], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
        stop, peak = threading.Event(), [0]
        sampler = threading.Thread(target=_anon_peak, args=(proc.pid, stop, peak))
        sampler.start()
        proc.wait()
        wall = time.perf_counter() - start
        stop.set()
        sampler.join()
    if proc.returncode:
        sys.exit(f"{shlex.join(cmd)} failed ({proc.returncode}); see {log}:\n"
                 + log.read_text()[-2000:])
    maxrss, cpu = rss.read_text().split()
    return wall, int(maxrss), peak[0], float(cpu)


def lufs(path: Path) -> float:
    import pyloudnorm

    data, rate = sf.read(str(path), dtype="float32")
    return float(pyloudnorm.Meter(rate).integrated_loudness(data.astype(np.float64)))


def check_mix(path: Path, seconds: float, target: float | None, subtype: str) -> tuple[str, bool]:
    info = sf.info(str(path))
    level = lufs(path)
    ok = abs(info.duration - seconds) < 0.01 and info.subtype == subtype
    if target is not None:
        ok = ok and abs(level - target) < 0.5
    return f"{info.duration:.3f} s {info.subtype} {level:.1f} LUFS", ok


class Bench:
    def __init__(self, minutes: float, work: Path) -> None:
        self.minutes, self.seconds, self.work = minutes, minutes * 60, work
        self.results: list[Result] = []
        self.logs = work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)

    def rel(self, path: Path) -> str:
        return os.path.relpath(path, ROOT)

    def _fresh(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        return path

    def ours(self, job: str, scene: Path, stems: bool) -> None:
        slug = job.replace(" ", "-").replace(":", "").replace("+", "-")
        cache, out = self._fresh(f"cache-{slug}"), self._fresh(f"out-{slug}")
        cache.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k != "AUDIOSTUDIO_CACHE_DIR"}
        env["XDG_CACHE_HOME"] = str(cache)
        cmd = [CLI, "render", self.rel(scene), "-o", self.rel(out), *(["--stems"] if stems else [])]
        wall, rss, anon, cpu = timed(cmd, self.logs / f"{slug}.log", env)
        report = json.loads((out / "report.json").read_text())
        (self.logs / f"{slug}.report.json").write_text(json.dumps(report, indent=1))
        check, ok = check_mix(out / "mix.wav", self.seconds, report["target_lufs"], "PCM_24")
        check += f" (own meter {report['integrated_lufs']}, TP {report['true_peak_dbtp']} dBTP)"
        written: list[Path] = []
        if stems:
            files = sorted((out / "stems").iterdir())
            sizes = sum(f.stat().st_size for f in files) / 1e9
            ok = ok and all(abs(sf.info(str(f)).duration - self.seconds) < 0.01 for f in files)
            check += f", {len(files)} stems = {sizes:.2f} GB"
            written = [out / "mix.wav", *files]
        shutil.rmtree(cache)
        command = f"XDG_CACHE_HOME={self.rel(cache)} {shlex.join(cmd)}"
        self.results.append(Result(job, wall, self.seconds, rss / 1024, cpu, anon / 1024,
                                   command, check, ok))
        if written:
            self.write_floor(job, [f.stat().st_size for f in written], out / "floor")
        shutil.rmtree(out)

    def write_floor(self, job: str, sizes: list[int], folder: Path) -> None:
        """The same bytes as ``job`` wrote, written plainly into the same output folder."""
        cmd = [PYTHON, "bench/write_floor.py", self.rel(folder), *map(str, sizes)]
        wall, rss, anon, cpu = timed(cmd, self.logs / "write-floor.log")
        shutil.rmtree(folder)
        self.results.append(Result(f"write floor of {job}", wall, self.seconds, rss / 1024,
                                   cpu, anon / 1024, shlex.join(cmd),
                                   f"{sum(sizes) / 1e9:.2f} GB in {len(sizes)} files, plain "
                                   f"write() of ready bytes", True))

    def cli_start(self, args: list[str], runs: int = 5) -> None:
        """Whole-process time of a quick CLI call; the best of ``runs`` (the first may pay
        for a cold page cache)."""
        cmd = [CLI, *args]
        walls = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
            walls.append(time.perf_counter() - start)
        self.results.append(Result(shlex.join(["audiostudio", *args]), min(walls), 0.0, 0.0,
                                   0.0, 0.0,
                                   shlex.join(cmd), f"best of {runs}; median "
                                   f"{sorted(walls)[runs // 2] * 1000:.0f} ms", True))

    def ffmpeg(self, scene: Path) -> None:
        import imageio_ffmpeg

        from audiostudio.model.store import load_project

        project = load_project(scene).project
        out = self._fresh("out-ffmpeg")
        out.mkdir()
        exe = os.path.relpath(imageio_ffmpeg.get_ffmpeg_exe(), ROOT)
        cmd1, graph1, graph2 = ffmpeg_commands(exe, project, Path(self.rel(scene)),
                                               Path(self.rel(self.logs)))
        wall1, rss1, anon1, cpu1 = timed(cmd1, self.logs / "ffmpeg-pass1.log")
        cmd2 = pass2_command(cmd1, graph1, graph2, (self.logs / "ffmpeg-pass1.log").read_text(),
                             out / "mix.wav")
        wall2, rss2, anon2, cpu2 = timed(cmd2, self.logs / "ffmpeg-pass2.log")
        check, ok = check_mix(out / "mix.wav", self.seconds, project.mix.target_lufs, "PCM_24")
        if "Dynamic" in (self.logs / "ffmpeg-pass2.log").read_text():
            check += " (loudnorm fell back to dynamic mode)"
        scripts = []
        for n, cmd in ((1, cmd1), (2, cmd2)):
            script = self.logs / f"ffmpeg-pass{n}.sh"
            script.write_text(shlex.join(cmd) + "\n")
            scripts.append(f"sh {self.rel(script)}")
        inputs = cmd1.count("-i")
        command = (f"{' && '.join(scripts)}  # ffmpeg with {inputs} inputs, "
                   f"-/filter_complex {self.rel(graph1)} then {self.rel(graph2)}; "
                   "pass 2 gets pass 1's measured_* values")
        self.results.append(Result("ffmpeg 2-pass (mix only)", wall1 + wall2, self.seconds,
                                   max(rss1, rss2) / 1024, cpu1 + cpu2,
                                   max(anon1, anon2) / 1024, command, check, ok))
        shutil.rmtree(out)

    def pydub(self, scene: Path) -> None:
        out = self._fresh("out-pydub")
        out.mkdir()
        cmd = [PYTHON, "-W", "ignore", "bench/baselines.py", "pydub", self.rel(scene),
               self.rel(out / "mix.wav")]
        wall, rss, anon, cpu = timed(cmd, self.logs / "pydub.log")
        check, ok = check_mix(out / "mix.wav", self.seconds, None, "PCM_16")
        self.results.append(Result("pydub overlay (mix only)", wall, self.seconds, rss / 1024,
                                   cpu, anon / 1024, shlex.join(cmd), check, ok))
        shutil.rmtree(out)

    def profile(self, scene: Path) -> None:
        import pstats

        cache, out = self._fresh("cache-profile"), self._fresh("out-profile")
        stats = self.logs / "typical.prof"
        env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
        env.pop("AUDIOSTUDIO_CACHE_DIR", None)
        cmd = [PYTHON, "-m", "cProfile", "-o", self.rel(stats), "-m", "audiostudio", "render",
               self.rel(scene), "-o", self.rel(out), "--stems"]
        print(f"profiling: XDG_CACHE_HOME={self.rel(cache)} {shlex.join(cmd)}")
        timed(cmd, self.logs / "profile.log", env)
        shutil.rmtree(cache)
        shutil.rmtree(out)
        pstats.Stats(str(stats)).sort_stats("cumulative").print_stats(25)
        pstats.Stats(str(stats)).sort_stats("tottime").print_stats(15)


def table(results: list[Result], minutes: float) -> str:
    rows = [("#", "job", "wall s", "CPU s", "x real time", "peak RSS MB", "peak anon MB",
             "check")]
    for i, r in enumerate(results, 1):
        rows.append((str(i), r.job, f"{r.wall:.2f}", f"{r.cpu:.2f}" if r.cpu else "",
                     f"{r.audio / r.wall:.1f}" if r.audio else "",
                     f"{r.rss_mb:.0f}" if r.rss_mb else "", f"{r.anon_mb:.0f}" if r.anon_mb else "",
                     ("ok: " if r.ok else "WRONG: ") + r.check))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines += ["", f"Commands (cwd {ROOT}; timeline {minutes:g} min):"]
    lines += [f"  {i}. {r.command}" for i, r in enumerate(results, 1)]
    return "\n".join(lines)


def verdicts(results: list[Result]) -> list[str]:
    by = {r.job: r for r in results}
    lines: list[str] = []

    def verdict(name: str, passed: bool, detail: str) -> None:
        lines.append(f"  {'PASS' if passed else 'FAIL'}  {name}: {detail}")

    if r := by.get("typical mix+stems"):
        x = r.audio / r.wall
        floor = by.get("write floor of typical mix+stems")
        near = floor is not None and r.wall <= 1.2 * floor.wall
        detail = f"{x:.0f}x ({r.wall:.2f} s)"
        if floor:
            detail += f"; {r.wall / floor.wall:.1f}x the write floor ({floor.wall:.2f} s)"
        verdict("typical >= 100x real time or <= 1.2x the write floor", x >= 100 or near, detail)
    for job in ("stress mix only", "stress mix+stems"):
        if r := by.get(job):
            x = r.audio / r.wall
            verdict(f"{job} >= 30x, RSS < 1500 MB", x >= 30 and r.rss_mb < 1500,
                    f"{x:.0f}x, {r.rss_mb:.0f} MB RSS ({r.anon_mb:.0f} MB anonymous)")
    ours = by.get("typical mix+stems")
    mix = by.get("typical mix only")
    for job, need, name in (("ffmpeg 2-pass (mix only)", 2.0, "ours >= 2x faster than ffmpeg"),
                            ("pydub overlay (mix only)", 1.0, "ours faster than pydub")):
        if (r := by.get(job)) and ours:
            ratio = r.wall / ours.wall
            extra = f"; {r.wall / mix.wall:.1f}x vs our mix only" if mix else ""
            verdict(name, ratio >= need,
                    f"{ratio:.1f}x ({r.wall:.2f} s vs our mix+stems {ours.wall:.2f} s{extra})")
    return lines


def short_verdicts(results: list[Result]) -> list[str]:
    by = {r.job: r for r in results}
    lines = []
    ours = by["short mix only"]
    for job, need, name in (("ffmpeg 2-pass (mix only)", 2.0, "ours >= 2x faster than ffmpeg"),
                            ("pydub overlay (mix only)", 1.0, "ours faster than pydub")):
        ratio = by[job].wall / ours.wall
        lines.append(f"  {'PASS' if ratio >= need else 'FAIL'}  short: {name}: {ratio:.2f}x "
                     f"({by[job].wall:.2f} s vs {ours.wall:.2f} s)")
    for job in ("audiostudio --help", "audiostudio --version"):
        ms = by[job].wall * 1000
        lines.append(f"  {'PASS' if ms < 100 else 'FAIL'}  {job} < 100 ms: {ms:.0f} ms")
    return lines


def short_comparison(work: Path) -> str:
    """Whole processes on the 2-minute scene, one run each, and the CLI's start-up."""
    bench = Bench(SHORT_MINUTES, work)
    scene = scenes.ensure("typical", SHORT_MINUTES, work)
    bench.ours("short mix only", scene, stems=False)
    bench.pydub(scene)
    bench.ffmpeg(scene)
    bench.cli_start(["--help"])
    bench.cli_start(["--version"])
    return "\n".join([table(bench.results, SHORT_MINUTES), "", "Targets (short scene):",
                      *short_verdicts(bench.results)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="timeline length")
    parser.add_argument("--only", choices=("typical", "stress", "baselines", "short"))
    parser.add_argument("--profile", action="store_true",
                        help="only profile the typical export (cProfile, top functions)")
    parser.add_argument("--work", type=Path, default=scenes.WORK)
    args = parser.parse_args()
    bench = Bench(args.minutes, args.work.resolve())
    only = args.only
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    if only == "short":
        report = short_comparison(bench.work)
        print(f"\n$ {shlex.join([PYTHON, *sys.argv])}    ({os.cpu_count()} CPUs, load average "
              f"before the run: {load})\n")
        print(report)
        return
    typical = scenes.ensure("typical", args.minutes, bench.work)
    if args.profile:
        bench.profile(typical)
        return
    stress = scenes.ensure("stress", args.minutes, bench.work) if only in (None, "stress") else None
    if only in (None, "typical", "baselines"):
        bench.ours("typical mix+stems", typical, stems=True)
        bench.ours("typical mix only", typical, stems=False)
    if only in (None, "baselines"):
        bench.ffmpeg(typical)
        bench.pydub(typical)
    if stress:
        bench.ours("stress mix only", stress, stems=False)
        bench.ours("stress mix+stems", stress, stems=True)
    print(f"\n$ {shlex.join([PYTHON, *sys.argv])}    ({os.cpu_count()} CPUs, load average "
          f"before the run: {load})\n")
    print(table(bench.results, args.minutes))
    print("\nTargets:")
    print("\n".join(verdicts(bench.results)))
    if stress:
        print("  note: the 32 stems of the stress run are written to disk (32 x 24-bit stereo "
              "WAV); the ffmpeg and pydub baselines write no stems.")
    if only is None:
        print("\n" + short_comparison(bench.work))


if __name__ == "__main__":
    main()
