# training/test_decode.py: the trainer's decode_heatmaps (data.py, used by evaluate.py for
# every figure in models/README.md) must give the engine's bnn_decode_points (decode.c, what
# users get) on the same heatmaps (meson suite 'training'; needs the built libbnnlm, not
# run in the sanitizer build). Maps: Gaussian blobs at random sub-pixel centres with noise,
# blobs on and near the border, two blobs, pure noise, and a 64 x 64 map.
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import decode_heatmaps  # noqa: E402
from engine import decode_points  # noqa: E402


def maps(rng, n, h, w):
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = []
    for i in range(n):
        kind = i % 4
        p = np.full((h, w), 1e-3, np.float32)
        if kind in (0, 1, 2):
            cx, cy = rng.uniform(-1, w), rng.uniform(-1, h)
            s = rng.uniform(0.8, 2.0)
            p += rng.uniform(0.2, 0.95) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
        if kind == 1:
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            p += rng.uniform(0.1, 0.5) * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 2)
        p = np.clip(p, 1e-4, 0.999)
        logit = np.log(p / (1 - p))
        logit += rng.normal(0, 0.3 if kind != 3 else 2.0, (h, w)).astype(np.float32)
        out.append(logit)
    return np.stack(out).astype(np.float32)


def check(hm, tol=2e-3):
    xy, peak = decode_heatmaps(torch.from_numpy(hm)[None])
    xy = xy[0].numpy()
    eng = decode_points(hm, stride=4)
    ex, ey = (eng[:, 0] - 1.5) / 4, (eng[:, 1] - 1.5) / 4
    err = np.maximum(np.abs(ex - xy[:, 0]), np.abs(ey - xy[:, 1]))
    conf = 1 / (1 + np.exp(-peak[0].numpy()))
    cerr = np.abs(conf - eng[:, 2]).max()
    bad = int((err > tol).sum())
    print(f"{hm.shape}: max |torch - engine| {err.max():.2e} heatmap px, {bad} over {tol}, "
          f"conf {cerr:.1e}")
    return bad, cerr


def main():
    rng = np.random.default_rng(7)
    fails = 0
    for shape in ((32, 32), (17, 23), (64, 64)):
        bad, cerr = check(maps(rng, 200, *shape))
        fails += bad + (cerr > 1e-5)
    # the decoder must find a clean Gaussian's centre to a few hundredths (quarter shift: 0.25)
    h = w = 32
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    p = 0.9 * np.exp(-((xx - 12.4) ** 2 + (yy - 20.7) ** 2) / 2) + 1e-4
    xy, _ = decode_heatmaps(torch.from_numpy(np.log(p / (1 - p)).astype(np.float32))[None, None])
    e = np.abs(xy[0, 0].numpy() - [12.4, 20.7]).max()
    print(f"clean Gaussian at (12.4, 20.7): error {e:.3f} px")
    fails += e > 0.05
    print("OK" if fails == 0 else f"FAILED ({fails})")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
