#!/bin/sh
# test_inspect.sh: `gst-inspect-1.0 --plugin bnnlandmarks` lists the plugin's three elements,
# and `gst-inspect-1.0 ELEMENT` documents its metadata and every property (with a blurb).
set -eu
# the element shares the plugin's name, so the plain form documents the element and
# --plugin lists the plugin's contents
out=$(gst-inspect-1.0 --plugin bnnlandmarks 2>&1) || { echo "$out"; echo "FAIL: plugin not found"; exit 1; }
echo "$out"
for e in bnnlandmarks landmarkoverlay landmarkexport; do
  echo "$out" | grep -q "^ *$e:" || { echo "FAIL: element $e not listed"; exit 1; }
done
check() {
  el=$1; shift
  doc=$(gst-inspect-1.0 "$el" 2>&1) || { echo "$doc"; echo "FAIL: gst-inspect-1.0 $el"; exit 1; }
  for field in "Long-name" "Klass" "Description" "Author"; do
    echo "$doc" | grep -Eq "^ *$field +[^ ]" || { echo "FAIL: $el has no $field"; exit 1; }
  done
  for p in "$@"; do
    # "  name    : blurb" followed by flags on the next lines
    echo "$doc" | grep -Eq "^ *$p +: +[A-Za-z]" || { echo "FAIL: $el property $p undocumented"; exit 1; }
  done
}
check bnnlandmarks model threads inference-interval skip-when-busy min-confidence \
  max-instances smoothing min-cutoff beta d-cutoff isa inferences processing-time
check landmarkoverlay draw-skeleton draw-points draw-labels draw-mask draw-boxes line-width \
  point-radius min-confidence point-color line-color mask-alpha
check landmarkexport location post-messages
echo "PASS"
