#!/bin/sh
# pipelines/examples/scene_pictures.sh: draws issue 8's whole-scene pictures (docs/detector.md,
# "Whole scenes") with the built plugin and the shipped models: bnndetect finds the people or
# faces, bnnlandmarks runs on each region and keeps those its model verifies, landmarkoverlay
# draws the detector's regions (labelled with their confidence) under the landmarks.
#
#   sh pipelines/examples/scene_pictures.sh [OUTDIR]      (default: docs)
#
# Inputs: opencv-doc's basketball1.png, basketball2.png and vtest.avi (frame 150), and a
# collage of several faces (no Debian package ships a group photo) built from
# scikit-image's astronaut.png and opencv-doc's messi5.jpg and basketball frames.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$here/docs}
D=/usr/share/doc/opencv-doc/examples/data
A=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
export GST_PLUGIN_PATH="$here/build/plugin" BNNLM_MODEL_DIR="$here/models"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# body: every person the detector finds and the body model verifies (points of confidence
# >= 0.2, the overlay's default min-confidence)
for f in basketball1 basketball2; do
  gst-launch-1.0 -q filesrc location=$D/$f.png ! pngdec ! videoconvert ! \
    bnndetect classes=person ! bnnlandmarks model=body max-instances=8 ! \
    landmarkoverlay draw-regions=true ! videoconvert ! jpegenc quality=85 ! \
    filesink location="$out/scene-body-$f.jpg"
done
gst-launch-1.0 -q filesrc location=$D/vtest.avi ! decodebin ! videoconvert ! \
  identity eos-after=151 ! bnndetect tiles=2 threshold=0.3 classes=person ! \
  bnnlandmarks model=body max-instances=8 ! \
  landmarkoverlay draw-regions=true ! videoconvert ! jpegenc quality=85 ! \
  multifilesink location="$tmp/vt-%03d.jpg"
cp "$tmp/vt-150.jpg" "$out/scene-body-vtest.jpg"

# face: the basketball frames and the collage (tiles=2: faces of 20-60 px; with the
# verification it gives the best face AP on both splits, docs/detector.md)
for f in basketball1 basketball2; do
  gst-launch-1.0 -q filesrc location=$D/$f.png ! pngdec ! videoconvert ! \
    bnndetect classes=face tiles=2 ! bnnlandmarks model=face max-instances=8 ! \
    landmarkoverlay draw-regions=true ! videoconvert ! pngenc ! \
    filesink location="$out/scene-face-$f.png"
done
/usr/bin/python3 - "$D" "$A" "$tmp/group.png" <<'EOF'
import sys
from PIL import Image
D, A, out = sys.argv[1], sys.argv[2], sys.argv[3]
c = Image.new("RGB", (1134, 684), (128, 128, 128))
c.paste(Image.open(A).convert("RGB").resize((384, 384)), (0, 0))
c.paste(Image.open(D + "/messi5.jpg").convert("RGB").crop((100, 0, 500, 342)).resize((450, 384)), (384, 0))
c.paste(Image.open(D + "/basketball1.png").convert("RGB").crop((0, 40, 300, 340)), (834, 0))
c.paste(Image.open(D + "/basketball2.png").convert("RGB").crop((0, 40, 300, 340)), (834, 300))
c.paste(Image.open(A).convert("RGB").resize((300, 300)), (0, 384))
c.save(out)
EOF
gst-launch-1.0 -q filesrc location="$tmp/group.png" ! pngdec ! videoconvert ! \
  bnndetect classes=face tiles=2 ! bnnlandmarks model=face max-instances=8 ! \
  landmarkoverlay draw-regions=true ! videoconvert ! jpegenc quality=85 ! \
  filesink location="$out/scene-face-group.jpg"
echo "scene pictures written to $out"
