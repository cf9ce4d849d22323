# training/evaluate.py: scores a .bnn model THROUGH THE ENGINE (ctypes) on a data split:
# body PCK@0.2 / PCKh@0.5 per joint, face NME + CED + failure rate, part IoU; --twin/--ckpt
# score torch checkpoints with the same code (binarization gap).
import argparse
import json
import os
import sys
import time

import numpy as np

# libgomp's default spin-waiting wastes the CPU on a shared machine: sleep at barriers
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import metrics  # noqa: E402
from data import (PART_CLASSES, KeypointSet, decode_heatmaps, default_data_root,  # noqa: E402
                  grey_images, heatmap_to_crop)

HEAD_SEGMENT = (12, 13)  # neck, head top (LSP): PCKh normaliser


def resize_inputs(images, size):
    """uint8 N x 160 x 160 x 3 -> float N x 3 x S x S in [0, 1]: bilinear, pixel centres
    aligned (align_corners=False), no antialiasing: the same resize as training."""
    x = images.permute(0, 3, 1, 2).float().div_(255.0)
    if x.shape[-1] != size:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)
    return x


def predict_engine(path, ds, threads=1, isa="auto", batch=50, flip=False, bf16=False):
    from engine import Engine
    eng = Engine(path, threads=threads, isa=isa, flip=flip, bf16=bf16)
    s = eng.size
    mean = np.array(eng.info.mean[:], np.float32)
    std = np.array(eng.info.std[:], np.float32)
    hms, segs = [], []
    t0 = time.time()
    for i in range(0, len(ds), batch):
        x = resize_inputs(ds.images[i:i + batch], s).permute(0, 2, 3, 1).numpy()
        for img in x:
            outs = eng.run((img - mean) / std)
            for kind, a in outs:
                if kind == 1:
                    hms.append(a)
                elif kind == 2:
                    segs.append(a.argmax(0).astype(np.uint8))
    dt = time.time() - t0
    info = dict(backend="engine", isa=eng.isa, threads=threads, s=s, flip_test=flip, bf16=bf16,
                ms_per_image=round(1000 * dt / len(ds), 2),
                binary_macs=int(eng.info.binary_macs), real_macs=int(eng.info.real_macs),
                file_size=int(eng.info.file_size))
    eng.close()
    return np.stack(hms), (np.stack(segs) if segs else None), info


def predict_reference(path, ds, batch=50):
    """The exporter's independent torch runner of a .bnn file (no engine needed)."""
    from export_bnn import read_bnn, run_reference
    meta, _, _ = read_bnn(path)
    s = int(meta["input_size"])
    hms, segs = [], []
    for i in range(0, len(ds), batch):
        outs = run_reference(path, resize_inputs(ds.images[i:i + batch], s))
        hms.append(outs[0].numpy())
        if len(outs) > 1:
            segs.append(outs[1].argmax(1).numpy().astype(np.uint8))
    return np.concatenate(hms), (np.concatenate(segs) if segs else None), \
        dict(backend="reference", s=s)


def predict_torch(ckpt, ds, binary=None, batch=50):
    from train import model_from_ckpt
    model, ck = model_from_ckpt(ckpt, binary=binary)
    model.eval()
    s = model.cfg["size"]
    hms, segs = [], []
    with torch.no_grad():
        for i in range(0, len(ds), batch):
            x = resize_inputs(ds.images[i:i + batch], s).contiguous(
                memory_format=torch.channels_last)
            hm, sg = model(x)
            hms.append(hm.float().numpy())
            if sg is not None:
                segs.append(sg.argmax(1).numpy().astype(np.uint8))
    return np.concatenate(hms), (np.concatenate(segs) if segs else None), \
        dict(backend="torch", ckpt=ckpt, recipe=ck.get("recipe"), epoch=ck.get("epoch"), s=s)


