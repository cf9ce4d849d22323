# training/export_bnn.py: writes a .bnn file (docs/model-format.md, version 2 by default; 1 on
# request) from a binary checkpoint of train.py, and reads one back (read_bnn) for checks and the
# reference runner. Version 2 stores real tensors as f16 and the BN before each binary conv as
# its folded sign and threshold; quantize_like_file() makes a torch model compute exactly what
# such a file holds (for the parity fixtures and the binarization/quantization check).
import argparse
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402

MAGIC = b"BNNLM\r\n\x1a"
OP_CONV, OP_HPM, OP_MAXPOOL2, OP_UPADD, OP_HEAD = 1, 2, 3, 4, 5
HEAD_HEATMAP, HEAD_SEG = 1, 2
DT_F32, DT_BITS, DT_F16, DT_I8, DT_Q8 = 1, 2, 3, 4, 5
F16_MAX = 65504.0
FORMAT_VERSION = 2

DATA_ROOT_META = {"body": "pose-lsp14", "face": "face-68"}
PART_CLASSES = ["background", "skin", "upper_lip", "lower_lip", "inner_mouth", "eyes", "nose"]

LICENSE = {
    "body": ("Weights trained on LSPET (Leeds Sports Pose Extended, Johnson & Everingham, "
             "CVPR 2011; Flickr images, no licence stated, the authors ask for citation): "
             "research use only, not for commercial use."),
    "face": ("Weights trained on 300-W annotations of HELEN and AFW (i-bug: provided for "
             "research purposes only; commercial use, i.e. use in training commercial "
             "algorithms, is not allowed) and YouTube Faces DB frames with Udacity keypoints "
             "(terms unknown, treated as research-only): research use only, non-commercial."),
}
DATA_TEXT = {
    "body": "LSPET via axelcarlier/lsp, 9044 train crops (pose-lsp14)",
    "face": "300-W HELEN train + AFW (Spinkoo/Face-alignement), YouTube Faces frames with "
            "Udacity 68-point labels (udacity/CVND_Exercises), 2342 train crops (face-68)",
}


class Writer:
    def __init__(self, version=FORMAT_VERSION):
        assert version in (1, 2)
        self.version = version
        self.nodes = []  # (op, in0, in1, params)
        self.tens = bytearray()

    def node(self, op, in0=-1, in1=-1, params=()):
        p = list(params) + [0] * (9 - len(params))
        self.nodes.append((op, in0, in1, p))
        return len(self.nodes)

    def f32(self, arr, dims=None):
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
        if not np.all(np.isfinite(a)):
            raise ValueError("non-finite value in tensor")
        self._rec(DT_F32, dims or a.shape, a.tobytes())

    def real(self, arr, dims=None):
        """A real-valued tensor: f32 in version 1; in version 2 conv weights (4-D) as q8 (int8
        with an f16 scale per output channel), the rest as f16 when every value is finite in
        f16, else f32 (see quantize_like_file for the exact rounding)."""
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.float32))
        if self.version >= 2 and a.ndim == 4 and dims is None:
            q = q8_encode(a)
            if q is not None:
                scales, ints = q
                self._rec(DT_Q8, a.shape, scales.astype("<f2").tobytes() + ints.tobytes())
                return
        if self.version >= 2:
            h = a.astype(np.float16)
            if np.all(np.isfinite(h)):
                self._rec(DT_F16, dims or a.shape, h.astype("<f2").tobytes())
                return
        self.f32(a, dims)

    def i8(self, arr, dims=None):
        a = np.ascontiguousarray(np.asarray(arr, dtype=np.int8))
        self._rec(DT_I8, dims or a.shape, a.tobytes())

    def bits(self, w):
        """W [co, ci, 3, 3] -> packed sign bits, bit j = (ky * 3 + kx) * ci + c, LSB first,
        each output channel padded to ceil(9 ci / 8) bytes."""
        w = np.asarray(w, dtype=np.float32)
        co, ci, kh, kw = w.shape
        b = (w >= 0).transpose(0, 2, 3, 1).reshape(co, kh * kw * ci).astype(np.uint8)
        packed = np.packbits(b, axis=1, bitorder="little")
        assert packed.shape[1] == (kh * kw * ci + 7) // 8
        self._rec(DT_BITS, (co, ci, kh, kw), packed.tobytes())

    def _rec(self, dtype, dims, data):
        dims = list(dims)
        nd = len(dims)
        assert 1 <= nd <= 4
        self.tens += struct.pack("<II4IQ", dtype, nd, *(dims + [1] * (4 - nd)), len(data))
        self.tens += data
        self.tens += b"\0" * ((-len(data)) % 4)

    def grph(self):
        out = bytearray(struct.pack("<I", len(self.nodes)))
        for op, in0, in1, p in self.nodes:
            out += struct.pack("<Iii9i", op, in0, in1, *p)
        return bytes(out)


