# training/test_export_thresholds.py: version 2 thresholds and ties (meson suite 'training').
# 1. threshold_f16_lattice keeps, on every lattice point alpha k of an HPM conv's input, the
#    f32 model's sign decision where plain f16 rounding of the threshold loses it.
# 2. quantize_like_file makes torch compute what the file's reference runner computes, ties
#    included: a net whose thresholds sit exactly on lattice points, run both ways, must give
#    the same logits (torch's BN used to give the sign of a rounding error at x == t).
# 3. pack/unpack of checkpoint_io keeps every weight's sign and each channel's mean |W|.
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402
from checkpoint_io import pack_state, unpack_state  # noqa: E402
from export_bnn import (build_file, quantize_like_file, run_reference,  # noqa: E402
                        threshold_f16, threshold_f16_lattice)
from test_widen import randomise_bn  # noqa: E402


def lattice_decisions():
    rng = np.random.default_rng(7)
    n, kmax = 400, 300
    alpha = rng.uniform(0.05, 0.5, n).astype(np.float32)
    a16 = alpha.astype(np.float16).astype(np.float64)
    k0 = rng.integers(1, 40, n)
    # thresholds a hair off the file's lattice points: f16 rounding snaps many onto them
    t = (a16 * k0 * (1 + rng.choice([-1, 1], n) * rng.uniform(1e-5, 4e-4, n))).astype(np.float32)
    s = rng.choice([-1, 1], n).astype(np.int8)
    t = np.where(s > 0, t, -t).astype(np.float32)
    k = np.arange(kmax + 1, dtype=np.float64)

    def wrong(tt):
        bad = 0
        for c in range(n):
            want = s[c] * (alpha[c].astype(np.float64) * k) >= np.float64(t[c])
            got = s[c] * (a16[c] * k) >= np.float64(tt[c])
            bad += int(not np.array_equal(want, got))
        return bad

    plain = wrong(threshold_f16(t))
    t16, moved, unkept = threshold_f16_lattice(s, t, alpha, kmax)
    assert np.array_equal(t16, t16.astype(np.float16).astype(np.float32)), "not f16 values"
    fixed = wrong(t16)
    print(f"lattice: plain f16 rounding changes {plain} of {n} channels' decisions; "
          f"lattice rounding {fixed} (moved {moved}, could not keep {unkept})")
    assert plain > n // 20, "the test data should make plain rounding lose decisions"
    assert fixed == unkept and unkept <= n // 50


def ties_parity():
    torch.manual_seed(3)
    g = torch.Generator().manual_seed(3)
    cfg = dict(size=32, width=16, depth=2, points=5, parts=3, binary=True)
    net = network.build(cfg).eval()
    randomise_bn(net, g)
    ties = 0
    for blk in net.modules():
        if isinstance(blk, network.HPM):
            for prev, c in zip(blk.binconvs()[:2], blk.binconvs()[1:]):
                # put each threshold of convs 2 and 3 exactly on a lattice point of the file
                a16 = prev.weight.abs().mean(dim=(1, 2, 3)).half().float()
                kk = torch.randint(1, 6, a16.shape, generator=g).float()
                c.bn.bias.data.zero_()
                c.bn.weight.data = c.bn.weight.data.abs()
                c.bn.running_mean = (a16 * kk).half().float()
                ties += a16.numel()
    blob = build_file(net, {"task": "face", "name": "ties", "input_size": 32,
                            "output_stride": 4, "mean": "0,0,0", "std": "1,1,1",
                            "bn_eps": "1e-05"}, 2)
    quantize_like_file(net)
    x = torch.rand(4, 3, 32, 32, generator=g)
    with torch.no_grad():
        tq = [o for o in net(x) if o is not None]
        ref = run_reference(blob, x)
    d = max(float((a - b).abs().max()) for a, b in zip(tq, ref))
    am = int((tq[0].flatten(2).argmax(-1) != ref[0].flatten(2).argmax(-1)).sum())
    print(f"ties: {ties} thresholds on lattice points; torch (file weights) vs reference "
          f"runner max abs diff {d:.3g}, argmax differs in {am} maps")
    assert d < 1e-3 and am == 0


def pack_roundtrip():
    g = torch.Generator().manual_seed(5)
    w = torch.randn(32, 16, 3, 3, generator=g)
    w[0] = 0.001 * w[0]
    w[0, 0, 0, 0] = 5.0                 # one big weight: many small ones hit the +-1 floor
    w[1, :, 1, 1] = -1e-7               # tiny negatives must stay negative
    sd = {"c.weight": w, "bn.running_mean": torch.randn(16, generator=g)}
    back = unpack_state(pack_state(sd))
    assert back["c.weight"].dtype == torch.float32
    assert torch.equal(back["c.weight"] >= 0, w >= 0), "pack changed a weight's sign"
    a0, a1 = w.abs().mean(dim=(1, 2, 3)), back["c.weight"].abs().mean(dim=(1, 2, 3))
    rel = float(((a0 - a1).abs() / a0).max())
    err = float((w[2:] - back["c.weight"][2:]).norm() / w[2:].norm())
    print(f"pack: mean |W| per channel kept within {rel:.2g}, weights within {err:.2g} (L2)")
    assert rel < 2e-3 and err < 0.02
    assert torch.equal(back["bn.running_mean"], sd["bn.running_mean"])


if __name__ == "__main__":
    lattice_decisions()
    ties_parity()
    pack_roundtrip()
    print("OK")
