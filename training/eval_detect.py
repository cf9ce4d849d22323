# training/eval_detect.py: AP@0.5 per class of the detector on the val set of data/detect,
# through the engine (ctypes: letterbox preprocess, run, CenterNet decode, all in C) or torch.
import argparse
import ctypes as C
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import grey_images  # noqa: E402
from detect_data import CLASSES, STRIDE, DetSet, letterbox  # noqa: E402
from engine import Crop  # noqa: E402

IOU = 0.5


def iou_one(b, bs):
    """IoU of box b (x, y, w, h) against boxes bs (N, 4); also intersection over b's area."""
    if len(bs) == 0:
        return np.zeros(0), np.zeros(0)
    x0 = np.maximum(b[0], bs[:, 0])
    y0 = np.maximum(b[1], bs[:, 1])
    x1 = np.minimum(b[0] + b[2], bs[:, 0] + bs[:, 2])
    y1 = np.minimum(b[1] + b[3], bs[:, 1] + bs[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    a = b[2] * b[3]
    union = a + bs[:, 2] * bs[:, 3] - inter
    return inter / np.maximum(union, 1e-9), inter / max(a, 1e-9)


def average_precision(dets, ds, cls, iou_thr=IOU):
    """dets: list per image of (N, 5) arrays [x, y, w, h, score] (edge frame) for class cls.
    Only images that label cls count; detections on crowd (ignore) boxes are neither TP nor
    FP. All-point interpolated AP (VOC 2010+). Returns (AP, n_gt)."""
    recs, n_gt = _matches(dets, ds, cls, iou_thr)
    if n_gt == 0:
        return float("nan"), 0
    if not recs:
        return 0.0, n_gt
    ap, _ = pr_curve(recs, n_gt)
    return ap, n_gt


def _matches(dets, ds, cls, iou_thr):
    """Greedy matching, best score first per image: [(score, 1 = TP / 0 = FP)], n_gt."""
    per = _image_matches(dets, ds, cls, iou_thr)
    return [r for recs in per for r in recs[0]], sum(n for _, n in per)


def _image_matches(dets, ds, cls, iou_thr):
    """_matches per image that labels cls, in image order: [([(score, tp)], n_gt)]."""
    out = []
    for i, d in enumerate(dets):
        if not ds.labelled[i, cls]:
            continue
        recs = []
        sel = ds.cls[i] == cls
        gt = ds.boxes[i][sel & ~ds.ignore[i]]
        ig = ds.boxes[i][sel & ds.ignore[i]]
        used = np.zeros(len(gt), bool)
        for b in d[np.argsort(-d[:, 4], kind="stable")]:
            iou, _ = iou_one(b, gt)
            j = -1
            if len(gt):
                cand = np.where(~used, iou, -1)
                j = int(np.argmax(cand))
                if cand[j] < iou_thr:
                    j = -1
            if j >= 0:
                used[j] = True
                recs.append((b[4], 1))
            else:
                _, ioa = iou_one(b, ig)
                if len(ig) and ioa.max() >= 0.5:
                    continue
                recs.append((b[4], 0))
        out.append((recs, len(gt)))
    return out


def _ap_arrays(scores, tp, n_gt):
    """All-point interpolated AP (VOC 2010+) of detections with these scores and TP flags,
    best score first (stable), against n_gt boxes."""
    if n_gt == 0:
        return float("nan")
    if len(scores) == 0:
        return 0.0
    o = np.argsort(-scores, kind="stable")
    t = np.cumsum(tp[o])
    rec = t / n_gt
    prec = t / np.arange(1, len(o) + 1)
    mrec = np.concatenate([[0], rec, [1]])
    mpre = np.maximum.accumulate(np.concatenate([[0], prec, [0]])[::-1])[::-1]
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def bootstrap_ap(dets, ds, cls, other=None, n=1000, seed=0, iou_thr=IOU):
    """95 % interval of AP@iou_thr when the images that label cls are resampled with
    replacement (n times). With other (detections of a second model on the same images), the
    paired interval of AP(other) - AP(dets) over the same resamples: a difference whose
    interval holds 0 is one this split cannot resolve. Returns (low, high)."""
    def arrays(d):
        return [(np.array([r[0] for r in recs], np.float64), np.array([r[1] for r in recs], np.float64), g)
                for recs, g in _image_matches(d, ds, cls, iou_thr)]

    def ap(per, pick):
        return _ap_arrays(np.concatenate([per[k][0] for k in pick]),
                          np.concatenate([per[k][1] for k in pick]), sum(per[k][2] for k in pick))

    a = arrays(dets)
    b = arrays(other) if other is not None else None
    if not a:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(n):
        pick = rng.integers(0, len(a), len(a))
        v = ap(a, pick)
        vals.append(ap(b, pick) - v if b is not None else v)
    vals = np.array(vals)
    vals = vals[~np.isnan(vals)]
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))


