#!/bin/sh
# training/schedule.sh: the resumable training queue (body-lite twin -> face-lite twin ->
# body-lite binary -> face-lite binary); a step with a final checkpoint is skipped.
#
# Start (or resume after a kill) from the repository root:
#   nohup nice -n 10 sh training/schedule.sh >> training/runs/schedule.out 2>&1 &
# Each train.py resumes from training/runs/<model>-<recipe>-resume.pt (fp32 + optimiser)
# or training/checkpoints/<model>/<recipe>-last.pt (fp16 weights) by itself.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # no spin-waiting on a shared machine
CK=training/checkpoints
mkdir -p training/runs

# Epochs: ~8 core-hours (4 h on 2 threads) per shipped model, twin + binary, at the measured
# speeds of docs/training.md on a shared 2-core machine.
BODY_TWIN_EPOCHS=${BODY_TWIN_EPOCHS:-35}
BODY_BIN_EPOCHS=${BODY_BIN_EPOCHS:-25}
FACE_TWIN_EPOCHS=${FACE_TWIN_EPOCHS:-110}
FACE_BIN_EPOCHS=${FACE_BIN_EPOCHS:-100}

step() { # model recipe epochs [extra args...]
  model=$1; recipe=$2; epochs=$3; shift 3
  if [ -f "$CK/$model/$recipe-final.pt" ]; then
    echo "schedule: $model $recipe done, skipping"
    return 0
  fi
  echo "schedule: $(date -Is) start $model $recipe ($epochs epochs)"
  $PY training/train.py --model "$model" --recipe "$recipe" --epochs "$epochs" "$@" \
    >> "training/runs/$model-$recipe.out" 2>&1
  echo "schedule: $(date -Is) end $model $recipe"
}

step body-lite twin "$BODY_TWIN_EPOCHS"
step face-lite twin "$FACE_TWIN_EPOCHS" --val-every 4
step body-lite binary "$BODY_BIN_EPOCHS" --teacher "$CK/body-lite/twin-final.pt"
step face-lite binary "$FACE_BIN_EPOCHS" --val-every 4 --teacher "$CK/face-lite/twin-final.pt"
echo "schedule: $(date -Is) all done"