def part_targets(ds, hm_size):
    """Ground-truth part classes at heatmap resolution (nearest sample at pixel centres)."""
    from data import Augmenter
    aug = Augmenter(hm_size * 4, "face")
    out = []
    for i in range(0, len(ds), 100):
        sl = slice(i, i + 100)
        _, _, _, _, pt = aug(ds.images[sl], ds.points[sl], ds.visible[sl], parts=ds.parts[sl],
                             train=False)
        out.append(pt.numpy())
    return np.concatenate(out)


def score(task, ds, hms, segs, s):
    xy, _ = decode_heatmaps(torch.from_numpy(hms))
    pred = heatmap_to_crop(xy, s).numpy()
    gt = ds.points.numpy()
    res = {}
    if task == "body":
        vis = ds.visible.numpy()
        p, per, n = metrics.pck(pred, gt, vis)
        hit, m, _ = metrics.pck_hits(pred, gt, vis)
        res["_per_image"] = (hit.sum(1), m.sum(1))
        ph, perh, nh = metrics.pck(pred, gt, vis, thr=0.5, torso=HEAD_SEGMENT)
        names = ds.meta["keypoints"]
        res.update(pck=p, pck_joint=dict(zip(names, per.tolist())), n_images=n,
                   pckh=ph, pckh_joint=dict(zip(names, perh.tolist())), n_images_pckh=nh)
    else:
        e = metrics.nme(pred, gt)
        res["_per_image"] = (e, np.ones_like(e))
        t, frac, auc = metrics.ced(e, 0.1)
        res.update(nme=float(e.mean()), nme_median=float(np.median(e)),
                   failure_rate=float((e > 0.1).mean()), auc10=auc, n_images=len(e),
                   _nme=e, _ced=(t, frac))
        by_src = {}
        for src, v in zip(ds.sources, e):
            by_src.setdefault(src.split("/")[0], []).append(v)
        res["nme_by_source"] = {k: float(np.mean(v)) for k, v in by_src.items()}
        if segs is not None and ds.parts is not None:
            conf = metrics.PartConfusion(len(PART_CLASSES))
            conf.add(segs, part_targets(ds, hms.shape[-1]))
            res.update(miou=conf.miou(), pixel_acc=conf.pixel_acc(),
                       iou=dict(zip(PART_CLASSES, conf.iou().tolist())))
    return res


