#!/usr/bin/env bash
# Regenerate the pictures of README.md and docs/guide/ from the real window, offscreen: the
# demo scene and the example script's scene are built and generated offline on an empty cache,
# then shot with `audiostudio DIR --screenshot`; the guide's close-ups are crops of those.
#   scripts/update_screenshots.sh                       (the checkout's .venv/bin/audiostudio)
#   AUDIOSTUDIO=build/dist/audiostudio/audiostudio scripts/update_screenshots.sh   (the bundle)
set -euo pipefail
cd "$(dirname "$0")/.."
AS=$(realpath "${AUDIOSTUDIO:-.venv/bin/audiostudio}")
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A first start: no cache, no saved window layout, no sound device.
export QT_QPA_PLATFORM=offscreen XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config" \
  AUDIOSTUDIO_OUTPUT_DEVICE=none
mkdir -p docs/images
cd "$work"  # relative project names: the status bar in the pictures says "Opened lighthouse"
"$AS" demo audiostudio-demo >/dev/null
"$AS" audiostudio-demo --screenshot "$root/docs/images/window.png" --size 1600x1000
"$AS" new lighthouse --from-script "$root/resources/example-script.txt" --generate >/dev/null 2>&1
"$AS" lighthouse --screenshot lighthouse.png --size 1600x1000
cd "$root"
.venv/bin/python scripts/crop_pictures.py docs/images/window.png "$work/lighthouse.png" docs/images
ls -l docs/images