def meta_text(meta):
    lines = []
    for k, v in meta.items():
        v = str(v)
        assert "\n" not in v and "=" not in k and k
        lines.append(f"{k}={v}\n")
    return "".join(lines).encode("utf-8")


def assemble(meta, grph, tens, version=FORMAT_VERSION):
    secs = [(b"META", meta_text(meta)), (b"GRPH", grph), (b"TENS", bytes(tens))]
    body = bytearray()
    for tag, payload in secs:
        body += tag + struct.pack("<IQ", zlib.crc32(payload) & 0xFFFFFFFF, len(payload))
        body += payload
        body += b"\0" * ((-len(payload)) % 16)
    size = 32 + len(body)
    hdr = MAGIC + struct.pack("<IIQI", version, 32, size, len(secs))
    hdr += struct.pack("<I", zlib.crc32(hdr) & 0xFFFFFFFF)
    assert len(hdr) == 32
    return bytes(hdr + body)


def _np(t):
    return t.detach().float().cpu().numpy()


def bn_params(bn, shift=None):
    beta = _np(bn.bias)
    if shift is not None:
        beta = beta - _np(shift)  # sign(BN(x) - s) == sign(BN'(x)) with beta' = beta - s
    return [_np(bn.weight), beta, _np(bn.running_mean), _np(bn.running_var)]


def fold_sign(g, b, m, v, eps):
    """The BN before a binary conv as the engine folds it: sign(BN(x)) = +1 <=> s x >= t, with
    s in {-1, 0, 1} (0: gamma = 0, a constant channel, t = 0 for +1 and 1 for -1); t computed
    in float64 and rounded once to float32, as engine/hpm_block.c does."""
    g, b, m, v = (np.asarray(a, np.float64) for a in (g, b, m, v))
    sd = np.sqrt(v + np.float64(np.float32(eps)))
    gs = np.where(g == 0, 1.0, g)
    th = m - b * sd / gs
    s = np.sign(g).astype(np.int8)
    t = np.where(g > 0, th, -th)
    t = np.where(g == 0, np.where(b >= 0, 0.0, 1.0), t)
    return s, t.astype(np.float32)


def q8_encode(w):
    """4-D weights -> (f16 scales [co], int8 values) as the engine's writer does: scale =
    f16(max |w[o]| / 127), q = clip(rint(w / scale), -127, 127); None if a scale overflows."""
    w = np.asarray(w, np.float32)
    co = w.shape[0]
    flat = w.reshape(co, -1)
    mx = np.abs(flat).max(axis=1).astype(np.float32)
    sc16 = (mx / np.float32(127.0)).astype(np.float16)
    if not np.all(np.isfinite(sc16)):
        return None
    sc = sc16.astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(sc[:, None] > 0, np.rint(flat / sc[:, None]), 0.0)
    q = np.clip(r, -127, 127).astype(np.int8)
    return sc16, q


def q8_decode(sc16, q, shape):
    return (q.astype(np.float32) * sc16.astype(np.float32)[:, None]).reshape(shape)


def threshold_f16(t):
    """Version 2 threshold values: clamped to the f16 range (no activation comes near 65504)
    and rounded to f16."""
    return np.clip(np.asarray(t, np.float32), -F16_MAX, F16_MAX).astype(np.float16).astype(np.float32)