def best_f1(dets, ds, cls, iou_thr=IOU):
    """(F1, score threshold, precision, recall) at the score threshold with the best F1."""
    recs, n_gt = _matches(dets, ds, cls, iou_thr)
    if not recs or n_gt == 0:
        return 0.0, 1.0, 0.0, 0.0
    _, (prec, rec, scores) = pr_curve(recs, n_gt)
    f1 = 2 * prec * rec / np.maximum(prec + rec, 1e-9)
    k = int(np.argmax(f1))
    return float(f1[k]), float(scores[k]), float(prec[k]), float(rec[k])


def pr_curve(recs, n_gt):
    """All-point interpolated AP and the (precision, recall, score) arrays, best score first."""
    recs = sorted(recs, key=lambda r: -r[0])
    scores = np.array([r[0] for r in recs], np.float64)
    tp = np.array([r[1] for r in recs], np.float64)
    t = np.cumsum(tp)
    rec = t / n_gt
    prec = t / np.arange(1, len(recs) + 1)
    return _ap_arrays(scores, tp, n_gt), (prec, rec, scores)


def decode_torch(center, size, offset, geom, S, threshold=0.01, max_det=100):
    """The engine's decoding (docs/engine.md) on one image's torch outputs -> per class
    arrays [x, y, w, h, score] in source edge coordinates."""
    x0, y0, side = geom
    k = side / S
    hm = center
    pooled = F.max_pool2d(hm[None], 3, 1, 1)[0]
    peaks = (hm >= pooled) & (torch.sigmoid(hm) >= threshold)
    out = []
    for c in range(hm.shape[0]):
        v, u = torch.nonzero(peaks[c], as_tuple=True)
        sc = torch.sigmoid(hm[c, v, u])
        order = torch.argsort(-sc)[:max_det]
        v, u, sc = v[order], u[order], sc[order]
        bw = size[0, v, u].clamp(min=0) * STRIDE * k
        bh = size[1, v, u].clamp(min=0) * STRIDE * k
        cx = x0 + (STRIDE * (u.float() + offset[0, v, u]) + 2.0) * k
        cy = y0 + (STRIDE * (v.float() + offset[1, v, u]) + 2.0) * k
        out.append(torch.stack([cx - bw / 2, cy - bh / 2, bw, bh, sc], 1).numpy())
    return out


def eval_torch(model, ds, S=256, batch=16):
    model.eval()
    dets = [[] for _ in CLASSES]
    with torch.no_grad():
        for i0 in range(0, len(ds), batch):
            ims, geoms = [], []
            for i in range(i0, min(len(ds), i0 + batch)):
                im, g = letterbox(ds.images[i], S)
                ims.append(im)
                geoms.append(g)
            x = torch.from_numpy(np.stack(ims)).permute(0, 3, 1, 2).float().div_(255)
            x = x.contiguous(memory_format=torch.channels_last)
            ce, sz, of = model(x)
            for j, g in enumerate(geoms):
                per = decode_torch(ce[j], sz[j], of[j], g, S)
                for c in range(len(CLASSES)):
                    dets[c].append(per[c])
    model.train()
    return {f"ap_{CLASSES[c]}": round(average_precision(dets[c], ds, c)[0], 4)
            for c in range(len(CLASSES))}


# ---------------------------------------------------------------- through the engine

class Det(C.Structure):
    _fields_ = [("cls", C.c_int), ("score", C.c_float), ("x", C.c_float), ("y", C.c_float),
                ("w", C.c_float), ("h", C.c_float)]


