# training/export_detect.py: writes a detector checkpoint of train_detect.py as a .bnn file
# (task detect, heads 3/4/5), reusing export_bnn.py's writer; --random for timing models.
import argparse
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detect_network as dn  # noqa: E402
from export_bnn import (OP_CONV, OP_HPM, OP_MAXPOOL2, OP_UPADD, Writer, _np,  # noqa: E402,F401
                        assemble, bn_params, quantize_like_file, run_reference, write_head,
                        write_hpm)
from network import Hourglass  # noqa: E402

HEAD_DET_CENTER, HEAD_DET_SIZE, HEAD_DET_OFFSET = 3, 4, 5

LICENSE = ("Weights trained on Penn-Fudan (research use; cite Wang et al. ACCV 2007), COCO 2017 "
           "person boxes (annotations CC BY 4.0, Flickr images under their own terms) and AFW "
           "faces with 300-W markup (research purposes only, no commercial use): research use "
           "only, non-commercial.")
DATA = ("shared/data/detect: Penn-Fudan + COCO-MINI/COCO128 persons, AFW faces; "
        "554 train images")


def build_file(model, meta, version=2):
    if not model.cfg["binary"]:
        raise ValueError("export needs the binary network")
    c = model.cfg
    w = Writer(version)
    w.real(_np(model.stem.weight))
    w.real(_np(model.stem.bias))
    for t in bn_params(model.stem_bn):
        w.real(t)
    n = w.node(OP_CONV, 0, -1, (c["stem_k"], c["stem_stride"], c["stem_pad"], 3, c["stem_ch"], 1))
    if c["stem_stride"] == 2:
        n = w.node(OP_MAXPOOL2, n)
    n = write_hpm(w, model.b1, n)

    def hg(h, x):
        up1 = write_hpm(w, h.up1, x)
        low = w.node(OP_MAXPOOL2, x)
        low = write_hpm(w, h.low1, low)
        if isinstance(h.low2, Hourglass):
            low = hg(h.low2, low)
        else:
            low = write_hpm(w, h.low2, low)
        low = write_hpm(w, h.low3, low)
        return w.node(OP_UPADD, up1, low)

    n = hg(model.hg, n)
    n = write_hpm(w, model.b2, n)
    write_head(w, model.center, n, HEAD_DET_CENTER)
    write_head(w, model.size, n, HEAD_DET_SIZE)
    write_head(w, model.offset, n, HEAD_DET_OFFSET)
    return assemble(meta, w.grph(), w.tens, w.version)


def default_meta(cfg, name="detect", description=None):
    bm, rm = dn.count_macs(cfg)
    meta = {"task": "detect", "name": name, "input_size": cfg["size"], "output_stride": 4,
            "crop_scale": 1.0, "mean": "0,0,0", "std": "1,1,1", "bn_eps": "1e-05",
            "det_classes": ",".join(dn.DET_CLASSES[:cfg["classes"]]),
            "license": LICENSE, "data": DATA}
    meta["description"] = description or (
        f"binary CenterNet detector (HPM hourglass), S={cfg['size']} F={cfg['width']} "
        f"D={cfg['depth']} stem {cfg['stem_k']}x{cfg['stem_k']}/{cfg['stem_stride']}, "
        f"{bm / 1e9:.3f} G binary MACs")
    return meta


def randomise_bn(model, seed=0):
    """Random BN statistics so a random-weight model has non-degenerate thresholds."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)


def main(argv=None):
    ap = argparse.ArgumentParser(description="detector checkpoint -> .bnn")
    ap.add_argument("ckpt", nargs="?", help="binary checkpoint of train_detect.py")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="detect")
    ap.add_argument("--random", action="store_true", help="random weights (timing)")
    ap.add_argument("--width", type=int, default=None)
    ap.add_argument("--depth", type=int, default=None)
    ap.add_argument("--stem", default=None, help="k,stride,pad,channels (with --random)")
    ap.add_argument("--check", action="store_true",
                    help="compare the reference runner on the file with torch")
    args = ap.parse_args(argv)
    if args.random:
        cfg = dict(dn.DEFAULT_CFG)
        if args.width:
            cfg["width"] = args.width
        if args.depth:
            cfg["depth"] = args.depth
        if args.stem:
            k, s, p, ch = (int(v) for v in args.stem.split(","))
            cfg.update(stem_k=k, stem_stride=s, stem_pad=p, stem_ch=ch)
        torch.manual_seed(0)
        model = dn.build(cfg)
        randomise_bn(model)
        desc = None
        extra = "; random weights"
    else:
        from train_detect import model_from_ckpt
        model, ck = model_from_ckpt(args.ckpt, binary=True)
        desc = None
        extra = f"; recipe {ck.get('recipe')}, epoch {ck.get('epoch', 0):.1f}"
    model.eval()
    meta = default_meta(model.cfg, args.name, desc)
    meta["description"] += extra
    blob = build_file(model, meta)
    with open(args.out, "wb") as fh:
        fh.write(blob)
    print(f"wrote {args.out}: {len(blob)} bytes")
    if args.check:
        quantize_like_file(model)  # the weights exactly as the version 2 file holds them
        torch.manual_seed(0)
        x = torch.rand(1, 3, model.cfg["size"], model.cfg["size"])
        with torch.no_grad():
            ref = model(x)
        outs = run_reference(blob, x)
        for a, b in zip(ref, outs):
            print(f"reference runner vs torch: max abs diff {float((a - b).abs().max()):.3g}")


if __name__ == "__main__":
    main()