def threshold_f16_lattice(s, t, alpha, kmax):
    """Version 2 thresholds of a binary conv whose input is the previous binary conv's output
    (HPM convs 2 and 3): there every input value is a lattice point max(0, alpha[c] k), k an
    integer in [0, kmax], and the file's lattice uses alpha rounded to f16. Plain f16
    rounding of t can land on (or step over) a lattice point, and where it lands on one the
    decision s x >= t becomes a tie: the f32 model decided it by a margin, the file by '>='.
    Here each channel's t16 is the f16 value nearest t that keeps, on every lattice point,
    the decision of the f32 model (x = alpha k, threshold t); where no f16 value does (a
    lattice step below the f16 spacing) plain rounding stays. Returns (t16, channels moved,
    channels that could not be kept)."""
    s = np.asarray(s)
    t = np.asarray(t, np.float32)
    t16 = threshold_f16(t)
    a32 = np.asarray(alpha, np.float32).astype(np.float64)
    a16 = np.asarray(alpha, np.float32).astype(np.float16).astype(np.float64)
    k = np.arange(kmax + 1, dtype=np.float64)
    moved = unkept = 0
    for c in range(len(t)):
        if s[c] == 0:
            continue
        xo, xf = a32[c] * k, a16[c] * k  # exact in f64; xf is also exact in the engine's f32
        want = s[c] * xo >= np.float64(t[c])
        if np.array_equal(s[c] * xf >= t16[c], want):
            continue
        # interval (lo, hi] of thresholds that give `want` on the file's lattice
        if s[c] > 0:  # +1 iff x >= t; want is monotone rising in k
            first = int(np.argmax(want)) if want.any() else kmax + 1
            lo = xf[first - 1] if first > 0 else -np.inf
            hi = xf[first] if first <= kmax else np.inf
        else:  # +1 iff -x >= t, i.e. x <= -t; want is monotone falling in k
            last = int(len(want) - 1 - np.argmax(want[::-1])) if want.any() else -1
            lo = -xf[last + 1] if last < kmax else -np.inf
            hi = -xf[last] if last >= 0 else np.inf
        cand = np.float16(min(max(float(t[c]), lo), hi) if np.isfinite(lo) or np.isfinite(hi)
                          else float(t[c]))
        for _ in range(2):  # round-to-nearest may leave (lo, hi]: step one f16 inward
            if cand > hi:
                cand = np.nextafter(cand, np.float16(-np.inf))
            elif cand <= lo:
                cand = np.nextafter(cand, np.float16(np.inf))
        if lo < float(cand) <= hi and abs(float(cand)) <= F16_MAX:
            t16[c] = np.float32(cand)
            moved += 1
        else:
            unkept += 1
    return t16, moved, unkept


def hpm_thresholds(blk, version, eps=network.BN_EPS):
    """(s, t) of each binary conv of an HPM block as the file holds them: t in f32 for
    version 1; for version 2, f16 (conv 1: its input is real) or f16 kept off the lattice of
    the previous conv's output (convs 2 and 3; threshold_f16_lattice)."""
    out, prev = [], None
    for c in blk.binconvs():
        s, t = fold_sign(*bn_params(c.bn, c.shift), eps)
        if version >= 2:
            if prev is None:
                t = threshold_f16(t)
            else:
                alpha = np.abs(_np(prev.weight)).mean(axis=(1, 2, 3))
                t = threshold_f16_lattice(s, t, alpha, 9 * prev.cin)[0]
        out.append((s, t))
        prev = c
    return out


def write_hpm(w, blk, src, eps=network.BN_EPS):
    folded = hpm_thresholds(blk, w.version, eps)
    for c, (s, t) in zip(blk.binconvs(), folded):
        if w.version >= 2:
            w.i8(s)
            w.real(t)
        else:
            for t in bn_params(c.bn, c.shift):
                w.f32(t)
        wt = _np(c.weight)
        w.bits(wt)
        w.real(np.abs(wt).mean(axis=(1, 2, 3)))
    if blk.skip is not None:
        w.real(_np(blk.skip.weight))
        w.real(_np(blk.skip.bias))
    return w.node(OP_HPM, src, -1, (blk.cin, blk.cout))


