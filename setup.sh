#!/bin/sh
# setup.sh: install the Debian 12 packages bnnlandmarks needs, build it into build/,
# and run the main job on a default input. Flags: --deps (packages only), --no-run.
set -eu
cd "$(dirname "$0")"

PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev
 libjpeg-dev libpng-dev libcairo2-dev libjson-glib-dev
 libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev
 gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
 gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-rtsp
 gstreamer1.0-opencv gobject-introspection libgirepository1.0-dev
 gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 python3-gi python3-gst-1.0
 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user
 python3-torch python3-numpy python3-pil python3-matplotlib
 opencv-doc python3-skimage valgrind"

missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup.sh: installing:$missing"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing
fi
[ "${1:-}" = "--deps" ] && exit 0

[ -d build ] || meson setup build
meson compile -C build
[ "${1:-}" = "--no-run" ] && exit 0

exec sh pipelines/main-job.sh
