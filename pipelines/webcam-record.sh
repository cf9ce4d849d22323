#!/bin/sh
# webcam-record.sh: webcam.sh plus a recording: the annotated stream to an H.264 file and
# its landmarks as JSON lines beside it (OUT with .jsonl), one line per recorded frame.
# Usage: webcam-record.sh [DEVICE] [MODEL] [OUT.mp4|OUT.mkv]
#   (default /dev/video0, face-lite, webcam-DATE-TIME.mp4). Stop with Ctrl-C: the file is
#   finished properly. .mkv stays playable even if the program is killed.
set -eu
device=${1:-/dev/video0}
model=${2:-face-lite}
out=${3:-webcam-$(date +%Y%m%d-%H%M%S).mp4}
. "$(dirname "$0")/webcam-common.sh"
sink=${BNNLM_WEBCAM_SINK:-autovideosink}
json="${out%.*}.jsonl"
case $out in
  *.mkv) mux=matroskamux ;;
  *.mp4|*.m4v|*.mov) mux=mp4mux ;;
  *) echo "$0: OUT must end with .mp4 or .mkv: $out" >&2; exit 1 ;;
esac
outdir=$(dirname "$out")
if [ ! -d "$outdir" ] || [ ! -w "$outdir" ]; then
  echo "$0: cannot write into $outdir" >&2
  exit 4
fi
echo "$0: recording to $out and $json (Ctrl-C stops)" >&2

# Display and recording are independent branches of a tee, each behind its own leaky
# queue: a slow window or encoder drops its own frames and never stalls the capture.
# landmarkexport sits in the recording branch, so the JSON lines are exactly the recorded
# frames.
# shellcheck disable=SC2086
exec gst-launch-1.0 -e \
  $src ! $landmarks ! landmarkoverlay ! tee name=t \
  t. ! queue max-size-buffers=3 max-size-bytes=0 max-size-time=0 leaky=downstream ! \
       videoconvert ! $sink \
  t. ! queue max-size-buffers=60 max-size-bytes=0 max-size-time=0 leaky=downstream ! \
       landmarkexport location="$json" ! videoconvert ! video/x-raw,format=I420 ! \
       x264enc tune=zerolatency speed-preset=ultrafast ! h264parse ! $mux ! \
       filesink location="$out"
