#!/bin/sh
# annotate-file.sh: draws body/face landmarks on a video (or image) file into an H.264 MP4,
# keeps its audio, writes the landmarks as JSON lines beside it (OUT with .jsonl).
# Usage: annotate-file.sh IN OUT.mp4 [MODEL] [bnnlm-annotate options...]
#   MODEL: a .bnn file or body, face, body-lite, face-lite (default body-lite).
#   Options (see `bnnlm-annotate --help`): --threads N, --quality Q, --no-audio, ...
# Runs bnnlm-annotate (pipelines/annotate/bnnlm_annotate.c) from the build tree
# ($BNNLM_BUILD_DIR, default build/) with its plugin, else the installed one.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 IN OUT.mp4 [MODEL] [bnnlm-annotate options...]" >&2
  exit 1
fi
in=$1
out=$2
shift 2
model=body-lite
if [ $# -gt 0 ]; then
  case $1 in -*) ;; *) model=$1; shift ;; esac
fi
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ -x "$build/pipelines/annotate/bnnlm-annotate" ]; then
  tool=$build/pipelines/annotate/bnnlm-annotate
  GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
elif command -v bnnlm-annotate >/dev/null 2>&1; then
  tool=bnnlm-annotate
else
  echo "$0: bnnlm-annotate not found: build the project first (meson setup build &&" \
       "meson compile -C build) or set BNNLM_BUILD_DIR" >&2
  exit 5
fi
# shipped model names resolve against the tree's models/ when run from it
if [ -d "$top/models" ] && [ -z "${BNNLM_MODEL_DIR:-}" ]; then
  BNNLM_MODEL_DIR=$top/models
  export BNNLM_MODEL_DIR
fi
exec "$tool" --model "$model" "$@" "$in" "$out"
