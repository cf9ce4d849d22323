#!/bin/sh
# training/schedule.sh: the resumable training queue (body-lite twin -> face-lite twin ->
# body-lite binary -> face-lite binary); a step with a final checkpoint is skipped.
#
# Start (or resume after a kill) from the repository root, both tracks side by side:
#   nohup nice -n 10 sh training/schedule.sh body >> training/runs/schedule-body.out 2>&1 &
#   nohup nice -n 10 sh training/schedule.sh face >> training/runs/schedule-face.out 2>&1 &
# Each train.py resumes from training/runs/<model>-<recipe>-resume.pt (fp32 + optimiser)
# or training/checkpoints/<model>/<recipe>-last.pt (fp16 weights) by itself.
set -eu
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}  # no spin-waiting on a shared machine
CK=training/checkpoints
mkdir -p training/runs

# Epochs: sized so that both tracks, side by side on one thread each, finish within one
# 3-hour session (about 2.5 h of training) at the speeds of docs/training.md; longer runs
# continue from these (--init) in later sessions.
BODY_TWIN_EPOCHS=${BODY_TWIN_EPOCHS:-35}
BODY_BIN_EPOCHS=${BODY_BIN_EPOCHS:-8}
FACE_TWIN_EPOCHS=${FACE_TWIN_EPOCHS:-60}
FACE_BIN_EPOCHS=${FACE_BIN_EPOCHS:-24}

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

body_track() {
  step body-lite twin "$BODY_TWIN_EPOCHS" --threads "$THREADS"
  step body-lite binary "$BODY_BIN_EPOCHS" --threads "$THREADS" --teacher "$CK/body-lite/twin-final.pt"
}
face_track() {
  step face-lite twin "$FACE_TWIN_EPOCHS" --threads "$THREADS" --val-every 4
  step face-lite binary "$FACE_BIN_EPOCHS" --threads "$THREADS" --val-every 4 \
    --teacher "$CK/face-lite/twin-final.pt"
}

# Tracks: "all" (default) runs body then face with 2 torch threads; "body" or "face" runs one
# track, so the two can run side by side with THREADS=1 each (both models progress at once).
case "${1:-all}" in
  all) THREADS=${THREADS:-2}; body_track; face_track ;;
  body) THREADS=${THREADS:-1}; body_track ;;
  face) THREADS=${THREADS:-1}; face_track ;;
  *) echo "usage: sh training/schedule.sh [all|body|face]" >&2; exit 2 ;;
esac
echo "schedule: $(date -Is) ${1:-all} done"
