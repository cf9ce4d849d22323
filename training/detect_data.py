# training/detect_data.py: the detection set of ../shared/data/detect decoded into memory,
# letterboxing, hard augmentation (scale, crop, flip, colour, 4-image mosaics) and CenterNet
# targets with per-class label masks (a class is trained only where its image labels it);
# optionally the landmark sets' crops as extra positives (CropSet, MixedSet), with the
# person crops as face negatives outside the head.
import io
import json
import math
import os
import tarfile
import time

import numpy as np
import torch
from PIL import Image

from data import default_data_root

CLASSES = ["person", "face"]
STRIDE = 4
MAX_OBJ = 96

# Geometry: every box here is kept in the EDGE frame (pixel i spans [i, i + 1)); the data's
# pixel-centre boxes get +0.5 on load. A centre at input edge coordinate c lies at heatmap
# coordinate (c - 2) / 4 (heatmap pixel u covers input edges [4u, 4u + 4), centre 4u + 2,
# i.e. pixel-centre 4u + 1.5 as docs/engine.md says).


# How a class is scored in an image (DetSet.score[i, c]): not at all (the image does not
# label it), everywhere in the image (it labels every instance), or only inside its boxes
# (one instance is labelled, others may be present unlabelled: a landmark crop).
SCORE_NONE, SCORE_ALL, SCORE_BOXES = 0, 1, 2


class DetSet:
    """images: list of H x W x 3 uint8; boxes: list of (N, 4) float edge-frame [x, y, w, h];
    cls: list of (N,) int; ignore: list of (N,) bool; labelled: (n, C) bool; score: (n, C)
    SCORE_* (here SCORE_ALL where labelled, else SCORE_NONE)."""

    def __init__(self, split, data_root=None, limit=None):
        root = os.path.join(data_root or default_data_root(), "detect")
        t0 = time.time()
        recs = []
        with open(os.path.join(root, "annotations.jsonl")) as fh:
            for line in fh:
                r = json.loads(line)
                if r["split"] == split:
                    recs.append(r)
        if limit:
            recs = recs[:limit]
        want = {r["image"] for r in recs}
        blobs = {}
        with tarfile.open(os.path.join(root, "images.tar")) as tf:
            for m in tf:
                if m.name in want:
                    blobs[m.name] = tf.extractfile(m).read()
        self.names, self.images, self.boxes, self.cls, self.ignore = [], [], [], [], []
        lab = []
        for r in recs:
            img = np.asarray(Image.open(io.BytesIO(blobs[r["image"]])).convert("RGB"))
            self.names.append(r["image"])
            self.images.append(img)
            b = np.array([bb["box"] for bb in r["boxes"]], np.float32).reshape(-1, 4)
            b[:, :2] += 0.5
            self.boxes.append(b)
            self.cls.append(np.array([CLASSES.index(bb["class"]) for bb in r["boxes"]], np.int64))
            self.ignore.append(np.array([bool(bb.get("ignore", 0)) for bb in r["boxes"]], bool))
            lab.append([c in r["labelled"] for c in CLASSES])
        self.labelled = np.array(lab, bool).reshape(-1, len(CLASSES))
        self.score = np.where(self.labelled, SCORE_ALL, SCORE_NONE).astype(np.int8)
        self.regions = [[] for _ in recs]  # extra (class, box) areas scored (CropSet)
        self.sources = [r["source"] for r in recs]
        self.decode_s = time.time() - t0

    def __len__(self):
        return len(self.images)


def _stem(source):
    """'AFW/1130084326_2.jpg' (a face crop's source) and 'AFW/1130084326.jpg' (a scene) ->
    '1130084326'."""
    s = os.path.splitext(os.path.basename(source))[0]
    return s.rsplit("_", 1)[0] if "_" in s and s.rsplit("_", 1)[1].isdigit() else s


