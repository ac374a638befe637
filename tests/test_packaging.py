"""Installable and presentable: package data, help examples, icons, the wheel, the desktop app.

The fast checks run every time. The `packaging` ones are opt-in (`./test.sh -m packaging`):
one builds a wheel and installs it into a clean venv, the other runs the PyInstaller bundle
(built by packaging/build.sh when missing or older than the sources; AUDIOSTUDIO_BUNDLE
names another one) offscreen, with no network where `unshare` allows, on an empty cache.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf

import audiostudio
from audiostudio.cli import _first_positional, _subcommands, build_parser, examples

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PACKAGE = ROOT / "audiostudio"
ICONS = PACKAGE / "ui" / "icons"


def _data_files() -> list[str]:
    return sorted(p.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("*")
                  if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in
                  p.parts)


def test_package_data_covers_every_data_file():
    # A file the code loads but the wheel leaves out works in the checkout and fails after
    # `pipx install`: every non-Python file in the package must match a package-data pattern.
    patterns = PYPROJECT["tool"]["setuptools"]["package-data"]["audiostudio"]
    files = _data_files()
    assert "model/project.schema.json" in files and "ui/icons/play.svg" in files
    left_out = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert not left_out, f"add these to [tool.setuptools.package-data]: {left_out}"


def _parse(parser, line: str):
    argv = shlex.split(line)[1:]
    first = _first_positional(argv)
    if first is not None and argv[first] not in _subcommands(parser):
        argv.insert(first, "open")  # as main() does: `audiostudio DIR` opens it
    return parser.parse_args(argv)


def test_every_command_has_examples_that_parse():
    parser = build_parser()
    commands = _subcommands(parser)
    missing = sorted(commands - set(examples.EXAMPLES))
    assert not missing, f"add examples for {missing} to audiostudio/cli/examples.py"
    for name, lines in examples.EXAMPLES.items():
        assert name in commands, f"examples for a command that does not exist: {name}"
        for line in lines:
            assert _parse(parser, line).command == name, line
    top = [line.split("  ")[1].strip() for line in examples.TOP.splitlines()
           if line.startswith("  audiostudio") and "COMMAND" not in line]
    assert len(top) == 3
    for line in top:
        _parse(parser, line)
    render_help = parser._subparsers._group_actions[0].choices["render"].format_help()
    assert "examples:\n  audiostudio render my-scene -o my-scene/export --stems" in render_help


def test_version_from_python_m_matches_the_project():
    run = subprocess.run([sys.executable, "-m", "audiostudio", "--version"], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    assert run.stdout.strip() == f"audiostudio {PYPROJECT['project']['version']}"
    assert audiostudio.__version__ == PYPROJECT["project"]["version"]


def test_icon_set_renders_and_a_wrong_name_fails(qapp):
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    from audiostudio.ui.theme import icon

    names = sorted(p.stem for p in ICONS.glob("*.svg"))
    assert {"audiostudio", "play", "pause", "stop", "loop", "generate", "export", "voice",
            "sfx", "music"} <= set(names)
    for name in names:
        renderer = QSvgRenderer(str(ICONS / f"{name}.svg"))
        assert renderer.isValid(), name
        image = QImage(24, 24, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter, QRectF(0, 0, 24, 24))
        painter.end()
        alpha = np.array([[image.pixelColor(x, y).alpha() for x in range(24)]
                          for y in range(24)])
        assert 0.03 < (alpha > 128).mean() < 0.9, f"{name}: nothing (or only a block) drawn"
        assert not icon(name).isNull()
    with pytest.raises(FileNotFoundError):
        icon("no-such-icon")


def test_readme_and_guide_links_and_pictures_exist():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs" / "guide").glob("*.md"))]
    assert len(pages) >= 7
    broken = []
    for page in pages:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            target = (page.parent / link.split("#")[0]).resolve()
            if not link.startswith("http") and not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
            if target.suffix == ".png" and target.exists():
                assert target.stat().st_size < 300_000, f"{link}: keep pictures under 300 KB"
    assert not broken, broken


# --- opt-in: the wheel and the desktop bundle ----------------------------------------------

def _clean_env(home: Path) -> dict[str, str]:
    """No cache, config or sound device from the developer: a first start on a new machine."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AUDIOSTUDIO_", "PYTHON", "XDG_", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / "cache"),
               XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen",
               AUDIOSTUDIO_OUTPUT_DEVICE="none")
    return env


def _offline(argv: list[str], hide_flite: bool = False) -> list[str]:
    """Run with no network (a private namespace has no interfaces): nothing is fetched. With
    ``hide_flite`` the system's Flite libraries read as empty files: the bundle's own must do."""
    unshare = shutil.which("unshare")
    if not unshare or os.geteuid() != 0:
        return argv
    if not hide_flite:
        return [unshare, "--net", "--", *argv]
    hide = ('for f in /usr/lib/*/libflite*.so*; do [ -e "$f" ] && mount --bind /dev/null "$f"; '
            "done")
    return [unshare, "--net", "--mount", "--", "sh", "-c", f'{hide}; exec "$@"', "sh", *argv]