def write_head(w, head, src, kind):
    for t in bn_params(head.bn):
        w.real(t)
    w.real(_np(head.conv.weight))
    w.real(_np(head.conv.bias))
    return w.node(OP_HEAD, src, -1, (head.conv.in_channels, head.conv.out_channels, kind))


def build_file(model, meta, version=FORMAT_VERSION):
    """The .bnn bytes of a binary HGNet with META dict meta."""
    if not model.cfg["binary"]:
        raise ValueError("export_bnn needs a binary network (recipe binary or scratch)")
    w = Writer(version)
    st = model.stem
    w.real(_np(st.weight))
    w.real(_np(st.bias))
    for t in bn_params(model.stem_bn):
        w.real(t)
    f = model.cfg["width"]
    n = w.node(OP_CONV, 0, -1, (7, 2, 3, 3, f // 4, 1))
    n = write_hpm(w, model.b1, n)
    n = w.node(OP_MAXPOOL2, n)
    n = write_hpm(w, model.b2, n)
    n = write_hpm(w, model.b3, n)

    def hg(h, x):
        up1 = write_hpm(w, h.up1, x)
        low = w.node(OP_MAXPOOL2, x)
        low = write_hpm(w, h.low1, low)
        if isinstance(h.low2, network.Hourglass):
            low = hg(h.low2, low)
        else:
            low = write_hpm(w, h.low2, low)
        low = write_hpm(w, h.low3, low)
        return w.node(OP_UPADD, up1, low)

    n = hg(model.hg, n)
    n = write_hpm(w, model.b4, n)
    if model.head is not None:
        write_head(w, model.head, n, HEAD_HEATMAP)
    if model.seg is not None:
        write_head(w, model.seg, n, HEAD_SEG)
    return assemble(meta, w.grph(), w.tens, version)


def _f16(t):
    return t.detach().to(torch.float16).to(t.dtype)


@torch.no_grad()
def quantize_like_file(model, eps=network.BN_EPS):
    """In place: make a binary torch model compute exactly what its version 2 file holds:
    conv weights rounded to q8 and other real tensors to f16; each BN before a binary conv replaced by its folded sign and
    f16 threshold (gamma = s, beta = 0, mean = s t, var = 1, eps = 0: the sign of the result is that of
    s x - t); each alpha rounded to f16 (the latent weights become sign(W) * alpha16). Used by
    the parity fixtures; exporting the result gives the same file as the original."""
    folded = {}
    for blk in model.modules():
        if isinstance(blk, network.HPM):
            for c, st in zip(blk.binconvs(), hpm_thresholds(blk, 2, eps)):
                folded[id(c)] = st
    for mod in model.modules():
        if isinstance(mod, network.BinConv3x3):
            s, t16 = folded[id(mod)]
            sf = torch.from_numpy(s.astype(np.float32))
            mod.bn.weight.copy_(sf)
            mod.bn.bias.copy_(torch.where(sf == 0, torch.from_numpy(np.where(t16 == 0, 1.0, -1.0)
                                                                    .astype(np.float32)), 0.0 * sf))
            mod.bn.running_mean.copy_(sf * torch.from_numpy(t16))
            # var = 1 and eps = 0: 1/sqrt(var + eps) is exactly 1 in every precision torch
            # may use, so its BN gives exactly 0 where s x == t (a tie: +1, as the engine's
            # '>=' decides) rather than the sign of a rounding error
            mod.bn.running_var.fill_(1.0)
            mod.bn.eps = 0.0
            if mod.shift is not None:
                mod.shift.zero_()
            alpha = mod.weight.abs().mean(dim=(1, 2, 3), keepdim=True)
            sign = mod.weight.ge(0).float() * 2 - 1
            mod.weight.copy_(sign * _f16(alpha))
        elif isinstance(mod, (torch.nn.Conv2d, torch.nn.BatchNorm2d)):
            for name in ("weight", "bias", "running_mean", "running_var"):
                t = getattr(mod, name, None)
                if t is None or not t.is_floating_point():
                    continue
                q = q8_encode(t.detach().numpy()) if t.dim() == 4 else None
                if q is not None:
                    t.copy_(torch.from_numpy(q8_decode(q[0], q[1], tuple(t.shape))))
                else:
                    t.copy_(_f16(t))
    return model


def default_meta(task, name, cfg, data_root=None, description=None):
    meta = {"task": task, "name": name, "input_size": cfg["size"], "output_stride": 4,
            "crop_scale": 1.3 if task == "body" else 1.4, "mean": "0,0,0", "std": "1,1,1",
            "bn_eps": "1e-05"}
    kp = None
    if data_root:
        mp = os.path.join(data_root, DATA_ROOT_META[task], "meta.json")
        if os.path.exists(mp):
            with open(mp) as fh:
                kp = json.load(fh)
    if cfg.get("points", 0) > 0:
        names = kp["keypoints"] if kp else [f"p{i:02d}" for i in range(cfg["points"])]
        if len(names) != cfg["points"]:
            names = [f"p{i:02d}" for i in range(cfg["points"])]
        meta["points"] = ",".join(names)
        if kp and kp.get("skeleton") and len(kp["keypoints"]) == cfg["points"]:
            meta["skeleton"] = ",".join(f"{a}-{b}" for a, b in kp["skeleton"])
        if kp and kp.get("flip_pairs") and len(kp["keypoints"]) == cfg["points"]:
            # the mirror table of the engine's flip test (the trainer's flip augmentation)
            fp = list(range(cfg["points"]))
            for a, b in kp["flip_pairs"]:
                fp[a], fp[b] = b, a
            meta["flip"] = ",".join(str(v) for v in fp)
    if cfg.get("parts", 0) > 0:
        cl = PART_CLASSES if cfg["parts"] == len(PART_CLASSES) else \
            ["background"] + [f"c{i}" for i in range(1, cfg["parts"])]
        meta["classes"] = ",".join(cl)
    if task in LICENSE:
        meta["license"] = LICENSE[task]
        meta["data"] = DATA_TEXT[task]
    bm, rm = network.count_macs(cfg)
    meta["description"] = description or (
        f"binarized hourglass (HPM blocks, Bulat & Tzimiropoulos ICCV 2017), S {cfg['size']}, "
        f"F {cfg['width']}, D {cfg['depth']}, {bm / 1e9:.3f} G binary MACs")
    return meta


# ---------------------------------------------------------------- reading back

def read_bnn(data):
    """Parse and check a .bnn file: returns (meta dict, nodes list, tensor list). Each node is
    (op, in0, in1, params); tensors are numpy arrays (f32) or (bits uint8 [co, rowbytes],
    dims) tuples, in file order."""
    if isinstance(data, str):
        with open(data, "rb") as fh:
            data = fh.read()
    assert data[:8] == MAGIC, "magic"
    ver, hs, fsize, nsec, crc = struct.unpack_from("<IIQII", data, 8)
    assert ver in (1, 2) and hs == 32 and fsize == len(data), "header"
    assert zlib.crc32(data[:28]) & 0xFFFFFFFF == crc, "header crc"
    off = 32
    secs = {}
    for _ in range(nsec):
        tag = data[off:off + 4]
        pcrc, psize = struct.unpack_from("<IQ", data, off + 4)
        payload = data[off + 16:off + 16 + psize]
        assert len(payload) == psize and zlib.crc32(payload) & 0xFFFFFFFF == pcrc, tag
        secs[tag] = payload
        off += 16 + psize + (-psize) % 16
    assert off == len(data), "trailing bytes"
    meta = {}
    for line in secs[b"META"].decode("utf-8").splitlines():
        k, v = line.split("=", 1)
        meta[k] = v
    g = secs[b"GRPH"]
    (nn_,) = struct.unpack_from("<I", g, 0)
    nodes = [struct.unpack_from("<Iii9i", g, 4 + 48 * i) for i in range(nn_)]
    nodes = [(r[0], r[1], r[2], list(r[3:])) for r in nodes]
    assert len(g) == 4 + 48 * nn_
    t = secs[b"TENS"]
    tens = []
    o = 0
    while o < len(t):
        dtype, nd, d0, d1, d2, d3, nb = struct.unpack_from("<II4IQ", t, o)
        o += 32
        dims = [d0, d1, d2, d3][:nd]
        raw = t[o:o + nb]
        o += nb + (-nb) % 4
        if dtype == DT_F32:
            tens.append(np.frombuffer(raw, np.float32).reshape(dims))
        elif dtype == DT_F16:
            tens.append(np.frombuffer(raw, "<f2").astype(np.float32).reshape(dims))
        elif dtype == DT_I8:
            tens.append(np.frombuffer(raw, np.int8).reshape(dims))
        elif dtype == DT_Q8:
            co = dims[0]
            sc16 = np.frombuffer(raw[:2 * co], "<f2")
            q = np.frombuffer(raw[2 * co:], np.int8).reshape(co, -1)
            tens.append(q8_decode(sc16, q, dims))
        else:
            co, ci = dims[0], dims[1]
            tens.append((np.frombuffer(raw, np.uint8).reshape(co, (9 * ci + 7) // 8), dims))
    meta["_version"] = ver
    return meta, nodes, tens


def unpack_bits(packed, dims):
    """Packed sign bits -> +-1 float weights [co, ci, 3, 3] (inverse of Writer.bits)."""
    co, ci, kh, kw = dims
    b = np.unpackbits(packed, axis=1, bitorder="little")[:, :kh * kw * ci]
    w = b.reshape(co, kh, kw, ci).transpose(0, 3, 1, 2).astype(np.float32) * 2 - 1
    return w


def run_reference(path_or_bytes, x):
    """Runs a .bnn file in torch straight from its tensors, with the engine's semantics
    (sign(BN(x)) as a folded threshold compare, -1 padding, integer XNOR sums): an
    independent check of the exporter. x: N x 3 x S x S. Returns the list of outputs."""
    import torch.nn.functional as F
    meta, nodes, tens = read_bnn(path_or_bytes)
    eps = float(meta.get("bn_eps", "1e-5"))
    it = iter(tens)
    vals = {0: x.float()}
    outs = []

    def bn_sign(v, g, b, m, var):
        g, b, m, var = (torch.from_numpy(np.array(a, np.float64)) for a in (g, b, m, var))
        sd = torch.sqrt(var + eps)
        vv = v.double()
        pos = torch.where(g > 0, torch.ones_like(g), -torch.ones_like(g))
        gs = torch.where(g == 0, torch.ones_like(g), g)
        t = m - b * sd / gs
        ge = vv >= t.view(1, -1, 1, 1)
        le = vv <= t.view(1, -1, 1, 1)
        s = torch.where(pos.view(1, -1, 1, 1) > 0, ge, le).double() * 2 - 1
        const = torch.where(b >= 0, torch.ones_like(b), -torch.ones_like(b)).view(1, -1, 1, 1)
        s = torch.where((g == 0).view(1, -1, 1, 1), const.expand_as(s), s)
        return s

    for i, (op, in0, in1, p) in enumerate(nodes, start=1):
        a = vals[in0]
        if op == OP_CONV:
            k, stride, pad, cin, cout, bnr = p[:6]
            w, bias = next(it), next(it)
            y = F.conv2d(a, torch.from_numpy(w.copy()), torch.from_numpy(bias.copy()),
                         stride=stride, padding=pad)
            if bnr:
                g, b, m, v = (torch.from_numpy(next(it).copy()) for _ in range(4))
                y = F.relu((y - m.view(1, -1, 1, 1)) / torch.sqrt(v.view(1, -1, 1, 1) + eps)
                           * g.view(1, -1, 1, 1) + b.view(1, -1, 1, 1))
            vals[i] = y
        elif op == OP_HPM:
            cin, cout = p[:2]
            ys = []
            h = a
            for _ in range(3):
                if meta["_version"] >= 2:
                    sg, th = next(it), next(it)
                    sd = torch.from_numpy(sg.astype(np.float64)).view(1, -1, 1, 1)
                    td = torch.from_numpy(th.astype(np.float64)).view(1, -1, 1, 1)
                    s = (sd * h.double() >= td).double() * 2 - 1
                else:
                    g, b, m, v = next(it), next(it), next(it), next(it)
                    s = bn_sign(h, g, b, m, v)
                packed, dims = next(it)
                alpha = next(it)
                s = F.pad(s, (1, 1, 1, 1), value=-1.0)
                wb = torch.from_numpy(unpack_bits(packed, dims)).double()
                acc = F.conv2d(s, wb)  # exact integers
                h = F.relu(acc.float() * torch.from_numpy(alpha.copy()).view(1, -1, 1, 1))
                ys.append(h)
            y = torch.cat(ys, 1)
            if cin != cout:
                sw, sb = next(it), next(it)
                y = y + F.conv2d(a, torch.from_numpy(sw.copy()), torch.from_numpy(sb.copy()))
            else:
                y = y + a
            vals[i] = y
        elif op == OP_MAXPOOL2:
            vals[i] = F.max_pool2d(a, 2)
        elif op == OP_UPADD:
            vals[i] = a + F.interpolate(vals[in1], scale_factor=2, mode="nearest")
        elif op == OP_HEAD:
            g, b, m, v = (torch.from_numpy(next(it).copy()) for _ in range(4))
            w, bias = next(it), next(it)
            y = F.relu((a - m.view(1, -1, 1, 1)) / torch.sqrt(v.view(1, -1, 1, 1) + eps)
                       * g.view(1, -1, 1, 1) + b.view(1, -1, 1, 1))
            y = F.conv2d(y, torch.from_numpy(w.copy()), torch.from_numpy(bias.copy()))
            vals[i] = y
            outs.append(y)
        else:
            raise ValueError(f"op {op}")
    rest = list(it)
    assert not rest, f"{len(rest)} tensors left over"
    return outs


def main(argv=None):
    from train import model_from_ckpt, PRESETS
    from data import default_data_root
    ap = argparse.ArgumentParser(description="binary checkpoint -> .bnn")
    ap.add_argument("ckpt")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None, help="META name (default: the checkpoint preset)")
    ap.add_argument("--format", type=int, choices=[1, 2], default=FORMAT_VERSION,
                    help="file format version (2: f16 + folded thresholds, about 1/25 of FP32)")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--region-score", type=float, default=None,
                    help="META region_score: the instance score a detector's region needs "
                         "with this model (bnnlandmarks' default min-region-score; measure it "
                         "with training/eval_detect.py --verify, docs/detector.md); default: "
                         "none, the element's task default applies")
    ap.add_argument("--check", action="store_true",
                    help="run the file through the reference runner and compare with torch")
    args = ap.parse_args(argv)
    if args.region_score is not None and not 0.0 <= args.region_score <= 1.0:
        ap.error("--region-score must be in [0, 1]")
    model, ck = model_from_ckpt(args.ckpt)
    model.eval()
    task = ck.get("task") or PRESETS[ck["preset"]]["task"]
    name = args.name or ck.get("preset", "model")
    meta = default_meta(task, name, model.cfg, args.data_root or default_data_root())
    meta["description"] += f"; recipe {ck.get('recipe')}, epoch {ck.get('epoch', 0):.1f}"
    if args.region_score is not None:
        meta["region_score"] = f"{args.region_score:g}"
    blob = build_file(model, meta, args.format)
    with open(args.out, "wb") as fh:
        fh.write(blob)
    fp32 = 4 * sum(p.numel() for n_, p in model.state_dict().items()
                   if not n_.endswith("num_batches_tracked"))
    print(f"wrote {args.out}: {len(blob)} bytes (format {args.format}); FP32 weights "
          f"{fp32} bytes = {fp32 / len(blob):.1f}x")
    if args.check:
        if args.format >= 2:
            quantize_like_file(model)
        torch.manual_seed(0)
        x = torch.rand(2, 3, model.cfg["size"], model.cfg["size"])
        with torch.no_grad():
            ref = model(x)
        outs = run_reference(blob, x)
        for a, b in zip([r for r in ref if r is not None], outs):
            print(f"reference runner vs torch: max abs diff {float((a - b).abs().max()):.3g}")


if __name__ == "__main__":
    main()
