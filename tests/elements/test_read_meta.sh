#!/bin/sh
# test_read_meta.sh: runs the Python pad-probe example (pipelines/examples/read_meta.py)
# on a test pattern and checks that it read GstLandmarkMeta through the typelib.
set -eu
script=$1
model=$2
out=$(/usr/bin/python3 "$script" "$model" --frames 3 --size 96x64 --min-confidence 0 2>&1) || {
  echo "$out"; echo "FAIL: the example failed"; exit 1; }
echo "$out"
echo "$out" | grep -q "^3 frame(s)" || { echo "FAIL: not 3 frames"; exit 1; }
if echo "$out" | grep -q "no landmark meta"; then echo "FAIL: a frame had no meta"; exit 1; fi
echo "$out" | grep -q "body-14-kp track" || { echo "FAIL: no instance read"; exit 1; }
echo "$out" | grep -q "class map" || { echo "FAIL: no class map read"; exit 1; }
echo "PASS"
