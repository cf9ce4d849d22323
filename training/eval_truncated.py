# training/eval_truncated.py: a body model on people cut by the frame (the webcam case: an
# upper body at a desk), through the engine. Each val crop of data/pose-lsp14 is zoomed and
# shifted as training's truncation does (Augmenter._truncate, fixed seed): the bottom edge
# falls between mid-torso and the knees. Only roughly upright people are truncated; the
# others are left out. Scores:
#   - PCKh@0.5 of the joints still in view (neck to head top as the unit: always in view);
#   - drawn: of the joints in view, the share whose peak confidence reaches the overlay's
#     default min-confidence (0.2);
#   - invented: of the labelled joints cut off, the share drawn anyway (a hip on the desk).
#
#   BNNLM_LIB=$PWD/build/engine/libbnnlm.so /usr/bin/python3 training/eval_truncated.py \
#       models/body-lite.bnn [--compare X.bnn] [--seed 0]
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402
from data import CROP, Augmenter, KeypointSet, decode_heatmaps, default_data_root, \
    heatmap_to_crop  # noqa: E402
from evaluate import HEAD_SEGMENT, predict_engine  # noqa: E402

DRAW_CONF = 0.2  # landmarkoverlay's default min-confidence


def truncated_set(ds, seed):
    """ds with its crops truncated (in place, upright people only): returns (in_view,
    cut_off) N x K bool masks of the labelled joints."""
    aug = Augmenter(CROP, "body", rot=0.0, scale=(1.0, 1.0), trans=0.0, flip=False,
                    trunc=1.0, jitter=0.0)
    rng = np.random.default_rng(seed)
    x, _, valid, pts, _ = aug(ds.images, ds.points, ds.visible, rng=rng, train=True)
    moved = np.abs(pts.numpy() - ds.points.numpy()).max(axis=(1, 2)) > 1e-3
    keep = torch.from_numpy(np.nonzero(moved)[0])
    labelled = ds.visible.numpy()[moved]
    in_view = valid.numpy()[moved]
    img = (x.float().permute(0, 2, 3, 1) * 255.0).round().clamp(0, 255).to(torch.uint8)
    ds.images = img[keep].contiguous()
    ds.points = pts[keep]
    ds.visible = torch.from_numpy(in_view)
    return in_view, labelled & ~in_view


def score(hms, ds, in_view, cut_off):
    hm = torch.from_numpy(hms)
    xy, peak = decode_heatmaps(hm)
    pred = heatmap_to_crop(xy, hm.shape[-1] * 4).numpy()
    conf = torch.sigmoid(peak).numpy()
    gt = ds.points.numpy()
    hit, m, ok = metrics.pck_hits(pred, gt, in_view, thr=0.5, torso=HEAD_SEGMENT)
    drawn = conf >= DRAW_CONF
    return dict(pckh=hit.sum() / max(m.sum(), 1), n_images=int(ok.sum()),
                drawn=(drawn & in_view).sum() / max(in_view.sum(), 1),
                invented=(drawn & cut_off).sum() / max(cut_off.sum(), 1),
                n_in_view=int(in_view.sum()), n_cut_off=int(cut_off.sum()),
                _hits=(hit.sum(1), m.sum(1)), _inv=((drawn & cut_off).sum(1), cut_off.sum(1)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model")
    ap.add_argument("--compare", default=None, help="a second .bnn: paired 95 % intervals")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", default="val")
    ap.add_argument("--data-root", default=None)
    a = ap.parse_args(argv)
    ds = KeypointSet("body", a.split, a.data_root or default_data_root())
    in_view, cut_off = truncated_set(ds, a.seed)
    print(f"{len(ds.images)} of the {a.split} crops truncated; {int(in_view.sum())} joints in "
          f"view, {int(cut_off.sum())} labelled joints cut off")
    res = []
    for path in [a.model] + ([a.compare] if a.compare else []):
        hms, _, _ = predict_engine(path, ds)
        r = score(hms, ds, in_view, cut_off)
        lo, hi = metrics.bootstrap_ratio(*r["_hits"])
        print(f"{path}: PCKh@0.5 in view {100 * r['pckh']:.1f} % ({100 * lo:.1f}-{100 * hi:.1f}), "
              f"drawn in view {100 * r['drawn']:.1f} %, invented (cut off but drawn) "
              f"{100 * r['invented']:.1f} %")
        res.append(r)
    if a.compare:
        for key, name in (("_hits", "PCKh in view"), ("_inv", "invented")):
            lo, hi = metrics.bootstrap_ratio(*res[0][key], *res[1][key])
            print(f"{name}, second minus first, paired 95 % interval: "
                  f"{100 * lo:+.1f} to {100 * hi:+.1f} points")
    return res


if __name__ == "__main__":
    main()