def plot_ced(curves, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 4), dpi=100)
    for label, (t, frac, auc) in curves.items():
        ax.plot(t * 100, frac * 100, label=f"{label} (AUC@10 {auc:.3f})")
    ax.set_xlabel("NME (% of outer-eye-corner distance)")
    ax.set_ylabel("images (%)")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def fmt(res, task):
    lines = []
    if task == "body":
        lines.append(f"PCK@0.2 (torso) {100 * res['pck']:.1f} %   PCKh@0.5 "
                     f"{100 * res['pckh']:.1f} %   ({res['n_images']} images)")
        for k, v in res["pck_joint"].items():
            lines.append(f"  {k:15s} PCK {100 * v:5.1f}  PCKh {100 * res['pckh_joint'][k]:5.1f}")
    else:
        lines.append(f"NME (outer eye corners) {100 * res['nme']:.2f} %  median "
                     f"{100 * res['nme_median']:.2f} %  failure rate (>10%) "
                     f"{100 * res['failure_rate']:.1f} %  AUC@10 {res['auc10']:.3f}  "
                     f"({res['n_images']} images)")
        for k, v in res["nme_by_source"].items():
            lines.append(f"  {k:8s} NME {100 * v:.2f} %")
        if "miou" in res:
            lines.append(f"parts: mIoU (6 foreground classes) {100 * res['miou']:.1f} %  "
                         f"pixel accuracy {100 * res['pixel_acc']:.1f} %")
            lines.append("  " + "  ".join(f"{k} {100 * v:.1f}" for k, v in res["iou"].items()))
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description="score models on a data split")
    ap.add_argument("model", nargs="?", help=".bnn file, run through the engine")
    ap.add_argument("--task", choices=["body", "face"], default=None)
    ap.add_argument("--twin", help="real-twin checkpoint, scored in torch")
    ap.add_argument("--ckpt", help="binary checkpoint, scored in torch")
    ap.add_argument("--backend", choices=["engine", "reference"], default="engine",
                    help="how to run the .bnn: the engine (default) or the exporter's "
                         "reference runner")
    ap.add_argument("--split", default="val")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--isa", default="auto")
    ap.add_argument("--flip", action="store_true",
                    help="engine: flip test (mean of the image and its mirror, twice the time)")
    ap.add_argument("--bf16", action="store_true",
                    help="engine: stem and 1x1 skips in bfloat16 (AVX512-BF16 CPUs; not bit-exact)")
    ap.add_argument("--grey", action="store_true",
                    help="score on the crops in grey (luma in R, G and B), as a monochrome or "
                         "night-mode camera delivers them")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--ced-plot", default=None, help="face: write the CED plot here (png)")
    ap.add_argument("--json", default=None, help="write the results as JSON here")
    ap.add_argument("--bootstrap", type=int, default=1000, help="resamples of the images for "
                    "the 95 %% intervals of NME / PCK, and of each later run's difference from "
                    "the first (0: none)")
    ap.add_argument("--compare", default=None, help="a second .bnn run through the engine the "
                    "same way: the paired interval of its difference from the first model")
    a = ap.parse_args(argv)
    torch.set_num_threads(max(1, a.threads))
    task = a.task
    if task is None and a.model:
        from export_bnn import read_bnn
        task = read_bnn(a.model)[0]["task"]
    if task is None:
        from checkpoint_io import load_ckpt
        ck = load_ckpt(a.twin or a.ckpt)
        task = ck["task"]
    ds = KeypointSet(task, a.split, a.data_root or default_data_root(), a.limit,
                     with_parts=(task == "face"))
    if a.grey:
        ds.images = grey_images(ds.images)
    runs = []
    if a.model:
        if a.backend == "engine":
            runs.append(("engine" + (" flip test" if a.flip else "") + (" bf16" if a.bf16 else ""),
                         predict_engine(a.model, ds, a.threads, a.isa, flip=a.flip, bf16=a.bf16)))
        else:
            runs.append(("reference", predict_reference(a.model, ds)))
    if a.compare:
        runs.append((f"engine {a.compare}" + (" flip test" if a.flip else "") + (" bf16" if a.bf16 else ""),
                     predict_engine(a.compare, ds, a.threads, a.isa, flip=a.flip, bf16=a.bf16)))
    if a.ckpt:
        runs.append(("binary (torch)", predict_torch(a.ckpt, ds)))
    if a.twin:
        runs.append(("real twin (torch)", predict_torch(a.twin, ds, binary=False)))
    if not runs:
        ap.error("nothing to score: give a .bnn, --ckpt or --twin")
    out = {}
    curves = {}
    first = None  # the first run's per-image values, for the paired intervals
    metric = "pck" if task == "body" else "nme"
    for label, (hms, segs, info) in runs:
        res = score(task, ds, hms, segs, info["s"])
        print(f"== {label}: {json.dumps(info)}")
        print(fmt(res, task))
        num, den = res.pop("_per_image")
        if a.bootstrap:
            lo, hi = metrics.bootstrap_ratio(num, den, n=a.bootstrap)
            res[f"{metric}_ci95"] = [lo, hi]
            print(f"  {metric.upper()} 95 % interval (images resampled {a.bootstrap} times): "
                  f"{100 * lo:.2f} - {100 * hi:.2f} %")
            if first is None:
                first = (runs[0][0], num, den)
            else:
                lo, hi = metrics.bootstrap_ratio(first[1], first[2], num, den, n=a.bootstrap)
                res[f"{metric}_minus_first_ci95"] = [lo, hi]
                print(f"  {metric.upper()} minus {first[0]}'s, paired 95 % interval: "
                      f"{100 * lo:+.2f} to {100 * hi:+.2f} points")
        if "_ced" in res:
            t, frac = res.pop("_ced")
            curves[label] = (t, frac, res["auc10"])
            res.pop("_nme")
        out[label] = dict(info=info, **res)
    if a.ced_plot and curves:
        plot_ced(curves, a.ced_plot)
        print(f"wrote {a.ced_plot}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
