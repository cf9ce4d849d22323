# training/test_checkpoint_io.py: the optimiser state of a resumable checkpoint survives the
# round trip (meson suite 'training'). Adam's second moments of small gradients are below
# fp16's range; compact_optim_state must keep them (bf16), where fp16 flushed them to zero.
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint_io import compact_optim_state, load_ckpt, save_ckpt  # noqa: E402


def main():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3), torch.nn.Conv2d(8, 4, 1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(2, 3, 8, 8)
    for _ in range(3):
        opt.zero_grad()
        (net(x).square().mean() * 1e-5).backward()  # gradients ~1e-6: second moments ~1e-13
        opt.step()
    ref = [s["exp_avg_sq"].clone() for s in opt.state_dict()["state"].values()]
    assert all((r > 0).all() for r in ref)
    lost_fp16 = sum(int((r.half() == 0).sum()) for r in ref)
    n = sum(r.numel() for r in ref)
    print(f"second moments {min(float(r.min()) for r in ref):.3g} .. {max(float(r.max()) for r in ref):.3g}; "
          f"fp16 would zero {lost_fp16} of {n}")
    assert lost_fp16 > n // 2, "the test's moments are not small enough to show the fp16 underflow"

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "ck.pt")
        save_ckpt(path, net, {"optim": compact_optim_state(opt.state_dict())})
        ck = load_ckpt(path)
        opt2 = torch.optim.Adam(net.parameters(), lr=1e-3)
        opt2.load_state_dict(ck["optim"])
    got = [s["exp_avg_sq"] for s in opt2.state_dict()["state"].values()]
    worst = max(float(((g - r).abs() / r).max()) for g, r in zip(got, ref))
    print(f"after the round trip: dtype {got[0].dtype}, worst relative error {worst:.3g}")
    assert got[0].dtype == torch.float32
    assert worst < 0.01, "second moments not kept"
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
