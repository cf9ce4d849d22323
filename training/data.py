# training/data.py: the keypoint sets of ../shared/data decoded once into memory, batch
# augmentation on whole batches (affine_grid / grid_sample), heatmap and face-part targets.
import io
import json
import math
import os
import tarfile
import time

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw

CROP = 160  # side of the stored crops

# Face parts (classes of the segmentation head), rendered from the 68 points of iBUG 300-W
# (0-based). Drawn in this order, later polygons over earlier ones.
PART_CLASSES = ["background", "skin", "upper_lip", "lower_lip", "inner_mouth", "eyes", "nose"]
PART_POLYGONS = [
    (1, list(range(0, 17)) + list(range(26, 16, -1))),           # jaw closed over the brows
    (6, [27, 35, 34, 33, 32, 31]),                                 # nose: bridge top + nostrils
    (5, list(range(36, 42))),                                      # image-left eye
    (5, list(range(42, 48))),                                      # image-right eye
    (2, [48, 49, 50, 51, 52, 53, 54, 64, 63, 62, 61, 60]),         # upper lip
    (3, [54, 55, 56, 57, 58, 59, 48, 60, 67, 66, 65, 64]),         # lower lip
    (4, list(range(60, 68))),                                      # inner mouth
]

TASKS = {
    "body": dict(folder="pose-lsp14", crop_scale=1.3),
    "face": dict(folder="face-68", crop_scale=1.4),
}


def default_data_root():
    env = os.environ.get("BNN_DATA")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "..", "..", "shared", "data"), "/work/shared/data"):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return "/work/shared/data"


def render_parts(pts, size=CROP, scale=1):
    """Class map (size x size uint8) of the face parts from 68 points in crop pixel-centre
    coordinates. PIL draws in pixel-edge coordinates, hence the +0.5."""
    img = Image.new("L", (size * scale, size * scale), 0)
    d = ImageDraw.Draw(img)
    for cls, idx in PART_POLYGONS:
        poly = [((pts[i][0] + 0.5) * scale, (pts[i][1] + 0.5) * scale) for i in idx]
        d.polygon(poly, fill=cls)
    if scale > 1:
        img = img.resize((size, size), Image.NEAREST)
    return np.asarray(img, dtype=np.uint8)


class KeypointSet:
    """All images of one split, decoded into a uint8 tensor N x 160 x 160 x 3, with
    points N x K x 2 (crop pixel-centre coordinates) and visibility N x K."""

    def __init__(self, task, split, root=None, limit=None, with_parts=False):
        root = root or default_data_root()
        self.task = task
        folder = os.path.join(root, TASKS[task]["folder"])
        with open(os.path.join(folder, "meta.json")) as f:
            self.meta = json.load(f)
        anns = []
        with open(os.path.join(folder, "annotations.jsonl")) as f:
            for line in f:
                a = json.loads(line)
                if a["split"] == split:
                    anns.append(a)
        if limit:
            anns = anns[:limit]
        want = {a["image"]: i for i, a in enumerate(anns)}
        n = len(anns)
        t0 = time.time()
        imgs = np.zeros((n, CROP, CROP, 3), np.uint8)
        with tarfile.open(os.path.join(folder, "images.tar")) as tf:
            for m in tf:
                i = want.get(m.name)
                if i is None:
                    continue
                data = tf.extractfile(m).read()
                im = Image.open(io.BytesIO(data)).convert("RGB")
                imgs[i] = np.asarray(im)
        self.decode_s = time.time() - t0
        self.images = torch.from_numpy(imgs)
        k = len(self.meta["keypoints"])
        pts = np.array([a["points"] for a in anns], np.float32).reshape(n, k, 3)
        self.points = torch.from_numpy(pts[:, :, :2].copy())
        self.visible = torch.from_numpy(pts[:, :, 2] > 0.5)
        self.names = [a["image"] for a in anns]
        self.sources = [a["source"] for a in anns]
        fp = list(range(k))
        for a, b in self.meta.get("flip_pairs", []):
            fp[a], fp[b] = b, a
        self.flip_perm = torch.tensor(fp)
        self.parts = None
        if with_parts:
            self.parts = torch.from_numpy(np.stack([render_parts(p) for p in pts]))

    def __len__(self):
        return self.images.shape[0]


