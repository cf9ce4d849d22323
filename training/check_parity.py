# training/check_parity.py: trainer/engine parity for a real model: a .bnn through the engine
# (ctypes) vs the exporter's reference runner (exact) and vs its checkpoint in torch (stats).
import argparse
import os
import sys

import numpy as np

# libgomp's default spin-waiting wastes the CPU on a shared machine: sleep at barriers
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from data import KeypointSet, default_data_root  # noqa: E402
from engine import ISA, Engine, isa_supported  # noqa: E402
from evaluate import resize_inputs  # noqa: E402
from export_bnn import quantize_like_file, read_bnn, run_reference  # noqa: E402
from train import model_from_ckpt  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description="engine vs torch on a shipped model")
    ap.add_argument("bnn")
    ap.add_argument("ckpt", nargs="?", default=None,
                    help="the binary checkpoint the .bnn was exported from; without it only the "
                         "engine vs the file's reference runner is checked (no torch statistics)")
    ap.add_argument("--n", type=int, default=20, help="val images")
    ap.add_argument("--tol", type=float, default=1e-3,
                    help="max abs logit difference engine vs reference runner")
    ap.add_argument("--max-ref-flips", type=float, default=0.1,
                    help="largest allowed fraction of images on which the engine and the reference "
                         "runner differ by more than --tol (an activation exactly at its threshold "
                         "flips with the last bit of a float sum)")
    ap.add_argument("--max-argmax", type=float, default=0.05,
                    help="largest allowed fraction of heatmaps whose argmax differs from torch")
    ap.add_argument("--data-root", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    meta = read_bnn(a.bnn)[0]
    if a.ckpt:
        model, ck = model_from_ckpt(a.ckpt)
        model.eval()
        if meta["_version"] >= 2:
            quantize_like_file(model)  # the weights exactly as the version 2 file holds them
        task, size = ck["task"], model.cfg["size"]
    else:
        task, size = meta["task"], int(meta["input_size"])
    ds = KeypointSet(task, "val", a.data_root or default_data_root(), a.n)
    x = resize_inputs(ds.images, size)
    with torch.no_grad():
        refx = [r.numpy() for r in run_reference(a.bnn, x)]
        ref = [r.numpy() for r in model(x) if r is not None] if a.ckpt else [None] * len(refx)
    ok = True
    for isa in [k for k in ISA if k != "auto" and isa_supported(k)]:
        eng = Engine(a.bnn, threads=1, isa=isa)
        d_ref, d_torch, mism, maps, flipped, ref_flipped, d_ref_med = 0.0, [], 0, 0, 0, 0, []
        for i in range(len(ds)):
            outs = eng.run(x[i].permute(1, 2, 0).numpy())
            img_flip = img_ref_flip = False
            for (kind, o), r, rx in zip(outs, ref, refx):
                dr = float(np.abs(o - rx[i]).max())
                d_ref = max(d_ref, dr)
                d_ref_med.append(dr)
                img_ref_flip |= dr > a.tol
                if r is None:
                    continue
                dt = float(np.abs(o - r[i]).max())
                d_torch.append(dt)
                img_flip |= dt > a.tol
                if kind == 1:
                    am = o.reshape(o.shape[0], -1).argmax(1)
                    ar = r[i].reshape(r.shape[1], -1).argmax(1)
                    mism += int((am != ar).sum())
                    maps += o.shape[0]
            flipped += img_flip
            ref_flipped += img_ref_flip
        eng.close()
        line = (f"{isa}: {len(ds)} images: engine vs reference runner max abs diff {d_ref:.3g}, "
                f"median {np.median(d_ref_med):.3g}, {ref_flipped} images differ by > {a.tol}")
        if d_torch:
            arr = np.array(d_torch)
            line += (f"; engine vs torch max {arr.max():.3g}, median {np.median(arr):.3g}, "
                     f"{flipped} images differ by > {a.tol} (threshold flips), argmax differs in "
                     f"{mism} of {maps} maps")
        else:
            line += " (no checkpoint: torch not compared)"
        print(line)
        if ref_flipped > a.max_ref_flips * len(ds) or np.median(d_ref_med) > a.tol or \
                mism > a.max_argmax * maps:
            ok = False
    print("parity", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
