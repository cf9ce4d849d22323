#!/bin/sh
# annotate-file.sh: draws body/face landmarks on a video (or image) file into an H.264 MP4,
# and writes the landmarks as JSON lines beside it (OUT with .jsonl).
# Usage: annotate-file.sh IN OUT.mp4 [MODEL]   (MODEL: a .bnn file or body, face,
# body-lite, face-lite; default body-lite). From the source tree it uses build/plugin.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 IN OUT.mp4 [MODEL]" >&2
  exit 2
fi
in=$1
out=$2
model=${3:-body-lite}
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
if [ -f "$build/plugin/libgstbnnlandmarks.so" ]; then
  GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
# shipped model names resolve against the tree's models/ when run from it
[ -d "$top/models" ] && export BNNLM_MODEL_DIR="${BNNLM_MODEL_DIR:-$top/models}"
[ -f "$in" ] || { echo "$0: no such input: $in" >&2; exit 1; }
json="${out%.*}.jsonl"

exec gst-launch-1.0 -e \
  filesrc location="$in" ! decodebin ! videoconvert ! \
  bnnlandmarks model="$model" ! \
  landmarkexport location="$json" ! \
  landmarkoverlay ! videoconvert ! video/x-raw,format=I420 ! \
  x264enc tune=zerolatency speed-preset=faster ! h264parse ! mp4mux ! \
  filesink location="$out"
