#!/bin/sh
# main-job.sh: the README's main job on a default input from Debian packages: annotate
# people walking in opencv-doc's vtest.avi into an MP4 and JSON lines (when models are shipped).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
out="${1:-$top/build/main-job}"
mkdir -p "$out"
video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
[ -f "$video" ] || video=$(find /usr/share/doc/opencv-doc /usr/share/opencv4 -name 'vtest.avi*' 2>/dev/null | head -n 1)

if [ -f "$top/models/body-lite.bnn" ] && [ -x "$top/pipelines/annotate-file.sh" ] && [ -f "$build/plugin/libgstbnnlandmarks.so" ]; then
  exec sh "$top/pipelines/annotate-file.sh" "$video" "$out/vtest-annotated.mp4" body-lite
fi

echo "main-job: no trained model is shipped yet (models/*.bnn); measuring the engine instead:"
"$build/engine/cli/bnnlm" bench --synthetic paper256 --threads 2 --iters 10
