#!/bin/sh
# bench.sh: the pipelines benchmark (not a test): live 640x480@30 with skip-when-busy and
# offline file throughput, body and face models, 2 threads; prints Markdown tables.
# Usage: bench.sh [--seconds S] [--frames N] [--threads T]   (defaults 10, 300, 2)
# Uses the shipped models/body-lite.bnn and face-lite.bnn when present, else random-weight
# models of the same topology (S 128, F 128, D 4; K 14 / K 68 + 7 part classes), plus
# random 256-input models (S 256, F 256, D 4) for the paper's input size; it says which.
# Build tree: $BNNLM_BUILD_DIR, default build/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
for f in "$build/plugin/libgstbnnlandmarks.so" "$build/pipelines/annotate/bnnlm-annotate" \
         "$build/engine/cli/bnnlm" "$build/engine/cli/bnnlm-genmodel"; do
  [ -e "$f" ] || { echo "$0: $f missing: build first (meson compile -C $build)" >&2; exit 5; }
done
GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
export GST_PLUGIN_PATH
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen=$build/engine/cli/bnnlm-genmodel
models=${BNNLM_MODEL_DIR:-$top/models}

if [ -f "$models/body-lite.bnn" ]; then body=$models/body-lite.bnn; bl="body-lite.bnn (shipped)"
else
  body=$tmp/body-128.bnn; bl="random body S128 F128 D4 K14"
  "$gen" --size 128 --width 128 --depth 4 --points 14 --task body --out "$body" >/dev/null
fi
if [ -f "$models/face-lite.bnn" ]; then face=$models/face-lite.bnn; fl="face-lite.bnn (shipped)"
else
  face=$tmp/face-128.bnn; fl="random face S128 F128 D4 K68+seg"
  "$gen" --size 128 --width 128 --depth 4 --points 68 --seg --task face --out "$face" >/dev/null
fi
"$gen" --size 256 --width 256 --depth 4 --points 14 --task body --out "$tmp/body-256.bnn" >/dev/null
"$gen" --size 256 --width 256 --depth 4 --points 68 --seg --task face --out "$tmp/face-256.bnn" >/dev/null

/usr/bin/python3 "$top/pipelines/bench_pipelines.py" \
  --model "body 128=$body" --model "face 128=$face" \
  --model "body 256=$tmp/body-256.bnn" --model "face 256=$tmp/face-256.bnn" \
  --label "body 128: $bl; face 128: $fl; body/face 256: random S256 F256 D4 (K14 / K68+seg)" \
  --annotate "$build/pipelines/annotate/bnnlm-annotate" --bnnlm "$build/engine/cli/bnnlm" "$@"
