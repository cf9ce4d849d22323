# training/network.py: the binarized hourglass of ../shared/docs/network.md (HPM blocks) and
# its real-valued twin, one graph for both, so the twin's weights load into the binary net.
import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5


class SignSTE(torch.autograd.Function):
    """sign(x) = +1 for x >= 0 else -1; straight-through gradient 1 where |x| <= 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.ge(0).to(x.dtype).mul_(2).sub_(1)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * x.abs().le(1).to(g.dtype)


def sign_ste(x):
    return SignSTE.apply(x)


def binarize_weight(w):
    """alpha[o] * sign(W[o]) with alpha = mean|W[o]| (differentiable), identity gradient
    through the sign (XNOR-Net); returns (effective weight, sign, alpha)."""
    alpha = w.abs().mean(dim=(1, 2, 3), keepdim=True)
    s = w.ge(0).to(w.dtype).mul_(2).sub_(1)
    wb = w + (s - w).detach()
    return wb * alpha, s, alpha


class BinConv3x3(nn.Module):
    """BN -> sign -> pad -1 -> binary 3x3 conv (alpha-scaled) -> ReLU (binary=True), or
    BN -> real 3x3 conv (zero pad) -> ReLU (the twin). Same parameter names in both."""

    def __init__(self, cin, cout, binary=True, shift=False):
        super().__init__()
        self.cin, self.cout, self.binary = cin, cout, binary
        self.bn = nn.BatchNorm2d(cin, eps=BN_EPS)
        self.weight = nn.Parameter(torch.empty(cout, cin, 3, 3))
        nn.init.kaiming_normal_(self.weight, mode="fan_out", nonlinearity="relu")
        # AdaBin-style learnable shift before the sign: sign(BN(x) - shift); folds into beta.
        self.shift = nn.Parameter(torch.zeros(cin)) if shift else None

    def forward(self, x):
        x = self.bn(x)
        if not self.binary:
            return F.relu(F.conv2d(x, self.weight, padding=1))
        if self.shift is not None:
            x = x - self.shift.view(1, -1, 1, 1)
        a = sign_ste(x)
        a = F.pad(a, (1, 1, 1, 1), value=-1.0)
        w, _, _ = binarize_weight(self.weight)
        return F.relu(F.conv2d(a, w))


class HPM(nn.Module):
    """B(cin, cout): three chained 3x3 binconvs (cout/2, /4, /4), concatenated, + skip."""

    def __init__(self, cin, cout, binary=True, shift=False):
        super().__init__()
        assert cout % 4 == 0
        self.cin, self.cout = cin, cout
        self.c1 = BinConv3x3(cin, cout // 2, binary, shift)
        self.c2 = BinConv3x3(cout // 2, cout // 4, binary, shift)
        self.c3 = BinConv3x3(cout // 4, cout // 4, binary, shift)
        self.skip = nn.Conv2d(cin, cout, 1, bias=True) if cin != cout else None

    def forward(self, x):
        y1 = self.c1(x)
        y2 = self.c2(y1)
        y3 = self.c3(y2)
        s = x if self.skip is None else self.skip(x)
        return torch.cat([y1, y2, y3], 1) + s

    def binconvs(self):
        return [self.c1, self.c2, self.c3]


class Hourglass(nn.Module):
    def __init__(self, depth, f, binary=True, shift=False):
        super().__init__()
        self.depth = depth
        self.up1 = HPM(f, f, binary, shift)
        self.low1 = HPM(f, f, binary, shift)
        if depth > 1:
            self.low2 = Hourglass(depth - 1, f, binary, shift)
        else:
            self.low2 = HPM(f, f, binary, shift)
        self.low3 = HPM(f, f, binary, shift)

    def forward(self, x):
        up1 = self.up1(x)
        low = self.low1(F.max_pool2d(x, 2))
        low = self.low2(low)
        low = self.low3(low)
        return up1 + F.interpolate(low, scale_factor=2, mode="nearest")


class Head(nn.Module):
    """BN, ReLU, 1x1 conv + bias."""

    def __init__(self, cin, cout):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin, eps=BN_EPS)
        self.conv = nn.Conv2d(cin, cout, 1, bias=True)

    def forward(self, x):
        return self.conv(F.relu(self.bn(x)))


class HGNet(nn.Module):
    """The whole network. Returns (heatmap logits N x K x S/4 x S/4, part logits or None)."""

    def __init__(self, size=128, width=128, depth=4, points=14, parts=0, binary=True,
                 shift=False):
        super().__init__()
        f = width
        self.cfg = dict(size=size, width=width, depth=depth, points=points, parts=parts,
                        binary=binary, shift=shift)
        assert size % (4 * 2 ** depth) == 0, "S must be divisible by 4 * 2^D"
        self.stem = nn.Conv2d(3, f // 4, 7, stride=2, padding=3, bias=True)
        self.stem_bn = nn.BatchNorm2d(f // 4, eps=BN_EPS)
        self.b1 = HPM(f // 4, f // 2, binary, shift)
        self.b2 = HPM(f // 2, f // 2, binary, shift)
        self.b3 = HPM(f // 2, f, binary, shift)
        self.hg = Hourglass(depth, f, binary, shift)
        self.b4 = HPM(f, f, binary, shift)
        self.head = Head(f, points) if points > 0 else None
        self.seg = Head(f, parts) if parts > 0 else None

    def trunk(self, x):
        x = F.relu(self.stem_bn(self.stem(x)))
        x = self.b1(x)
        x = F.max_pool2d(x, 2)
        x = self.b3(self.b2(x))
        x = self.hg(x)
        return self.b4(x)

    def forward(self, x):
        t = self.trunk(x)
        hm = self.head(t) if self.head is not None else None
        sg = self.seg(t) if self.seg is not None else None
        return hm, sg

    def hpm_blocks(self):
        """HPM blocks in graph (export) order."""
        out = [self.b1, self.b2, self.b3]

        def hg(h):
            r = [h.up1, h.low1]
            r += hg(h.low2) if isinstance(h.low2, Hourglass) else [h.low2]
            r.append(h.low3)
            return r

        return out + hg(self.hg) + [self.b4]

    def binconvs(self):
        return [c for b in self.hpm_blocks() for c in b.binconvs()]


def count_macs(cfg):
    """(binary MACs, real MACs) per frame for a config dict (size, width, depth, points, parts)."""
    s, f, d = cfg["size"], cfg["width"], cfg["depth"]
    bmac = [0]
    rmac = [0]

    def hpm(ci, co, hw):
        bmac[0] += hw * 9 * (ci * co // 2 + co // 2 * co // 4 + co // 4 * co // 4)
        if ci != co:
            rmac[0] += hw * ci * co

    h = s // 2
    rmac[0] += h * h * 3 * 49 * (f // 4)
    hpm(f // 4, f // 2, h * h)
    h //= 2
    hpm(f // 2, f // 2, h * h)
    hpm(f // 2, f, h * h)

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
    rmac[0] += h * h * f * (cfg.get("points", 0) + cfg.get("parts", 0))
    return bmac[0], rmac[0]


def build(cfg, binary=None):
    c = dict(cfg)
    if binary is not None:
        c["binary"] = binary
    net = HGNet(**c)
    return net.to(memory_format=torch.channels_last)
