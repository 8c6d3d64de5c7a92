#!/usr/bin/env sh
# Register this unpacked bundle for the current user: the menu entry, the icon, and .relman
# files opening in the app from a file manager. Nothing outside ~/.local is touched;
# uninstall.sh-like removal is: rm the files listed below.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
mkdir -p "$data/applications" "$data/metainfo" "$data/mime/packages" "$bin"
cp -r "$here/share/icons" "$data/"
sed "s|^Exec=.*|Exec=\"$here/relman-desktop\" %f|" "$here/share/applications/relman-desktop.desktop" \
    > "$data/applications/relman-desktop.desktop"
cp "$here/share/metainfo/io.github.relman_desktop.metainfo.xml" "$data/metainfo/"
cp "$here/share/mime/packages/relman-desktop.xml" "$data/mime/packages/"
ln -sf "$here/relman" "$bin/relman"
ln -sf "$here/relman-desktop" "$bin/relman-desktop"
command -v update-mime-database >/dev/null && update-mime-database "$data/mime" || true
command -v update-desktop-database >/dev/null && update-desktop-database "$data/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$data/icons/hicolor" || true
echo "Release Manager Desktop is installed for $(id -un): find it in your applications menu,"
echo "or run $bin/relman-desktop; .relman files now open in it."
