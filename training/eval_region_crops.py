#!/usr/bin/python3
"""eval_region_crops.py: how well a body model does on crops made from *detector* boxes, as
bnnlandmarks makes them from upstream regions (bnn_crop_for_box: a square of S x the box's
larger side, centred on the box), for several values of S.

1. The detector's box errors: models/detect.bnn runs on the data/detect images of a split, as
   bnndetect does (EngineDetector); each labelled person gets the detection of its class that
   overlaps it most (IoU >= 0.3, score >= the element's default 0.2). Its error relative to the
   true box is kept: centre offset / box width and height, log of the width and height ratios.
2. pose-lsp14 val: the person box from the labelled joints, widened as detect_data.CropSet
   widens it (joints are limb centres; an outline box reaches 6 % further left, right and up,
   8 % down). That box, and copies of it moved by errors drawn from step 1, become crops of
   S x their larger side; the engine runs them (bnn_preprocess_packed, bnn_net_run,
   bnn_decode_points, as the element does) and PCK@0.2 is scored in the crop's frame.

    BNNLM_LIB=$PWD/build/engine/libbnnlm.so /usr/bin/python3 training/eval_region_crops.py \\
        --model models/body.bnn --scales 1.3,1.45,1.6,1.75 --json out.json
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402
from eval_detect import EngineDetector, iou_one  # noqa: E402

PERSON = 0  # detect_data.CLASSES


def detector_box_errors(det_path, split, threshold=0.2, min_iou=0.3):
    """N x 4 (dx / w, dy / h, log w'/w, log h'/h) of the best-overlapping person detection of
    each labelled, not ignored person box in the split; and the number of persons missed."""
    from detect_data import DetSet
    ds = DetSet(split)
    det = EngineDetector(det_path, threshold=threshold)
    errs, missed = [], 0
    for img, boxes, cls, ign, lab in zip(ds.images, ds.boxes, ds.cls, ds.ignore, ds.labelled):
        if not lab[PERSON]:
            continue
        res, _ = det(img)
        d = np.array([r[2:6] for r in res if r[0] == PERSON], np.float32).reshape(-1, 4)
        for b, c, g in zip(boxes, cls, ign):
            if c != PERSON or g:
                continue
            if len(d) == 0:
                missed += 1
                continue
            ious = iou_one(b, d)[0]
            k = int(np.argmax(ious))
            if ious[k] < min_iou:
                missed += 1
                continue
            p = d[k]
            errs.append(((p[0] + p[2] / 2 - b[0] - b[2] / 2) / b[2],
                         (p[1] + p[3] / 2 - b[1] - b[3] / 2) / b[3],
                         np.log(p[2] / b[2]), np.log(p[3] / b[3])))
    return np.array(errs, np.float64).reshape(-1, 4), missed


def outline_box(pts, vis):
    """The person box (edges) from the labelled joints (pixel centres), as CropSet builds it."""
    p = pts[vis]
    x0, y0 = p[:, 0].min() + 0.5, p[:, 1].min() + 0.5
    x1, y1 = p[:, 0].max() + 0.5, p[:, 1].max() + 0.5
    m = max(x1 - x0, y1 - y0)
    x0, x1, y0, y1 = x0 - 0.06 * m, x1 + 0.06 * m, y0 - 0.06 * m, y1 + 0.08 * m
    return np.array([x0, y0, x1 - x0, y1 - y0])


def moved(box, e):
    """box moved by one detector error (dx / w, dy / h, log w'/w, log h'/h)."""
    x, y, w, h = box
    cx, cy = x + w / 2 + e[0] * w, y + h / 2 + e[1] * h
    w2, h2 = w * np.exp(e[2]), h * np.exp(e[3])
    return np.array([cx - w2 / 2, cy - h2 / 2, w2, h2])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/body.bnn")
    ap.add_argument("--detector", default="models/detect.bnn")
    ap.add_argument("--det-split", default="val", help="detect split the box errors come from")
    ap.add_argument("--scales", default="1.3,1.45,1.6,1.75")
    ap.add_argument("--samples", type=int, default=4, help="detector-like boxes per image")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from data import KeypointSet

    errs, missed = detector_box_errors(a.detector, a.det_split)
    q = lambda v: [round(float(x), 3) for x in np.percentile(v, [10, 50, 90])]  # noqa: E731
    print(f"detector person boxes ({a.det_split}): {len(errs)} matched, {missed} missed; "
          f"10/50/90 %: dx/w {q(errs[:, 0])} dy/h {q(errs[:, 1])} "
          f"log w {q(errs[:, 2])} log h {q(errs[:, 3])}")
    ds = KeypointSet("body", "val", limit=a.limit)
    imgs, gt, vis = ds.images.numpy(), ds.points.numpy(), ds.visible.numpy()
    from engine import CropRunner
    crop_runner = CropRunner(a.model)
    run = lambda img, box, s: crop_runner(img, box, s)[:, :2]  # noqa: E731
    rng = np.random.default_rng(a.seed)
    draws = rng.integers(0, len(errs), size=(len(imgs), a.samples))
    res = dict(model=a.model, detector=a.detector, det_split=a.det_split, matched=len(errs),
               missed=missed, samples=a.samples, rows=[])
    for s in [float(v) for v in a.scales.split(",")]:
        exact = np.zeros_like(gt)
        noisy = np.zeros((a.samples,) + gt.shape, np.float32)
        for i in range(len(imgs)):
            img = np.ascontiguousarray(imgs[i])
            box = outline_box(gt[i], vis[i])
            exact[i] = run(img, box, s)
            for j in range(a.samples):
                noisy[j, i] = run(img, moved(box, errs[draws[i, j]]), s)
        p_exact = metrics.pck(exact, gt, vis)[0]
        p_noisy = [metrics.pck(noisy[j], gt, vis)[0] for j in range(a.samples)]
        row = dict(scale=s, pck_true_box=round(100 * p_exact, 2),
                   pck_detector_like=round(100 * float(np.mean(p_noisy)), 2),
                   pck_detector_like_per_draw=[round(100 * v, 2) for v in p_noisy])
        res["rows"].append(row)
        print(f"scale {s:.2f}: PCK@0.2 true box {row['pck_true_box']:.2f} %, "
              f"detector-like boxes {row['pck_detector_like']:.2f} % "
              f"(draws {row['pck_detector_like_per_draw']})", flush=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)


if __name__ == "__main__":
    main()
