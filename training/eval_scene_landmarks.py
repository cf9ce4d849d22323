#!/usr/bin/python3
"""eval_scene_landmarks.py: landmark accuracy on whole scenes, as the pipeline produces it
(`bnndetect ! bnnlandmarks`), against the keypoints that data/detect carries: the 68 points
of its AFW faces, the COCO keypoints of its COCO-MINI persons (the 12 that LSP shares:
ankles, knees, hips, wrists, elbows, shoulders).

For each labelled subject of the chosen class, models/detect.bnn runs on its image as
bnndetect does (EngineDetector, score >= the element's default 0.2). The detection of the
class that overlaps the subject's box most (IoU >= 0.3) is its region; the landmark model
runs on it as bnnlandmarks does (engine.CropRunner), and, for comparison, on the true box
(AFW's tight 68-point box; COCO's outline box). Faces: NME (outer eye corners). Persons:
PCK@0.2 of the LSP torso (left shoulder to right hip) over the labelled joints.

The val crops of the landmark sets (160 px squares with the subject in the middle) do not
show what a detector's box does on a whole scene (docs/detector.md, "Verified by the
landmark model"); this does.

    BNNLM_LIB=$PWD/build/engine/libbnnlm.so /usr/bin/python3 training/eval_scene_landmarks.py \\
        --model models/face.bnn [--split train,val] [--json out.json]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402
from data import default_data_root  # noqa: E402
from detect_data import CLASSES, DetSet  # noqa: E402
from eval_detect import EngineDetector, iou_one  # noqa: E402

# LSP joint index -> COCO keypoint index (COCO has no neck or head top)
LSP_FROM_COCO = {0: 16, 1: 14, 2: 12, 3: 11, 4: 13, 5: 15, 6: 10, 7: 8, 8: 6, 9: 5, 10: 7,
                 11: 9}


def keypoints_by_image(root):
    """image name -> list of (box, keypoints or None) in the order of the annotations."""
    out = {}
    with open(os.path.join(root, "detect", "annotations.jsonl")) as fh:
        for line in fh:
            r = json.loads(line)
            out[r["image"]] = [(b["box"], b.get("keypoints"), b["class"], b.get("ignore", 0))
                               for b in r["boxes"]]
    return out


def subjects(task, splits, root, detector):
    """Yields (image, detector box or None, true box, ground truth) per labelled subject:
    faces with 68 points; persons with COCO keypoints, as LSP-ordered (14 x 2, 14 visible)."""
    cls = CLASSES.index("face" if task == "face" else "person")
    kps = keypoints_by_image(root)
    det = EngineDetector(detector, threshold=0.2)
    for split in splits:
        ds = DetSet(split, root)
        for name, img in zip(ds.names, ds.images):
            subs = [(b, k) for b, k, c, ign in kps[name] if c == CLASSES[cls] and k and not ign]
            if not subs:
                continue
            img = np.ascontiguousarray(img)
            res, _ = det(img)
            d = np.array([r[2:6] for r in res if r[0] == cls], np.float32).reshape(-1, 4)
            for box, k in subs:
                k = np.asarray(k, np.float32)
                if task == "face":
                    if len(k) != 68:
                        continue
                    gt, vis = k[:, :2], np.ones(68, bool)
                else:
                    gt, vis = np.zeros((14, 2), np.float32), np.zeros(14, bool)
                    for j, c in LSP_FROM_COCO.items():
                        if k[c, 2] >= 0:
                            gt[j], vis[j] = k[c, :2], True
                    if vis.sum() < 4:
                        continue
                dbox = None
                if len(d):
                    ious = iou_one(np.asarray(box, np.float32), d)[0]
                    j = int(np.argmax(ious))
                    if ious[j] >= 0.3:
                        dbox = d[j]
                yield img, dbox, np.asarray(box, np.float32), gt, vis


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/face.bnn")
    ap.add_argument("--detector", default="models/detect.bnn")
    ap.add_argument("--split", default="train,val", help="data/detect splits, comma-separated")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--json", default=None)
    a = ap.parse_args(argv)
    from engine import CropRunner
    run = CropRunner(a.model)
    task = run.eng.info.task.decode()
    root = a.data_root or default_data_root()
    rows = {"detector box": [], "true box": []}
    gts, viss, found, total = [], [], 0, 0
    for img, dbox, tbox, gt, vis in subjects(task, a.split.split(","), root, a.detector):
        total += 1
        if dbox is None:
            continue
        found += 1
        rows["detector box"].append(run(img, dbox)[:, :2])
        rows["true box"].append(run(img, tbox)[:, :2])
        gts.append(gt)
        viss.append(vis)
    gts, viss = np.array(gts), np.array(viss)
    res = dict(model=a.model, task=task, split=a.split, subjects=total, found_by_detector=found)
    for k, pred in rows.items():
        pred = np.array(pred)
        if task == "face":
            e = metrics.nme(pred, gts)
            lo, hi = metrics.bootstrap_ratio(e, np.ones_like(e))
            res[k] = dict(nme_mean=round(100 * float(e.mean()), 2), nme_median=round(
                100 * float(np.median(e)), 2), nme_mean_ci95=[round(100 * lo, 2), round(100 * hi, 2)])
        else:
            hit, m, ok = metrics.pck_hits(pred, gts, viss)
            lo, hi = metrics.bootstrap_ratio(hit.sum(1), m.sum(1))
            res[k] = dict(pck=round(100 * float(hit.sum() / max(m.sum(), 1)), 2),
                          pck_ci95=[round(100 * lo, 2), round(100 * hi, 2)],
                          persons_scored=int(ok.sum()))
    print(json.dumps(res))
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(res, fh, indent=1)


if __name__ == "__main__":
    main()
