#!/usr/bin/python3
"""test_eval_detect.py: the detector's AP@0.5 and its bootstrap intervals (eval_detect.py) on
hand-made detections: perfect ones, one false positive ranked first (AP 8/9 by hand), a
detection on a crowd box (neither TP nor FP), pr_curve's precision and recall, and the
paired interval of a difference (0 against itself, above 0 for a better model), and
verify_detections' rescoring (score x mean point confidence, with a stand-in landmark model
that is confident on true boxes only) turning the false positive ranked first into a last."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engine  # noqa: E402
from eval_detect import (_ap_arrays, _matches, average_precision, bootstrap_ap, pr_curve,  # noqa: E402
                         verify_detections)


class FakeSet:
    """n images, each labelling person (class 0) with one box; image 0 also has a crowd box."""

    def __init__(self, n):
        self.labelled = np.array([[True, False]] * n)
        self.boxes = [np.array([[10.0 + i, 20.0, 30.0, 60.0]], np.float32) for i in range(n)]
        self.cls = [np.array([0]) for _ in range(n)]
        self.ignore = [np.array([False]) for _ in range(n)]
        self.boxes[0] = np.vstack([self.boxes[0], [[200.0, 200.0, 50.0, 50.0]]]).astype(np.float32)
        self.cls[0] = np.array([0, 0])
        self.ignore[0] = np.array([False, True])


def dets_of(ds, score=0.9):
    return [np.hstack([b[:1], [[score]]]).astype(np.float32) for b in ds.boxes]


def main():
    ds = FakeSet(8)
    perfect = dets_of(ds)
    ap, n = average_precision(perfect, ds, 0)
    assert n == 8 and abs(ap - 1.0) < 1e-9, (ap, n)
    assert bootstrap_ap(perfect, ds, 0, n=200) == (1.0, 1.0)
    # a detection on the crowd box changes nothing
    crowd = [d.copy() for d in perfect]
    crowd[0] = np.vstack([crowd[0], [[200, 200, 50, 50, 0.99]]]).astype(np.float32)
    assert abs(average_precision(crowd, ds, 0)[0] - 1.0) < 1e-9
    # one false positive ranked first (score 0.95, far from any box): the TPs come at
    # precisions 1/2, 2/3, ..., 8/9, interpolated to 8/9 everywhere: AP = 8/9
    fp = [d.copy() for d in perfect]
    fp[3] = np.vstack([fp[3], [[400, 10, 20, 20, 0.95]]]).astype(np.float32)
    ap, _ = average_precision(fp, ds, 0)
    assert abs(ap - 8 / 9) < 1e-9, ap
    recs, n_gt = _matches(fp, ds, 0, 0.5)
    _, (prec, rec, scores) = pr_curve(recs, n_gt)
    assert scores[0] == np.float32(0.95) and prec[0] == 0 and abs(prec[-1] - 8 / 9) < 1e-12
    assert rec[-1] == 1.0 and abs(_ap_arrays(np.zeros(0), np.zeros(0), 3)) == 0.0
    lo, hi = bootstrap_ap(fp, ds, 0, n=300)
    assert 0 < lo <= ap <= hi <= 1.0, (lo, ap, hi)
    # paired differences: a model against itself is exactly 0; the perfect one is never worse
    assert bootstrap_ap(fp, ds, 0, other=fp, n=200) == (0.0, 0.0)
    lo, hi = bootstrap_ap(fp, ds, 0, other=perfect, n=300)
    assert lo >= 0 and hi > 0, (lo, hi)
    print(f"AP 1 / 8/9 by hand; FP case 95 % interval [{lo:.3f}, {hi:.3f}] for the perfect model's gain")
    check_verify(ds, fp)
    return 0


class StandInRunner:
    """Instead of engine.CropRunner: 3 points whose confidence is 0.8 on a box of width 30
    (the true ones) and 0.1 elsewhere."""
    calls = []

    def __init__(self, path, threads=1):
        self.path = path

    def __call__(self, img, box, scale=None):
        StandInRunner.calls.append((self.path, img.shape, tuple(float(v) for v in box)))
        c = 0.8 if abs(box[2] - 30.0) < 1e-3 else 0.1
        return np.array([[0, 0, c], [1, 1, c], [2, 2, c]], np.float32)


def check_verify(ds, fp):
    ds.images = [np.zeros((4, 4, 3), np.uint8) for _ in ds.boxes]
    low = [d.copy() for d in fp]
    low[5] = np.vstack([low[5], [[300, 300, 30, 30, 0.01]]]).astype(np.float32)  # under min_det
    real = engine.CropRunner
    engine.CropRunner = StandInRunner
    try:
        names, per, _ = verify_detections((["person", "face"], [low, [None] * len(low)], []), ds,
                                          {"person": "stand-in.bnn"}, min_det=0.05)
    finally:
        engine.CropRunner = real
    assert names == ["person", "face"] and per[1] == [None] * len(low)
    v = per[0]
    # the true boxes: 0.9 x 0.8; the false positive: 0.95 x 0.1; the one under min_det: gone
    assert all(abs(float(d[0, 4]) - 0.72) < 1e-6 for d in v), [d[:, 4] for d in v]
    assert abs(float(v[3][1, 4]) - 0.095) < 1e-6 and len(v[5]) == 1, (v[3], v[5])
    assert len(StandInRunner.calls) == 9 and all(c[0] == "stand-in.bnn" for c in StandInRunner.calls)
    assert low[3][1, 4] == np.float32(0.95), "the input detections were changed"
    # the false positive now ranks last: AP 1
    assert abs(average_precision(v, ds, 0)[0] - 1.0) < 1e-9
    print("verify_detections: scores x mean point confidence; AP 8/9 -> 1")


if __name__ == "__main__":
    sys.exit(main())
