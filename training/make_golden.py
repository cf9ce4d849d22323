# training/make_golden.py: writes the trainer/engine parity fixtures of tests/training/golden/:
# tiny binary models (.bnn) and inputs + the trainer's outputs for them (.io, format below).
#
# .io format (little-endian): char[8] "BNNGOLD1"; u32 n_inputs, u32 S, u32 n_outputs;
# per output: u32 kind, c, h, w; then n_inputs inputs, each S x S x 3 f32 (HWC, RGB, the
# engine's input buffer); then for each input, each output in order: c x h x w f32 (planar
# logits, as bnn_net_output gives them).
import argparse
import os
import struct
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402
from export_bnn import build_file, default_meta, quantize_like_file, run_reference  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "..", "tests", "training", "golden")

MODELS = {
    "tiny": dict(size=32, width=32, depth=2, points=5, parts=0),
    "tiny_seg": dict(size=32, width=32, depth=2, points=5, parts=3),
}


def smooth_inputs(n, s, gen):
    """Smooth random images in [0, 1] (blobs on a gradient), so spatial structure exists."""
    yy, xx = torch.meshgrid(torch.arange(s).float(), torch.arange(s).float(), indexing="ij")
    out = torch.zeros(n, 3, s, s)
    for i in range(n):
        img = torch.rand(3, 1, 1, generator=gen) * 0.5 + \
            (torch.rand(3, 1, 1, generator=gen) - 0.5) * (xx / s) + \
            (torch.rand(3, 1, 1, generator=gen) - 0.5) * (yy / s)
        for _ in range(4):
            cx, cy = torch.rand(2, generator=gen) * s
            r = 2 + torch.rand(1, generator=gen) * s / 4
            col = torch.rand(3, 1, 1, generator=gen) - 0.5
            img = img + col * torch.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        out[i] = img.clamp(0, 1)
    return out


def make_model(cfg, seed):
    """Random binary net with BN statistics adapted to its own activations, some negative
    gammas and one zero gamma (exercises the engine's flip and constant-channel paths)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    c = dict(cfg, binary=True)
    net = network.HGNet(**c)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.momentum = None  # cumulative average over the adaptation passes
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.weight.mul_(torch.where(torch.rand(m.num_features, generator=gen) < 0.2,
                                          -1.0, 1.0))
                m.bias.copy_((torch.rand(m.num_features, generator=gen) - 0.5) * 0.4)
        net.hg.up1.c2.bn.weight[1] = 0.0
        net.train()
        for _ in range(6):
            net(smooth_inputs(8, cfg["size"], gen))
        for h in [net.head, net.seg]:
            if h is not None:
                h.conv.weight.mul_(4.0)  # larger logits: clearer peaks
    net.eval()
    return net


def margin(hm):
    """Smallest gap between the largest and second largest value of any map."""
    f = hm.reshape(hm.shape[0], hm.shape[1], -1)
    top = f.topk(2, dim=2).values
    return float((top[..., 0] - top[..., 1]).min())


def write_io(path, x, outs, kinds):
    n, _, s, _ = x.shape
    with open(path, "wb") as f:
        f.write(b"BNNGOLD1")
        f.write(struct.pack("<III", n, s, len(outs)))
        for o, k in zip(outs, kinds):
            f.write(struct.pack("<IIII", k, o.shape[1], o.shape[2], o.shape[3]))
        f.write(x.permute(0, 2, 3, 1).contiguous().numpy().astype("<f4").tobytes())
        for i in range(n):
            for o in outs:
                f.write(o[i].contiguous().numpy().astype("<f4").tobytes())


def main(argv=None):
    ap = argparse.ArgumentParser(description="write the parity fixtures")
    ap.add_argument("--out", default=GOLDEN)
    ap.add_argument("--inputs", type=int, default=4)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    os.makedirs(a.out, exist_ok=True)
    for name, cfg in MODELS.items():
        for seed in range(1, 50):
            net = quantize_like_file(make_model(cfg, seed))  # what the version 2 file holds
            gen = torch.Generator().manual_seed(1000 + seed)
            x = smooth_inputs(a.inputs, cfg["size"], gen)
            with torch.no_grad():
                hm, sg = net(x)
            if margin(hm) > 0.02:
                break
        outs = [hm] + ([sg] if sg is not None else [])
        kinds = [1] + ([2] if sg is not None else [])
        meta = default_meta("face" if cfg["parts"] else "body", name, dict(cfg), None,
                            description="parity fixture: random weights, not a trained model")
        meta.pop("license", None)
        meta.pop("data", None)
        meta.pop("skeleton", None)
        blob = build_file(net, meta)
        ref = run_reference(blob, x)
        diff = max(float((r - o).abs().max()) for r, o in zip(ref, outs))
        with open(os.path.join(a.out, name + ".bnn"), "wb") as f:
            f.write(blob)
        write_io(os.path.join(a.out, name + ".io"), x, outs, kinds)
        print(f"{name}: seed {seed}, {len(blob)} bytes, heatmap argmax margin {margin(hm):.4f}, "
              f"reference runner vs torch max abs diff {diff:.3g}, logit range "
              f"[{float(hm.min()):.2f}, {float(hm.max()):.2f}]")


if __name__ == "__main__":
    main()
