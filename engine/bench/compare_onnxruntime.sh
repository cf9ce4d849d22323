#!/bin/sh
# compare_onnxruntime.sh: bnnlm (binary) against ONNX Runtime FP32 on the same topology, same
# input size and thread count, alternating in one run; prints both medians and the ratio.
# Usage: engine/bench/compare_onnxruntime.sh [BUILD_DIR] [SIZE: 256|128] [THREADS] [ITERS] [ROUNDS]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
size=${2:-256}; threads=${3:-1}; iters=${4:-20}; rounds=${5:-3}
work="$build/bench-ort"
mkdir -p "$work"
if [ ! -d "$work/node_modules/onnxruntime-node" ]; then
  cp "$top/engine/bench/package.json" "$work/"
  (cd "$work" && npm install --ignore-scripts --no-audit --no-fund >/dev/null)
fi
onnx="$work/paper$size.onnx"
[ -f "$onnx" ] || /usr/bin/python3 "$top/training/export_onnx.py" --size "$size" --width 256 \
  --depth 4 --points 16 --out "$onnx"
echo "# bnnlm vs onnxruntime-node, paper topology S=$size F=256 D=4 K=16, $threads thread(s), $iters iters x $rounds rounds"
i=0
while [ $i -lt "$rounds" ]; do
  b=$("$build/engine/cli/bnnlm" bench --synthetic "paper$size" --threads "$threads" --iters "$iters" --json | tail -n 1)
  o=$(NODE_PATH="$work/node_modules" node "$top/engine/bench/ort_bench.js" "$onnx" "$size" "$threads" "$iters")
  echo "bnnlm: $b"
  echo "ort:   $o"
  /usr/bin/python3 -c 'import json,sys; b=json.loads(sys.argv[1]); o=json.loads(sys.argv[2]); print("ratio ort/bnnlm (median): %.1fx  (bnnlm %.2f ms, ort %.2f ms)" % (o["ms_median"]/b["ms_median"], b["ms_median"], o["ms_median"]))' "$b" "$o"
  i=$((i + 1))
done
