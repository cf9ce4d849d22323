#!/bin/sh
# webcam.sh: live landmarks on a V4L2 camera, drawn in a window; the network runs in a
# worker thread (skip-when-busy) so the video never waits for it.
# Usage: webcam.sh [DEVICE] [MODEL]   (default /dev/video0, face-lite; MODEL: a .bnn file
# or body, face, body-lite, face-lite). Settings by environment: see webcam-common.sh.
set -eu
device=${1:-/dev/video0}
model=${2:-face-lite}
. "$(dirname "$0")/webcam-common.sh"
sink=${BNNLM_WEBCAM_SINK:-autovideosink}

# The display branch syncs to the clock (the element answers the LATENCY query); the queue
# lets the capture thread go on while the display waits for a frame's time.
# shellcheck disable=SC2086
exec gst-launch-1.0 -e \
  $src ! $landmarks ! landmarkoverlay ! \
  queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 leaky=downstream ! \
  videoconvert ! $sink