class CropSet:
    """The landmark sets' 160 x 160 train crops as detection samples with one labelled
    instance each, in DetSet's fields:
    - pose-lsp14: a person box = the box of the 14 joints (only crops with all 14
      labelled), widened by 6 % of its larger side left, right and above and 8 % below
      (joints are limb centres; head_top and the ankles are not the outline). Person is
      scored only inside that box (other people in the crop are not labelled), face not
      at all.
    - face-68: a face box = the box of the 68 points, which is exactly how data/detect
      boxes AFW faces (checked on the shared AFW images). Face is scored on the whole crop,
      person not at all. Crops cut from a data/detect val scene are left out (exclude).
    - face_negatives: a person crop also scores the face class inside its person box,
      except around the head (an ignored face box centred between neck and head_top, as
      wide and tall as 1.6 neck-to-head_top lengths), so a torso, arm or leg is taught as
      "not a face" while the labelled person's own face and other people's faces outside
      the box stay unscored."""

    NECK, HEAD_TOP = 12, 13  # pose-lsp14 joint order (meta.json)

    def __init__(self, data_root=None, exclude_stems=(), limit=None, face_negatives=False):
        from data import KeypointSet
        root = data_root or default_data_root()
        t0 = time.time()
        self.images, self.boxes, self.cls, self.ignore, score = [], [], [], [], []
        self.regions = []
        pose = KeypointSet("body", "train", root, limit)
        pimg, ppts, pvis = pose.images.numpy(), pose.points.numpy(), pose.visible.numpy()
        for i in range(len(pimg)):
            if not bool(pvis[i].all()):
                continue
            p = ppts[i]
            x0, y0 = float(p[:, 0].min()) + 0.5, float(p[:, 1].min()) + 0.5
            x1, y1 = float(p[:, 0].max()) + 0.5, float(p[:, 1].max()) + 0.5
            m = max(x1 - x0, y1 - y0)
            x0, x1, y0, y1 = x0 - 0.06 * m, x1 + 0.06 * m, y0 - 0.06 * m, y1 + 0.08 * m
            box = [x0, y0, x1 - x0, y1 - y0]
            self._add(pimg[i], box, 0, (SCORE_BOXES, SCORE_NONE), score)
            if face_negatives:
                hx, hy = (p[self.NECK] + p[self.HEAD_TOP]) * 0.5 + 0.5
                hs = 1.6 * float(np.hypot(*(p[self.NECK] - p[self.HEAD_TOP])))
                self.boxes[-1] = np.array([box, [hx - hs / 2, hy - hs / 2, hs, hs]], np.float32)
                self.cls[-1] = np.array([0, 1], np.int64)
                self.ignore[-1] = np.array([False, True])
                self.regions[-1] = [(1, box)]
        self.n_person = len(self.images)
        face = KeypointSet("face", "train", root, limit)
        excl = set(exclude_stems)
        self.n_excluded = 0
        fimg, fpts = face.images.numpy(), face.points.numpy()
        for i in range(len(fimg)):
            if _stem(face.sources[i]) in excl:
                self.n_excluded += 1
                continue
            p = fpts[i]
            x0, y0 = float(p[:, 0].min()) + 0.5, float(p[:, 1].min()) + 0.5
            w, h = float(p[:, 0].max()) - x0 + 0.5, float(p[:, 1].max()) - y0 + 0.5
            self._add(fimg[i], [x0, y0, w, h], 1, (SCORE_NONE, SCORE_ALL), score)
        self.n_face = len(self.images) - self.n_person
        self.score = np.array(score, np.int8).reshape(-1, len(CLASSES))
        self.labelled = self.score != SCORE_NONE
        self.decode_s = time.time() - t0

    def _add(self, img, box, c, modes, score):
        self.images.append(np.ascontiguousarray(img))
        self.boxes.append(np.array([box], np.float32))
        self.cls.append(np.array([c], np.int64))
        self.ignore.append(np.zeros(1, bool))
        self.regions.append([])
        score.append(modes)

    def __len__(self):
        return len(self.images)