class EngineDetector:
    """Whole-frame detection exactly as the bnndetect element does it: bnn_crop_for_box with
    a NULL box, bnn_preprocess_packed (RGB), bnn_net_run, bnn_decode_detections; with
    tiles > 1 also the tiles of bnn_detect_tile_crops, merged by bnn_merge_detections
    (bnndetect's `tiles` property)."""

    MAX_CROPS = 17  # BNN_DETECT_MAX_CROPS

    def __init__(self, path, threads=1, threshold=0.01, max_det=100, max_iou=0.45, tiles=1):
        import engine as E
        self.E = E
        self.eng = E.Engine(path, threads=threads)
        L = E.lib()
        L.bnn_crop_for_box.restype = Crop
        L.bnn_crop_for_box.argtypes = [C.c_int, C.c_int, C.c_void_p, C.c_float, C.c_int]
        L.bnn_preprocess_packed.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int,
                                            C.c_size_t, C.c_int, C.POINTER(Crop),
                                            C.POINTER(C.c_float)]
        L.bnn_net_find_output.argtypes = [C.c_void_p, C.c_int]
        L.bnn_decode_detections.argtypes = [C.POINTER(E.Output)] * 3 + [
            C.c_int, C.POINTER(Crop), C.c_float, C.c_float, C.POINTER(Det), C.c_int]
        L.bnn_detect_tile_crops.argtypes = [C.c_int, C.c_int, C.c_int, C.c_int,
                                            C.POINTER(Crop), C.c_int]
        L.bnn_tile_keep_detections.argtypes = [C.POINTER(Det), C.c_int, C.POINTER(Crop),
                                                C.c_int, C.c_int]
        L.bnn_merge_detections.argtypes = [C.POINTER(Det), C.c_int, C.c_float, C.c_int]
        self.L = L
        self.threshold, self.max_det, self.max_iou = threshold, max_det, max_iou
        self.tiles = tiles
        self.dets = (Det * max_det)()
        self.all = (Det * (max_det * self.MAX_CROPS))()
        self.crops = (Crop * self.MAX_CROPS)()
        self.outs = []
        for kind in (3, 4, 5):
            i = L.bnn_net_find_output(self.eng.net, kind)
            if i < 0:
                raise RuntimeError(f"{path}: no detection head of kind {kind}")
            self.outs.append(i)
        self.info = self.eng.info
        self.classes = [self.info.det_class_names[i].decode()
                        for i in range(self.info.n_det_classes)]

    def __call__(self, img):
        """img: H x W x 3 uint8 RGB -> list of (cls, score, x, y, w, h) in edge coordinates
        and the milliseconds spent (preprocess + run + decode)."""
        L, E = self.L, self.E
        h, w = img.shape[:2]
        img = np.ascontiguousarray(img)
        t0 = time.perf_counter()
        n_crops = L.bnn_detect_tile_crops(w, h, self.tiles, self.info.input_size, self.crops,
                                          self.MAX_CROPS)
        kept = []
        for c in range(n_crops):
            crop = self.crops[c]
            L.bnn_preprocess_packed(self.eng.model, img.ctypes.data, w, h, w * 3, 0,
                                    C.byref(crop), L.bnn_net_input(self.eng.net))
            if L.bnn_net_run(self.eng.net) != 0:
                raise RuntimeError("bnn_net_run failed")
            o = [E.Output() for _ in range(3)]
            for k in range(3):
                L.bnn_net_output(self.eng.net, self.outs[k], C.byref(o[k]))
            n = L.bnn_decode_detections(C.byref(o[0]), C.byref(o[1]), C.byref(o[2]),
                                        self.info.output_stride, C.byref(crop), self.threshold,
                                        self.max_iou, self.dets, self.max_det)
            if c > 0:  # a tile keeps what it sees whole (engine/detect_tiles.c)
                n = L.bnn_tile_keep_detections(self.dets, n, C.byref(crop), w, h)
            kept += [Det.from_buffer_copy(self.dets[i]) for i in range(n)]
        n = len(kept)
        if n_crops > 1:
            for i, d in enumerate(kept):
                self.all[i] = d
            n = L.bnn_merge_detections(self.all, n, self.max_iou, n)
            kept = self.all[:n]
        ms = (time.perf_counter() - t0) * 1e3
        return [(d.cls, d.score, d.x, d.y, d.w, d.h) for d in kept], ms


def engine_detections(path, ds, threads=1, max_iou=0.45, tiles=1):
    """The model's detections on every image of ds, as bnndetect makes them: (class names,
    per class a list per image of (N, 5) [x, y, w, h, score], ms per image)."""
    det = EngineDetector(path, threads=threads, max_iou=max_iou, tiles=tiles)
    names = det.classes
    per = [[] for _ in names]
    times = []
    for img in ds.images:
        res, ms = det(img)
        times.append(ms)
        for c in range(len(names)):
            a = np.array([[r[2], r[3], r[4], r[5], r[1]] for r in res if r[0] == c],
                         np.float32).reshape(-1, 5)
            per[c].append(a)
    return names, per, times


def eval_engine(path, ds, threads=1, max_iou=0.45, tiles=1, bootstrap=0, dets=None):
    """max_iou: the engine's same-class box suppression (bnndetect's iou-threshold; 1 = none);
    tiles: bnndetect's tiles; bootstrap: resamples for the AP's 95 % interval (0: none);
    dets: engine_detections' result, if already computed."""
    names, per, times = dets or engine_detections(path, ds, threads, max_iou, tiles)
    out = {}
    for c, name in enumerate(names):
        ap, n = average_precision(per[c], ds, CLASSES.index(name))
        out[f"ap_{name}"] = round(ap, 4)
        out[f"n_gt_{name}"] = n
        if bootstrap:
            lo, hi = bootstrap_ap(per[c], ds, CLASSES.index(name), n=bootstrap)
            out[f"ap_{name}_ci95"] = [round(lo, 3), round(hi, 3)]
        f1, thr, p, r = best_f1(per[c], ds, CLASSES.index(name))
        out[f"best_f1_{name}"] = dict(f1=round(f1, 3), threshold=round(thr, 3),
                                      precision=round(p, 3), recall=round(r, 3))
    out["ms_median"] = round(float(np.median(times)), 3)
    return out


