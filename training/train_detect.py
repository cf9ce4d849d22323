# training/train_detect.py: trains the detector of detect_network.py on data/detect with
# CenterNet losses: `--recipe twin` (real-valued) then `--recipe binary --teacher CKPT`.
import argparse
import json
import math
import os
import sys
import time

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import detect_network as dn  # noqa: E402
from data import greyscale_some  # noqa: E402
from detect_data import CropSet, DetSet, MixedSet, _stem, make_batch  # noqa: E402
from eval_detect import eval_torch  # noqa: E402
from checkpoint_io import compact_optim_state, load_ckpt, save_ckpt  # noqa: E402
from train import load_weights, lr_at  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def model_from_ckpt(path, binary=None):
    ck = load_ckpt(path)
    cfg = dict(ck["cfg"])
    if binary is not None:
        cfg["binary"] = binary
    m = dn.build(cfg)
    load_weights(m, ck["model"])
    return m, ck


def focal_loss(logits, heat, mask):
    """CenterNet's penalty-reduced focal loss (alpha 2, beta 4), only where mask is 1;
    normalised by the number of scored centres."""
    logp = F.logsigmoid(logits)
    log1mp = F.logsigmoid(-logits)
    p = torch.sigmoid(logits)
    pos = (heat >= 1.0).float() * mask
    neg = (1.0 - (heat >= 1.0).float()) * mask
    pl = -(logp * (1 - p) ** 2 * pos).sum()
    nl = -(log1mp * p ** 2 * (1 - heat) ** 4 * neg).sum()
    return (pl + nl) / pos.sum().clamp(min=1.0)


def gather(feat, ind):
    """feat N x 2 x H x W, ind N x M -> N x M x 2."""
    n, c = feat.shape[:2]
    f = feat.reshape(n, c, -1)
    return f.gather(2, ind.unsqueeze(1).expand(n, c, ind.shape[1])).permute(0, 2, 1)


def reg_loss(pred, ind, target, reg):
    p = gather(pred, ind)
    m = reg.unsqueeze(2)
    return (F.l1_loss(p * m, target * m, reduction="sum") / (m.sum() * 2).clamp(min=1.0))


