#!/usr/bin/python3
"""Checkpoint files: save, load, and pack to int8 so that an F = 256 net fits in git.

A checkpoint is a torch-saved dict: cfg, the training state the trainer needs to go on
(epoch, step, ...) and "model", a state dict. The trainer writes weights in fp16 (12.5 MB
for an F = 256 face net: over the repo's 8 MB per-file limit). `pack` rewrites the big
conv weights as int8 with one fp16 scale per output channel (about 6.3 MB for the same
net), and every loader here reads both forms:

    /usr/bin/python3 training/checkpoint_io.py pack training/checkpoints/face/binary-w3-final.pt \
        --out training/checkpoints/face/binary-w3-final.q8.pt

The rounding keeps the sign of every weight (a weight that would round to 0 keeps +-1
step), so sign(W), which is all a binary conv uses besides alpha = mean|W|, is exact, and
the channel's scale is chosen so that mean|W| is kept (to fp16 precision). BN statistics and small tensors stay fp16/fp32.
"""
import argparse
import os
import sys

import torch

PACKING_KEY = "packing"
INT8 = "int8-per-channel"
MIN_PACKED = 4096          # tensors smaller than this stay fp16: scales would not pay


def save_ckpt(path, model, extra, fp16=True):
    """Write model's state dict (fp16 floats, BN running stats kept fp32) plus extra."""
    sd = {}
    for k, v in model.state_dict().items():
        if fp16 and v.is_floating_point() and "running_" not in k:
            v = v.half()
        sd[k] = v.detach().clone().contiguous()
    obj = dict(extra)
    obj["model"] = sd
    _atomic_save(obj, path)


def compact_optim_state(sd):
    """An optimiser state dict (opt.state_dict()) with its floating-point tensors in bfloat16:
    half the bytes of fp32 and, unlike fp16, fp32's exponent range. Adam's second moments
    are squared gradients, often 1e-10 and smaller: fp16 flushed 98.5 % of them to zero (a
    resumed run then took steps of lr * m / eps and lost most of its accuracy; found in
    session 10). Optimizer.load_state_dict casts them back to the parameters' dtype."""
    out = dict(sd)
    out["state"] = {i: {k: (v.to(torch.bfloat16) if torch.is_tensor(v) and v.is_floating_point()
                            and v.dim() > 0 else v) for k, v in st.items()}
                    for i, st in sd["state"].items()}
    return out


def _atomic_save(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def quantize_int8(w):
    """Per-output-channel symmetric int8 with signs kept; returns (q int8, scale fp16)."""
    w = w.float()
    flat = w.reshape(w.shape[0], -1)
    step = (flat.abs().amax(dim=1, keepdim=True) / 127.0).clamp_min(1e-12)
    mag = (flat.abs() / step).round().clamp(1, 127)
    q = torch.where(flat >= 0, mag, -mag).to(torch.int8)
    # the scale that keeps mean|W| per channel (alpha of a binary conv) rather than max|W|:
    # the same within rounding for most channels, and right where the +-1 floor inflates
    # many tiny weights of a channel with one big one
    scale = (flat.abs().mean(dim=1) / mag.mean(dim=1)).clamp_min(1e-12).half()
    return q.reshape(w.shape), scale


def dequantize_int8(q, scale):
    shape = [q.shape[0]] + [1] * (q.dim() - 1)
    return q.float() * scale.float().reshape(shape)


def pack_state(sd):
    """State dict -> packed state dict: conv weights int8 (+ key.__scale), floats fp16."""
    out = {}
    for k, v in sd.items():
        if v.is_floating_point() and v.dim() >= 2 and v.numel() >= MIN_PACKED:
            q, s = quantize_int8(v)
            out[k] = q
            out[k + ".__scale"] = s
        elif v.is_floating_point() and "running_" not in k:
            out[k] = v.half()
        else:
            out[k] = v
    return out


def unpack_state(sd):
    out = {}
    for k, v in sd.items():
        if k.endswith(".__scale"):
            continue
        sk = k + ".__scale"
        out[k] = dequantize_int8(v, sd[sk]) if sk in sd else v
    return out


def load_ckpt(path):
    """Read a checkpoint written by save_ckpt or pack; "model" is always plain tensors."""
    ck = torch.load(path, map_location="cpu")
    if ck.get(PACKING_KEY) == INT8:
        ck = dict(ck)
        ck["model"] = unpack_state(ck["model"])
        del ck[PACKING_KEY]
    return ck


def pack_checkpoint(src, dst):
    ck = torch.load(src, map_location="cpu")
    if ck.get(PACKING_KEY) == INT8:
        raise SystemExit(f"{src} is already packed")
    obj = {k: v for k, v in ck.items() if k not in ("model", "optim", "optimizer")}
    obj["model"] = pack_state(ck["model"])
    obj[PACKING_KEY] = INT8
    _atomic_save(obj, dst)
    return os.path.getsize(src), os.path.getsize(dst)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pack", help="rewrite a checkpoint with int8 conv weights")
    p.add_argument("ckpt")
    p.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    if a.cmd == "pack":
        before, after = pack_checkpoint(a.ckpt, a.out)
        print(f"{a.ckpt}: {before} B -> {a.out}: {after} B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
