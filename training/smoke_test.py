# training/smoke_test.py: quick end-to-end check of the trainer (meson suite 'training'):
# loads a handful of real images, trains twin and binary nets a few steps, exports a .bnn.
import os
import sys
import time

import numpy as np

# libgomp's default spin-waiting wastes the CPU on a shared machine: sleep at barriers
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import network  # noqa: E402
from data import Augmenter, KeypointSet  # noqa: E402
import copy  # noqa: E402
from export_bnn import quantize_like_file, build_file, default_meta, read_bnn, run_reference  # noqa: E402


def data_root():
    for cand in (os.environ.get("BNN_DATA"), os.path.join(HERE, "..", "..", "shared", "data"),
                 "/work/shared/data"):
        if cand and os.path.isdir(os.path.join(cand, "pose-lsp14")):
            return os.path.normpath(cand)
    return None


def train_steps(net, aug, ds, steps, lr, rng):
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    idx = torch.arange(8)
    for _ in range(steps):
        x, tgt, valid, _, _ = aug(ds.images[idx], ds.points[idx], ds.visible[idx],
                                  flip_perm=ds.flip_perm, rng=rng, train=True)
        hm, _ = net(x)
        loss = F.binary_cross_entropy_with_logits(hm, tgt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
    return losses


def check_geometry(ds):
    """Coordinate conventions of docs/training.md: the evaluation resize is
    F.interpolate(bilinear, align_corners=False); targets peak where the points are; an
    augmented image shows at a transformed point the colour the source has at the point."""
    from data import CROP, decode_heatmaps
    ok = True
    s = 128
    aug = Augmenter(s, "body", trunc=0.5, jitter=0.0)
    x0, t0, v0, inp0, _ = aug(ds.images, ds.points, ds.visible, train=False)
    ref = F.interpolate(ds.images.permute(0, 3, 1, 2).float() / 255, size=s, mode="bilinear",
                        align_corners=False)
    e_resize = float((x0 - ref).abs().max())
    e_map = float((inp0 - ((ds.points + 0.5) * s / CROP - 0.5)).abs().max())
    x, t, v, inp, _ = aug(ds.images, ds.points, ds.visible, flip_perm=ds.flip_perm,
                          rng=np.random.default_rng(1), train=True)
    xy, _ = decode_heatmaps(torch.log(t.clamp(min=1e-6)))
    e_peak = float((4 * xy + 1.5 - inp).norm(dim=2)[v].max())

    def sample(img, pts, w):
        g = ((2 * pts + 1) / w - 1).float().view(1, 1, -1, 2)
        return F.grid_sample(img[None], g, align_corners=False)[0, :, 0].T

    src = ds.images.permute(0, 3, 1, 2).float() / 255
    errs = []
    for b in range(len(ds)):
        a = sample(x[b].contiguous(), inp[b], s)
        o1 = sample(src[b], ds.points[b], CROP)
        o2 = sample(src[b], ds.points[b][ds.flip_perm], CROP)  # if this sample was flipped
        errs.append(torch.minimum((a - o1).abs().mean(1), (a - o2).abs().mean(1))[v[b]])
    e_col = float(torch.cat(errs).mean())
    print(f"geometry: resize {e_resize:.2g}, point map {e_map:.2g} px, target peak "
          f"{e_peak:.2f} input px, colour at points {e_col:.3f}")
    if not (e_resize < 1e-4 and e_map < 1e-3 and e_peak <= 2.5 and e_col < 0.05):
        print("FAIL: geometry")
        ok = False
    return ok


def main():
    t0 = time.time()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    root = data_root()
    if root is None:
        print("SKIP: no data directory (../shared/data)")
        return 77
    ds = KeypointSet("body", "train", root, limit=16)
    assert ds.images.shape == (16, 160, 160, 3) and ds.points.shape == (16, 14, 2)
    assert ds.visible.any(), "no visible joint in the first 16 images"
    ok = check_geometry(ds)
    cfg = dict(size=64, width=32, depth=2, points=14, parts=0)
    aug = Augmenter(cfg["size"], "body", rot=10, scale=(0.9, 1.1), trunc=0.0, jitter=0.1)
    rng = np.random.default_rng(0)
    for binary, steps in ((False, 30), (True, 30)):
        # the binary net carries the AdaBin-style shift, so the export checks its folding
        net = network.build(dict(cfg, binary=binary, shift=binary))
        losses = train_steps(net, aug, ds, steps, 3e-3, rng)
        first, last = np.mean(losses[:3]), np.mean(losses[-5:])
        kind = "binary" if binary else "twin"
        print(f"{kind}: loss {first:.4f} -> {last:.4f} over {steps} steps")
        if not (np.isfinite(last) and last < 0.5 * first):
            print(f"FAIL: {kind} loss did not fall enough")
            ok = False
    # export the binary net and run the file through the reference runner
    net.eval()
    shifts = max(float(c.shift.abs().max()) for c in net.binconvs())
    print(f"largest learned shift {shifts:.3g}")
    assert shifts > 0, "shift parameters did not train"
    blob = build_file(net, default_meta("body", "smoke", dict(cfg), root))
    meta, nodes, _ = read_bnn(blob)
    assert meta["points"].split(",")[0] == "right_ankle" and len(nodes) == 5 + (5 * 2 + 1) + 2  # stem b1 pool b2 b3, HG(2), b4 head
    # the flip test's mirror table: right and left ankle (0, 5) swap, head_top (13) stays
    fl = [int(v) for v in meta["flip"].split(",")]
    assert len(fl) == 14 and fl[0] == 5 and fl[5] == 0 and fl[13] == 13, meta["flip"]
    x = torch.rand(2, 3, cfg["size"], cfg["size"])
    with torch.no_grad():
        hm_full, _ = net(x)
        qnet = quantize_like_file(copy.deepcopy(net))  # what the version 2 file holds
        hm, _ = qnet(x)
    ref = run_reference(blob, x)[0]
    d = float((ref - hm).abs().max())
    dq = float((ref - hm_full).abs().max())
    print(f"export: {len(blob)} bytes, reference runner vs quantized torch max abs diff {d:.3g} "
          f"(vs the unquantized net {dq:.3g})")
    if not d < 1e-3:
        print("FAIL: exported file does not reproduce the torch net")
        ok = False
    if build_file(qnet, default_meta("body", "smoke", dict(cfg), root)) != blob:
        print("FAIL: exporting the quantized net does not give the same file")
        ok = False
    print(f"smoke test {'passed' if ok else 'FAILED'} in {time.time() - t0:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
