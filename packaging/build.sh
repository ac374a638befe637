#!/usr/bin/env bash
# Build the desktop app as one folder: build/dist/audiostudio/ (the program is
# build/dist/audiostudio/audiostudio; `install.sh` inside adds it to the desktop's menu).
# Needs PyInstaller: .venv/bin/pip install -e '.[packaging]'.   --archive also packs a .tar.gz.
# CPU-heavy (a few minutes on 2 cores); the bundle is built from the tree it is run in.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
if ! "$PY" -m PyInstaller --version >/dev/null 2>&1; then
  echo "PyInstaller is missing: .venv/bin/pip install -e '.[packaging]'" >&2
  exit 1
fi
started=$(date +%s)
rm -rf build/icons build/notices
"$PY" packaging/render_icons.py build/icons
"$PY" packaging/collect_licenses.py build/notices
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath build/dist --workpath build/work packaging/audiostudio.spec

app=build/dist/audiostudio
# Licences on top, where a user sees them: the bundle as a whole is GPL-3.0-or-later.
cp -r build/notices "$app/licenses"
cp LICENSE "$app/LICENSE"
cp THIRD-PARTY-NOTICES.md "$app/THIRD-PARTY-NOTICES.md"
cp packaging/licenses/GPL-3.0.txt "$app/COPYING"
if ls "$app/_internal"/libflite*.so.1 >/dev/null 2>&1; then  # Debian's Flite, bundled by the spec
  mkdir -p "$app/licenses/flite"
  cp packaging/licenses/Flite.txt "$app/licenses/flite/copyright"  # Debian's libflite1 notice
fi
# Desktop integration beside the program; install.sh puts it into ~/.local (or a prefix).
mkdir -p "$app/share/applications" "$app/share/metainfo" "$app/share/icons"
cp packaging/linux/*.desktop "$app/share/applications/"
cp packaging/linux/*.metainfo.xml "$app/share/metainfo/"
cp -r build/icons/hicolor "$app/share/icons/"
cp packaging/linux/install.sh "$app/install.sh"
echo "built $app in $(( $(date +%s) - started )) s: $(du -sh "$app" | cut -f1)"

if [ "${1:-}" = "--archive" ]; then
  version=$("$PY" -c 'import audiostudio; print(audiostudio.__version__)')
  archive="build/audiostudio-$version-linux-$(uname -m).tar.gz"
  tar -C build/dist -czf "$archive" audiostudio
  echo "packed $archive: $(du -sh "$archive" | cut -f1)"
fi