class MixedSet:
    """A DetSet followed by a CropSet, indexable as one (indices >= len(det) are crops)."""

    def __init__(self, det, crops):
        self.n_det, self.n_crop = len(det), len(crops)
        for k in ("images", "boxes", "cls", "ignore", "regions"):
            setattr(self, k, list(getattr(det, k)) + list(getattr(crops, k)))
        self.score = np.concatenate([det.score, crops.score])
        self.labelled = self.score != SCORE_NONE

    def __len__(self):
        return len(self.images)


def letterbox_geometry(w, h, size):
    """The engine's whole-image crop (bnn_crop_for_box with a NULL box): the square of side
    max(w, h) centred on the image. Returns (x0, y0, side) in the edge frame."""
    side = float(max(w, h))
    return (w - side) * 0.5, (h - side) * 0.5, side


def warp(img, scale, tx, ty, out_w, out_h):
    """Output edge coordinate o maps to source edge coordinate (o - t) / scale; bilinear,
    black outside, no antialiasing (like the engine's preprocess)."""
    inv = 1.0 / scale
    pil = Image.fromarray(img)
    # PIL samples the source at M * (output pixel centre) in edge coordinates, the same frame
    out = pil.transform((out_w, out_h), Image.AFFINE, (inv, 0, -tx * inv, 0, inv, -ty * inv),
                        resample=Image.BILINEAR, fillcolor=(0, 0, 0))
    return np.asarray(out)


def letterbox(img, size):
    h, w = img.shape[:2]
    x0, y0, side = letterbox_geometry(w, h, size)
    s = size / side
    return warp(img, s, -x0 * s, -y0 * s, size, size), (x0, y0, side)


def gaussian_radius(h, w, min_overlap=0.7):
    """CenterNet's radius: the largest centre shift keeping IoU >= min_overlap."""
    a1, b1, c1 = 1, (h + w), w * h * (1 - min_overlap) / (1 + min_overlap)
    r1 = (b1 + math.sqrt(b1 ** 2 - 4 * a1 * c1)) / 2
    a2, b2, c2 = 4, 2 * (h + w), (1 - min_overlap) * w * h
    r2 = (b2 + math.sqrt(b2 ** 2 - 4 * a2 * c2)) / 2
    a3, b3, c3 = 4 * min_overlap, -2 * min_overlap * (h + w), (min_overlap - 1) * w * h
    r3 = (b3 + math.sqrt(b3 ** 2 - 4 * a3 * c3)) / 2
    return min(r1, r2, r3)


def draw_gaussian(hm, cx, cy, radius):
    r = max(0, int(radius))
    d = 2 * r + 1
    sigma = d / 6.0
    H, W = hm.shape
    x, y = int(round(cx)), int(round(cy))
    ys, xs = np.ogrid[-r:r + 1, -r:r + 1]
    g = np.exp(-(xs * xs + ys * ys) / (2 * sigma * sigma))
    l, rr = min(x, r), min(W - x, r + 1)
    t, b = min(y, r), min(H - y, r + 1)
    if l + rr <= 0 or t + b <= 0:
        return
    hm[y - t:y + b, x - l:x + rr] = np.maximum(hm[y - t:y + b, x - l:x + rr],
                                               g[r - t:r + b, r - l:r + rr])


class Sample:
    """One composed training image: pixels, boxes (edge frame, output pixels), classes,
    and per-class label masks at input resolution."""

    def __init__(self, size, ncls):
        self.img = np.zeros((size, size, 3), np.uint8)
        self.mask = np.zeros((ncls, size, size), np.float32)  # 1 = class scored here
        self.boxes, self.cls, self.drop = [], [], []  # drop: boxes whose region is not scored


def _score_box(sample, c, b, scale, tx, ty, region):
    """Score class c inside source box b (the pixel cells it covers, within the region)."""
    x0, y0, x1, y1 = region
    bx0 = int(max(x0, math.floor(b[0] * scale + tx)))
    by0 = int(max(y0, math.floor(b[1] * scale + ty)))
    bx1 = int(min(x1, math.ceil((b[0] + b[2]) * scale + tx)))
    by1 = int(min(y1, math.ceil((b[1] + b[3]) * scale + ty)))
    if bx1 > bx0 and by1 > by0:
        sample.mask[c, by0:by1, bx0:bx1] = 1.0


