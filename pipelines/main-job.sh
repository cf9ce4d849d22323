#!/bin/sh
# main-job.sh: the README's main job on default inputs from Debian packages: people walking
# in opencv-doc's vtest.avi annotated with the body model (and a face photo from
# python3-skimage with the face model) into MP4s + JSON lines; without trained models it
# says so and measures the engine instead.
# Usage: main-job.sh [OUTDIR]   (default build/main-job; uses $BNNLM_BUILD_DIR or build/)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
export BNNLM_BUILD_DIR="$build"
out="${1:-$build/main-job}"
models=${BNNLM_MODEL_DIR:-$top/models}

video=/usr/share/doc/opencv-doc/examples/data/vtest.avi
[ -f "$video" ] || video=$(find /usr/share/doc/opencv-doc /usr/share/opencv4 -name 'vtest.avi' 2>/dev/null | head -n 1)
photo=/usr/lib/python3/dist-packages/skimage/data/astronaut.png

did=0
if [ -f "$models/body-lite.bnn" ]; then
  if [ -z "$video" ]; then
    echo "main-job: vtest.avi not found: apt-get install opencv-doc" >&2
    exit 2
  fi
  mkdir -p "$out"
  detect=""
  if [ -f "$models/detect.bnn" ]; then
    # several people: the detector finds each (also in 2 x 2 tiles: vtest's walkers are
    # small in its wide view), the body model runs on each (with the flip test, the tool's
    # default for recorded video); body-lite's low point confidences need a lower bar
    detect="--detect-model $models/detect.bnn --detect-tiles 2 --max-instances 8 --min-confidence 0.1"
    echo "main-job: body landmarks on $video (detect + body-lite)"
  else
    echo "main-job: body landmarks on $video (body-lite on the whole frame: no detector" \
         "model yet, so one subject at a time)"
  fi
  # shellcheck disable=SC2086
  sh "$top/pipelines/annotate-file.sh" "$video" "$out/vtest-body.mp4" "$models/body-lite.bnn" \
    --threads 2 $detect
  did=1
fi
if [ -f "$models/face-lite.bnn" ]; then
  if [ -f "$photo" ]; then
    mkdir -p "$out"
    if [ -f "$models/detect.bnn" ]; then
      faces="--detect-model $models/detect.bnn"; by="the project's detector"
    else
      faces="--detect-faces"; by="OpenCV's facedetect"
    fi
    echo "main-job: face landmarks and parts on $photo (face-lite, faces found by $by), as a 3 s clip"
    # shellcheck disable=SC2086
    sh "$top/pipelines/annotate-file.sh" "$photo" "$out/astronaut-face.mp4" "$models/face-lite.bnn" \
      $faces --still-frames 75 --threads 2
    did=1
  else
    echo "main-job: $photo not found (apt-get install python3-skimage): no face clip" >&2
  fi
fi
if [ $did = 0 ] && [ -f "$models/detect.bnn" ] && [ -n "$video" ]; then
  # No landmark model yet, but the detector is trained: show what it finds.
  mkdir -p "$out"
  echo "main-job: no landmark model yet (still training, see models/README.md); persons and"
  echo "main-job: faces found by the detector (models/detect.bnn) on $video"
  GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}" gst-launch-1.0 -q -e \
    filesrc location="$video" ! decodebin ! videoconvert ! \
    bnndetect model="$models/detect.bnn" threads=2 ! \
    landmarkoverlay draw-regions=true ! videoconvert ! video/x-raw,format=I420 ! \
    x264enc speed-preset=veryfast ! h264parse ! mp4mux ! \
    filesink location="$out/vtest-detections.mp4"
  did=1
fi
if [ $did = 1 ]; then
  echo "main-job: done; results in $out:"
  ls -l "$out"
  first=$(ls "$out"/*.mp4 | head -n 1)
  echo "main-job: play one with: gst-play-1.0 $first"
  exit 0
fi

echo "main-job: no trained model in $models yet (body-lite.bnn and face-lite.bnn are"
echo "main-job: still being trained, see models/README.md), so there is nothing to annotate:"
echo "main-job: a random-weight network would draw meaningless points. Measuring the engine"
echo "main-job: instead, on synthetic random-weight networks of the paper's topology:"
for preset in paper128 paper256; do
  "$build/engine/cli/bnnlm" bench --synthetic "$preset" --threads 2 --iters 20 | grep -E '^(model|isa|whole)'
done
echo "main-job: when the models are in $models, run this again (sh pipelines/main-job.sh)."
