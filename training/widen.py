#!/usr/bin/python3
"""Widen a trained checkpoint to twice its width F (Net2WiderNet), keeping its function.

    /usr/bin/python3 training/widen.py training/checkpoints/body-lite/binary-c3-final.pt \
        --out training/checkpoints/body/widened-binary-c3.pt

Every feature map of the network is a concatenation of HPM branches (F/2, F/4, F/4) or a
stem / skip output, and each of these doubles with F, so wide channel w copies narrow
channel w // 2 everywhere. A conv's output channels are copied; its input channels are
copied and halved, so the sum over the doubled inputs is the narrow sum. BN statistics
and affine parameters are copied. The result computes the narrow net's function exactly,
in the real twin and in the binary net alike: sign(BN(x)) is copied per channel, and
alpha = mean|W| of a halved row is half the narrow alpha while the binary sum over twice
the inputs doubles. `--noise` (relative to each weight tensor's std) breaks the symmetry
of the copies so that training can make them differ; 0 keeps the function bit for bit.

The output is a checkpoint for `train.py --init` with the wide preset (cfg["width"] * 2), or
for a detector checkpoint (task "detect") one for `train_detect.py --init --width 2F`; the
detector's stem keeps its width, only the trunk and the heads' inputs double.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402
from checkpoint_io import load_ckpt, save_ckpt  # noqa: E402


def widen_state(narrow_sd, wide_sd_shapes, noise=0.0, generator=None):
    """Map a narrow state dict onto the wide shapes. Dims that doubled are channel dims;
    dim 1 of a conv weight (4-D) is an input dim and is halved after copying."""
    out = {}
    for k, shape in wide_sd_shapes.items():
        if k not in narrow_sd:
            raise KeyError(f"wide net has {k}, the narrow checkpoint does not")
        v = narrow_sd[k].float() if narrow_sd[k].is_floating_point() else narrow_sd[k]
        if v.dim() != len(shape):
            raise ValueError(f"{k}: narrow {tuple(v.shape)} vs wide {tuple(shape)}")
        for d, (n, w) in enumerate(zip(v.shape, shape)):
            if n == w:
                continue
            if w != 2 * n:
                raise ValueError(f"{k} dim {d}: {n} -> {w} is not a doubling")
            v = v.repeat_interleave(2, dim=d)
            if d == 1 and v.dim() == 4:
                v = v / 2
        if noise > 0 and v.dim() == 4 and v.is_floating_point():
            v = v + torch.randn(v.shape, generator=generator) * (noise * float(v.std()))
        out[k] = v.contiguous()
    unused = sorted(set(narrow_sd) - set(wide_sd_shapes))
    if unused:  # e.g. a skip conv that the wide block no longer has: not the same function
        raise KeyError(f"the wide net has no {unused[0]} (and {len(unused) - 1} more)")
    return out


def widen_checkpoint(ck, noise=0.0, seed=0):
    cfg = dict(ck["cfg"])
    cfg["width"] = cfg["width"] * 2
    if ck.get("task") == "detect":
        import detect_network  # the detector: its stem width stays, F doubles
        wide = detect_network.build(cfg)
    else:
        wide = network.build(cfg)
    shapes = {k: v.shape for k, v in wide.state_dict().items()}
    g = torch.Generator().manual_seed(seed)
    sd = widen_state(ck["model"], shapes, noise, g)
    wide.load_state_dict(sd)
    return wide, cfg


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ckpt", help="narrow checkpoint (train.py or train_detect.py format)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--noise", type=float, default=0.01,
                    help="Gaussian noise on conv weights, times each tensor's std (default 0.01)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    ck = load_ckpt(args.ckpt)
    wide, cfg = widen_checkpoint(ck, args.noise, args.seed)
    extra = {k: v for k, v in ck.items() if k not in ("model", "optim", "cfg", "step")}
    if "preset" in extra:
        extra["preset"] = extra["preset"].replace("-lite", "")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_ckpt(args.out, wide, dict(extra, cfg=cfg, widened_from=args.ckpt, widen_noise=args.noise))
    print(f"widened {args.ckpt} (F {cfg['width'] // 2}) -> {args.out} (F {cfg['width']}), "
          f"noise {args.noise}")


if __name__ == "__main__":
    main()