def place(sample, ds, i, scale, tx, ty, region, rng):
    """Warp image i into region (x0, y0, x1, y1) of the sample with output = src*scale + t."""
    x0, y0, x1, y1 = region
    S = sample.img.shape[0]
    if x1 <= x0 or y1 <= y0:
        return
    w, h = x1 - x0, y1 - y0
    patch = warp(ds.images[i], scale, tx - x0, ty - y0, w, h)
    sample.img[y0:y1, x0:x1] = patch
    for c in range(len(CLASSES)):
        if ds.score[i, c] == SCORE_ALL:
            sample.mask[c, y0:y1, x0:x1] = 1.0
    for c, b in ds.regions[i]:
        _score_box(sample, c, b, scale, tx, ty, region)
    for b, c, ig in zip(ds.boxes[i], ds.cls[i], ds.ignore[i]):
        if ds.score[i, c] == SCORE_BOXES and not ig:
            _score_box(sample, c, b, scale, tx, ty, region)
        bx, by = b[0] * scale + tx, b[1] * scale + ty
        bw, bh = b[2] * scale, b[3] * scale
        cx0, cy0 = max(bx, x0), max(by, y0)
        cx1, cy1 = min(bx + bw, x1), min(by + bh, y1)
        if cx1 <= cx0 or cy1 <= cy0:
            continue
        vis = (cx1 - cx0) * (cy1 - cy0) / max(bw * bh, 1e-6)
        clipped = [cx0, cy0, cx1 - cx0, cy1 - cy0]
        if ig or vis < 0.35:
            sample.drop.append((c, clipped))
        else:
            sample.boxes.append(clipped)
            sample.cls.append(int(c))
    del S, rng


def compose(ds, idx, size, rng, mosaic_p=0.5, crop_scale=(0.35, 0.9)):
    """A training sample around image idx[0] (idx holds 4 indices for a mosaic). A mosaic
    tile's long side is 0.35-0.9 of the sample's; crop_scale sets it for landmark crops
    (indices from n_det on), so their subjects can be kept at scene sizes."""
    n_det = getattr(ds, "n_det", len(ds))
    smp = Sample(size, len(CLASSES))
    if rng.random() < mosaic_p:
        cx = int(size * rng.uniform(0.3, 0.7))
        cy = int(size * rng.uniform(0.3, 0.7))
        regions = [(0, 0, cx, cy), (cx, 0, size, cy), (0, cy, cx, size), (cx, cy, size, size)]
        for k, reg in enumerate(regions):
            i = idx[k]
            h, w = ds.images[i].shape[:2]
            lo, hi = crop_scale if i >= n_det else (0.35, 0.9)
            s = size * rng.uniform(lo, hi) / max(w, h)
            rw, rh = reg[2] - reg[0], reg[3] - reg[1]
            # position the image so that it covers the region's inner corner
            sw, sh = w * s, h * s
            ax = reg[2] - sw if k in (0, 2) else reg[0]
            ay = reg[3] - sh if k in (0, 1) else reg[1]
            ax += rng.uniform(-0.25, 0.25) * min(sw, rw) if sw > rw else 0.0
            ay += rng.uniform(-0.25, 0.25) * min(sh, rh) if sh > rh else 0.0
            place(smp, ds, i, s, ax, ay, reg, rng)
    else:
        i = idx[0]
        h, w = ds.images[i].shape[:2]
        s = size * math.exp(rng.uniform(math.log(0.5), math.log(1.8))) / max(w, h)
        sw, sh = w * s, h * s
        tx = rng.uniform(min(0, size - sw), max(0, size - sw))
        ty = rng.uniform(min(0, size - sh), max(0, size - sh))
        # the letterbox bars are black in the engine too: score them as background
        place(smp, ds, i, s, tx, ty, (0, 0, size, size), rng)
        for c in range(len(CLASSES)):
            if ds.score[i, c] == SCORE_ALL:
                smp.mask[c] = 1.0
    if rng.random() < 0.5:
        smp.img = smp.img[:, ::-1].copy()
        smp.mask = smp.mask[:, :, ::-1].copy()
        smp.boxes = [[size - b[0] - b[2], b[1], b[2], b[3]] for b in smp.boxes]
        smp.drop = [(c, [size - b[0] - b[2], b[1], b[2], b[3]]) for c, b in smp.drop]
    return smp


