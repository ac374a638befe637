#!/usr/bin/env bash
# One-command set-up for a fresh Debian/Ubuntu machine: system packages, a .venv at the
# repository root with Audiostudio and its test tools, then (unless --no-run) the main job:
# the demo scene generated offline and rendered to audiostudio-demo/export/.
set -euo pipefail
cd "$(dirname "$0")"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Qt's runtime libraries (the window and offscreen tests), Xvfb for real-window screenshots,
# libpulse0 for QtMultimedia's audio output, and a PulseAudio server for the tests that record
# what the sound output played (a null sink; no sound card needed); flite for the CMU Flite
# offline voices (libflite1 comes with it).
APT_PACKAGES="libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libxcb-cursor0 \
  libxcb-icccm4 libxcb-keysyms1 xvfb libpulse0 pulseaudio pulseaudio-utils flite"
if command -v apt-get >/dev/null 2>&1; then
  missing=""
  for p in $APT_PACKAGES; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
  fi
fi

PY="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"

if [ "${1:-}" != "--no-run" ]; then
  # The main job on the built-in offline provider: build, generate and render the demo scene.
  if [ -f audiostudio-demo/project.json ]; then
    .venv/bin/audiostudio render audiostudio-demo -o audiostudio-demo/export --stems
  else
    .venv/bin/audiostudio demo audiostudio-demo
  fi
  echo "Open it in the window with: .venv/bin/audiostudio audiostudio-demo"
fi