def _run(argv: list[str], env: dict[str, str], cwd: Path, timeout: float = 600):
    run = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                         timeout=timeout)
    assert run.returncode == 0, f"{argv}\n{run.stdout}\n{run.stderr}"
    return run


def _assert_demo_exported(project: Path) -> None:
    export = project / "export"
    mix, rate = sf.read(export / "mix.wav", always_2d=True)
    assert mix.shape[0] / rate > 10.0
    loudness = pyloudnorm.Meter(rate).integrated_loudness(mix)
    assert abs(loudness - -16.0) < 0.5, loudness
    for handoff in ("timeline.otio", "timeline.xml", "subtitles.srt"):
        assert (export / handoff).stat().st_size > 100, handoff  # through OTIO's adapters
    markers = (export / "markers.csv").read_text().splitlines()
    assert markers[0] == "timecode,seconds,label"  # the demo has no markers: the header alone
    assert list((export / "edl").glob("*.edl"))
    stems = sorted(p.name for p in (export / "stems").glob("*.wav"))
    assert len(stems) >= 3 and any("narration" in s for s in stems), stems
    for stem in stems:
        data, _ = sf.read(export / "stems" / stem)
        assert np.abs(data).max() > 0.01, f"{stem} is silent"


@pytest.mark.packaging
def test_wheel_installs_in_a_clean_venv_and_runs_the_demo(tmp_path):
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
         dict(os.environ), ROOT, timeout=900)
    (wheel,) = dist.glob("audiostudio-*.whl")
    listing = subprocess.run([sys.executable, "-m", "zipfile", "-l", str(wheel)],
                             capture_output=True, text=True, check=True).stdout
    for data in _data_files():
        assert f"audiostudio/{data}" in listing, f"{data} missing from {wheel.name}"
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    home = tmp_path / "home"
    env = _clean_env(home)
    _run([str(env_dir / "bin" / "pip"), "install", "-q", str(wheel)], env, tmp_path,
         timeout=900)
    exe = str(env_dir / "bin" / "audiostudio")
    assert _run([exe, "--version"], env, tmp_path).stdout.strip() == (
        f"audiostudio {audiostudio.__version__}")
    _run(_offline([exe, "demo", str(tmp_path / "demo")]), env, tmp_path)
    _assert_demo_exported(tmp_path / "demo")


def _bundle() -> Path:
    named = os.environ.get("AUDIOSTUDIO_BUNDLE")
    if named:
        return Path(named)
    exe = ROOT / "build" / "dist" / "audiostudio" / "audiostudio"
    sources = [p for d in ("audiostudio", "packaging") for p in (ROOT / d).rglob("*")
               if p.is_file() and "__pycache__" not in p.parts]
    if not exe.exists() or exe.stat().st_mtime < max(p.stat().st_mtime for p in sources):
        subprocess.run(["bash", str(ROOT / "packaging" / "build.sh")], cwd=ROOT, check=True,
                       timeout=3600)
    return exe


def _wave_pixels(png: Path) -> dict[str, int]:
    """Pixels in each clip kind's waveform colour: the window drew generated audio."""
    from PySide6.QtGui import QColor, QImage

    from audiostudio.ui.timeline.items import clip_palette
    from audiostudio.ui.timeline.style import KIND_COLORS

    image = QImage(str(png)).convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1, 4)
    rgb = pixels[:, : image.width(), 2::-1].astype(int)
    counts = {}
    for kind in ("voice", "sfx", "music"):
        wave = clip_palette(QColor(KIND_COLORS[kind]).rgb(), False, False)["wave"]
        target = np.array(wave.getRgb()[:3])
        counts[kind] = int((np.abs(rgb - target).max(axis=2) <= 8).sum())
    return counts


@pytest.mark.packaging
def test_built_app_renders_the_demo_offline(tmp_path, qapp):
    exe = _bundle()
    app = exe.parent
    for notice in ("COPYING", "LICENSE", "THIRD-PARTY-NOTICES.md", "licenses/PACKAGES.md",
                   "licenses/piper-tts/COPYING", "share/applications"):
        assert (app / notice).exists(), f"{notice} missing from the bundle"
    env = _clean_env(tmp_path / "home")
    assert _run([str(exe), "--version"], env, tmp_path).stdout.strip() == (
        f"audiostudio {audiostudio.__version__}")
    project = tmp_path / "demo"
    # The demo speaks with Piper and Flite, and makes its SFX and music offline.
    _run(_offline([str(exe), "demo", str(project)], hide_flite=True), env, tmp_path)
    _assert_demo_exported(project)
    shot = tmp_path / "window.png"
    _run(_offline([str(exe), str(project), "--screenshot", str(shot), "--size", "1600x1000"]),
         env, tmp_path)
    counts = _wave_pixels(shot)
    assert all(n > 200 for n in counts.values()), counts
    out = tmp_path / "mp3"  # the bundled ffmpeg encodes and decodes
    _run(_offline([str(exe), "render", str(project), "-o", str(out), "--format", "mp3"]),
         env, tmp_path)
    report = json.loads(_run([str(exe), "analyze", str(out / "mix.mp3"), "--json"], env,
                             tmp_path).stdout)
    assert abs(report[0]["integrated_lufs"] - -16.0) < 1.0, report