def targets(smp, size):
    """CenterNet targets at output resolution (size / 4)."""
    o = size // STRIDE
    C = len(CLASSES)
    heat = np.zeros((C, o, o), np.float32)
    # the label mask at output resolution: a pixel is scored if its whole cell is
    mask = smp.mask.reshape(C, o, STRIDE, o, STRIDE).min(axis=(2, 4)).copy()
    for c, b in smp.drop:
        u0 = max(0, int(math.floor(b[0] / STRIDE)))
        v0 = max(0, int(math.floor(b[1] / STRIDE)))
        u1 = min(o, int(math.ceil((b[0] + b[2]) / STRIDE)))
        v1 = min(o, int(math.ceil((b[1] + b[3]) / STRIDE)))
        mask[c, v0:v1, u0:u1] = 0.0
    ind = np.zeros(MAX_OBJ, np.int64)
    wh = np.zeros((MAX_OBJ, 2), np.float32)
    off = np.zeros((MAX_OBJ, 2), np.float32)
    reg = np.zeros(MAX_OBJ, np.float32)
    order = np.argsort([-(b[2] * b[3]) for b in smp.boxes]) if smp.boxes else []
    n = 0
    for k in order:  # large first so small boxes win shared cells
        b, c = smp.boxes[k], smp.cls[k]
        cx = (b[0] + b[2] * 0.5 - 2.0) / STRIDE
        cy = (b[1] + b[3] * 0.5 - 2.0) / STRIDE
        u, v = int(round(cx)), int(round(cy))
        if not (0 <= u < o and 0 <= v < o):
            continue
        bw, bh = b[2] / STRIDE, b[3] / STRIDE
        r = gaussian_radius(bh, bw)
        draw_gaussian(heat[c], u, v, max(0.0, r))
        mask[c, v, u] = 1.0  # a labelled centre is always scored
        if n < MAX_OBJ:
            ind[n] = v * o + u
            wh[n] = (bw, bh)
            off[n] = (cx - u, cy - v)
            reg[n] = 1.0
            n += 1
    return heat, mask, ind, wh, off, reg


def colour_jitter(x, rng):
    """x: N x 3 x H x W in [0, 1]; brightness, contrast, saturation, grey, noise."""
    n = x.shape[0]
    b = torch.from_numpy(rng.uniform(0.6, 1.4, n).astype(np.float32)).view(n, 1, 1, 1)
    c = torch.from_numpy(rng.uniform(0.6, 1.4, n).astype(np.float32)).view(n, 1, 1, 1)
    s = torch.from_numpy(rng.uniform(0.4, 1.6, n).astype(np.float32)).view(n, 1, 1, 1)
    grey = torch.from_numpy((rng.random(n) < 0.1).astype(np.float32)).view(n, 1, 1, 1)
    x = x * b
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * c + m
    g = (0.299 * x[:, :1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = (x - g) * s + g
    x = x * (1 - grey) + g * grey
    return x.clamp_(0, 1)


def make_batch(ds, idxs, size, rng, train=True, mosaic_p=0.5, crop_scale=(0.35, 0.9)):
    """idxs: list of index lists. Returns input N x 3 x S x S in [0, 1] and target tensors."""
    imgs, tg = [], []
    for idx in idxs:
        smp = compose(ds, idx, size, rng, mosaic_p, crop_scale)
        imgs.append(smp.img)
        tg.append(targets(smp, size))
    x = torch.from_numpy(np.stack(imgs)).permute(0, 3, 1, 2).float().div_(255)
    if train:
        x = colour_jitter(x, rng)
    x = x.contiguous(memory_format=torch.channels_last)
    t = [torch.from_numpy(np.stack([g[k] for g in tg])) for k in range(6)]
    return x, t