def verify_detections(dets, ds, models, min_det=0.05):
    """bnnlandmarks' check of upstream regions (docs/detector.md, "Verified by the landmark
    model"): each detection of a class in models (class name -> landmark .bnn) scoring at
    least min_det is run through that model on its region's crop, and its score becomes the
    detector's confidence times the mean point confidence. Detections below min_det are
    dropped (a lower bound on the verified AP). dets: engine_detections' result; returns it
    with those classes' lists replaced."""
    from engine import CropRunner
    names, per, times = dets
    per = list(per)
    for name, path in models.items():
        c = names.index(name)
        run = CropRunner(path)
        out = []
        for img, a in zip(ds.images, per[c]):
            a = a[a[:, 4] >= min_det].copy()
            img = np.ascontiguousarray(img)
            for d in a:
                d[4] *= float(run(img, d[:4])[:, 2].mean())
            out.append(a)
        per[c] = out
    return names, per, times


def main(argv=None):
    ap = argparse.ArgumentParser(description="AP@0.5 per class of a .bnn detector on val, "
                                             "through the engine")
    ap.add_argument("model", nargs="?", default=os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "models", "detect.bnn"))
    ap.add_argument("--split", default="val")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--iou", type=float, default=0.45, help="same-class box suppression "
                    "IoU, as bnndetect's iou-threshold (1: score every peak)")
    ap.add_argument("--tiles", type=int, default=1, help="also N x N overlapping tiles, as "
                    "bnndetect's tiles (1: the whole frame only)")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples of the images for "
                    "the 95 %% intervals (0: none)")
    ap.add_argument("--compare", default=None, help="a second .bnn: its AP too, and the paired "
                    "95 %% interval of AP(compare) - AP(model) over the same resamples")
    ap.add_argument("--verify", action="append", default=[], metavar="CLASS=MODEL",
                    help="also score the detections of CLASS as bnnlandmarks keeps them: times "
                    "the mean point confidence of landmark MODEL on the region (repeatable; "
                    "e.g. person=models/body.bnn face=models/face.bnn), with the paired 95 %% "
                    "interval against the detector alone")
    ap.add_argument("--grey", action="store_true", help="score on the scenes in grey (luma "
                    "in R, G and B), as a monochrome or night-mode camera delivers them")
    args = ap.parse_args(argv)
    ds = DetSet(args.split, args.data_root)
    if args.grey:
        ds.images = [grey_images(torch.tensor(im)[None])[0].numpy() for im in ds.images]
    da = engine_detections(args.model, ds, args.threads, args.iou, args.tiles)
    res = eval_engine(args.model, ds, bootstrap=args.bootstrap, dets=da)
    res["tiles"] = args.tiles
    res["images"] = len(ds)
    print(json.dumps(res))
    if args.compare:
        db = engine_detections(args.compare, ds, args.threads, args.iou, args.tiles)
        rb = eval_engine(args.compare, ds, bootstrap=args.bootstrap, dets=db)
        rb["model"] = args.compare
        for c, name in enumerate(da[0]):
            lo, hi = bootstrap_ap(da[1][c], ds, CLASSES.index(name), other=db[1][c],
                                  n=max(args.bootstrap, 1))
            rb[f"ap_{name}_minus_model_ci95"] = [round(lo, 3), round(hi, 3)]
        print(json.dumps(rb))
    if args.verify:
        models = dict(v.split("=", 1) for v in args.verify)
        dv = verify_detections(da, ds, models)
        rv = dict(verified_by=models)
        for name in models:
            c = da[0].index(name)
            k = CLASSES.index(name)
            rv[f"ap_{name}"] = round(average_precision(dv[1][c], ds, k)[0], 4)
            lo, hi = bootstrap_ap(dv[1][c], ds, k, n=max(args.bootstrap, 1))
            rv[f"ap_{name}_ci95"] = [round(lo, 3), round(hi, 3)]
            lo, hi = bootstrap_ap(da[1][c], ds, k, other=dv[1][c], n=max(args.bootstrap, 1))
            rv[f"ap_{name}_minus_detector_ci95"] = [round(lo, 3), round(hi, 3)]
            f1, thr, p, r = best_f1(dv[1][c], ds, k)
            rv[f"best_f1_{name}"] = dict(f1=round(f1, 3), threshold=round(thr, 3),
                                         precision=round(p, 3), recall=round(r, 3))
        print(json.dumps(rv))


if __name__ == "__main__":
    main()
