#!/usr/bin/python3
"""test_metrics_bootstrap.py: metrics.bootstrap_ratio (evaluate.py's 95 % intervals of NME and
PCK) and metrics.pck_hits: the interval holds the full-set ratio and shrinks with more images,
a paired difference of a run with itself is exactly 0, a constant shift shows as exactly that
shift, and pck_hits sums to pck's figure."""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402


def main():
    rng = np.random.default_rng(1)
    e = rng.gamma(4.0, 0.013, 400)  # NME-like per-image errors
    ones = np.ones_like(e)
    lo, hi = metrics.bootstrap_ratio(e, ones)
    assert lo < e.mean() < hi, (lo, e.mean(), hi)
    lo4, hi4 = metrics.bootstrap_ratio(np.tile(e, 4), np.tile(ones, 4))
    assert hi4 - lo4 < 0.7 * (hi - lo), (hi - lo, hi4 - lo4)
    assert metrics.bootstrap_ratio(e, ones, e, ones) == (0.0, 0.0)
    dlo, dhi = metrics.bootstrap_ratio(e, ones, e + 0.01, ones)
    assert abs(dlo - 0.01) < 1e-12 and abs(dhi - 0.01) < 1e-12, (dlo, dhi)
    # PCK: hits over scored points, per image, sum back to pck()
    gt = rng.uniform(0, 100, (50, 14, 2))
    pred = gt + rng.normal(0, 8, gt.shape)
    vis = rng.uniform(size=(50, 14)) > 0.1
    hit, m, _ = metrics.pck_hits(pred, gt, vis)
    p, _, _ = metrics.pck(pred, gt, vis)
    assert abs(hit.sum() / m.sum() - p) < 1e-12
    plo, phi = metrics.bootstrap_ratio(hit.sum(1), m.sum(1))
    assert plo <= p <= phi
    print(f"NME interval {100 * lo:.2f}-{100 * hi:.2f} % (x4 images: {100 * lo4:.2f}-{100 * hi4:.2f}); "
          f"PCK {100 * p:.1f} % in {100 * plo:.1f}-{100 * phi:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
