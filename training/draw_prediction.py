# training/draw_prediction.py: runs `bnnlm predict` on one image (optionally with a --box) and
# draws what it returns, for checking a shipped model by eye: the box, the skeleton (body) or
# the 68-point contours (face), every point with its index, and the points' confidence.
# The picture is cropped around the box and enlarged so the points are visible.
#
#   /usr/bin/python3 training/draw_prediction.py --model models/face-lite.bnn \
#       --box 150,50,130,160 /usr/lib/python3/dist-packages/skimage/data/astronaut.png \
#       --out docs/predict-face-lite-astronaut.png
import argparse
import glob
import json
import os
import subprocess
import sys

from PIL import Image, ImageDraw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# the usual iBUG 68-point groups (0-based, inclusive ranges; closed = drawn as a loop)
FACE68_GROUPS = [(0, 16, False), (17, 21, False), (22, 26, False), (27, 30, False), (31, 35, False),
                 (36, 41, True), (42, 47, True), (48, 59, True), (60, 67, True)]


def find_bnnlm():
    for c in [os.environ.get("BNNLM", "")] + sorted(glob.glob(os.path.join(ROOT, "build*/engine/cli/bnnlm")),
                                                    key=os.path.getmtime, reverse=True):
        if c and os.access(c, os.X_OK):
            return c
    sys.exit("draw_prediction: no bnnlm binary (build the project, or set $BNNLM)")


def model_skeleton(model):
    """Skeleton pairs from the model file's META (no torch needed)."""
    sys.path.insert(0, HERE)
    from export_bnn import read_bnn
    meta = read_bnn(model)[0]
    sk = meta.get("skeleton", "")
    return [tuple(int(v) for v in p.split("-")) for p in sk.split(",") if p]


def main(argv=None):
    ap = argparse.ArgumentParser(description="draw bnnlm predict's points on the image")
    ap.add_argument("image")
    ap.add_argument("--model", required=True)
    ap.add_argument("--box", help="X,Y,W,H (default: the whole image)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--scale", type=float, default=0, help="enlargement (default: to ~600 px)")
    ap.add_argument("--margin", type=float, default=0.35, help="crop margin around the box")
    ap.add_argument("--labels", action="store_true", help="write each point's index")
    a = ap.parse_args(argv)
    cmd = [find_bnnlm(), "predict", "--model", a.model] + (["--box", a.box] if a.box else []) + [a.image]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.splitlines()[0])
    img = Image.open(a.image).convert("RGB")
    W, H = img.size
    bx, by, bw, bh = [float(v) for v in a.box.split(",")] if a.box else (0, 0, W, H)
    m = a.margin * max(bw, bh)
    x0, y0 = max(0, int(bx - m)), max(0, int(by - m))
    x1, y1 = min(W, int(bx + bw + m)), min(H, int(by + bh + m))
    s = a.scale or max(1.0, 600.0 / max(x1 - x0, y1 - y0))
    crop = img.crop((x0, y0, x1, y1)).resize((int((x1 - x0) * s), int((y1 - y0) * s)), Image.BICUBIC)
    d = ImageDraw.Draw(crop)

    def P(x, y):
        return ((x - x0) * s, (y - y0) * s)

    d.rectangle([P(bx, by), P(bx + bw, by + bh)], outline=(255, 255, 0), width=2)
    pts = res["points"]
    lw = max(2, int(s))
    if res["task"] == "face" and len(pts) == 68:
        pairs = []
        for a0, a1, closed in FACE68_GROUPS:
            pairs += [(i, i + 1) for i in range(a0, a1)] + ([(a1, a0)] if closed else [])
    else:
        pairs = model_skeleton(a.model)
    for i, j in pairs:
        d.line([P(*pts[i][:2]), P(*pts[j][:2])], fill=(0, 255, 0), width=lw)
    r = max(2.5, 1.5 * s)
    for k, (x, y, c) in enumerate(pts):
        col = (255, 40, 40) if c >= 0.3 else (255, 160, 0)
        cx, cy = P(x, y)
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=col, outline=(0, 0, 0))
        if a.labels:
            d.text((cx + r + 1, cy - r - 1), str(k), fill=(255, 255, 255))
    conf = sorted(p[2] for p in pts)
    d.text((6, 6), f"{res.get('model', '')} on {os.path.basename(a.image)}; confidence min "
           f"{conf[0]:.2f} median {conf[len(conf) // 2]:.2f} (orange < 0.3)", fill=(255, 255, 255))
    crop.save(a.out)
    print(f"wrote {a.out} ({crop.size[0]}x{crop.size[1]}); {json.dumps(res)[:200]}...")


if __name__ == "__main__":
    main()
