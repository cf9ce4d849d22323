# training/test_widen.py: widen.py must keep the network's function (meson suite 'training').
# A small random net, real twin and binary, is widened with no noise: the wide net's heatmap
# and part logits must equal the narrow net's; with noise they must differ, but only a little.
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402
from widen import widen_checkpoint  # noqa: E402


def randomise_bn(net, g):
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.2
            m.running_mean = torch.randn(n, generator=g) * 0.3
            m.running_var = torch.rand(n, generator=g) + 0.5


def main():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(2, 3, 32, 32, generator=g)
    for binary in (False, True):
        cfg = dict(size=32, width=16, depth=2, points=5, parts=3, binary=binary)
        torch.manual_seed(5)
        narrow = network.build(cfg).eval()
        randomise_bn(narrow, g)
        ck = {"cfg": cfg, "model": narrow.state_dict()}
        with torch.no_grad():
            hm, sg = narrow(x)
            wide, wcfg = widen_checkpoint(ck, noise=0.0)
            assert wcfg["width"] == 32
            assert wide.b1.c1.weight.shape[0] == 8 and wide.head.conv.weight.shape[1] == 32
            whm, wsg = wide.eval()(x)
            d = max((whm - hm).abs().max().item(), (wsg - sg).abs().max().item())
            scale = hm.abs().max().item()
            print(f"binary={binary}: max abs difference {d:.3g} (logits up to {scale:.3g})")
            assert d <= 1e-4 * max(1.0, scale), "widening changed the function"
            noisy, _ = widen_checkpoint(ck, noise=0.05, seed=1)
            nhm, _ = noisy.eval()(x)
            dn = (nhm - hm).abs().max().item()
            print(f"binary={binary}: with noise 0.05, max abs difference {dn:.3g}")
            assert dn > 0, "noise did not change the copies"
    # the detector (task "detect"): stem width kept, trunk and heads' inputs doubled
    import detect_network
    for binary in (False, True):
        cfg = dict(detect_network.DEFAULT_CFG, size=64, width=16, depth=2, stem_ch=8,
                   binary=binary)
        torch.manual_seed(7)
        narrow = detect_network.build(cfg).eval()
        randomise_bn(narrow, g)
        ck = {"cfg": cfg, "task": "detect", "model": narrow.state_dict()}
        xd = torch.randn(2, 3, 64, 64, generator=g)
        with torch.no_grad():
            ref = narrow(xd)
            wide, wcfg = widen_checkpoint(ck, noise=0.0)
            assert wcfg["width"] == 32 and wide.stem.weight.shape[0] == cfg["stem_ch"]
            out = wide.eval()(xd)
            d = max((a - b).abs().max().item() for a, b in zip(out, ref))
            scale = max(r.abs().max().item() for r in ref)
            print(f"detector binary={binary}: max abs difference {d:.3g} (outputs up to {scale:.3g})")
            assert d <= 1e-4 * max(1.0, scale), "widening changed the detector's function"
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