def _rot(a):
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s], [s, c]])


class Augmenter:
    """Random affine (rotation, scale, flip, translation, truncation) as one theta per sample,
    applied with affine_grid / grid_sample straight from the 160 crop to S x S, plus colour
    jitter. train=False gives the plain bilinear 160 -> S resize of evaluation."""

    def __init__(self, size, task, rot=40.0, scale=(0.7, 1.3), trans=0.08, flip=True,
                 trunc=0.0, jitter=0.3, sigma=1.0):
        self.size, self.task = size, task
        self.rot, self.scale, self.trans, self.flip = rot, scale, trans, flip
        self.trunc, self.jitter, self.sigma = trunc, jitter, sigma
        self.hm = size // 4

    def _thetas(self, pts, vis, rng, train):
        """Per sample: M (2x2), c (2), flipped; n_src = M n_out + c in normalised coords."""
        b = pts.shape[0]
        Ms = np.zeros((b, 2, 2))
        cs = np.zeros((b, 2))
        flips = np.zeros(b, bool)
        for i in range(b):
            if not train:
                Ms[i] = np.eye(2)
                continue
            a = math.radians(rng.uniform(-self.rot, self.rot)) if rng.random() < 0.7 else 0.0
            s = rng.uniform(*self.scale)
            M = _rot(a) / s
            if self.flip and rng.random() < 0.5:
                M = M @ np.diag([-1.0, 1.0])
                flips[i] = True
            c = rng.uniform(-self.trans, self.trans, size=2)
            if self.trunc > 0 and rng.random() < self.trunc:
                M, c = self._truncate(M, c, pts[i], vis[i], rng)
            Ms[i], cs[i] = M, c
        return Ms, cs, flips

    def _truncate(self, M, c, p, v, rng):
        """Zoom/shift the view so the lower body falls outside: the bottom edge goes to a
        random height between mid-torso and the knees (LSP order: hips 2,3 knees 1,4,
        shoulders 8,9, head top 13)."""
        n_src = (2 * p + 1) / CROP - 1
        inv = np.linalg.inv(M)
        n_out = (n_src - c) @ inv.T

        def mean_y(idx):
            ys = [n_out[j, 1] for j in idx if v[j]]
            return float(np.mean(ys)) if ys else None

        hip, knee, sho = mean_y([2, 3]), mean_y([1, 4]), mean_y([8, 9])
        if hip is None or sho is None or hip - sho < 0.15:
            return M, c  # only roughly upright people (shoulders above hips)
        lo = 0.5 * (hip + sho)
        hi = knee if knee is not None and knee > hip else hip + 0.5 * (hip - sho)
        ycut = lo + rng.random() * (hi - lo)
        vis_y = n_out[v.astype(bool), 1]
        ytop = float(vis_y.min())
        z = min(max(1.85 / max(ycut - ytop, 1e-3), 1.0), 1.6)
        cx = float(n_out[v.astype(bool), 0].mean())
        delta = np.array([-(z - 1.0) * cx, 1.0 - z * ycut])
        # n_out' = z n_out + delta  =>  n_src = (M / z) n_out' + c - M delta / z
        return M / z, c - M @ delta / z

    def __call__(self, images, points, visible, parts=None, flip_perm=None, rng=None,
                 train=True):
        """images: B x 160 x 160 x 3 uint8; points B x K x 2; visible B x K bool.
        Returns x (B x 3 x S x S, channels_last), heatmap targets B x K x S/4 x S/4,
        valid mask B x K (point inside the view and labelled), transformed points in input
        pixel coords (B x K x 2), parts target (B x S/4 x S/4 long) or None."""
        rng = rng or np.random.default_rng()
        b = images.shape[0]
        S, H = self.size, self.hm
        pts = points.numpy().astype(np.float64)
        vis = visible.numpy().copy()
        Ms, cs, flips = self._thetas(pts, vis, rng, train)
        theta = torch.from_numpy(np.concatenate([Ms, cs[:, :, None]], 2)).float()
        src = images.permute(0, 3, 1, 2).float().div_(255.0)
        grid = F.affine_grid(theta, (b, 3, S, S), align_corners=False)
        x = F.grid_sample(src, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
        if train and self.jitter > 0:
            j = self.jitter
            br = torch.empty(b, 1, 1, 1).uniform_(1 - j, 1 + j)
            co = torch.empty(b, 1, 1, 1).uniform_(1 - j, 1 + j)
            sa = torch.empty(b, 1, 1, 1).uniform_(1 - j, 1 + j)
            gray = x.mean(1, keepdim=True)
            x = gray + (x - gray) * sa
            m = x.mean((1, 2, 3), keepdim=True)
            x = ((x - m) * co + m) * br
            x = x.clamp_(0, 1)
        x = x.contiguous(memory_format=torch.channels_last)
        # points: crop -> normalised source -> normalised output -> input px -> heatmap px
        n_src = (2 * pts + 1) / CROP - 1
        n_out = np.einsum("bij,bkj->bki", np.linalg.inv(Ms), n_src - cs[:, None, :])
        inp = ((n_out + 1) * S - 1) / 2
        if flips.any() and flip_perm is not None:
            fp = flip_perm.numpy()
            for i in np.nonzero(flips)[0]:
                inp[i] = inp[i, fp]
                vis[i] = vis[i, fp]
        hmc = (inp - 1.5) / 4.0
        inside = (hmc[..., 0] >= -0.5) & (hmc[..., 0] <= H - 0.5) & \
                 (hmc[..., 1] >= -0.5) & (hmc[..., 1] <= H - 0.5)
        valid = vis & inside
        hmc_t = torch.from_numpy(hmc).float()
        g = torch.arange(H, dtype=torch.float32)
        dx = (g.view(1, 1, H) - hmc_t[..., 0:1]) ** 2  # B x K x H
        dy = (g.view(1, 1, H) - hmc_t[..., 1:2]) ** 2
        tgt = torch.exp(-(dy.unsqueeze(3) + dx.unsqueeze(2)) / (2 * self.sigma ** 2))
        tgt = tgt * torch.from_numpy(valid).float().view(b, -1, 1, 1)
        ptarget = None
        if parts is not None:
            pgrid = F.affine_grid(theta, (b, 1, H, H), align_corners=False)
            ptarget = F.grid_sample(parts.unsqueeze(1).float(), pgrid, mode="nearest",
                                    padding_mode="zeros", align_corners=False)
            ptarget = ptarget.squeeze(1).round().long()
        return x, tgt, torch.from_numpy(valid), torch.from_numpy(inp).float(), ptarget


_BLUR_TAPS = torch.tensor([math.exp(-d * d / 2) for d in range(-3, 4)])
_BLUR_TAPS = _BLUR_TAPS / _BLUR_TAPS.sum()  # the targets' Gaussian (sigma 1), as in decode.c


LUMA = (0.299, 0.587, 0.114)  # BT.601, as a grey camera's Y plane reaches the model as R = G = B


def to_grey(x):
    """x: N x 3 x H x W in [0, 1] -> its luma in all three channels (same layout)."""
    w = torch.tensor(LUMA, dtype=x.dtype).view(1, 3, 1, 1)
    return (x * w).sum(1, keepdim=True).expand_as(x).contiguous(
        memory_format=torch.channels_last)


def grey_images(images):
    """uint8 N x H x W x 3 -> the same with each pixel's luma (rounded) in all three channels:
    the crops as a monochrome camera would deliver them (evaluate.py --grey)."""
    w = torch.tensor(LUMA, dtype=torch.float32)
    y = (images.float() * w).sum(-1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)
    return y.expand_as(images).contiguous()


def greyscale_some(x, p, rng):
    """Each sample of x (N x 3 x H x W, [0, 1]) replaced by to_grey with probability p: the
    student sees the grey frames of monochrome and night-mode (IR) cameras, while a teacher
    can still be given the colour x. Returns x itself when no sample is picked."""
    if p <= 0:
        return x
    pick = rng.random(x.shape[0]) < p
    if not pick.any():
        return x
    m = torch.from_numpy(pick.astype(np.float32)).view(-1, 1, 1, 1).to(x.dtype)
    return (x * (1 - m) + to_grey(x) * m).contiguous(memory_format=torch.channels_last)


def decode_heatmaps(hm):
    """Heatmap logits B x K x H x W -> (B x K x 2 heatmap coords, B x K peak logits).

    The engine's decoding (engine/decode.c, bnn_decode_points), distribution-aware (DARK,
    Zhang et al., CVPR 2020): sigmoid probabilities smoothed with the targets' Gaussian
    (sigma 1, 7 taps, edges repeated; logits 10 below the maximum count as 0), the smoothed
    argmax, then one Newton step on the log of the smoothed map, clamped to half a pixel per
    axis; none on the border or where the Hessian is not negative definite. The peak logit is
    the raw map's maximum."""
    b, k, h, w = hm.shape
    hm = hm.float()
    peak = hm.reshape(b, k, -1).max(2).values
    if w > 128 or h * w > 64 * 64:  # as DECODE_MAX_W, DECODE_MAX_PLANE in decode.c
        return _decode_quarter(hm), peak
    # logits more than 10 below the map's maximum count as 0 (SMOOTH_RANGE in decode.c)
    p = torch.where(hm < peak[:, :, None, None] - 10.0, torch.zeros(()), torch.sigmoid(hm))
    p = p.reshape(b * k, 1, h, w)
    p = F.pad(p, (3, 3, 3, 3), mode="replicate")
    p = F.conv2d(p, _BLUR_TAPS.view(1, 1, 1, 7))
    p = F.conv2d(p, _BLUR_TAPS.view(1, 1, 7, 1)).reshape(b * k, h, w)
    idx = p.reshape(b * k, -1).argmax(1)
    u, v = idx % w, idx // w
    lg = torch.log(p.clamp(min=1e-10))
    bi = torch.arange(b * k)

    def at(dv, du):
        return lg[bi, (v + dv).clamp(0, h - 1), (u + du).clamp(0, w - 1)]

    l0 = at(0, 0)
    dx = 0.5 * (at(0, 1) - at(0, -1))
    dy = 0.5 * (at(1, 0) - at(-1, 0))
    dxx = at(0, 1) - 2 * l0 + at(0, -1)
    dyy = at(1, 0) - 2 * l0 + at(-1, 0)
    dxy = 0.25 * (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1))
    det = dxx * dyy - dxy * dxy
    ok = (u >= 1) & (u <= w - 2) & (v >= 1) & (v <= h - 2) & (det > 1e-12) & (dxx < 0)
    safe = torch.where(ok, det, torch.ones(()))
    ox = (-(dyy * dx - dxy * dy) / safe).clamp(-0.5, 0.5)
    oy = (-(dxx * dy - dxy * dx) / safe).clamp(-0.5, 0.5)
    x = u.float() + torch.where(ok, ox, torch.zeros(()))
    y = v.float() + torch.where(ok, oy, torch.zeros(()))
    return torch.stack([x, y], 1).reshape(b, k, 2), peak


