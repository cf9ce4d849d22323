# training/metrics.py: the accuracy measures of network.md shared by train.py (torch) and
# evaluate.py (engine): body PCK@0.2 (torso), face NME (outer eye corners), part IoU.
import numpy as np

BODY_TORSO = (9, 2)   # left shoulder, right hip (LSP order)
FACE_EYES = (36, 45)  # outer eye corners, points 37 and 46 1-based


def pck(pred, gt, vis, thr=0.2, torso=BODY_TORSO):
    """pred, gt: N x K x 2 (same frame), vis: N x K bool. Images without both torso points
    are skipped. Returns (overall PCK, per-joint PCK array, number of images used)."""
    pred, gt, vis = np.asarray(pred), np.asarray(gt), np.asarray(vis, bool)
    hit, m, ok = pck_hits(pred, gt, vis, thr, torso)
    per = hit.sum(0) / np.maximum(m.sum(0), 1)
    overall = hit.sum() / max(m.sum(), 1)
    return float(overall), per, int(ok.sum())


def pck_hits(pred, gt, vis, thr=0.2, torso=BODY_TORSO):
    """pck's per-point hits and scored points (N x K bool each) and the images used (N)."""
    pred, gt, vis = np.asarray(pred), np.asarray(gt), np.asarray(vis, bool)
    a, b = torso
    ok = vis[:, a] & vis[:, b]
    d = np.linalg.norm(gt[:, a] - gt[:, b], axis=1)
    ok &= d > 1e-3
    err = np.linalg.norm(pred - gt, axis=2) / np.maximum(d, 1e-3)[:, None]
    m = vis & ok[:, None]
    return (err <= thr) & m, m, ok


def bootstrap_ratio(num, den, other_num=None, other_den=None, n=1000, seed=0):
    """95 % interval of sum(num) / sum(den) over the images resampled with replacement (num,
    den: one value per image; NME: the image's NME and 1; PCK: its hits and scored points).
    With other_*: the paired interval of the other ratio minus this one, same resamples."""
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(num), (n, len(num)))
    v = num[idx].sum(1) / np.maximum(den[idx].sum(1), 1e-12)
    if other_num is not None:
        on, od = np.asarray(other_num, np.float64), np.asarray(other_den, np.float64)
        v = on[idx].sum(1) / np.maximum(od[idx].sum(1), 1e-12) - v
    return float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))


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
