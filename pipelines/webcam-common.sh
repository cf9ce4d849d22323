# webcam-common.sh: shared by webcam.sh and webcam-record.sh (sourced, not run): finds the
# plugin, checks the camera, and builds the capture and landmark parts of the pipeline.
# In: $device $model. Out: $src (capture, decoded to raw video) and $landmarks (a region
# detector when there is one + bnnlandmarks skip-when-busy), gst-launch syntax.
#
# Environment:
#   BNNLM_BUILD_DIR      build tree whose plugin/ is used (default: the source tree's build/)
#   BNNLM_CAM_SIZE       capture size asked of the camera, WxH (default 640x480)
#   BNNLM_CAM_FPS        frame rate asked of the camera (default 30)
#   BNNLM_DETECT         1: the project's detector (bnndetect, models/detect.bnn) finds
#                        persons and faces first (default: 1 when models/detect.bnn exists)
#   BNNLM_DETECT_MODEL   the detector model (default detect)
#   BNNLM_FACEDETECT     1/0: find faces with OpenCV's facedetect before a face model
#                        (default 1 when the model's name contains "face" and the project's
#                        detector is not used)
#   BNNLM_THREADS        network threads (default 0: one per core)
#   BNNLM_WEBCAM_SOURCE  a gst-launch source description used instead of the camera, e.g.
#                        "videotestsrc is-live=true" (demos and tests; no device check)

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BNNLM_BUILD_DIR:-$top/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ -f "$build/plugin/libgstbnnlandmarks.so" ]; then
  GST_PLUGIN_PATH="$build/plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  export GST_PLUGIN_PATH
fi
if [ -d "$top/models" ] && [ -z "${BNNLM_MODEL_DIR:-}" ]; then
  BNNLM_MODEL_DIR=$top/models
  export BNNLM_MODEL_DIR
fi
if ! gst-inspect-1.0 bnnlandmarks >/dev/null 2>&1; then
  echo "$0: the bnnlandmarks plugin is not found: build it (meson setup build &&" \
       "meson compile -C build), set BNNLM_BUILD_DIR, or install it" >&2
  exit 5
fi

size=${BNNLM_CAM_SIZE:-640x480}
w=${size%x*}
h=${size#*x}
fps=${BNNLM_CAM_FPS:-30}
case "$w$h$fps" in *[!0-9]*|"") echo "$0: bad BNNLM_CAM_SIZE/BNNLM_CAM_FPS: $size @ $fps" >&2; exit 1 ;; esac

if [ -n "${BNNLM_WEBCAM_SOURCE:-}" ]; then
  src="$BNNLM_WEBCAM_SOURCE ! videoconvert"
else
  if [ ! -e "$device" ]; then
    found=$(ls /dev/video* 2>/dev/null | tr '\n' ' ')
    echo "$0: no camera at $device${found:+ (present: $found)}${found:- (no /dev/video* at all: is a camera plugged in, and is its driver loaded?)}" >&2
    exit 2
  fi
  if [ ! -c "$device" ]; then
    echo "$0: $device is not a video device (not a character device)" >&2
    exit 2
  fi
  if [ ! -r "$device" ] || [ ! -w "$device" ]; then
    echo "$0: no permission to open $device: add yourself to its group" \
         "($(stat -c %G "$device" 2>/dev/null || echo video)) and log in again" >&2
    exit 2
  fi
  if ! gst-inspect-1.0 v4l2src >/dev/null 2>&1; then
    echo "$0: GStreamer's v4l2src is missing (apt-get install gstreamer1.0-plugins-good)" >&2
    exit 5
  fi
  # Caps in order of preference: MJPEG at the asked size and rate (USB cameras deliver
  # their full rate only compressed), then raw, then whatever the camera has.
  # decodebin plugs jpegdec for MJPEG and passes raw video through.
  caps="image/jpeg,width=$w,height=$h,framerate=$fps/1;video/x-raw,width=$w,height=$h,framerate=$fps/1;image/jpeg,width=$w,height=$h;video/x-raw,width=$w,height=$h;image/jpeg;video/x-raw"
  src="v4l2src device=$device ! $caps ! decodebin ! videoconvert"
fi

detect=${BNNLM_DETECT:-}
if [ -z "$detect" ]; then
  detect=0
  [ -f "${BNNLM_MODEL_DIR:-$top/models}/detect.bnn" ] && detect=1
fi
facedetect=${BNNLM_FACEDETECT:-}
if [ -z "$facedetect" ]; then
  case $model in *face*) facedetect=1 ;; *) facedetect=0 ;; esac
  [ "$detect" = 1 ] && facedetect=0
fi
detector=""
if [ "$detect" = 1 ]; then
  detector="bnndetect model=${BNNLM_DETECT_MODEL:-detect} ! "
elif [ "$facedetect" = 1 ]; then
  if gst-inspect-1.0 facedetect >/dev/null 2>&1; then
    # regions of interest of type "face" for the face model; min size 80 px keeps it at
    # ~15 ms a 640x480 frame. OpenCV warns about cascades Debian does not ship: silenced.
    OPENCV_LOG_LEVEL=${OPENCV_LOG_LEVEL:-FATAL}
    export OPENCV_LOG_LEVEL
    detector="facedetect display=false min-size-width=80 min-size-height=80 scale-factor=1.2 ! "
  else
    echo "$0: note: OpenCV's facedetect is missing (gstreamer1.0-opencv): the face model" \
         "sees the whole frame" >&2
  fi
fi
landmarks="${detector}bnnlandmarks model=$model threads=${BNNLM_THREADS:-0} skip-when-busy=true"
