#!/bin/sh
# link_plugins.sh: makes a directory of symlinks to the few system GStreamer plugins the
# element tests use, so that tests scan and load only those (hermetic, fast, and no leak
# reports from unrelated plugins under AddressSanitizer).
# Usage: link_plugins.sh SYSTEM_PLUGIN_DIR OUT_DIR STAMP NAME...
set -eu
src=$1
dir=$2
stamp=$3
shift 3
rm -rf "$dir"
mkdir -p "$dir"
for name in "$@"; do
  if [ -f "$src/libgst$name.so" ]; then
    ln -s "$src/libgst$name.so" "$dir/libgst$name.so"
  else
    echo "link_plugins.sh: $src/libgst$name.so not installed (tests needing it will fail)" >&2
  fi
done
: > "$stamp"