def giou_loss(size, offset, ind, wh, off, reg):
    """1 - GIoU of the predicted and the target box at each labelled centre cell, averaged over
    the centres (both boxes relative to the cell: centre = offset, extent = size, in output
    pixels; a negative predicted size counts as 0, as the engine decodes it)."""
    ps = gather(size, ind).clamp(min=0.0)
    po = gather(offset, ind)
    p0, p1 = po - ps / 2, po + ps / 2
    t0, t1 = off - wh / 2, off + wh / 2
    iw = (torch.min(p1, t1) - torch.max(p0, t0)).clamp(min=0.0)
    inter = iw[..., 0] * iw[..., 1]
    area_p = ps[..., 0] * ps[..., 1]
    area_t = wh[..., 0] * wh[..., 1]
    union = (area_p + area_t - inter).clamp(min=1e-6)
    ew = torch.max(p1, t1) - torch.min(p0, t0)
    enclose = (ew[..., 0] * ew[..., 1]).clamp(min=1e-6)
    giou = inter / union - (enclose - union) / enclose
    return ((1.0 - giou) * reg).sum() / reg.sum().clamp(min=1.0)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--recipe", choices=["twin", "binary", "scratch"], default="twin")
    ap.add_argument("--teacher", help="twin checkpoint (binary recipe)")
    ap.add_argument("--init", help="start from this checkpoint's weights (same network), e.g. "
                                   "a second cycle after a finished run")
    ap.add_argument("--tag", default="", help="suffix of this run's checkpoint and log names "
                                               "(e.g. -c2)")
    ap.add_argument("--crops", type=float, default=0.0,
                    help="probability that each of a mosaic's tiles 2-4 is a landmark-set "
                         "crop (pose-lsp14 person, face-68 face) instead of a detect image")
    ap.add_argument("--crop-scale", default="0.35,0.9",
                    help="lo,hi: a crop tile's long side as a fraction of the input side "
                         "(detect tiles: 0.35-0.9); e.g. 0.2,0.5 keeps crop subjects at "
                         "scene sizes")
    ap.add_argument("--face-negatives", action="store_true",
                    help="person crops also train the face class as background inside the "
                         "person box, except around the head")
    ap.add_argument("--epochs", type=float, default=40)
    ap.add_argument("--minutes", type=float, default=None,
                    help="stop (with a final checkpoint) after this much wall time")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=None, help="default 2e-3 twin, 1e-3 binary")
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--width", type=int, default=dn.DEFAULT_CFG["width"])
    ap.add_argument("--depth", type=int, default=dn.DEFAULT_CFG["depth"])
    ap.add_argument("--mosaic", type=float, default=0.5)
    ap.add_argument("--wh-weight", type=float, default=0.1)
    ap.add_argument("--soft-weight", type=float, default=1.0)
    ap.add_argument("--giou", type=float, default=0.0,
                    help="weight of a GIoU loss on the boxes at the centres, beside the L1 on "
                         "size and offset (0: none)")
    ap.add_argument("--grey", type=float, default=0.0,
                    help="probability that a sample is shown to the student in grey (luma in R, "
                         "G and B, as from a monochrome or IR camera) on top of the colour "
                         "jitter's own 10 %%; a teacher still sees it in colour")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints", "detect"))
    ap.add_argument("--log-dir", default=os.path.join(HERE, "logs"))
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--print-every", type=int, default=20)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    binary = args.recipe != "twin"
    lr = args.lr or (2e-3 if args.recipe in ("twin", "scratch") else 1e-3)
    tset = DetSet("train", args.data_root, args.limit)
    vset = DetSet("val", args.data_root)
    print(f"data: {len(tset)} train, {len(vset)} val images", flush=True)
    n = len(tset)
    crop_scale = tuple(float(v) for v in args.crop_scale.split(","))
    if len(crop_scale) != 2 or not 0 < crop_scale[0] <= crop_scale[1]:
        ap.error("--crop-scale wants lo,hi with 0 < lo <= hi")
    if args.crops > 0:
        # face crops cut from a val scene would leak val faces into training
        val_stems = {_stem(s) for s in vset.sources}
        crops = CropSet(args.data_root, exclude_stems=val_stems, limit=args.limit,
                        face_negatives=args.face_negatives)
        print(f"crops: {crops.n_person} person (pose-lsp14, all joints labelled), "
              f"{crops.n_face} face (face-68; {crops.n_excluded} cut from val scenes left "
              f"out), decoded in {crops.decode_s:.1f} s", flush=True)
        tset = MixedSet(tset, crops)

    cfg = dict(dn.DEFAULT_CFG, size=args.size, width=args.width, depth=args.depth,
               binary=binary)
    model = dn.build(cfg)
    teacher = None
    if args.recipe == "binary":
        if not args.teacher:
            ap.error("--recipe binary needs --teacher")
        teacher, _ = model_from_ckpt(args.teacher, binary=False)
        teacher.eval()
        for q in teacher.parameters():
            q.requires_grad_(False)

    os.makedirs(args.ckpt_dir, exist_ok=True)
    os.makedirs(args.log_dir, exist_ok=True)
    name = args.recipe + args.tag
    last_path = os.path.join(args.ckpt_dir, f"{name}-last.pt")
    best_path = os.path.join(args.ckpt_dir, f"{name}-best.pt")
    log_path = os.path.join(args.log_dir, f"detect-{name}.jsonl")

    spe = max(1, n // args.batch)  # an epoch: every detect image once as a first tile
    total = int(round(args.epochs * spe))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    step, best, elapsed0 = 0, -1.0, 0.0
    resumed = False
    if not args.no_resume and os.path.exists(last_path):
        ck = load_ckpt(last_path)
        load_weights(model, ck["model"])
        if "optim" in ck:
            try:
                opt.load_state_dict(ck["optim"])
            except ValueError:
                pass
        step, best = ck.get("step", 0), ck.get("best", -1.0)
        elapsed0 = ck.get("elapsed", 0.0)
        resumed = True
        print(f"resumed from {last_path} at step {step} (epoch {step / spe:.2f})", flush=True)
    if not resumed and args.init:
        load_weights(model, load_ckpt(args.init)["model"])
        print(f"initialised from {args.init}", flush=True)
    elif not resumed and teacher is not None:
        load_weights(model, teacher.state_dict())
        print(f"initialised binary net from twin {args.teacher}", flush=True)

    t_start = time.time()
    bm, rm = dn.count_macs(cfg)
    nparam = sum(q.numel() for q in model.parameters())
    print(f"detector {args.recipe}: {nparam / 1e6:.3f} M params, {bm / 1e9:.3f} G binary MACs, "
          f"{rm / 1e9:.4f} G real MACs, {spe} steps/epoch, {total} steps, lr {lr}", flush=True)

    def extra(done=False):
        return dict(cfg=cfg, task="detect", recipe=args.recipe, step=step, epoch=step / spe,
                    total_steps=total, lr=lr, batch=args.batch, done=done, best=best,
                    teacher=args.teacher, init=args.init, crops=args.crops,
                    crop_scale=crop_scale, face_negatives=args.face_negatives,
                    elapsed=elapsed0 + time.time() - t_start)

    def checkpoint(path, with_optim):
        e = extra()
        if with_optim:
            e["optim"] = compact_optim_state(opt.state_dict())  # bf16 moments: small, no underflow
        save_ckpt(path, model, e)

    model.train()
    run = {"loss": 0.0, "hm": 0.0, "wh": 0.0, "off": 0.0, "n": 0}
    ep_t0, ep_samples, ep_loss, ep_n = time.time(), 0, 0.0, 0
    n_all = len(tset)
    while step < total:
        epoch = step // spe
        i = step % spe
        perm = np.random.default_rng(args.seed * 1000003 + epoch).permutation(n)
        rng = np.random.default_rng(args.seed * 7919 + step)
        idxs = [[int(perm[(i * args.batch + b) % n])] +
                [int(rng.integers(n, n_all)) if n_all > n and rng.random() < args.crops
                 else int(rng.integers(0, n)) for _ in range(3)]
                for b in range(args.batch)]
        x, (heat, mask, ind, wh, off, reg) = make_batch(tset, idxs, args.size, rng, True,
                                                        args.mosaic, crop_scale)
        # with --minutes the cosine schedule follows wall time, so it ends on time
        prog = step / total
        if args.minutes:
            prog = max(prog, (elapsed0 + time.time() - t_start) / (args.minutes * 60))
        cur_lr = lr_at(int(min(prog, 1.0) * total), total, lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = cur_lr
        ce, sz, of = model(greyscale_some(x, args.grey, rng))
        l_hm = focal_loss(ce, heat, mask)
        l_wh = reg_loss(sz, ind, wh, reg)
        l_off = reg_loss(of, ind, off, reg)
        loss = l_hm + args.wh_weight * l_wh + l_off
        if args.giou > 0:
            loss = loss + args.giou * giou_loss(sz, of, ind, wh, off, reg)
        if teacher is not None:
            with torch.no_grad():
                tce, tsz, tof = teacher(x)
            npos = (heat >= 1).float().mul(mask).sum().clamp(min=1.0)
            kd = ((torch.sigmoid(ce) - torch.sigmoid(tce)) ** 2 * mask).sum() / npos
            loss = loss + args.soft_weight * kd
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        step += 1
        lv = float(loss)
        for k, v in (("loss", lv), ("hm", float(l_hm)), ("wh", float(l_wh)),
                     ("off", float(l_off))):
            run[k] += v
        run["n"] += 1
        ep_loss += lv
        ep_n += 1
        ep_samples += x.shape[0]
        if args.print_every and step % args.print_every == 0:
            el = time.time() - ep_t0
            r = {k: run[k] / run["n"] for k in ("loss", "hm", "wh", "off")}
            print(f"step {step}/{total} ep {step / spe:.2f} loss {r['loss']:.4f} (hm {r['hm']:.4f} "
                  f"wh {r['wh']:.3f} off {r['off']:.3f}) lr {cur_lr:.2e} "
                  f"{ep_samples / max(el, 1e-6):.2f} samples/s", flush=True)
            run = {"loss": 0.0, "hm": 0.0, "wh": 0.0, "off": 0.0, "n": 0}
        out_of_time = args.minutes and (elapsed0 + time.time() - t_start) > args.minutes * 60
        if args.max_steps and step >= args.max_steps:
            checkpoint(last_path, True)
            print(f"stopping after --max-steps {args.max_steps}; last loss {lv:.4f}")
            return
        if step % spe == 0 or step == total or out_of_time:
            ep_s = time.time() - ep_t0
            t0 = time.time()
            val = eval_torch(model, vset, args.size)
            score = float(np.nanmean([val["ap_person"], val["ap_face"]]))
            rec = dict(epoch=round(step / spe, 3), step=step,
                       time=time.strftime("%Y-%m-%dT%H:%M:%S"),
                       train_loss=round(ep_loss / max(ep_n, 1), 5), lr=cur_lr,
                       epoch_s=round(ep_s, 1),
                       samples_per_s=round(ep_samples / max(ep_s, 1e-6), 2),
                       val_s=round(time.time() - t0, 1), val=val)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            print(f"epoch {rec['epoch']}: loss {rec['train_loss']:.4f} {val} "
                  f"({ep_s:.0f} s + val {rec['val_s']} s)", flush=True)
            if score > best:
                best = score
                checkpoint(best_path, False)
            checkpoint(last_path, True)
            ep_t0, ep_samples, ep_loss, ep_n = time.time(), 0, 0.0, 0
            if out_of_time:
                print(f"stopping after --minutes {args.minutes}", flush=True)
                return
    checkpoint(last_path, True)
    save_ckpt(os.path.join(args.ckpt_dir, f"{name}-final.pt"), model, extra(done=True))
    print("done", flush=True)


if __name__ == "__main__":
    main()
