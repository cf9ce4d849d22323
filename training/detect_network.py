# training/detect_network.py: the binary person + face detector (CenterNet heads on an HPM
# hourglass, built from network.py's blocks) and its real-valued twin; MAC counting.
import torch
import torch.nn as nn
import torch.nn.functional as F

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from network import BN_EPS, HPM, Hourglass, Head  # noqa: E402

DET_CLASSES = ["person", "face"]

# The shipped topology (docs/detector.md): S 256, real 4x4 stride-4 stem (3 -> 32) straight to
# the 64 x 64 output grid, B(32, F), HG(D, F), B(F, F), three heads.
DEFAULT_CFG = dict(size=256, width=64, depth=4, stem_k=4, stem_stride=4, stem_pad=0,
                   stem_ch=32, classes=2, binary=True)


class DetNet(nn.Module):
    """stem CONV(k, stride, pad, 3 -> stem_ch) + BN + ReLU [+ MAXPOOL2 when stride is 2],
    HPM(stem_ch, F), Hourglass(D, F), HPM(F, F), heads: centre logits (classes), size (2,
    output pixels), offset (2). Output stride 4."""

    def __init__(self, size=256, width=64, depth=4, stem_k=4, stem_stride=4, stem_pad=0,
                 stem_ch=32, classes=2, binary=True):
        super().__init__()
        assert stem_stride in (2, 4)
        self.cfg = dict(size=size, width=width, depth=depth, stem_k=stem_k,
                        stem_stride=stem_stride, stem_pad=stem_pad, stem_ch=stem_ch,
                        classes=classes, binary=binary)
        f = width
        assert size % (4 * 2 ** depth) == 0
        self.stem = nn.Conv2d(3, stem_ch, stem_k, stride=stem_stride, padding=stem_pad, bias=True)
        self.stem_bn = nn.BatchNorm2d(stem_ch, eps=BN_EPS)
        self.b1 = HPM(stem_ch, f, binary)
        self.hg = Hourglass(depth, f, binary)
        self.b2 = HPM(f, f, binary)
        self.center = Head(f, classes)
        self.size = Head(f, 2)
        self.offset = Head(f, 2)
        nn.init.constant_(self.center.conv.bias, -4.6)  # CenterNet prior: sigmoid = 0.01

    def trunk(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        if self.cfg["stem_stride"] == 2:
            x = F.max_pool2d(x, 2)
        x = self.b1(x)
        x = self.hg(x)
        return self.b2(x)

    def forward(self, x):
        t = self.trunk(x)
        return self.center(t), self.size(t), self.offset(t)

    def hpm_blocks(self):
        def hg(h):
            r = [h.up1, h.low1]
            r += hg(h.low2) if isinstance(h.low2, Hourglass) else [h.low2]
            r.append(h.low3)
            return r
        return [self.b1] + hg(self.hg) + [self.b2]

    def binconvs(self):
        return [c for b in self.hpm_blocks() for c in b.binconvs()]


def count_macs(cfg):
    """(binary MACs, real MACs) per frame."""
    s, f, d = cfg["size"], cfg["width"], cfg["depth"]
    bmac = [0]
    rmac = [0]

    def hpm(ci, co, hw):
        bmac[0] += hw * 9 * (ci * co // 2 + co // 2 * co // 4 + co // 4 * co // 4)
        if ci != co:
            rmac[0] += hw * ci * co

    hs = (s + 2 * cfg["stem_pad"] - cfg["stem_k"]) // cfg["stem_stride"] + 1
    rmac[0] += hs * hs * 3 * cfg["stem_k"] ** 2 * cfg["stem_ch"]
    h = s // 4
    hpm(cfg["stem_ch"], f, h * h)

    def hg(n, h):
        hpm(f, f, h * h)
        hpm(f, f, (h // 2) ** 2)
        if n > 1:
            hg(n - 1, h // 2)
        else:
            hpm(f, f, (h // 2) ** 2)
        hpm(f, f, (h // 2) ** 2)

    hg(d, h)
    hpm(f, f, h * h)
    rmac[0] += h * h * f * (cfg["classes"] + 4)
    return bmac[0], rmac[0]


def build(cfg, binary=None):
    c = dict(cfg)
    if binary is not None:
        c["binary"] = binary
    return DetNet(**c).to(memory_format=torch.channels_last)