def _decode_quarter(hm):
    """Maps too large to smooth: argmax, then a quarter-pixel shift toward the larger
    neighbour on each axis."""
    b, k, h, w = hm.shape
    flat = hm.reshape(b, k, -1)
    peak, idx = flat.max(2)
    u = (idx % w).long()
    v = (idx // w).long()
    hmr = hm.reshape(b * k, h, w)
    bi = torch.arange(b * k)
    uu, vv = u.reshape(-1), v.reshape(-1)
    left = hmr[bi, vv, (uu - 1).clamp(min=0)]
    right = hmr[bi, vv, (uu + 1).clamp(max=w - 1)]
    up = hmr[bi, (vv - 1).clamp(min=0), uu]
    down = hmr[bi, (vv + 1).clamp(max=h - 1), uu]
    du = torch.where((uu > 0) & (uu < w - 1), 0.25 * torch.sign(right - left), torch.zeros(()))
    dv = torch.where((vv > 0) & (vv < h - 1), 0.25 * torch.sign(down - up), torch.zeros(()))
    x = uu.float() + du
    y = vv.float() + dv
    return torch.stack([x, y], 1).reshape(b, k, 2)


def heatmap_to_crop(hmxy, size):
    """Heatmap pixel coords -> input pixel (4u + 1.5) -> 160-crop pixel-centre coords."""
    inp = 4 * hmxy + 1.5
    return (inp + 0.5) * CROP / size - 0.5
