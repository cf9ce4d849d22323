# training/test_detect_data.py: checks the detector's training targets (meson suite
# 'training'): the person crops' face negatives score a torso as "no face" but leave the
# head unscored, --crop-scale bounds the size of crop tiles in mosaics, and the GIoU box loss
# (--giou) is 0 for a perfect box and grows as the box drifts or shrinks.
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from detect_data import CropSet, DetSet, MixedSet, Sample, STRIDE, compose, place, targets  # noqa: E402
from smoke_test import data_root  # noqa: E402


def cell(mask, x, y):
    return mask[int(y) // STRIDE, int(x) // STRIDE]


def check_giou_loss():
    import torch
    from train_detect import giou_loss
    # one image, a 4 x 4 output map, one centre at cell (1, 2): index 2 * 4 + 1
    ind = torch.tensor([[9, 0]])
    reg = torch.tensor([[1.0, 0.0]])
    wh = torch.tensor([[[3.0, 5.0], [0.0, 0.0]]])
    off = torch.tensor([[[0.25, -0.25], [0.0, 0.0]]])

    def maps(w, h, dx, dy):
        size = torch.zeros(1, 2, 4, 4)
        offset = torch.zeros(1, 2, 4, 4)
        size[0, :, 2, 1] = torch.tensor([w, h])
        offset[0, :, 2, 1] = torch.tensor([dx, dy])
        return size, offset

    exact = float(giou_loss(*maps(3.0, 5.0, 0.25, -0.25), ind, wh, off, reg))
    shifted = float(giou_loss(*maps(3.0, 5.0, 1.25, -0.25), ind, wh, off, reg))
    small = float(giou_loss(*maps(1.5, 2.5, 0.25, -0.25), ind, wh, off, reg))
    apart = float(giou_loss(*maps(3.0, 5.0, 10.0, 10.0), ind, wh, off, reg))
    assert abs(exact) < 1e-6, exact
    # shifted by 1 px in x: IoU = (2 * 5) / (15 + 15 - 10) = 0.5, enclosure = union
    assert abs(shifted - 0.5) < 1e-5, shifted
    # half the size, same centre: IoU = 0.25, enclosure = the target
    assert abs(small - 0.75) < 1e-5, small
    assert 1.0 < apart < 2.0, apart
    size, offset = maps(2.0, 4.0, 0.5, 0.0)
    size.requires_grad_(True)
    giou_loss(size, offset, ind, wh, off, reg).backward()
    g = size.grad[0, :, 2, 1]
    assert g[0] < 0 and g[1] < 0, g  # growing toward the target lowers the loss
    print(f"GIoU loss: exact 0, 1 px shift {shifted:.3f}, half size {small:.3f}, apart {apart:.3f}")


def main():
    check_giou_loss()
    root = data_root()
    if root is None:
        print("no data set found (BNN_DATA or ../shared/data)")
        return 77  # meson: skipped
    crops = CropSet(root, limit=12, face_negatives=True)
    assert crops.n_person > 0 and crops.n_face > 0
    checked = 0
    for i in range(crops.n_person):
        pbox = crops.boxes[i][0]
        hbox = crops.boxes[i][1]
        assert crops.cls[i].tolist() == [0, 1] and crops.ignore[i].tolist() == [False, True]
        smp = Sample(160, 2)
        place(smp, crops, i, 1.0, 0.0, 0.0, (0, 0, 160, 160), None)
        heat, mask, *_ = targets(smp, 160)
        hx, hy = hbox[0] + hbox[2] / 2, hbox[1] + hbox[3] / 2
        assert cell(mask[1], hx, hy) == 0, "the head must not be a face negative"
        assert cell(mask[0], hx, hy) == 1, "the person is scored inside its box"
        assert heat[1].max() == 0, "a person crop has no face positive"
        # a point of the person box far below the head box: scored as face background
        bx, by = pbox[0] + pbox[2] / 2, pbox[1] + pbox[3] - 3
        if by > hbox[1] + hbox[3] + STRIDE:
            assert cell(mask[1], bx, by) == 1, "a torso/leg cell must be a face negative"
            checked += 1
        # outside the person box nothing is scored
        for x, y in ((1, 1), (158, 158), (1, 158), (158, 1)):
            if not (pbox[0] - STRIDE <= x <= pbox[0] + pbox[2] + STRIDE and
                    pbox[1] - STRIDE <= y <= pbox[1] + pbox[3] + STRIDE):
                assert cell(mask[0], x, y) == 0 and cell(mask[1], x, y) == 0
    assert checked > 0
    # crop tiles in a mosaic keep their long side within crop_scale of the input side
    det = DetSet("train", root, limit=8)
    ds = MixedSet(det, CropSet(root, limit=12))
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(40):
        idx = [int(rng.integers(len(det), len(ds))) for _ in range(4)]
        smp = compose(ds, idx, 256, rng, mosaic_p=1.0, crop_scale=(0.2, 0.3))
        sizes += [max(b[2], b[3]) for b, c in zip(smp.boxes, smp.cls) if c == 1]
    assert sizes, "no crop face landed in 40 mosaics"
    # a face box is at most the 160 px crop, scaled to at most 0.3 * 256 px
    assert max(sizes) <= 0.3 * 256 + 1, max(sizes)
    print(f"face negatives checked on {checked} person crops; {len(sizes)} crop faces, "
          f"largest {max(sizes):.1f} px")
    return 0


if __name__ == "__main__":
    sys.exit(main())
