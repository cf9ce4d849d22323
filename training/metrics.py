# training/metrics.py: the accuracy measures of network.md shared by train.py (torch) and
# evaluate.py (engine): body PCK@0.2 (torso), face NME (outer eye corners), part IoU.
import numpy as np

BODY_TORSO = (9, 2)   # left shoulder, right hip (LSP order)
FACE_EYES = (36, 45)  # outer eye corners, points 37 and 46 1-based


def pck(pred, gt, vis, thr=0.2, torso=BODY_TORSO):
    """pred, gt: N x K x 2 (same frame), vis: N x K bool. Images without both torso points
    are skipped. Returns (overall PCK, per-joint PCK array, number of images used)."""
    pred, gt, vis = np.asarray(pred), np.asarray(gt), np.asarray(vis, bool)
    a, b = torso
    ok = vis[:, a] & vis[:, b]
    d = np.linalg.norm(gt[:, a] - gt[:, b], axis=1)
    ok &= d > 1e-3
    err = np.linalg.norm(pred - gt, axis=2) / np.maximum(d, 1e-3)[:, None]
    m = vis & ok[:, None]
    hit = (err <= thr) & m
    per = hit.sum(0) / np.maximum(m.sum(0), 1)
    overall = hit.sum() / max(m.sum(), 1)
    return float(overall), per, int(ok.sum())


def nme(pred, gt, eyes=FACE_EYES):
    """Per-image NME: mean point error / outer-eye-corner distance. Returns N array."""
    pred, gt = np.asarray(pred), np.asarray(gt)
    d = np.linalg.norm(gt[:, eyes[0]] - gt[:, eyes[1]], axis=1)
    return np.linalg.norm(pred - gt, axis=2).mean(1) / np.maximum(d, 1e-6)


def ced(nmes, max_err=0.1, steps=101):
    """Cumulative error distribution: (thresholds, fraction of images with NME <= t), AUC."""
    t = np.linspace(0, max_err, steps)
    frac = (np.asarray(nmes)[None, :] <= t[:, None]).mean(1)
    auc = float(np.trapz(frac, t) / max_err)
    return t, frac, auc


class PartConfusion:
    """Accumulates a confusion matrix of class maps; IoU per class, mIoU over classes 1..C-1."""

    def __init__(self, n):
        self.n = n
        self.m = np.zeros((n, n), np.int64)

    def add(self, pred, gt):
        pred = np.asarray(pred).reshape(-1).astype(np.int64)
        gt = np.asarray(gt).reshape(-1).astype(np.int64)
        self.m += np.bincount(gt * self.n + pred, minlength=self.n * self.n).reshape(self.n, self.n)

    def iou(self):
        tp = np.diag(self.m).astype(np.float64)
        den = self.m.sum(0) + self.m.sum(1) - tp
        return tp / np.maximum(den, 1)

    def miou(self):
        return float(self.iou()[1:].mean())

    def pixel_acc(self):
        return float(np.diag(self.m).sum() / max(self.m.sum(), 1))
