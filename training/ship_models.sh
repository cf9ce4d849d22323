#!/bin/sh
# training/ship_models.sh: turns the finished binary checkpoints into the shipped models and
# measures them: export (format 2) to models/, engine-vs-trainer parity, accuracy on val through
# the engine with the real twin beside it (the binarization gap), the same model in format 1
# (what format 2's f16/q8 rounding costs), and the drawn pictures of docs/.
#
#   sh training/ship_models.sh [body-lite] [face-lite] [body] [face]   # default: the lite two
#
# Each model ships from its newest finished binary cycle (binary-w4 ... w1-final, packed
# .q8.pt first: the F = 256 cycles from a widened lite net; then binary-c4 ...
# binary-final.pt); with none finished, from binary-last.pt, and the script says so.
# Results: training/logs/eval-<model>*.json.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE
CK=training/checkpoints
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ASTRONAUT=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi

models=${*:-body-lite face-lite}
for m in $models; do
  # the newest finished cycle (a second cycle -c2 starts from binary-final.pt with --init)
  ck=""
  for f in binary-w4-final.q8.pt binary-w4-final.pt binary-w3-final.q8.pt binary-w3-final.pt \
      binary-w2-final.pt binary-w1-final.pt binary-c4-final.pt binary-c3-final.pt binary-c2-final.pt \
      binary-final.pt; do
    [ -f "$CK/$m/$f" ] && { ck=$CK/$m/$f; break; }
  done
  if [ -z "$ck" ]; then
    ck=$CK/$m/binary-last.pt
    echo "ship: $m: no finished binary cycle, shipping the latest checkpoint $ck"
  fi
  echo "ship: $m from $ck"
  [ -f "$ck" ] || { echo "ship: $m: no binary checkpoint"; continue; }
  twin=""
  for f in twin-final.pt twin-w-final.q8.pt twin-w-final.pt twin-last.pt; do
    [ -f "$CK/$m/$f" ] && { twin=$CK/$m/$f; break; }
  done
  twinarg="--twin $twin"
  [ -f "$twin" ] || { twinarg=""; echo "ship: $m: no twin of its own, no binarization gap"; }
  $PY training/export_bnn.py "$ck" --out "models/$m.bnn" --check
  $PY training/export_bnn.py "$ck" --out "$TMP/$m-v1.bnn" --format 1
  $PY training/check_parity.py "models/$m.bnn" "$ck" || echo "ship: $m: PARITY CHECK FAILED (see above)"
  extra=""
  case $m in face*) extra="--ced-plot docs/training-$m-ced.png" ;; esac
  # shellcheck disable=SC2086
  $PY training/evaluate.py "models/$m.bnn" $twinarg --threads 2 \
    --json "training/logs/eval-$m.json" $extra
  $PY training/evaluate.py "$TMP/$m-v1.bnn" --threads 2 --json "training/logs/eval-$m-format1.json"
done

# pictures checked by eye (docs/): the face on skimage's astronaut, the body on a vtest.avi walker
for m in face-lite face; do
  if [ -f models/$m.bnn ] && [ -f "$ASTRONAUT" ]; then
    $PY training/draw_prediction.py --model models/$m.bnn --box 170,65,110,125 --labels \
      "$ASTRONAUT" --out docs/predict-$m-astronaut.png
  fi
done
if [ -f models/body-lite.bnn ] && [ -f "$VTEST" ]; then
  gst-launch-1.0 -q filesrc location="$VTEST" ! decodebin ! videoconvert ! video/x-raw,format=RGB \
    ! pngenc ! multifilesink location="$TMP/f%03d.png" max-files=0 >/dev/null
  $PY training/draw_prediction.py --model models/body-lite.bnn --box 345,196,40,80 --labels \
    "$TMP/f100.png" --out docs/predict-body-lite-vtest.png
fi

# whole scenes (issue 8): bnndetect finds the people, body-lite runs on each
if [ -f models/body-lite.bnn ] && [ -f models/detect.bnn ]; then
  # the release plugin (an ASan build cannot load into gst-launch without its runtime)
  B=$(ls -d build/plugin build*/plugin 2>/dev/null | grep -v asan | head -n 1)
  DATA=/usr/share/doc/opencv-doc/examples/data
  for img in "$TMP/f100.png:vtest-frame100" "$DATA/basketball1.png:basketball1" "$DATA/basketball2.png:basketball2"; do
    src=${img%%:*}; name=${img##*:}
    [ -f "$src" ] || continue
    GST_PLUGIN_PATH=$PWD/$B BNNLM_MODEL_DIR=$PWD/models gst-launch-1.0 -q filesrc location="$src" \
      ! pngdec ! videoconvert ! bnndetect ! bnnlandmarks model=body max-instances=8 \
      ! landmarkoverlay draw-regions=true ! videoconvert ! pngenc \
      ! filesink location="docs/scene-body-$name.png"
    echo "wrote docs/scene-body-$name.png"
  done
fi
