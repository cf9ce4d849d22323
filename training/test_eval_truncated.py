# training/test_eval_truncated.py: the truncated val set of eval_truncated.py is what it says:
# joints counted in view lie inside the crop and the cut-off ones outside, the head stays in
# view (mostly), the bottom edge falls between mid-torso and the knees (so ankles are cut off), and
# the same seed gives the same set. Runs on the real data/pose-lsp14 val crops.
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import CROP, KeypointSet, default_data_root  # noqa: E402
from eval_truncated import truncated_set  # noqa: E402

NECK, HEAD_TOP, ANKLES, SHOULDERS = 12, 13, (0, 5), (8, 9)


def main():
    root = default_data_root()
    ds = KeypointSet("body", "val", root, limit=120)
    labelled = ds.visible.numpy().copy()
    in_view, cut_off = truncated_set(ds, seed=0)
    n = len(ds.images)
    assert 30 <= n < 120, f"{n} of 120 crops truncated (upright people only)"
    p = ds.points.numpy()
    inside = (p >= -0.5).all(2) & (p <= CROP - 0.5).all(2)
    assert (inside[in_view]).all(), "a joint counted in view lies outside the crop"
    assert (~inside[cut_off]).all(), "a joint counted as cut off lies inside the crop"
    assert not (in_view & cut_off).any()
    # the zoom may push a head top out at the top, rarely
    lab = in_view | cut_off
    head = in_view[:, [NECK, HEAD_TOP]].sum() / max(lab[:, [NECK, HEAD_TOP]].sum(), 1)
    assert head >= 0.85, f"only {head:.0%} of the labelled necks and head tops in view"
    sh = in_view[:, SHOULDERS].sum() / max(lab[:, SHOULDERS].sum(), 1)
    assert sh >= 0.9, f"only {sh:.0%} of the labelled shoulders in view"
    # ankles go (a bent leg can keep one above the knees)
    ank = cut_off[:, ANKLES].sum() / max(lab[:, ANKLES].sum(), 1)
    assert ank >= 0.8, f"only {ank:.0%} of the labelled ankles cut off"
    # deterministic
    ds2 = KeypointSet("body", "val", root, limit=120)
    in2, cut2 = truncated_set(ds2, seed=0)
    assert np.array_equal(in_view, in2) and np.array_equal(cut_off, cut2)
    assert np.array_equal(ds.images.numpy(), ds2.images.numpy())
    print(f"ok: {n} of 120 val crops truncated; head in view {head:.0%}, ankles cut {ank:.0%}, "
          f"{int(cut_off.sum())} joints cut off, {int(in_view.sum())} in view "
          f"({int(labelled.sum())} labelled before)")


if __name__ == "__main__":
    main()
