#!/usr/bin/env bash
# Put this Audiostudio folder on the desktop: a launcher in the applications menu, the icon, the
# AppStream metainfo, and `audiostudio` on PATH. Per user by default (~/.local); for everyone:
# sudo ./install.sh /usr/local.  The folder itself stays where it is: move it first if you like.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix="${1:-$HOME/.local}"
id=io.github.audiostudio.Audiostudio
mkdir -p "$prefix/bin" "$prefix/share/applications" "$prefix/share/metainfo" "$prefix/share/icons"
ln -sf "$here/audiostudio" "$prefix/bin/audiostudio"
sed "s|^Exec=audiostudio|Exec=\"$here/audiostudio\"|" "$here/share/applications/$id.desktop" \
  > "$prefix/share/applications/$id.desktop"
cp "$here/share/metainfo/$id.metainfo.xml" "$prefix/share/metainfo/"
cp -r "$here/share/icons/hicolor" "$prefix/share/icons/"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$prefix/share/icons/hicolor" || true
echo "Installed: $prefix/bin/audiostudio and the Audiostudio launcher"
