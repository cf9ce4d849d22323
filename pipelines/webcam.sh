#!/bin/sh
# webcam.sh: live landmarks on a V4L2 camera, drawn in a window; the network runs in a
# worker thread (skip-when-busy) so the video never waits for it.
# Usage: webcam.sh [DEVICE] [MODEL]   (default /dev/video0, face-lite).
# From the source tree it uses build/plugin.
set -eu
device=${1:-/dev/video0}
model=${2:-face-lite}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
if [ -f "$build/plugin/libgstbnnlandmarks.so" ]; then
  GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
[ -d "$top/models" ] && export BNNLM_MODEL_DIR="${BNNLM_MODEL_DIR:-$top/models}"
[ -e "$device" ] || { echo "$0: no camera at $device" >&2; exit 1; }

exec gst-launch-1.0 \
  v4l2src device="$device" ! decodebin ! videoconvert ! \
  bnnlandmarks model="$model" skip-when-busy=true ! \
  landmarkoverlay ! videoconvert ! autovideosink sync=false
